"""Sending one chunk of a run's items: re-read, then write.

Before a chunk is written its tasks are read again (BatchGetTask): a task no longer in the
status it was previewed in is skipped, with the reason, and never written. The rest go out in
one BatchUpdateTask (100 tasks, one client token stored with the run before the call is sent)
or, where the backend refuses the batch operation, one UpdateTask per task (each with its own
stored token). A chunk whose call may have gone out already (a resumed run) is sent again
exactly as it was, with its token, and not re-read: the service then answers the first answer
again instead of changing anything twice.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

from django.db import transaction

from ...deadline import writes
from ...deadline.errors import AccessDenied, DeadlineError, NotFound, Unavailable
from ...deadline.resilience import TRANSIENT_REASONS, CircuitOpen
from ...deadline.types import TaskRunStatus
from ...models import ActionBatch, ActionItem, ActionRun
from . import refusals
from .catalog import ACTIONS
from .statuses import TaskRef, read_tasks

logger = logging.getLogger(__name__)

#: Tasks per chunk when each is its own UpdateTask call (re-read together, sent in turn).
SINGLE_CHUNK = 10
#: A chunk sent within this many seconds of the confirmation's own read of every task (its
#: recheck, which proved them all in their previewed status) is not read a second time: that
#: read is as fresh as a re-read would be. Later chunks, retries and resumed runs re-read.
FRESH_SECONDS = 1.0
_verified_lock = threading.Lock()
_verified: dict[int, float] = {}


def note_verified(run_id: int, read_at: float) -> None:
    """Every task of run ``run_id`` was read in its planned status at ``read_at``
    (time.monotonic()); taken by the run's executor in this process."""
    with _verified_lock:
        _verified[run_id] = read_at


_GRANT_HINT = "The optional write statement in docs/operating.md grants it."


@dataclass
class Outcome:
    """What became of one item in one send."""

    item: ActionItem
    changed: bool = False
    error: str = ""
    # Not changed now, worth sending again: ``whole_call`` when the call failed after all its
    # tries (a round spent), else one item of an answered batch (a try spent).
    transient: bool = False
    whole_call: bool = False
    retry_after: float = 0.0
    breaker: bool = False  # the write breaker refused: no call made, wait out its cool-down
    fatal: bool = False  # every other call would fail the same way (access, credentials)
    refused: str = ""  # the backend refused the batch operation: send per task instead
    sent: bool = False  # a write call carried it (a try)


