"""A failure scope's head: the names of its farm, queue, job and steps, its FAILED count and
whether it has settled; for a queue, the jobs of its window (SearchJobs)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ...deadline import search
from ...deadline.types import UNFINISHED_RUN_STATUSES, Job, TaskRunStatus, is_settled
from ..browse import get_job_status, get_step_status, list_steps
from ..resources import get_farm, get_job, get_queue, now, read_concurrently
from .listing import PAGE_SIZE, SEARCH_WINDOW
from .records import FailureScope, JobBrief

#: Jobs of a queue window analysed at most (newest first).
MAX_QUEUE_JOBS = 200


@dataclass(frozen=True)
class Head:
    """What the API says about the scope itself."""

    expected: int
    settled: bool
    names: tuple[tuple[str, str], ...]
    jobs: tuple[JobBrief, ...] = ()
    jobs_matched: int = 0  # how many jobs the window holds (MAX_QUEUE_JOBS of them are read)

    def settled_job(self, job_id: str) -> bool:
        for job in self.jobs:
            if job.job_id == job_id:
                return job.settled
        return self.settled


def read_head(scope: FailureScope) -> Head:
    """Names and the FAILED count of the scope (raises NotFound for a missing resource)."""
    farm_id, queue_id = scope.farm_id, scope.queue_id
    reads: dict[str, Callable[[], Any]] = {
        "farm": lambda: get_farm(farm_id=farm_id),
        "queue": lambda: get_queue(farm_id=farm_id, queue_id=queue_id),
    }
    optional = frozenset({"farm", "queue"})
    if scope.kind == "step":
        ids = {"farm_id": farm_id, "queue_id": queue_id, "job_id": scope.job_id}
        reads["job"] = lambda: get_job(**ids)
        reads["step"] = lambda: get_step_status(**ids, step_id=scope.step_id)
        optional |= {"job"}
    elif scope.kind == "job":
        ids = {"farm_id": farm_id, "queue_id": queue_id, "job_id": scope.job_id}
        reads["job"] = lambda: get_job_status(**ids)
        reads["steps"] = lambda: list_steps(**ids)
        optional |= {"steps"}
    else:
        reads["jobs"] = lambda: window_jobs(scope)
    got = read_concurrently(reads, optional=optional)
    names = [(kind, got[kind].name) for kind in ("farm", "queue", "job", "step") if got.get(kind)]
    if scope.kind == "step":
        counts = got["step"].status_counts
        return Head(counts.get(TaskRunStatus.FAILED, 0), is_settled(counts), tuple(names))
    if scope.kind == "job":
        job: Job = got["job"]
        if got.get("steps"):
            names += [(s.step_id, s.name) for s in got["steps"].steps]
        counts = job.status_counts
        return Head(counts.get(TaskRunStatus.FAILED, 0), is_settled(counts), tuple(names))
    jobs, matched = got["jobs"]
    names += [(j.job_id, j.name) for j in jobs]
    return Head(
        expected=sum(j.failed for j in jobs),
        settled=all(j.settled for j in jobs),
        names=tuple(names),
        jobs=jobs,
        jobs_matched=matched,
    )


def window_jobs(scope: FailureScope) -> tuple[tuple[JobBrief, ...], int]:
    """The queue's jobs submitted, finished or still active within the window (SearchJobs:
    CREATED_AT / ENDED_AT date filters and the TASK_RUN_STATUS list filter, all confirmed
    names), newest first, capped at MAX_QUEUE_JOBS; and how many there are (the cap's cut is
    shown on the page)."""
    since = now() - timedelta(hours=scope.window_hours)
    filters = [
        search.since_filter("CREATED_AT", since),
        search.since_filter("ENDED_AT", since),
        search.string_list_filter("TASK_RUN_STATUS", UNFINISHED_RUN_STATUSES),
    ]
    jobs: list[JobBrief] = []
    matched = 0
    offset = 0
    while offset < min(MAX_QUEUE_JOBS, SEARCH_WINDOW):
        # Through deadline.search like every Search* call: one record of what this backend
        # refuses or ignores (these names are all confirmed, so none is expected).
        answer = search.search(
            "SearchJobs",
            {
                "farmId": scope.farm_id,
                "queueIds": [scope.queue_id],
                "itemOffset": offset,
                "pageSize": PAGE_SIZE,
                "filterExpressions": {"operator": "OR", "filters": filters},
                "sortExpressions": [
                    {"fieldSort": {"name": "CREATED_AT", "sortOrder": "DESCENDING"}}
                ],
            },
        )
        for item in answer.get("jobs") or ():
            job = Job.from_api({"lifecycleStatus": "", "name": "", **item})
            counts = job.status_counts
            jobs.append(
                JobBrief(
                    job.job_id,
                    job.name or job.job_id,
                    counts.get(TaskRunStatus.FAILED, 0),
                    is_settled(counts),
                )
            )
        matched = max(matched, int(answer.get("totalResults") or 0))
        next_offset = answer.get("nextItemOffset")
        if not next_offset or next_offset <= offset:
            break
        offset = int(next_offset)
    return tuple(jobs[:MAX_QUEUE_JOBS]), max(matched, len(jobs[:MAX_QUEUE_JOBS]))
