"""Reads of the browse pages: farms, queues, a queue's jobs, a job's steps, a step's tasks,
and the demo world's example tasks. The job list and the task table (their queries, and what
they fall back on when the account's Search* refuses or ignores a name) are ``job_table`` and
``task_table``.

One cached entry per API answer (a whole list, or one Search* page), keyed by the resource
path plus a digest of the query.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from ..deadline import allow_list, client
from ..deadline.cache import cached_read
from ..deadline.calls import call, list_every
from ..deadline.errors import DeadlineError, Unavailable
from ..deadline.types import (
    Farm,
    FarmList,
    Job,
    JobSearchPage,
    Queue,
    QueueList,
    StepDetail,
    StepList,
    TaskPath,
    TaskSearchPage,
)
from . import job_table, task_table
from .resources import get_farm, get_job, get_queue, read_concurrently

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ExampleTask:
    """A task worth opening, offered on the home page (demo mode only)."""

    label: str
    path: TaskPath


def example_tasks() -> list[ExampleTask]:
    """A few notable tasks of the demo world (running, failed with retries, hostile strings)."""
    if not client.is_demo():
        return []
    try:
        return [
            ExampleTask(label=label, path=TaskPath(**ids))
            for label, ids in client.demo_tasks()
            if allow_list.is_farm_allowed(ids["farm_id"])
        ]
    except Exception:  # the home page must render even if the demo world changes shape
        logger.exception("could not list the demo world's example tasks")
        return []


# The job list and the task table (queries, sorts, fallbacks) live in their own modules.
JOB_SORTS = job_table.JOB_SORTS
JOB_LIFECYCLE_STATUSES = job_table.JOB_LIFECYCLE_STATUSES
JobQuery = job_table.JobQuery
TASK_SORTS = task_table.TASK_SORTS
TaskQuery = task_table.TaskQuery
task_search_filter = task_table.task_search_filter
#: Search* can reach items at offsets 0..10,000 only.
SEARCH_WINDOW = task_table.SEARCH_WINDOW


def list_farms() -> FarmList:
    """Every farm the credentials can see, by display name."""
    return cached_read(
        kind="farms",
        ids=("all",),
        ttl=settings.DEADLINE_NAME_CACHE_SECONDS,
        fetch=lambda: {"farms": list_every("ListFarms", "farms")},
        parse=FarmList,
    )


def list_queues(*, farm_id: str) -> QueueList:
    """A farm's queues (status and blocked reason are live: short TTL)."""
    return cached_read(
        kind="queues",
        ids=(farm_id,),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: {"queues": list_every("ListQueues", "queues", farmId=farm_id)},
        parse=QueueList,
    )


def search_jobs(
    *, farm_id: str, queue_id: str, query: JobQuery, exact: bool = True
) -> JobSearchPage:
    """One page of a queue's jobs (see ``job_table``: one SearchJobs call, or a fallback)."""
    return job_table.queue_jobs(farm_id=farm_id, queue_id=queue_id, query=query, exact=exact)


def get_job_status(*, farm_id: str, queue_id: str, job_id: str) -> Job:
    """One job with live counts (DEADLINE_CACHE_SECONDS, unlike ``get_job``'s name TTL)."""
    return cached_read(
        kind="job-live",
        ids=(farm_id, queue_id, job_id),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: call("GetJob", farmId=farm_id, queueId=queue_id, jobId=job_id),
        parse=Job,
    )


def list_steps(*, farm_id: str, queue_id: str, job_id: str) -> StepList:
    """A job's steps with their counts, in the job's order."""
    return cached_read(
        kind="steps",
        ids=(farm_id, queue_id, job_id),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: {
            "steps": list_every(
                "ListSteps", "steps", farmId=farm_id, queueId=queue_id, jobId=job_id
            )
        },
        parse=StepList,
    )


def get_step_status(*, farm_id: str, queue_id: str, job_id: str, step_id: str) -> StepDetail:
    """One step with live counts and its parameter names."""
    return cached_read(
        kind="step-live",
        ids=(farm_id, queue_id, job_id, step_id),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: call(
            "GetStep", farmId=farm_id, queueId=queue_id, jobId=job_id, stepId=step_id
        ),
        parse=StepDetail,
    )


def search_step_tasks(
    *, farm_id: str, queue_id: str, job_id: str, step_id: str, query: TaskQuery, step: StepDetail
) -> TaskSearchPage:
    """One page of a step's tasks (see ``task_table``: by index, one SearchTasks call, or
    the step's listing)."""
    ids = task_table.StepIds(farm_id, queue_id, job_id, step_id)
    return task_table.step_tasks(ids, query, step)


@dataclass(frozen=True)
class FarmOverview:
    """The farm page: the farm's name (None if unreadable) and its queues."""

    farm: Farm | None
    queues: QueueList


@dataclass(frozen=True)
class QueueOverview:
    farm: Farm | None
    queue: Queue | None
    jobs: JobSearchPage


@dataclass(frozen=True)
class JobOverview:
    """The job page: the job is its subject; its steps may be missing (``steps_error``)."""

    farm: Farm | None
    queue: Queue | None
    job: Job
    steps: StepList | None
    steps_error: Unavailable | None = None


