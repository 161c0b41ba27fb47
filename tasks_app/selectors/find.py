"""Finding a job from what an operator remembers: its ID without its farm and queue, or a piece
of its name. Reads every queue the dashboard can see, at once.

API names used: GetJob (per queue, for an ID: SearchJobs is not known to match job IDs), and
SearchJobs with ``searchTermFilter`` ``CONTAINS`` (confirmed by the official ``deadline``
package; it matches several fields, so names are checked again here) sorted by ``CREATED_AT``
(confirmed). See docs/search.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from ..deadline import allow_list
from ..deadline.errors import NotFound
from ..deadline.fanout import gather
from ..deadline.types import Farm, Job, Queue, TaskRunStatus
from .browse import JobQuery, list_farms, list_queues, search_jobs
from .resources import get_job

logger = logging.getLogger(__name__)

_LONG_AGO = datetime(1970, 1, 1, tzinfo=UTC)

#: The short list of name matches the go-to page shows (newest first).
MAX_MATCHES = 20
#: Jobs read per queue for a name (the newest that match).
PER_QUEUE = 25
#: The most queues one lookup reads (a guard against a runaway fan-out).
MAX_QUEUES = 200


@dataclass(frozen=True)
class JobMatch:
    """A job found, with where it lives (for the link and the short list)."""

    farm_id: str
    farm_name: str
    queue_id: str
    queue_name: str
    job_id: str
    name: str
    task_run_status: TaskRunStatus | None
    created_at: datetime | None

    @classmethod
    def of(cls, farm: Farm, queue: Queue, job: Job) -> JobMatch:
        return cls(
            farm_id=farm.farm_id,
            farm_name=farm.display_name,
            queue_id=queue.queue_id,
            queue_name=queue.display_name,
            job_id=job.job_id,
            name=job.name,
            task_run_status=job.task_run_status,
            created_at=job.created_at,
        )


@dataclass(frozen=True)
class JobMatches:
    """What a lookup found; ``unread`` names the queues that could not be searched."""

    matches: tuple[JobMatch, ...]
    more: bool = False
    unread: tuple[str, ...] = ()


def visible_queues(*, farm_id: str = "") -> tuple[list[tuple[Farm, Queue]], list[str]]:
    """Every (farm, queue) the dashboard can see (one farm's when ``farm_id`` is given), at
    most MAX_QUEUES, and what was not read: the farms whose queues could not be listed, and
    how many queues the cap left out (the page names both as not searched)."""
    farms = [
        farm
        for farm in list_farms().farms
        if (not farm_id or farm.farm_id == farm_id) and allow_list.is_farm_allowed(farm.farm_id)
    ]
    answers, failures = gather(
        {farm.farm_id: (lambda f=farm: list_queues(farm_id=f.farm_id)) for farm in farms}
    )
    pairs = [
        (farm, queue)
        for farm in farms
        if farm.farm_id in answers
        for queue in answers[farm.farm_id].queues
    ]
    unread = [farm.display_name for farm in farms if farm.farm_id in failures]
    if len(pairs) > MAX_QUEUES:
        unread.append(f"{len(pairs) - MAX_QUEUES:,} more queues (one lookup reads {MAX_QUEUES})")
    return pairs[:MAX_QUEUES], unread


def find_job_by_id(*, job_id: str, farm_id: str = "") -> JobMatches:
    """The job with this ID in whichever visible queue holds it (GetJob on each at once)."""
    pairs, unread = visible_queues(farm_id=farm_id)
    answers, failures = gather(
        {
            index: (
                lambda f=farm, q=queue: get_job(
                    farm_id=f.farm_id, queue_id=q.queue_id, job_id=job_id
                )
            )
            for index, (farm, queue) in enumerate(pairs)
        }
    )
    matches = tuple(JobMatch.of(*pairs[index], job) for index, job in sorted(answers.items()))
    unread += [
        pairs[index][1].display_name
        for index, exc in failures.items()
        if not isinstance(exc, NotFound)
    ]
    return JobMatches(matches=matches, unread=tuple(unread))


def find_jobs_by_name(*, name: str, farm_id: str = "") -> JobMatches:
    """Jobs whose name contains ``name`` (any case), newest first, across visible queues."""
    pairs, unread = visible_queues(farm_id=farm_id)
    query = JobQuery(name=name, page_size=PER_QUEUE)
    answers, failures = gather(
        {
            index: (
                # The newest few and whether there are more: no need to count past the window.
                lambda f=farm, q=queue: search_jobs(
                    farm_id=f.farm_id, queue_id=q.queue_id, query=query, exact=False
                )
            )
            for index, (farm, queue) in enumerate(pairs)
        }
    )
    wanted = name.casefold()
    found = [
        JobMatch.of(*pairs[index], job)
        for index, page in answers.items()
        for job in page.jobs
        # searchTermFilter also matches other fields (a description, a user): names only.
        if wanted in job.name.casefold()
    ]
    more = any(page.window.total > len(page.jobs) for page in answers.values())
    found.sort(key=lambda m: m.created_at or _LONG_AGO, reverse=True)
    unread += [pairs[index][1].display_name for index in failures]
    for index, exc in failures.items():
        logger.info("job name search skipped queue %s: %s", pairs[index][1].queue_id, exc)
    return JobMatches(
        matches=tuple(found[:MAX_MATCHES]),
        more=more or len(found) > MAX_MATCHES,
        unread=tuple(unread),
    )
