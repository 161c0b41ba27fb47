"""The reads behind the attention list: bounded pagers over Search*/List* calls, each cached
for every viewer, and the concurrent fan-out the report and the task page use.

Which Search names are used, and how sure we are of them (``deadline_facts.search_names``):
SearchJobs filters on ``TASK_RUN_STATUS`` and ``ENDED_AT`` (confirmed). SearchTasks filters on
``RUN_STATUS`` and ``ENDED_AT`` are *assumed*: they go through ``deadline.search.search``, which
remembers per backend a name the service refuses, and every answer is checked (each row must
match the filter), a mismatch remembered as ignored. Either way the queue's busiest jobs are
then listed with SearchTasks(jobId) and no filter at all, which the model alone confirms.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings

from ...deadline import search
from ...deadline.cache import cached_read
from ...deadline.calls import list_all, list_every
from ...deadline.errors import DeadlineError
from ...deadline.farm_types import (
    ActionOutcomes,
    FleetList,
    LastLogEvent,
    SessionList,
    TaskRow,
    TaskRows,
    WorkerList,
)
from ...deadline.logs import LogNotFound, get_log_events
from ...deadline.session_types import Session
from ...deadline.types import Cacheable, Job, TaskRunStatus
from ..resources import now
from ..triage import WORKER_CACHE_SECONDS, log_location
from .rules import LIVE_STATUSES, UNFINISHED_JOB_STATUSES, recent, refresh_seconds, stall_after

logger = logging.getLogger(__name__)

#: Page caps: what one refresh may read at most, per queue or per worker.
JOB_PAGES = 3  # SearchJobs: unfinished or recently ended jobs of a queue
ACTIVE_TASK_PAGES = 10  # SearchTasks: tasks in workers' hands in a queue
SAMPLE_PAGES = 2  # SearchTasks: recent successes of a queue (duration samples)
CENSUS_PAGES = 10  # ListTasks / SearchTasks(jobId): one step's or job's tasks
CENSUS_JOBS = 20  # busiest jobs per queue listed when the RUN_STATUS filter is not honoured
HEALTH_JOBS = 2  # jobs per queue whose attempts count towards worker health
HEALTH_PAGES = 2  # ListSessionActions pages per such job (one of ListSessions covers them)
SESSION_PAGES = 5  # ListSessionsForWorker pages per dead worker
MAX_CANDIDATES = 200  # long-running tasks checked one by one per refresh
SAMPLE_SECONDS = 300.0  # duration samples and worker records change slowly


def _search_pages(operation: str, result_key: str, max_pages: int, **params: Any) -> dict[str, Any]:
    """Up to ``max_pages`` pages of a Search* operation (itemOffset paging)."""
    items: list[Any] = []
    offset: int | None = 0
    for _ in range(max_pages):
        assert offset is not None
        answer = search.search(operation, {**params, "itemOffset": offset, "pageSize": 100})
        items.extend(answer.get(result_key) or [])
        offset = answer.get("nextItemOffset")
        if offset is None:
            break
    return {result_key: items, "complete": offset is None}


# --- Reads: jobs -------------------------------------------------------------------------------


@dataclass(frozen=True)
class JobList(Cacheable):
    """Jobs from several SearchJobs pages (summaries lacking a job ID or name are dropped)."""

    jobs: tuple[Job, ...]
    complete: bool = True

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> JobList:
        jobs = []
        for item in answer.get("jobs") or ():
            try:
                jobs.append(Job.from_api(item))
            except (KeyError, TypeError, ValueError):
                logger.info("skipping a job summary without the members we need")
        return cls(jobs=tuple(jobs), complete=bool(answer.get("complete", True)))

    def to_cache(self) -> dict[str, Any]:
        return {"jobs": [job.to_cache() for job in self.jobs], "complete": self.complete}


def unfinished_or_recent_jobs(*, farm_id: str, queue_id: str) -> JobList:
    """A queue's unfinished jobs and those that ended within DASHBOARD_RECENT_SECONDS, newest
    first: one SearchJobs call per page, confirmed names only (TASK_RUN_STATUS, ENDED_AT,
    CREATED_AT)."""

    def fetch() -> dict[str, Any]:
        filters = {
            "operator": "OR",
            "filters": [
                search.string_list_filter("TASK_RUN_STATUS", UNFINISHED_JOB_STATUSES),
                search.since_filter("ENDED_AT", now() - recent()),
            ],
        }
        sort = [{"fieldSort": {"name": "CREATED_AT", "sortOrder": "DESCENDING"}}]
        return _search_pages(
            "SearchJobs",
            "jobs",
            JOB_PAGES,
            farmId=farm_id,
            queueIds=[queue_id],
            filterExpressions=filters,
            sortExpressions=sort,
        )

    return cached_read(
        kind="attention-jobs",
        ids=(farm_id, queue_id),
        ttl=refresh_seconds(),
        fetch=fetch,
        parse=JobList,
    )


# --- Reads: tasks ------------------------------------------------------------------------------


def _succeeded_since(row: TaskRow, since: datetime) -> bool:
    return (
        row.run_status is TaskRunStatus.SUCCEEDED
        and row.ended_at is not None
        and row.ended_at >= since
    )


def _checked(
    operation: str,
    params: Mapping[str, Any],
    answer: dict[str, Any],
    test: Callable[[TaskRow], bool],
) -> dict[str, Any]:
    """The answer, once every row is seen to match the filter sent; otherwise the service
    ignored the request's unconfirmed names: remembered for this backend (the next refresh
    makes no such call), and NamesUnusable raised (nothing cached)."""
    if all(test(row) for row in TaskRows.from_api(answer).rows):
        return answer
    ignored = [use for use in search.names_in(operation, params) if not use.confirmed]
    for use in ignored:
        search.remember(use, search.IGNORED)
    raise search.NamesUnusable(ignored, search.IGNORED)


def queue_live_tasks(*, farm_id: str, queue_id: str) -> TaskRows:
    """Every task in a worker's hands in a queue (SearchTasks, RUN_STATUS ANY_EQUALS)."""
    statuses = sorted(s.value for s in LIVE_STATUSES)

    def fetch() -> dict[str, Any]:
        params = {
            "farmId": farm_id,
            "queueIds": [queue_id],
            "filterExpressions": {
                "operator": "AND",
                "filters": [search.string_list_filter("RUN_STATUS", statuses)],
            },
        }
        answer = _search_pages("SearchTasks", "tasks", ACTIVE_TASK_PAGES, **params)
        return _checked("SearchTasks", params, answer, lambda r: r.run_status in LIVE_STATUSES)

    return cached_read(
        kind="attention-live-tasks",
        ids=(farm_id, queue_id),
        ttl=refresh_seconds(),
        fetch=fetch,
        parse=TaskRows,
    )


