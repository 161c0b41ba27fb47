"""What an analysis compares failures with: tasks that succeeded after failing (did a retry
ever help?) and the jobs' sessions per worker (the baseline a worker cluster is measured
against)."""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from dataclasses import replace

from ...deadline.errors import DeadlineError
from ...deadline.types import TaskRunStatus, TaskSummary
from ...selectors.failures.head import Head
from ...selectors.failures.listing import SEARCH
from ...selectors.failures.reads import (
    failed_task_runs,
    read_attempts,
    retried_successes,
    session_counts,
)
from ...selectors.failures.records import (
    FailedTask,
    FailureScope,
    Listing,
    RetriedSuccess,
    WorkerSample,
)
from ...selectors.failures.store import (
    RETRY_SECONDS,
    entry_ttl,
    load_retried,
    load_samples,
    store_listing,
    store_retried,
    store_sample,
)

logger = logging.getLogger(__name__)

#: ListSessions pages (of 100) read per job for the per-worker baseline of clusters.
BASELINE_PAGES = 3


def sample_workers(scope: FailureScope, head: Head) -> None:
    """Sessions per worker of the scope's jobs (the first pages), for cluster baselines."""
    job_ids = (
        [j.job_id for j in head.jobs if j.failed][:20] if scope.kind == "queue" else [scope.job_id]
    )
    known = load_samples(scope, job_ids)
    pages = max(1, BASELINE_PAGES // max(1, len(job_ids)))
    for job_id in job_ids:
        if job_id in known:
            continue
        try:
            counts = session_counts(scope, job_id, pages)
        except DeadlineError as exc:
            logger.info("no session sample of %s: %s", job_id, exc.message)
            continue
        sample = WorkerSample(counts=tuple(sorted(counts.items())))
        store_sample(
            scope, job_id, sample, entry_ttl() if head.settled_job(job_id) else RETRY_SECONDS
        )


def sample_retried(scope: FailureScope, head: Head, listing: Listing, pool: Executor) -> None:
    """Up to FLAKY_SAMPLE tasks that succeeded after failing: their failed attempts, each
    with its exit code and message (one batch read for them all)."""
    retried = list(listing.retried)
    if listing.method == SEARCH and not retried:
        retried = retried_successes(scope, head)
        if retried:
            store_listing(scope, replace(listing, retried=tuple(retried)))
    known = load_retried(scope, retried)
    todo = [t for t in retried if t.task_id not in known]
    found: dict[tuple[str, str], RetriedSuccess] = {}
    for task, failed_ids in zip(todo, _failed_actions(scope, todo, pool), strict=True):
        found[(task.job_id, task.task_id)] = RetriedSuccess(
            task_id=task.task_id, failures=tuple((a, None, None) for a in failed_ids)
        )
    if not found:
        return
    rows = [
        FailedTask(
            job_id=job_id,
            summary=TaskSummary(
                task_id=value.task_id,
                run_status=TaskRunStatus.SUCCEEDED,
                latest_session_action_id=sa,
            ),
        )
        for (job_id, _), value in found.items()
        for sa, _, _ in value.failures
    ]
    actions, _ = read_attempts(scope, rows, sessions=False)
    for key, value in list(found.items()):
        found[key] = replace(
            value,
            failures=tuple(
                (sa, actions[sa].process_exit_code, actions[sa].progress_message)
                for sa, _, _ in value.failures
                if sa in actions
            ),
        )
    store_retried(scope, found)


def _failed_actions(
    scope: FailureScope, tasks: list[FailedTask], pool: Executor
) -> list[list[str]]:
    """The failed task-run actions of each task (ListSessionActions(taskId) each)."""
    futures = [pool.submit(failed_task_runs, scope, t) for t in tasks]
    results = []
    for future in futures:
        try:
            results.append(future.result())
        except DeadlineError:
            results.append([])
    return results
