"""A scope's failure report as far as it is known: what the cache holds, after starting an
analysis when something is missing and waiting a moment for it. How an analysis is started,
found running and waited for is the caller's (this process's threads, or the task engine)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...selectors.failures.assembly import AnalysisState, assemble
from ...selectors.failures.head import read_head
from ...selectors.failures.records import AttemptFailure, FailureScope
from ...selectors.failures.report import FailureReport
from ...selectors.failures.store import load_attempts, load_listing


@dataclass(frozen=True)
class Runs:
    """How analyses are started, found and waited for."""

    running: Callable[[FailureScope], AnalysisState | None]
    start: Callable[..., AnalysisState | None]  # (scope, *, more_logs) -> its progress
    wait: Callable[[FailureScope, AnalysisState, float], None]
    more_logs_allowed: Callable[[FailureScope], bool] = lambda scope: True


def report(
    scope: FailureScope,
    runs: Runs,
    *,
    worker_id: str = "",
    wait_seconds: float,
    more_logs: bool = False,
) -> FailureReport:
    """The failure groups of ``scope`` as far as they are known. Raises NotFound and other
    DeadlineErrors of the scope's own reads (the job, the step, the queue's jobs)."""
    listing = load_listing(scope)
    progress = runs.running(scope)
    attempts: dict[str, AttemptFailure] | None = None
    if listing is None and progress is None:
        read_head(scope)  # a missing job or step is a 404, not an analysis error
    if more_logs and runs.more_logs_allowed(scope):
        progress = runs.start(scope, more_logs=True)
    elif progress is None:
        if listing is not None and listing.complete:
            attempts = load_attempts(scope, listing.tasks)
        if (
            listing is None
            or attempts is None
            or any(t.action_id and t.action_id not in attempts for t in listing.tasks)
        ):
            progress = runs.start(scope)
    if progress is not None:
        if wait_seconds > 0:
            runs.wait(scope, progress, wait_seconds)
        # What is cached now is what there is to show.
        listing, attempts = load_listing(scope) or listing, None
    return assemble(scope, listing, progress=progress, worker_id=worker_id, attempts=attempts)
