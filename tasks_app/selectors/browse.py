"""Reads of the browse pages: farms, queues, a queue's jobs, a job's steps, a step's tasks,
with the filter/sort/page queries behind them, and the demo world's example tasks.

One cached entry per API answer (a whole list, or one Search* page), keyed by the resource
path plus a digest of the query.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from ..deadline import allow_list, client
from ..deadline.cache import cached_read
from ..deadline.calls import call, list_all
from ..deadline.errors import DeadlineError, Unavailable
from ..deadline.ids import ID_PATTERNS
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


#: Sort fields SearchJobs/SearchTasks accept, with their labels (first = default).
JOB_SORTS = {
    "CREATED_AT": "Created",
    "PRIORITY": "Priority",
    "NAME": "Name",
    "STARTED_AT": "Started",
    "ENDED_AT": "Ended",
    "UPDATED_AT": "Updated",
    "TASK_RUN_STATUS": "Run status",
    "LIFECYCLE_STATUS": "Lifecycle status",
}
TASK_SORTS = {
    "TASK_ID": "Task ID",
    "TASK_RUN_STATUS": "Run status",
    "FAILURE_RETRY_COUNT": "Retries",
    "STARTED_AT": "Started",
    "ENDED_AT": "Ended",
    "UPDATED_AT": "Updated",
}
JOB_LIFECYCLE_STATUSES = (
    "CREATE_IN_PROGRESS",
    "CREATE_FAILED",
    "CREATE_COMPLETE",
    "UPLOAD_IN_PROGRESS",
    "UPLOAD_FAILED",
    "UPDATE_IN_PROGRESS",
    "UPDATE_FAILED",
    "UPDATE_SUCCEEDED",
    "ARCHIVED",
)
#: Search* can reach items at offsets 0..10,000 only.
SEARCH_WINDOW = 10_000
_MAX_SEARCH_FILTERS = 3  # per filter group (the model's SearchFilterExpressions max)


@dataclass(frozen=True)
class JobQuery:
    """Filter, sort and page of a queue's job list (SearchJobs)."""

    run_status: str = ""
    lifecycle_status: str = ""
    name: str = ""
    sort: str = "CREATED_AT"
    descending: bool = True
    offset: int = 0
    page_size: int = 50

    def request(self) -> dict[str, Any]:
        """The SearchJobs members this query sets (filters, sort, window)."""
        filters: list[dict[str, Any]] = []
        if self.run_status:
            filters.append(_string_filter("TASK_RUN_STATUS", self.run_status))
        if self.lifecycle_status:
            filters.append(_string_filter("LIFECYCLE_STATUS", self.lifecycle_status))
        if self.name:
            filters.append({"searchTermFilter": {"searchTerm": self.name, "matchType": "CONTAINS"}})
        request: dict[str, Any] = {
            "itemOffset": self.offset,
            "pageSize": self.page_size,
            "sortExpressions": _sorts(self.sort, self.descending, tiebreak="CREATED_AT"),
        }
        if filters:
            request["filterExpressions"] = {"operator": "AND", "filters": filters}
        return request


@dataclass(frozen=True)
class TaskQuery:
    """Filter, search, sort and page of a step's task table (SearchTasks).

    ``search`` is what an operator types: a task index (``1042``), ``Name=value`` for one
    parameter, or a value looked for in every parameter and in the task ID.
    """

    run_status: str = ""
    search: str = ""
    sort: str = "TASK_ID"
    descending: bool = False
    offset: int = 0
    page_size: int = 50

    @property
    def needs_parameter_names(self) -> bool:
        return bool(self.search) and "=" not in self.search

    def request(self, *, step_id: str, parameter_names: tuple[str, ...] = ()) -> dict[str, Any]:
        """The SearchTasks members this query sets; the STEP_ID filter scopes it to one step."""
        filters: list[dict[str, Any]] = [_string_filter("STEP_ID", step_id)]
        if self.run_status:
            filters.append(_string_filter("TASK_RUN_STATUS", self.run_status))
        search = task_search_filter(self.search, parameter_names)
        if search is not None:
            filters.append(search)
        return {
            "itemOffset": self.offset,
            "pageSize": self.page_size,
            "filterExpressions": {"operator": "AND", "filters": filters},
            "sortExpressions": _sorts(self.sort, self.descending, tiebreak="TASK_ID"),
        }


