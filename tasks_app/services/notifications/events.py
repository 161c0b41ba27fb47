"""Events: what the dashboard has already judged, as things a rule can announce.

Read from the shared attention report and the cache beside it (the queues' job lists the report
read, a job's failures analysis if one ran): an evaluation calls the API only when the report
itself is due, never once per rule. Report kinds map to events one to one, but for a budget
item: an event per threshold the budget crossed (budget_events.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.urls import reverse

from ...deadline.cache import cached_only
from ...deadline.errors import DeadlineError
from ...deadline.types import Job, QueueList, TaskRunStatus
from ...selectors import attention, failures
from ...selectors.failures import store as failure_analysis
from .budget_events import budget_events

#: The attention report's kinds -> the events they raise.
EVENT_OF_KIND = {
    "failed_job": "job_failed",
    "stalled_task": "task_stalled",
    "sick_worker": "worker_sick",
    "blocked_queue": "queue_blocked",
    # Added by the usage and scheduling work: a budget item is one event per threshold
    # crossed (budget_events.py).
    "budget": "budget_threshold",
    "budget_threshold": "budget_threshold",
    "waiting_job": "waiting_job",
}
EVENT_LABELS = {
    "job_failed": "Job failed",
    "job_finished": "Job finished",
    "task_stalled": "Task stalled",
    "worker_sick": "Worker sick",
    "queue_blocked": "Queue blocked",
    "budget_threshold": "Budget threshold",
    "waiting_job": "Job waiting",
    "test": "Test message",
}
FINISHED = {TaskRunStatus.SUCCEEDED, TaskRunStatus.FAILED, TaskRunStatus.CANCELED}
TOP_CAUSES = 3
_FAILED_COUNT = re.compile(r"^([0-9,]+) of ")


@dataclass(frozen=True)
class Event:
    """One thing to announce. ``subject_key`` names it for good (one message per rule);
    ``count`` grows as a failing job fails more (a digest says so)."""

    event: str
    subject_key: str
    title: str
    summary: str
    url: str
    farm_id: str
    queue_id: str = ""
    job_id: str = ""
    task_id: str = ""
    worker_id: str = ""
    where: str = ""
    count: int = 0
    causes: tuple[tuple[str, int], ...] = ()
    submitted_by: str = ""

    def payload(self) -> dict[str, object]:
        """What a delivery row keeps to format its message later (API strings unescaped)."""
        return {
            "title": self.title,
            "summary": self.summary,
            "url": self.url,
            "where": self.where,
            "count": self.count,
            "causes": [list(c) for c in self.causes],
        }


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


def _subject(event: str, item: attention.AttentionItem, day: str) -> str:
    """A stalled task is announced once; a sick worker or blocked queue once a day while it
    lasts; anything else once a day per the most precise thing it names."""
    if event == "job_failed":
        return f"job_failed:{item.job_id}"
    if event == "task_stalled":
        return f"task_stalled:{item.task_id}"
    if event == "worker_sick":
        return f"worker_sick:{item.worker_id}:{day}"
    if event == "queue_blocked":
        return f"queue_blocked:{item.queue_id}:{day}"
    target = item.task_id or item.job_id or item.worker_id or item.queue_id or item.farm_id
    return f"{event}:{target}:{day}"


def jobs_of(farm_id: str, queue_id: str) -> tuple[Job, ...]:
    """The queue's unfinished and recent jobs as the report last read them (cache only)."""
    found = cached_only(kind="attention-jobs", ids=(farm_id, queue_id), parse=attention.JobList)
    return found.jobs if found is not None else ()


def queues_of(farm_id: str) -> list[str]:
    """A farm's queue IDs as the pages last read them (cache only)."""
    found = cached_only(kind="queues", ids=(farm_id,), parse=QueueList)
    return [q.queue_id for q in found.queues] if found is not None else []


