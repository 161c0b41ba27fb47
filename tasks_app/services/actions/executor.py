"""Executing a stored run: its pending items in chunks (``dispatch``), concurrently, pass after
pass until every item has an outcome.

- Bounded concurrency on the write client: fewer chunks in flight while whole calls keep
  failing (``Window``), more while they succeed.
- An item not changed for a transient reason (throttled, 5xx, timeout) is sent again in a later
  pass. A whole call that failed through all its botocore tries spends one of the item's
  ``DASHBOARD_ACTION_ROUNDS``; a throttled item of an answered batch spends one try of
  ``DASHBOARD_ACTION_MAX_ATTEMPTS`` per round, as a single call's retry would.
- When the process's write breaker is open the executor waits out its cool-down (renewing its
  lease meanwhile) instead of spending rounds on calls that are refused before they are made.
- Outcomes are written in small transactions that also renew the lease; a run whose lease
  another process took is abandoned here (that process goes on with it).
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ...models import ActionItem, ActionRun
from .audit import finish, make_fresh, totals
from .dispatch import Outcome, Sender

logger = logging.getLogger(__name__)

#: How often an executing run writes its progress and renews its lease, at least.
HEARTBEAT_SECONDS = 1.0


def lease_until() -> datetime:
    return timezone.now() + timedelta(seconds=settings.DASHBOARD_ACTION_LEASE_SECONDS)


def batch_size() -> int:
    return int(settings.DASHBOARD_ACTION_BATCH_SIZE)


class Progress:
    """Outcomes not yet written, flushed together (one transaction, a heartbeat)."""

    FLUSH_SECONDS = 0.25

    def __init__(self, run: ActionRun, owner: str) -> None:
        self.run = run
        self.owner = owner
        self.buffer: list[ActionItem] = []
        self.last_flush = time.monotonic()
        self.changed_since_invalidation = False
        self.lost_lease = False

    def add(self, item: ActionItem) -> None:
        self.buffer.append(item)
        if item.outcome == ActionItem.Outcome.CHANGED:
            self.changed_since_invalidation = True

    def due(self) -> bool:
        return time.monotonic() - self.last_flush >= self.FLUSH_SECONDS

    def flush(self) -> None:
        """Write the buffered outcomes and the run's counters; renew the lease."""
        run = self.run
        progressed = any(item.outcome != ActionItem.Outcome.PENDING for item in self.buffer)
        fields: dict[str, object] = {"lease_until": lease_until()}
        if progressed:
            fields["last_progress_at"] = timezone.now()
        mine = ActionRun.objects.filter(
            pk=run.pk, lease_owner=self.owner, state=ActionRun.State.RUNNING
        )
        # Writes first, reads after: on SQLite a transaction that reads and then writes can
        # fail at once ("database is locked") while a sending thread writes.
        with transaction.atomic():
            _write_items(self.buffer)
            claimed = mine.update(**fields)
        changed, failed = totals(run.pk)
        mine.update(changed=changed, failed=failed)
        run.changed, run.failed = changed, failed
        self.buffer.clear()
        self.last_flush = time.monotonic()
        if not claimed:
            self.lost_lease = True
        if self.changed_since_invalidation:
            make_fresh(run)
            self.changed_since_invalidation = False


def _write_items(items: list[ActionItem]) -> None:
    """Store items' outcomes: one UPDATE per distinct outcome (most of a batch share one),
    where a bulk_update's CASE per row is slow on thousands of rows."""
    groups: dict[tuple[str, str, int, str], list[int]] = {}
    for item in items:
        key = (item.outcome, item.error, item.tries, item.batch_token)
        groups.setdefault(key, []).append(item.pk)
    for (outcome, error, tries, batch_token), pks in groups.items():
        for start in range(0, len(pks), 500):
            ActionItem.objects.filter(pk__in=pks[start : start + 500]).update(
                outcome=outcome, error=error, tries=tries, batch_token=batch_token
            )