def task_search_filter(text: str, parameter_names: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """One filter expression for a task search box, or None for an empty search.

    ``1042`` finds task index 1042 (task IDs end in ``-<index>``) and any parameter equal to
    1042; ``Frame=1042`` one parameter; other text a task ID fragment or a parameter value.
    """
    text = text.strip()
    if not text:
        return None
    name, equals, value = text.partition("=")
    if equals and name.strip() and value.strip():
        return _parameter_filter(name.strip(), value.strip())
    if ID_PATTERNS["task_id"].fullmatch(text):
        return _string_filter("TASK_ID", text)
    term = f"-{text}" if text.isdigit() else text
    alternatives = [{"searchTermFilter": {"searchTerm": term, "matchType": "CONTAINS"}}]
    alternatives += [
        _parameter_filter(parameter, text)
        for parameter in parameter_names[: _MAX_SEARCH_FILTERS - 1]
    ]
    if len(alternatives) == 1:
        return alternatives[0]
    return {"groupFilter": {"operator": "OR", "filters": alternatives}}


def _string_filter(name: str, value: str) -> dict[str, Any]:
    return {"stringFilter": {"name": name, "operator": "EQUAL", "value": value}}


def _parameter_filter(name: str, value: str) -> dict[str, Any]:
    return {"parameterFilter": {"name": name, "operator": "EQUAL", "value": value}}


def _sorts(field_name: str, descending: bool, *, tiebreak: str) -> list[dict[str, Any]]:
    order = "DESCENDING" if descending else "ASCENDING"
    sorts = [{"fieldSort": {"name": field_name, "sortOrder": order}}]
    if field_name != tiebreak:  # a stable order across pages while values tie
        sorts.append({"fieldSort": {"name": tiebreak, "sortOrder": "ASCENDING"}})
    return sorts


def _digest(request: Mapping[str, Any]) -> str:
    text = json.dumps(request, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _search(operation: str, **params: Any) -> dict[str, Any]:
    answer = call(operation, **params)
    # The window travels with the answer so a cached page knows where it sits.
    return {**answer, "itemOffset": params["itemOffset"], "pageSize": params["pageSize"]}


def list_farms() -> FarmList:
    """Every farm the credentials can see, by display name."""
    return cached_read(
        kind="farms",
        ids=("all",),
        ttl=settings.DEADLINE_NAME_CACHE_SECONDS,
        fetch=lambda: list_all("ListFarms", "farms"),
        parse=FarmList,
    )


def list_queues(*, farm_id: str) -> QueueList:
    """A farm's queues (status and blocked reason are live: short TTL)."""
    return cached_read(
        kind="queues",
        ids=(farm_id,),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: list_all("ListQueues", "queues", farmId=farm_id),
        parse=QueueList,
    )


def search_jobs(*, farm_id: str, queue_id: str, query: JobQuery) -> JobSearchPage:
    """One page of a queue's jobs: one SearchJobs call filters, sorts and pages."""
    request = query.request()
    return cached_read(
        kind="jobs-search",
        ids=(farm_id, queue_id, _digest(request)),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: _search("SearchJobs", farmId=farm_id, queueIds=[queue_id], **request),
        parse=JobSearchPage,
    )


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
        fetch=lambda: list_all(
            "ListSteps", "steps", farmId=farm_id, queueId=queue_id, jobId=job_id
        ),
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
    *,
    farm_id: str,
    queue_id: str,
    job_id: str,
    step_id: str,
    query: TaskQuery,
    parameter_names: tuple[str, ...] = (),
) -> TaskSearchPage:
    """One page of a step's tasks: one SearchTasks call (jobId + a STEP_ID filter)."""
    request = query.request(step_id=step_id, parameter_names=parameter_names)
    return cached_read(
        kind="tasks-search",
        ids=(farm_id, queue_id, job_id, step_id, _digest(request)),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: _search(
            "SearchTasks", farmId=farm_id, queueIds=[queue_id], jobId=job_id, **request
        ),
        parse=TaskSearchPage,
    )


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

    A free-text search needs the step's parameter names first; otherwise every read runs
    concurrently.
    """
    ids = {"farm_id": farm_id, "queue_id": queue_id, "job_id": job_id, "step_id": step_id}
    reads = _names(farm_id, queue_id) if with_names else {}
    if with_names:
        reads["job"] = lambda: get_job(farm_id=farm_id, queue_id=queue_id, job_id=job_id)
    reads["step"] = lambda: get_step_status(**ids)
    failures: dict[str, DeadlineError] = {}
    if query.needs_parameter_names:
        got = read_concurrently(reads, optional=_NAMES)
        names = got["step"].parameter_names
        got.update(
            read_concurrently(
                {"tasks": lambda: search_step_tasks(**ids, query=query, parameter_names=names)},
                optional=frozenset({"tasks"}),
                failures=failures,
            )
        )
    else:
        reads["tasks"] = lambda: search_step_tasks(**ids, query=query)
        got = read_concurrently(reads, optional=_NAMES | {"tasks"}, failures=failures)
    return StepOverview(
        farm=got.get("farm"),
        queue=got.get("queue"),
        job=got.get("job"),
        step=got["step"],
        tasks=got["tasks"],
        tasks_error=_section_failure(failures, "tasks"),
    )
