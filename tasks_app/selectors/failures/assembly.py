"""A scope's ``FailureReport`` from what the shared cache holds (no API call): the groups, the
worker clusters among them, and how far the analysis got. The HTML page, its htmx polls, the
JSON and the Markdown summary are all rendered from this one report."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Protocol

from ...deadline.errors import DeadlineError
from . import signatures
from .clusters import clusters
from .grouping import (
    exit_to_log_signature,
    group_members,
    group_of,
    not_analysed_group,
    retried_by_signature,
    titles_of,
)
from .listing import SEARCH
from .records import AttemptFailure, FailedTask, FailureScope, Listing
from .report import FailureGroup, FailureReport
from .retries import judge
from .store import load_attempts, load_retried, load_samples, max_logs


class AnalysisState(Protocol):
    """What a report needs of an analysis under way (services run them)."""

    done: threading.Event
    error: DeadlineError | None


def assemble(
    scope: FailureScope,
    listing: Listing | None,
    *,
    progress: AnalysisState | None = None,
    worker_id: str = "",
    attempts: Mapping[str, AttemptFailure] | None = None,
) -> FailureReport:
    """Group what the cache holds for ``scope`` (no API call); ``attempts`` when already
    loaded; ``worker_id`` keeps the failures whose failing attempt ran on that worker."""
    running = progress is not None and not progress.done.is_set()
    error = progress.error.message if progress is not None and progress.error else None
    if listing is None:
        return _nothing_listed(scope, running=running, error=error)
    if attempts is None:
        attempts = load_attempts(scope, listing.tasks)
    tasks = [
        t
        for t in listing.tasks
        if not worker_id
        or (t.action_id in attempts and attempts[t.action_id].worker_id == worker_id)
    ]
    flaky_known = listing.complete and not running
    groups, analysed = _groups(scope, listing, tasks, attempts, flaky_known=flaky_known)
    if listing.complete and listing.beyond and not worker_id:
        groups.append(not_analysed_group(listing.beyond))
    groups.sort(key=lambda g: (-g.task_count, g.title))
    listed = len(tasks)
    if listing.complete:
        failed = listed + (listing.beyond if not worker_id else 0)
    else:
        failed = listed if worker_id else max(listing.expected, listed)
    job_ids = [j.job_id for j in listing.jobs if j.failed] or [scope.job_id]
    return FailureReport(
        scope=scope,
        names=dict(listing.names),
        failed_tasks=failed,
        listed=listed,
        analysed=analysed,
        complete=listing.complete and analysed == listed and not running,
        running=running,
        groups=tuple(groups),
        clusters=()
        if worker_id
        else clusters(groups, load_samples(scope, job_ids).values(), attempts.values()),
        method=listing.method,
        settled=listing.settled,
        listed_at=listing.listed_at,
        logs_cap=max_logs(),
        not_read=_not_read(tasks, attempts),
        inferred=sum(g.inferred for g in groups),
        jobs=listing.jobs,
        jobs_matched=listing.jobs_matched,
        worker_id=worker_id,
        error=error,
        flaky_known=flaky_known,
        hosts={a.worker_id: a.worker_label for a in attempts.values() if a.worker_id},
    )


def _groups(
    scope: FailureScope,
    listing: Listing,
    tasks: Sequence[FailedTask],
    attempts: Mapping[str, AttemptFailure],
    *,
    flaky_known: bool,
) -> tuple[list[FailureGroup], int]:
    """One group per cause among ``tasks``, and how many of them are analysed."""
    inference = exit_to_log_signature(attempts.values())
    grouped, analysed = group_members(tasks, attempts, inference)
    titles = titles_of(attempts.values())
    retried = load_retried(scope, listing.retried)
    flaky_by_signature = retried_by_signature(retried.values(), attempts, inference)
    names = dict(listing.names)
    groups = [
        group_of(signature, members, titles, flaky_by_signature, names)
        for signature, members in grouped.items()
    ]
    return judge(groups, known=flaky_known), analysed


def _not_read(tasks: Sequence[FailedTask], attempts: Mapping[str, AttemptFailure]) -> int:
    """Of the tasks shown (one worker's, with ?worker=), those whose log was not read."""
    return sum(
        1
        for t in tasks
        if t.action_id in attempts and attempts[t.action_id].source == signatures.FROM_NOT_READ
    )


def _nothing_listed(scope: FailureScope, *, running: bool, error: str | None) -> FailureReport:
    return FailureReport(
        scope=scope,
        names={},
        failed_tasks=0,
        listed=0,
        analysed=0,
        complete=False,
        running=running,
        groups=(),
        clusters=(),
        method=SEARCH,
        settled=False,
        listed_at=None,
        logs_cap=max_logs(),
        not_read=0,
        inferred=0,
        error=error,
    )