class Window:
    """How many chunks may be in flight: halved when a whole call stays failing through all
    its botocore tries, one more after a window's worth of chunks went through, up to
    DASHBOARD_ACTION_CONCURRENCY."""

    def __init__(self, ceiling: int) -> None:
        self.ceiling = max(1, ceiling)
        self.limit = self.ceiling
        self._successes = 0

    def succeeded(self) -> None:
        self._successes += 1
        if self._successes >= self.limit and self.limit < self.ceiling:
            self.limit += 1
            self._successes = 0

    def exhausted(self) -> None:
        self.limit = max(1, self.limit // 2)
        self._successes = 0


@dataclass
class PassResult:
    retry: list[ActionItem] = field(default_factory=list)
    fatal: str = ""
    refused: str = ""
    pause: float = 0.0  # longest Retry-After of a failed whole call
    whole_call_failed: bool = False
    breaker: bool = False


class _Budget:
    """Rounds each item has spent: one per whole call failed after all its tries, a try's
    share of one per throttled item of an answered batch."""

    def __init__(self) -> None:
        self.rounds = int(settings.DASHBOARD_ACTION_ROUNDS)
        self.per_try = 1.0 / max(1, int(settings.DASHBOARD_ACTION_MAX_ATTEMPTS))
        self.spent: dict[int, float] = {}

    def spend(self, item: ActionItem, *, whole_call: bool) -> bool:
        """Spend; True when the item has no round left."""
        spent = self.spent.get(item.pk, 0.0) + (1.0 if whole_call else self.per_try)
        self.spent[item.pk] = spent
        return spent >= self.rounds - 1e-9


def execute(run_id: int, *, owner: str) -> ActionRun:
    """Send every pending item of a run this process holds the lease of; returns the run as
    left (finished, unless the lease was lost to another process)."""
    run = ActionRun.objects.get(pk=run_id)
    sender = Sender(run)
    pending = list(run.items.filter(outcome=ActionItem.Outcome.PENDING).order_by("id"))
    progress = Progress(run, owner)
    budget = _Budget()
    window = Window(settings.DASHBOARD_ACTION_CONCURRENCY)
    started = time.monotonic()
    failed_passes = item_passes = 0
    fatal = ""
    with ThreadPoolExecutor(
        max_workers=settings.DASHBOARD_ACTION_CONCURRENCY, thread_name_prefix=f"action-{run_id}"
    ) as pool:
        while pending and not fatal and not progress.lost_lease:
            result = _pass(sender, pending, pool, progress, window, budget)
            pending, fatal = result.retry, result.fatal
            if result.refused:
                _fall_back(run, sender, result.refused)
                continue
            if not pending or fatal:
                break
            if result.breaker:
                pause = result.pause
            elif result.whole_call_failed:
                failed_passes += 1
                pause = min(30.0, max(result.pause, 2.0 ** (failed_passes - 1)))
            else:
                item_passes += 1
                pause = min(2.0, 0.05 * 2.0**item_passes) * random.uniform(0.5, 1.0)
            _sleep(pause, progress)
    if progress.lost_lease:
        logger.warning("action run=%s: another process took it over", run_id)
        return run
    for item in pending:  # fatal: nothing else can succeed; say so for each
        item.outcome = ActionItem.Outcome.FAILED
        item.error = f"Not sent: {fatal}" if not item.tries else (item.error or fatal)
        progress.add(item)
    progress.flush()
    return finish(run, owner, time.monotonic() - started)


def _fall_back(run: ActionRun, sender: Sender, reason: str) -> None:
    """The backend refused BatchUpdateTask: UpdateTask per task from now on, and the run says
    so (its result page names the method used and why)."""
    sender.batch = False
    run.method, run.fallback = "UpdateTask", f"{reason}: sent one UpdateTask per task instead."
    ActionRun.objects.filter(pk=run.pk).update(method=run.method, fallback=run.fallback)
    logger.warning("action run=%s: %s", run.pk, run.fallback)


def _sleep(seconds: float, progress: Progress) -> None:
    """Wait, renewing the lease every heartbeat."""
    end = time.monotonic() + seconds
    while not progress.lost_lease:
        left = end - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, HEARTBEAT_SECONDS))
        progress.flush()


def _chunks(items: list[ActionItem], sender: Sender) -> Iterator[list[ActionItem]]:
    """Scope-wide items alone; items whose call may have gone out grouped by that call; the
    rest in chunks of the sender's size, in order."""
    by_token: dict[str, list[ActionItem]] = {}
    fresh: list[ActionItem] = []
    for item in items:
        if not item.task_id:
            yield [item]
        elif item.batch_token:
            by_token.setdefault(item.batch_token, []).append(item)
        else:
            fresh.append(item)
    yield from by_token.values()
    size = sender.chunk_size(batch_size())
    for start in range(0, len(fresh), size):
        yield fresh[start : start + size]


def _pass(
    sender: Sender,
    items: list[ActionItem],
    pool: ThreadPoolExecutor,
    progress: Progress,
    window: Window,
    budget: _Budget,
) -> PassResult:
    """Send ``items`` once, chunks concurrently; what is left to send again, and why."""
    result = PassResult()
    chunks = _chunks(items, sender)
    in_flight: set[Future[list[Outcome]]] = set()

    def refill() -> None:
        while not (result.fatal or result.refused) and len(in_flight) < window.limit:
            chunk = next(chunks, None)
            if chunk is None:
                return
            in_flight.add(pool.submit(sender.send, chunk))

    refill()
    while in_flight:
        done, _ = wait(in_flight, timeout=HEARTBEAT_SECONDS, return_when=FIRST_COMPLETED)
        for future in done:
            in_flight.discard(future)
            outcomes = future.result()
            for outcome in outcomes:
                _record(outcome, result, budget)
                progress.add(outcome.item)
            throttled = sum(1 for o in outcomes if o.transient)
            if any(o.whole_call for o in outcomes if o.transient) or throttled * 2 > len(outcomes):
                window.exhausted()  # the call failed, or most of its items were refused
            elif any(o.changed for o in outcomes):
                window.succeeded()
        if progress.due() or not in_flight:
            progress.flush()
            if progress.lost_lease:
                result.fatal = result.fatal or "another process took this action over"
        refill()
    for chunk in chunks:  # not sent (fatal, refused): the caller decides
        result.retry.extend(chunk)
    return result


def _record(outcome: Outcome, result: PassResult, budget: _Budget) -> None:
    item = outcome.item
    if outcome.sent:
        item.tries += 1
    if outcome.changed:
        item.outcome, item.error = ActionItem.Outcome.CHANGED, ""
    elif outcome.refused:
        result.refused = outcome.refused
        result.retry.append(item)
    elif outcome.breaker:
        item.error = outcome.error
        result.breaker = True
        result.pause = max(result.pause, outcome.retry_after)
        result.retry.append(item)
    elif outcome.transient and not budget.spend(item, whole_call=outcome.whole_call):
        item.error = outcome.error
        result.retry.append(item)
        if outcome.whole_call:
            result.whole_call_failed = True
            result.pause = max(result.pause, outcome.retry_after)
    else:
        item.outcome, item.error = ActionItem.Outcome.FAILED, outcome.error
        if outcome.fatal and not result.fatal:
            result.fatal = outcome.error