@dataclass(frozen=True)
class StepOverview:
    """The step page: the step is its subject; its tasks may be missing (``tasks_error``)."""

    farm: Farm | None
    queue: Queue | None
    job: Job | None
    step: StepDetail
    tasks: TaskSearchPage | None
    tasks_error: Unavailable | None = None


def _names(farm_id: str, queue_id: str | None = None) -> dict[str, Callable[[], Any]]:
    reads: dict[str, Callable[[], Any]] = {"farm": lambda: get_farm(farm_id=farm_id)}
    if queue_id is not None:
        reads["queue"] = lambda: get_queue(farm_id=farm_id, queue_id=queue_id)
    return reads


_NAMES = frozenset({"farm", "queue", "job"})


def _section_failure(failures: Mapping[str, DeadlineError], kind: str) -> Unavailable | None:
    """A page section the API could not serve just now (the page shows the rest); any other
    failure (access denied, a bad request) is the whole page's answer."""
    exc = failures.get(kind)
    if exc is not None and not isinstance(exc, Unavailable):
        raise exc
    return exc


def get_farm_overview(*, farm_id: str, with_names: bool = True) -> FarmOverview:
    """The farm page (queues); ``with_names=False`` for polls, which only refresh the list."""
    reads = _names(farm_id) if with_names else {}
    reads["queues"] = lambda: list_queues(farm_id=farm_id)
    got = read_concurrently(reads, optional=_NAMES)
    return FarmOverview(farm=got.get("farm"), queues=got["queues"])


def get_queue_overview(
    *, farm_id: str, queue_id: str, query: JobQuery, with_names: bool = True
) -> QueueOverview:
    """The queue page: its name and status, and one page of its jobs."""
    reads = _names(farm_id, queue_id) if with_names else {}
    reads["jobs"] = lambda: search_jobs(farm_id=farm_id, queue_id=queue_id, query=query)
    got = read_concurrently(reads, optional=_NAMES)
    return QueueOverview(farm=got.get("farm"), queue=got.get("queue"), jobs=got["jobs"])


def get_job_overview(
    *, farm_id: str, queue_id: str, job_id: str, with_names: bool = True
) -> JobOverview:
    """The job page: the job (live counts) and its steps, in two concurrent calls. The job
    is the page's subject (its failure raises); without its steps the page still shows it."""
    ids = {"farm_id": farm_id, "queue_id": queue_id, "job_id": job_id}
    reads = _names(farm_id, queue_id) if with_names else {}
    # Not "job": that key is a name read, optional; this one is the page's subject.
    reads["job_status"] = lambda: get_job_status(**ids)
    reads["steps"] = lambda: list_steps(**ids)
    failures: dict[str, DeadlineError] = {}
    got = read_concurrently(reads, optional=_NAMES | {"steps"}, failures=failures)
    return JobOverview(
        farm=got.get("farm"),
        queue=got.get("queue"),
        job=got["job_status"],
        steps=got["steps"],
        steps_error=_section_failure(failures, "steps"),
    )


def get_step_overview(
    *,
    farm_id: str,
    queue_id: str,
    job_id: str,
    step_id: str,
    query: TaskQuery,
    with_names: bool = True,
) -> StepOverview:
    """The step page: the step (live counts) and one page of its tasks.

    A search needs the step's parameters first (a bare number is a frame only where the step
    has one), and a page past the search window the step's counts; otherwise every read runs
    concurrently.
    """
    ids = {"farm_id": farm_id, "queue_id": queue_id, "job_id": job_id, "step_id": step_id}
    step_ids = task_table.StepIds(farm_id, queue_id, job_id, step_id)
    reads = _names(farm_id, queue_id) if with_names else {}
    if with_names:
        reads["job"] = lambda: get_job(farm_id=farm_id, queue_id=queue_id, job_id=job_id)
    reads["step"] = lambda: get_step_status(**ids)
    failures: dict[str, DeadlineError] = {}
    if query.search.strip() or query.offset + query.page_size > task_table.SEARCH_WINDOW:
        got = read_concurrently(reads, optional=_NAMES)
        step = got["step"]
        got.update(
            read_concurrently(
                {"tasks": lambda: task_table.step_tasks(step_ids, query, step)},
                optional=frozenset({"tasks"}),
                failures=failures,
            )
        )
    else:
        # The search runs beside the step's read; its answer is checked against the step after.
        reads["tasks"] = lambda: task_table.attempt_search(step_ids, query)
        got = read_concurrently(reads, optional=_NAMES | {"tasks"}, failures=failures)
        attempt = got.get("tasks")
        if attempt is not None:
            got.update(
                read_concurrently(
                    {"tasks": lambda: task_table.settle(step_ids, query, got["step"], attempt)},
                    optional=frozenset({"tasks"}),
                    failures=failures,
                )
            )
    return StepOverview(
        farm=got.get("farm"),
        queue=got.get("queue"),
        job=got.get("job"),
        step=got["step"],
        tasks=got["tasks"],
        tasks_error=_section_failure(failures, "tasks"),
    )