class Sender:
    """Sends a run's chunks: one instance per execution of a run, shared by its threads."""

    def __init__(self, run: ActionRun) -> None:
        self.run = run
        target = ACTIONS[run.action].target
        self.target: TaskRunStatus | None = target
        self.batch = run.method == "BatchUpdateTask"
        with _verified_lock:
            self.verified_at = _verified.pop(run.pk, None)

    def chunk_size(self, batch_size: int) -> int:
        return max(1, min(batch_size, writes.BATCH_UPDATE_MAX)) if self.batch else SINGLE_CHUNK

    def send(self, items: Sequence[ActionItem]) -> list[Outcome]:
        """Send ``items`` (one chunk): every item gets one outcome."""
        if not items[0].task_id:
            return [self._send_scope_wide(items[0])]
        resend = [item for item in items if item.batch_token]
        if resend:
            return self._resend(resend)
        if self._verified_just_now(items):
            fresh, outcomes = list(items), []
        else:
            fresh, outcomes = self._reread(items)
        if not fresh:
            return outcomes
        if self.batch:
            sent = self._send_batch(fresh)
        else:
            self._mark_sent(fresh, {item.pk: item.client_token for item in fresh})
            sent = self._send_each(fresh)
        # The breaker refused before anything went out: re-read these again next time.
        unsent = [outcome.item for outcome in sent if outcome.breaker]
        if unsent:
            self._mark_sent(unsent, {item.pk: "" for item in unsent})
        return outcomes + sent

    # --- Re-read ----------------------------------------------------------------------------

    def _verified_just_now(self, items: Sequence[ActionItem]) -> bool:
        """Never sent, and read in their previewed status by the confirmation moments ago."""
        if self.verified_at is None or time.monotonic() - self.verified_at > FRESH_SECONDS:
            return False
        return all(not item.tries and not item.error for item in items)

    def _reread(self, items: Sequence[ActionItem]) -> tuple[list[ActionItem], list[Outcome]]:
        """(items still in their previewed status, outcomes of the others)."""
        run = self.run
        refs = [
            TaskRef(run.farm_id, run.queue_id, run.job_id, item.step_id, item.task_id)
            for item in items
        ]
        try:
            reading = read_tasks(refs)
        except DeadlineError as exc:
            return [], [_failed_call(item, exc) for item in items]
        keep, outcomes = [], []
        for item in items:
            task = reading.tasks.get(item.task_id)
            if item.task_id in reading.gone:
                outcomes.append(Outcome(item, error="Skipped: the task does not exist any more."))
            elif task is None:
                why = reading.unknown.get(item.task_id, "not in the answer")
                outcomes.append(Outcome(item, transient=True, error=f"Not re-read: {why}"))
            elif task.run_status.value != item.previous_status:
                outcomes.append(
                    Outcome(
                        item,
                        error=(
                            f"Skipped: {item.previous_status} at the preview, "
                            f"{task.run_status.value} just before sending; not changed."
                        ),
                    )
                )
            else:
                keep.append(item)
        return keep, outcomes

    # --- Batch ------------------------------------------------------------------------------

    def _send_batch(self, items: list[ActionItem]) -> list[Outcome]:
        token = writes.new_client_token()
        with transaction.atomic():
            ActionBatch.objects.create(
                run_id=self.run.pk, client_token=token, items=[item.pk for item in items]
            )
            self._mark_sent(items, dict.fromkeys((item.pk for item in items), token))
        return self._call_batch(items, token)

    def _resend(self, items: list[ActionItem]) -> list[Outcome]:
        """Items whose call may have gone out: the same call again (same items, same token)."""
        token = items[0].batch_token
        if token == items[0].client_token:  # sent as UpdateTask
            return self._send_each(items)
        batch = ActionBatch.objects.filter(client_token=token).first()
        members = {item.pk: item for item in items}
        if batch is None:  # stored with the token, so never: send afresh, re-read first
            self._mark_sent(items, {item.pk: "" for item in items})
            return [Outcome(item, transient=True, error="Not sent yet.") for item in items]
        others = ActionItem.objects.in_bulk([pk for pk in batch.items if pk not in members])
        ordered = [
            members.get(pk) or others[pk] for pk in batch.items if pk in members or pk in others
        ]
        outcomes = self._call_batch(ordered, token)
        return [outcome for outcome in outcomes if outcome.item.pk in members]

    def _call_batch(self, items: list[ActionItem], token: str) -> list[Outcome]:
        run = self.run
        assert self.target is not None
        tasks = [
            writes.TaskUpdate(run.farm_id, run.queue_id, run.job_id, item.step_id, item.task_id)
            for item in items
        ]
        try:
            errors = writes.batch_update_tasks(tasks=tasks, target=self.target, client_token=token)
        except DeadlineError as exc:
            if writes.is_refusal(exc) and not isinstance(exc, Unavailable):
                reason = refusals.remember("BatchUpdateTask", exc)
                self._mark_sent(items, {item.pk: "" for item in items})
                return [Outcome(item, refused=reason) for item in items]
            return [_failed_call(item, exc, sent=True) for item in items]
        outcomes = []
        for item in items:
            error = errors.get(item.task_id)
            if error is None:
                outcomes.append(Outcome(item, changed=True, sent=True))
            elif error.transient:
                item.batch_token = ""  # the answer is known: a new call, re-read first
                outcomes.append(
                    Outcome(item, transient=True, sent=True, error=f"{error.code}: {error.message}")
                )
            else:
                hint = f" {_GRANT_HINT}" if error.denied else ""
                outcomes.append(
                    Outcome(item, sent=True, error=f"{error.code}: {error.message}{hint}")
                )
        return outcomes

    # --- One call per task, or per scope --------------------------------------------------------

    def _send_each(self, items: Sequence[ActionItem]) -> list[Outcome]:
        """UpdateTask per item, in turn; once one shows that no other can succeed now (access
        denied, the breaker open), the rest are not sent and share its outcome."""
        outcomes: list[Outcome] = []
        for item in items:
            stop = next((o for o in outcomes if o.fatal or o.breaker), None)
            if stop is None:
                outcomes.append(self._send_one(item))
            elif stop.breaker:
                outcomes.append(replace(stop, item=item))
            else:
                outcomes.append(Outcome(item, error=f"Not sent: {stop.error}", fatal=True))
        return outcomes

    def _send_one(self, item: ActionItem) -> Outcome:
        run = self.run
        assert self.target is not None
        try:
            writes.update_task(
                farm_id=run.farm_id,
                queue_id=run.queue_id,
                job_id=run.job_id,
                step_id=item.step_id,
                task_id=item.task_id,
                target=self.target,
                client_token=item.client_token,
            )
        except DeadlineError as exc:
            return _failed_call(item, exc, sent=True)
        return Outcome(item, changed=True, sent=True)

    def _send_scope_wide(self, item: ActionItem) -> Outcome:
        """UpdateStep or UpdateJob (a scope-wide target, or the job's priority)."""
        run = self.run
        ids = {"farm_id": run.farm_id, "queue_id": run.queue_id, "job_id": run.job_id}
        try:
            if run.action == "priority":
                writes.update_job(**ids, priority=run.priority, client_token=item.client_token)
            elif item.step_id:
                assert self.target is not None
                writes.update_step(
                    **ids, step_id=item.step_id, target=self.target, client_token=item.client_token
                )
            else:
                writes.update_job(**ids, target=self.target, client_token=item.client_token)
        except DeadlineError as exc:
            return _failed_call(item, exc, sent=True)
        return Outcome(item, changed=True, sent=True)

    @staticmethod
    def _mark_sent(items: Sequence[ActionItem], tokens: dict[int, str]) -> None:
        """Store, before a call goes out, which call carries each item ("" : none any more)."""
        for item in items:
            item.batch_token = tokens[item.pk]
        by_token: dict[str, list[int]] = {}
        for pk, token in tokens.items():
            by_token.setdefault(token, []).append(pk)
        for token, pks in by_token.items():
            ActionItem.objects.filter(pk__in=pks).update(batch_token=token)


def _failed_call(item: ActionItem, exc: DeadlineError, *, sent: bool = False) -> Outcome:
    """The outcome of a call (a write, or the re-read before it) that raised ``exc``."""
    if isinstance(exc, CircuitOpen):
        return Outcome(item, error=exc.message, breaker=True, retry_after=exc.retry_after)
    if isinstance(exc, AccessDenied):
        return Outcome(item, error=f"{exc.message} {_GRANT_HINT}", fatal=True, sent=sent)
    if isinstance(exc, Unavailable):
        if exc.reason in TRANSIENT_REASONS:
            return Outcome(
                item,
                error=exc.message,
                transient=True,
                whole_call=True,
                retry_after=exc.retry_after,
                sent=sent,
            )
        return Outcome(item, error=exc.message, fatal=True, sent=sent)
    if isinstance(exc, NotFound):
        return Outcome(item, error=exc.message, sent=sent)
    return Outcome(item, error=exc.message, sent=sent)