def top_causes(farm_id: str, queue_id: str, job_id: str) -> tuple[tuple[str, int], ...]:
    """The job's biggest failure groups (title, tasks), if its failures analysis ran and is
    still cached; none otherwise (no analysis is started for a message)."""
    scope = failures.FailureScope(farm_id=farm_id, queue_id=queue_id, job_id=job_id)
    try:
        listing = failure_analysis.load_listing(scope)
        if listing is None:
            return ()
        attempts = failure_analysis.load_attempts(scope, listing.tasks)
        report = failures.assemble(scope, listing, attempts=attempts)
    except (DeadlineError, KeyError, ValueError):
        return ()
    groups = sorted(report.groups, key=lambda g: -g.task_count)[:TOP_CAUSES]
    return tuple((g.title, g.task_count) for g in groups)


def _failed_job(item: attention.AttentionItem, jobs: dict[str, Job]) -> tuple[int, str]:
    job = jobs.get(item.job_id or "")
    if job is not None:
        return job.status_counts.get(TaskRunStatus.FAILED, 0), job.created_by or ""
    match = _FAILED_COUNT.match(item.reason)
    return (int(match.group(1).replace(",", "")) if match else 0), ""


def _budget(item: attention.AttentionItem, *, now: datetime) -> list[Event]:
    return [
        Event(
            event="budget_threshold",
            subject_key=key,
            title=item.title,
            summary=summary,
            url=item.url,
            farm_id=item.farm_id,
            queue_id=item.queue_id or "",
            where=item.where,
        )
        for key, summary in budget_events(item, now=now)
    ]


def report_events(
    report: attention.AttentionReport, jobs: dict[str, Job], *, now: datetime
) -> list[Event]:
    """Every event the attention report holds now."""
    found = []
    day = _day(now)
    for item in report.items:
        event = EVENT_OF_KIND.get(item.kind)
        if event is None:
            continue
        if item.kind == "budget":
            found.extend(_budget(item, now=now))
            continue
        count, submitted_by = 0, ""
        causes: tuple[tuple[str, int], ...] = ()
        if event == "job_failed" and item.queue_id and item.job_id:
            count, submitted_by = _failed_job(item, jobs)
            causes = top_causes(item.farm_id, item.queue_id, item.job_id)
        elif item.job_id and item.job_id in jobs:
            submitted_by = jobs[item.job_id].created_by or ""
        found.append(
            Event(
                event=event,
                subject_key=_subject(event, item, day),
                title=item.title,
                summary=item.reason,
                url=item.url,
                farm_id=item.farm_id,
                queue_id=item.queue_id or "",
                job_id=item.job_id or "",
                task_id=item.task_id or "",
                worker_id=item.worker_id or "",
                where=item.where,
                count=count,
                causes=causes,
                submitted_by=submitted_by,
            )
        )
    return found


def finished_events(farm_id: str, queue_id: str, jobs: Iterable[Job]) -> list[Event]:
    """A ``job_finished`` per job of the queue whose tasks all ended (succeeded, failed or
    canceled), from the job list the report read."""
    found = []
    for job in jobs:
        if job.task_run_status not in FINISHED:
            continue
        assert job.task_run_status is not None
        counts = ", ".join(
            f"{n:,} {status.value.lower()}" for status, n in job.task_run_status_counts if n
        )
        url = reverse(
            "job_detail", kwargs={"farm_id": farm_id, "queue_id": queue_id, "job_id": job.job_id}
        )
        found.append(
            Event(
                event="job_finished",
                subject_key=f"job_finished:{job.job_id}",
                title=job.name,
                summary=f"{job.task_run_status.value.lower()}: {counts or 'no tasks'}",
                url=url,
                farm_id=farm_id,
                queue_id=queue_id,
                job_id=job.job_id,
                count=job.status_counts.get(TaskRunStatus.FAILED, 0),
                submitted_by=job.created_by or "",
            )
        )
    return found
