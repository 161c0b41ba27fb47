"""A queue's own items: scheduling blocked, jobs with failed tasks, jobs waiting too long for
a reason an operator can act on (``waiting``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ...deadline.types import Job, TaskRunStatus
from .items import AttentionItem, job_failures_url, url
from .rules import recent, span
from .state import QueueState, is_running, stuck, typical_seconds
from .waiting import waiting_jobs


def queue_items(q: QueueState, current: datetime) -> list[AttentionItem]:
    """Everything one queue holds that needs attention, but its tasks (``judgement``)."""
    typical = typical_seconds(q.sample_rows())
    jobs = q.jobs.jobs if q.jobs else ()
    items = [] if q.queue.status != "SCHEDULING_BLOCKED" else [blocked_item(q, jobs, typical)]
    since = current - recent()
    for job in jobs:
        failed = job.status_counts.get(TaskRunStatus.FAILED, 0)
        if failed and (job.ended_at is None or job.ended_at >= since):
            items.append(failed_item(q, job, current, typical))
    items.extend(waiting_items(q, jobs, current, typical))
    return items


def blocked_item(q: QueueState, jobs: Sequence[Job], typical: float) -> AttentionItem:
    waiting = sum(
        n for job in jobs for status, n in job.task_run_status_counts if not status.is_terminal
    )
    why = (q.queue.blocked_reason or "no reason given").replace("_", " ").lower()
    tasks = "task waits" if waiting == 1 else "tasks wait"
    return AttentionItem(
        kind="blocked_queue",
        reason=f"scheduling blocked: {why}; {waiting:,} {tasks} on it",
        impact=waiting * typical,
        url=url("queue_detail", farm_id=q.farm_id, queue_id=q.queue_id),
        farm_id=q.farm_id,
        queue_id=q.queue_id,
        title=q.queue.display_name,
        where=q.farm_name,
        state=why,
    )


def failed_item(q: QueueState, job: Job, current: datetime, typical: float) -> AttentionItem:
    """A job with failed tasks: the failed ones, and those that wait on them, times a typical
    task of the job (of the queue without samples of it)."""
    failed = job.status_counts.get(TaskRunStatus.FAILED, 0)
    samples = [r for r in q.sample_rows() if r.job_id == job.job_id]
    per_task = typical_seconds(samples) if q.sample_rows() else typical
    if job.ended_at is None:
        state = (
            "still running"
            if is_running(job)
            else "the rest cannot finish without them"
            if stuck(job)
            else "not finished"
        )
    else:
        state = f"ended {span((current - job.ended_at).total_seconds())} ago"
    # Tasks that wait on the failed ones are held up by them too.
    held = job.status_counts.get(TaskRunStatus.PENDING, 0) if stuck(job) else 0
    return AttentionItem(
        kind="failed_job",
        reason=f"{failed:,} of {job.total_tasks:,} tasks failed; {state}",
        impact=(failed + held) * per_task,
        url=job_failures_url(q.farm_id, q.queue_id, job.job_id),
        farm_id=q.farm_id,
        queue_id=q.queue_id,
        job_id=job.job_id,
        title=job.name,
        where=q.where,
        state=f"{failed}",
    )


def waiting_items(
    q: QueueState, jobs: Sequence[Job], current: datetime, typical: float
) -> list[AttentionItem]:
    """Jobs waiting too long for a reason an operator can act on (``waiting``)."""
    return [
        AttentionItem(
            kind="waiting_job",
            reason=found.reason,
            impact=found.report.waiting * typical,
            url=url(
                "job_blockers", farm_id=q.farm_id, queue_id=q.queue_id, job_id=found.job.job_id
            ),
            farm_id=q.farm_id,
            queue_id=q.queue_id,
            job_id=found.job.job_id,
            title=found.job.name,
            where=q.where,
            state="; ".join(sorted(b.kind for b in found.report.blockers if b.actionable)),
        )
        for found in waiting_jobs(farm_id=q.farm_id, queue_id=q.queue_id, jobs=jobs, now=current)
    ]
