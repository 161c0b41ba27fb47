"""One failure analysis of a scope (a job, a step or a queue's recent jobs), within an API
budget, every result cached as soon as it is known (so the page shows groups while the rest
streams in and another process can report progress):

1. list the failed tasks (``selectors.failures.listing``), publishing the listing as it grows;
2. read each page's failing attempts as it arrives (``attempts``);
3. sample tasks that succeeded after a retry and the jobs' sessions per worker (``samples``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from ...deadline.errors import DeadlineError
from ...selectors.failures.head import Head, read_head
from ...selectors.failures.listing import (
    LIST,
    PAGE_SIZE,
    SEARCH,
    FilterNotHonoured,
    failing_steps,
    search_by_status,
    step_tasks,
)
from ...selectors.failures.reads import BATCH_SIZE, FLAKY_SAMPLE
from ...selectors.failures.records import FailedTask, FailureScope, Listing, task_order
from ...selectors.failures.store import (
    forget_verdicts,
    load_listing,
    max_tasks,
    store_listing,
)
from ...selectors.resources import now
from .attempts import AttemptReader
from .samples import sample_retried, sample_workers
from .state import Pools, Progress

logger = logging.getLogger(__name__)


@dataclass
class Collector:
    """Failed tasks as they are listed (thread-safe), de-duplicated, capped."""

    limit: int
    on_new: Callable[[list[FailedTask]], None]
    tasks: dict[str, FailedTask] = field(default_factory=dict)
    retried: dict[str, FailedTask] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, rows: Sequence[FailedTask]) -> None:
        fresh = []
        with self.lock:
            for row in rows:
                if row.task_id not in self.tasks and len(self.tasks) < self.limit:
                    self.tasks[row.task_id] = row
                    fresh.append(row)
        if fresh:
            self.on_new(fresh)

    def add_retried(self, rows: Sequence[FailedTask]) -> None:
        with self.lock:
            for row in rows:
                self.retried.setdefault(row.task_id, row)


class Analysis:
    """One run: list, then analyse each page of failed tasks as it arrives."""

    def __init__(
        self, scope: FailureScope, progress: Progress, pools: Pools, *, more_logs: bool
    ) -> None:
        self.scope = scope
        self.progress = progress
        self.pool = pools.meta
        self.reader = AttemptReader(scope, progress, pools, more_logs=more_logs)
        self.listing: Listing | None = None
        self.partial: Listing | None = None
        self.published: list[FailedTask] = []
        self.publish_lock = threading.Lock()
        self.last_publish = 0.0

    def run(self) -> None:
        scope = self.scope
        previous = load_listing(scope)
        collector = Collector(limit=max_tasks(), on_new=self._analyse_soon)
        # A job's or step's failed tasks are searched while its counts and names are read.
        self.head_future = self.pool.submit(read_head, scope)
        if scope.kind == "queue":
            self._begin(self.head_future.result(), previous)
        method, total = self._list(collector)
        head = self.head_future.result()
        if scope.kind != "queue" and self.partial is None:
            self._begin(head, previous)
        tasks = tuple(sorted(collector.tasks.values(), key=task_order))
        assert self.listing is not None
        listing = replace(
            self.listing,
            tasks=tasks,
            method=method,
            complete=True,
            beyond=max(0, total - len(tasks)),
            retried=tuple(collector.retried.values())[:FLAKY_SAMPLE],
        )
        with self.publish_lock:
            self.partial = None  # no partial listing may overwrite the complete one
            store_listing(scope, listing)
        self.progress.listed.set()
        try:
            sample_retried(scope, head, listing, self.reader.log_pool)
        except DeadlineError as exc:
            logger.info("retried successes not sampled: %s", exc.message)
        self.reader.wait()
        self.reader.read_where_samples_disagree()
        self.reader.wait()
        forget_verdicts(scope)  # worked out while the last logs were read: work them out again

    def _begin(self, head: Head, previous: Listing | None) -> None:
        """The listing in progress, from the scope's head (stored unless one is cached)."""
        listing = Listing(
            tasks=(),
            expected=head.expected,
            method=SEARCH,
            complete=False,
            settled=head.settled,
            listed_at=now(),
            names=head.names,
            jobs=head.jobs,
            jobs_matched=head.jobs_matched,
        )
        self.listing = listing
        # The jobs are known: their sessions per worker (cluster baselines), alongside.
        self.reader.submit(sample_workers, self.scope, head)
        with self.publish_lock:
            self.partial = listing
            if previous is None:
                store_listing(self.scope, replace(listing, tasks=tuple(self.published)))

    def _targets(self) -> list[tuple[str, str]]:
        """(job ID, step ID) of each listing: the scope's, or each failing job of a queue."""
        scope = self.scope
        if scope.kind == "queue":
            return [(j.job_id, "") for j in self.head_future.result().jobs if j.failed]
        return [(scope.job_id, scope.step_id)]

    def _list(self, collector: Collector) -> tuple[str, int]:
        """(method, how many failed tasks there are) after listing every one (capped)."""
        scope = self.scope
        totals: dict[str, int] = {}
        fallback: list[tuple[str, str]] = []
        for job_id, step_id in self._targets():
            try:
                totals[job_id] = search_by_status(
                    farm_id=scope.farm_id,
                    queue_id=scope.queue_id,
                    job_id=job_id,
                    step_id=step_id,
                    status="FAILED",
                    limit=max_tasks(),
                    on_rows=collector.add,
                    pool=self.pool,
                )
            except FilterNotHonoured as exc:
                logger.info("SearchTasks %s RUN_STATUS here: listing with ListTasks", exc.verdict)
                fallback.append((job_id, step_id))
        for job_id, step_id in fallback:
            totals[job_id] = self._list_steps(collector, job_id, step_id)
        return (LIST if fallback else SEARCH), sum(totals.values())

    def _list_steps(self, collector: Collector, job_id: str, step_id: str) -> int:
        """Every task of the failing steps by ListTasks: the failed ones collected, and the
        successes after a retry; how many failed."""
        scope = self.scope
        steps = [step_id] if step_id else failing_steps(scope, job_id)
        ids = {"farm_id": scope.farm_id, "queue_id": scope.queue_id, "job_id": job_id}
        futures = [self.pool.submit(step_tasks, **ids, step_id=s) for s in steps]
        count = 0
        for future in futures:
            failed, retried = future.result()
            count += len(failed)
            collector.add(failed)
            collector.add_retried(retried)
        return count

    def _publish(self, rows: list[FailedTask]) -> None:
        """Store the listing so far (other processes show progress from it); at most twice a
        second after the first pages, and always before the rows' attempts are read."""
        with self.publish_lock:
            self.published.extend(rows)
            if self.partial is None:
                return
            moment = time.monotonic()
            if len(self.published) > 3 * PAGE_SIZE and moment - self.last_publish < 0.5:
                return
            self.last_publish = moment
            tasks = tuple(sorted(self.published, key=task_order))
            store_listing(self.scope, replace(self.partial, tasks=tasks))

    def _analyse_soon(self, rows: list[FailedTask]) -> None:
        if self.partial is None and self.scope.kind != "queue":
            # The first page came before the job's counts: wait for them (one round trip).
            self._begin(self.head_future.result(), load_listing(self.scope))
        self._publish(rows)
        for start in range(0, len(rows), BATCH_SIZE):
            self.reader.analyse(rows[start : start + BATCH_SIZE])
