"""Jobs in the order someone looking for trouble wants them: failing, stalled, waiting, running,
then the rest (newest first within each). The queue list's default sort and the home board's
counts both come from ``standing``.

The queue page reads its open work (failed or unfinished jobs: one SearchJobs filter on the
confirmed TASK_RUN_STATUS name, every page up to the search window) and sorts it here; the
rest follows page by page, newest first, from a second search on the other statuses.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from typing import Any

from django.conf import settings

from ..deadline import search
from ..deadline.cache import cached_read
from ..deadline.types import (
    UNFINISHED_RUN_STATUSES,
    Job,
    JobListing,
    JobSearchPage,
    SearchWindow,
    TaskRunStatus,
)
from .search_sorting import digest

#: The standings, most urgent first, with the words the pages use for them.
STANDINGS = ("failed", "stalled", "waiting", "running", "other")
STANDING_LABELS = {
    "failed": "Failing",
    "stalled": "Stalled",
    "waiting": "Waiting",
    "running": "Running",
    "other": "Finished or paused",
}
#: Tasks in a worker's hands: the job is moving.
_RUNNING = frozenset(
    {
        TaskRunStatus.ASSIGNED,
        TaskRunStatus.STARTING,
        TaskRunStatus.RUNNING,
        TaskRunStatus.INTERRUPTING,
    }
)
_WAITING = frozenset({TaskRunStatus.PENDING, TaskRunStatus.READY, TaskRunStatus.SCHEDULED})
#: Job run statuses the open-work search asks for (the rest is listed after it).
OPEN_STATUSES = (*UNFINISHED_RUN_STATUSES, "FAILED")
SETTLED_STATUSES = tuple(s.value for s in TaskRunStatus.known() if s.value not in OPEN_STATUSES)
_PAGE = 100
_WINDOW = 10_000


def failed_tasks(job: Job) -> int:
    return job.status_counts.get(TaskRunStatus.FAILED, 0)


def standing(job: Job, stalled: Collection[str] = ()) -> str:
    """``failed`` (any failed task), ``stalled`` (a task the attention list calls stalled),
    ``running`` (tasks in workers' hands), ``waiting`` (unfinished, none running), ``other``."""
    counts = job.status_counts
    if failed_tasks(job) or job.task_run_status is TaskRunStatus.FAILED:
        return "failed"
    if job.job_id in stalled:
        return "stalled"
    if any(counts.get(status, 0) for status in _RUNNING) or job.task_run_status in _RUNNING:
        return "running"
    if job.task_run_status in _WAITING:
        return "waiting"
    return "other"


def by_attention(jobs: Iterable[Job], stalled: Collection[str] = ()) -> list[Job]:
    """``jobs`` most urgent first (``STANDINGS`` order), newest first within a standing;
    failing jobs with the most failed tasks first."""
    rows = sorted(jobs, key=lambda j: j.created_at.timestamp() if j.created_at else 0.0)
    rows.reverse()
    rows.sort(key=lambda j: -failed_tasks(j))
    return sorted(rows, key=lambda j: STANDINGS.index(standing(j, stalled)))


def _filters(statuses: Sequence[str], name: str) -> dict[str, Any]:
    filters = [search.string_list_filter("TASK_RUN_STATUS", statuses)]
    if name:
        filters.append({"searchTermFilter": {"searchTerm": name, "matchType": "CONTAINS"}})
    return {"operator": "AND", "filters": filters}


_NEWEST = [{"fieldSort": {"name": "CREATED_AT", "sortOrder": "DESCENDING"}}]


def open_jobs(farm_id: str, queue_id: str, name: str = "") -> JobListing:
    """A queue's failed and unfinished jobs (every page up to the search window), kept as
    long as any live read (DEADLINE_CACHE_SECONDS)."""
    request = {"filterExpressions": _filters(OPEN_STATUSES, name), "sortExpressions": _NEWEST}

    def fetch() -> dict[str, Any]:
        jobs: list[Any] = []
        offset: int | None = 0
        while offset is not None and offset < _WINDOW:
            answer = search.search(
                "SearchJobs",
                {
                    "farmId": farm_id,
                    "queueIds": [queue_id],
                    **request,
                    "itemOffset": offset,
                    "pageSize": _PAGE,
                },
            )
            jobs.extend(answer.get("jobs") or [])
            offset = answer.get("nextItemOffset")
        return {"jobs": jobs, "complete": offset is None}

    return cached_read(
        kind="jobs-open",
        ids=(farm_id, queue_id, digest(request)),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=fetch,
        parse=JobListing,
    )


def _settled_page(farm_id: str, queue_id: str, name: str, offset: int, size: int) -> JobSearchPage:
    request = {
        "filterExpressions": _filters(SETTLED_STATUSES, name),
        "sortExpressions": _NEWEST,
        "itemOffset": offset,
        "pageSize": size,
    }

    def fetch() -> dict[str, Any]:
        answer = search.search("SearchJobs", {"farmId": farm_id, "queueIds": [queue_id], **request})
        return {**answer, "itemOffset": offset, "pageSize": size}

    return cached_read(
        kind="jobs-settled",
        ids=(farm_id, queue_id, digest(request)),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=fetch,
        parse=JobSearchPage,
    )


def attention_page(
    *, farm_id: str, queue_id: str, name: str, offset: int, size: int, stalled: Collection[str]
) -> JobSearchPage:
    """One page of the queue's jobs in attention order: the open work sorted here, then the
    settled jobs newest first (a search of their own, from the offset past the open work)."""
    head = by_attention(open_jobs(farm_id, queue_id, name).jobs, stalled)
    shown = list(head[offset : offset + size])
    rest_offset = max(0, offset - len(head))
    rest_size = max(1, size - len(shown))
    rest = _settled_page(farm_id, queue_id, name, rest_offset, rest_size)
    total = len(head) + rest.window.total
    last = (total - 1) // size * size if total else 0
    if not shown and not rest.jobs and offset > last:  # past the end: the last page
        return attention_page(
            farm_id=farm_id, queue_id=queue_id, name=name, offset=last, size=size, stalled=stalled
        )
    if len(shown) < size:
        shown += list(rest.jobs[: size - len(shown)])
    window = SearchWindow(offset=offset, page_size=size, total=total, shown=len(shown))
    return JobSearchPage(jobs=tuple(shown), window=window, notes=rest.notes)


def stalled_jobs(items: Iterable[Any]) -> frozenset[str]:
    """Jobs holding a task the attention list calls stalled (``items``: its items, as last
    built; none before the first build)."""
    return frozenset(item.job_id for item in items if item.kind == "stalled_task" and item.job_id)


def queue_summary(farm_id: str, queue_id: str, stalled: Collection[str]) -> dict[str, int]:
    """How many of the queue's open jobs are failing, stalled, waiting and running (the
    summary above its job list; the open-work search the default order reads anyway)."""
    found = Counter(standing(job, stalled) for job in open_jobs(farm_id, queue_id).jobs)
    return {key: found.get(key, 0) for key in STANDINGS if key != "other"}