def queue_recent_successes(*, farm_id: str, queue_id: str) -> TaskRows:
    """Up to SAMPLE_PAGES pages of a queue's tasks that succeeded recently (their durations
    are the samples slowness is judged against)."""

    def fetch() -> dict[str, Any]:
        since = now() - recent()
        filters = {
            "operator": "AND",
            "filters": [
                search.string_filter("RUN_STATUS", "SUCCEEDED"),
                search.since_filter("ENDED_AT", since),
            ],
        }
        params = {"farmId": farm_id, "queueIds": [queue_id], "filterExpressions": filters}
        answer = _search_pages("SearchTasks", "tasks", SAMPLE_PAGES, **params)
        return _checked("SearchTasks", params, answer, lambda r: _succeeded_since(r, since))

    return cached_read(
        kind="attention-samples",
        ids=(farm_id, queue_id),
        ttl=max(SAMPLE_SECONDS, refresh_seconds()),
        fetch=fetch,
        parse=TaskRows,
    )


def job_tasks(*, farm_id: str, queue_id: str, job_id: str) -> TaskRows:
    """Up to CENSUS_PAGES pages of a job's tasks, any status (SearchTasks with the job's ID
    and no filter: no assumed name). The fallback when RUN_STATUS is not honoured."""
    return cached_read(
        kind="attention-job-tasks",
        ids=(farm_id, queue_id, job_id),
        ttl=refresh_seconds(),
        fetch=lambda: _search_pages(
            "SearchTasks",
            "tasks",
            CENSUS_PAGES,
            farmId=farm_id,
            queueIds=[queue_id],
            jobId=job_id,
        ),
        parse=TaskRows,
    )


def step_tasks(*, farm_id: str, queue_id: str, job_id: str, step_id: str) -> TaskRows:
    """Up to CENSUS_PAGES pages of one step's tasks (ListTasks by step, as the official CLI
    lists them): the step's own durations, completions and running tasks."""

    def fetch() -> dict[str, Any]:
        answer = list_all(
            "ListTasks",
            "tasks",
            max_pages=CENSUS_PAGES,
            farmId=farm_id,
            queueId=queue_id,
            jobId=job_id,
            stepId=step_id,
        )
        # ListTasks' summaries do not say where they sit: the rows carry it from here on.
        answer["tasks"] = [{**t, "jobId": job_id, "stepId": step_id} for t in answer["tasks"]]
        return answer

    return cached_read(
        kind="step-tasks",
        ids=(farm_id, queue_id, job_id, step_id),
        ttl=refresh_seconds(),
        fetch=fetch,
        parse=TaskRows,
    )


