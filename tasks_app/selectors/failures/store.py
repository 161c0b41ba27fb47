"""Where an analysis's records live in the shared cache: one entry per scope's listing, per
failing attempt, per retried success and per job's worker sample, with their lifetimes.

Finished attempts never change, so their entries are kept for
``DASHBOARD_FAILURES_CACHE_SECONDS``; another process shows progress from them, and a second
viewer costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.conf import settings

from ...deadline.cache import forget, load_many, store_many
from .records import (
    AttemptFailure,
    FailedTask,
    FailureScope,
    Listing,
    RetriedSuccess,
    WorkerSample,
)

#: How long an analysis holds its lease (another process takes over after it lapses), and
#: how long a listing in progress is kept.
LEASE_SECONDS = 120.0
#: Failures whose log could not be read for a passing reason are retried after this.
RETRY_SECONDS = 60.0

_LISTING = "failure-listing"
_ATTEMPT = "failure-attempt"
_RETRIED = "failure-retried"
_SAMPLE = "failure-workers"
#: What other pages ask of a scope's analysis (``verdicts``): dropped whenever its listing is
#: stored again or forgotten, and when an analysis ends.
VERDICTS = "failure-verdicts"


def max_logs() -> int:
    return int(settings.DASHBOARD_FAILURES_MAX_LOGS)


def max_tasks() -> int:
    return int(settings.DASHBOARD_FAILURES_MAX_TASKS)


def entry_ttl() -> float:
    """How long a finished attempt's record is kept."""
    return float(settings.DASHBOARD_FAILURES_CACHE_SECONDS)


def load_listing(scope: FailureScope) -> Listing | None:
    return load_many(_LISTING, [scope.ids], Listing).get(scope.ids)


def store_listing(scope: FailureScope, listing: Listing) -> None:
    """A complete listing lives as long as its scope's answers; one in progress until the
    analysis's lease would lapse (it is replaced when complete)."""
    if listing.complete:
        ttl = (
            settings.DASHBOARD_TERMINAL_POLL_SECONDS
            if listing.settled
            else settings.DEADLINE_CACHE_SECONDS
        )
    else:
        ttl = LEASE_SECONDS
    store_many(_LISTING, {scope.ids: listing}, ttl)
    forget_verdicts(scope)


def forget_listing(scope: FailureScope) -> None:
    """Drop the cached list of failed tasks (after a requeue, say): the next view lists them
    again; the analyses of finished attempts stay."""
    forget(_LISTING, *scope.ids)
    forget_verdicts(scope)


def forget_verdicts(scope: FailureScope) -> None:
    forget(VERDICTS, *scope.ids)


def attempt_ids(scope: FailureScope, job_id: str, action_id: str) -> tuple[str, ...]:
    return (scope.farm_id, scope.queue_id, job_id, action_id)


def load_attempts(scope: FailureScope, tasks: Iterable[FailedTask]) -> dict[str, AttemptFailure]:
    """session action ID -> its cached analysis, for the tasks' failing attempts."""
    wanted = {attempt_ids(scope, t.job_id, t.action_id): t.action_id for t in tasks if t.action_id}
    found = load_many(_ATTEMPT, wanted, AttemptFailure)
    return {wanted[ids]: value for ids, value in found.items()}


def load_attempt(scope: FailureScope, job_id: str, action_id: str) -> AttemptFailure | None:
    ids = attempt_ids(scope, job_id, action_id)
    return load_many(_ATTEMPT, [ids], AttemptFailure).get(ids)


def store_attempts(
    scope: FailureScope, entries: Mapping[tuple[str, str], AttemptFailure], ttl: float
) -> None:
    """(job ID, session action ID) -> record, kept ``ttl`` seconds."""
    found = {attempt_ids(scope, job, action): entry for (job, action), entry in entries.items()}
    store_many(_ATTEMPT, found, ttl)


def load_retried(scope: FailureScope, tasks: Iterable[FailedTask]) -> dict[str, RetriedSuccess]:
    wanted = {(scope.farm_id, scope.queue_id, t.job_id, t.task_id): t.task_id for t in tasks}
    found = load_many(_RETRIED, wanted, RetriedSuccess)
    return {wanted[ids]: value for ids, value in found.items()}


def store_retried(scope: FailureScope, found: Mapping[tuple[str, str], RetriedSuccess]) -> None:
    """(job ID, task ID) -> the task's failed attempts."""
    entries = {(scope.farm_id, scope.queue_id, job, task): v for (job, task), v in found.items()}
    store_many(_RETRIED, entries, entry_ttl())


def load_samples(scope: FailureScope, job_ids: Iterable[str]) -> dict[str, WorkerSample]:
    wanted = {(scope.farm_id, scope.queue_id, job_id): job_id for job_id in job_ids}
    found = load_many(_SAMPLE, wanted, WorkerSample)
    return {wanted[ids]: value for ids, value in found.items()}


def store_sample(scope: FailureScope, job_id: str, sample: WorkerSample, ttl: float) -> None:
    store_many(_SAMPLE, {(scope.farm_id, scope.queue_id, job_id): sample}, ttl)