# --- Reads: fleets, workers, sessions, logs ----------------------------------------------------


def list_fleets(*, farm_id: str) -> FleetList:
    """A farm's fleets (ListFleets), cached like names."""
    return cached_read(
        kind="fleets",
        ids=(farm_id,),
        ttl=settings.DEADLINE_NAME_CACHE_SECONDS,
        fetch=lambda: {"fleets": list_every("ListFleets", "fleets", farmId=farm_id)},
        parse=FleetList,
    )


def list_workers(*, farm_id: str, fleet_id: str) -> WorkerList:
    """A fleet's workers with their status (ListWorkers), cached for a minute."""
    return cached_read(
        kind="workers",
        ids=(farm_id, fleet_id),
        ttl=min(WORKER_CACHE_SECONDS, settings.DEADLINE_NAME_CACHE_SECONDS),
        fetch=lambda: {
            "workers": list_every("ListWorkers", "workers", farmId=farm_id, fleetId=fleet_id)
        },
        parse=WorkerList,
    )


def worker_sessions(*, farm_id: str, fleet_id: str, worker_id: str) -> SessionList:
    """A worker's sessions (ListSessionsForWorker): read only for workers that stopped
    responding, to find the work still assigned to them."""
    return cached_read(
        kind="worker-sessions",
        ids=(farm_id, fleet_id, worker_id),
        ttl=refresh_seconds(),
        fetch=lambda: list_all(
            "ListSessionsForWorker",
            "sessions",
            max_pages=SESSION_PAGES,
            farmId=farm_id,
            fleetId=fleet_id,
            workerId=worker_id,
        ),
        parse=SessionList,
    )


def job_sessions(*, farm_id: str, queue_id: str, job_id: str) -> SessionList:
    """A job's sessions (ListSessions): which worker ran each attempt."""
    return cached_read(
        kind="job-sessions",
        ids=(farm_id, queue_id, job_id),
        ttl=max(SAMPLE_SECONDS, refresh_seconds()),
        fetch=lambda: list_all(
            "ListSessions", "sessions", max_pages=1, farmId=farm_id, queueId=queue_id, jobId=job_id
        ),
        parse=SessionList,
    )


def job_outcomes(*, farm_id: str, queue_id: str, job_id: str) -> ActionOutcomes:
    """A job's task-run attempts and how they ended (ListSessionActions by job)."""
    return cached_read(
        kind="job-outcomes",
        ids=(farm_id, queue_id, job_id),
        ttl=max(SAMPLE_SECONDS, refresh_seconds()),
        fetch=lambda: list_all(
            "ListSessionActions",
            "sessionActions",
            max_pages=HEALTH_PAGES,
            farmId=farm_id,
            queueId=queue_id,
            jobId=job_id,
        ),
        parse=ActionOutcomes,
    )


def last_log_event(
    *, farm_id: str, queue_id: str, session_id: str, session: Session | None = None
) -> LastLogEvent:
    """When a session's log last received a line (GetLogEvents, newest one), read where
    GetSession's ``log.options`` say (``session``), else where the convention does.

    Kept a quarter of DASHBOARD_STALL_SECONDS (at least DEADLINE_CACHE_SECONDS): silence is
    found at most that late, and a running task costs one read per such period.
    """
    group, stream = log_location(
        farm_id=farm_id, queue_id=queue_id, session_id=session_id, session=session
    )

    def fetch() -> dict[str, Any]:
        try:
            return get_log_events(
                group=group, stream=stream, start=None, end=None, limit=1, token=None,
                from_head=False,
            )  # fmt: skip
        except LogNotFound:
            return {"events": [], "missing": True}

    ttl = max(float(settings.DEADLINE_CACHE_SECONDS), stall_after().total_seconds() / 4)
    return cached_read(
        kind="log-last-event",
        ids=(group, stream),
        ttl=ttl,
        fetch=fetch,
        parse=LastLogEvent,
    )


# --- Errors -------------------------------------------------------------------------------


def message(exc: Exception) -> str:
    return exc.message if isinstance(exc, DeadlineError) else "the service ignored a filter"
