"""The queue's job list's "waiting because" column: the reasons a job's waiting tasks wait
that the list already shows (the queue's status, the job's counts and worker maximum), with
no read of its own; the job's blockers page has every reason."""

from __future__ import annotations

from collections.abc import Iterable

from ...deadline.types import Job, Queue, TaskRunStatus
from .facts import active, waiting
from .model import KIND_LABELS


def waiting_because(job: Job, queue: Queue | None) -> str:
    """``Queue blocked; Suspended`` (labels of the blockers), "" when nothing waits, or
    "see why" when something waits for a reason only the blockers page can tell."""
    if not waiting(job):
        return ""
    counts = job.status_counts
    kinds = []
    if queue is not None and queue.status == "SCHEDULING_BLOCKED":
        kinds.append("queue_blocked")
    if counts.get(TaskRunStatus.SUSPENDED, 0):
        kinds.append("suspended")
    if counts.get(TaskRunStatus.NOT_COMPATIBLE, 0):
        kinds.append("no_compatible_fleet")
    if counts.get(TaskRunStatus.PENDING, 0):
        kinds.append("waiting_on_step")
    most = job.max_worker_count
    if most is not None and most >= 0 and active(job) >= most:
        kinds.append("job_max_workers")
    return "; ".join(KIND_LABELS[k] for k in kinds) or "see why"


def waiting_column(jobs: Iterable[Job], queue: Queue | None) -> dict[str, str]:
    """Job ID -> its "waiting because" text, for the jobs that have waiting tasks."""
    found = {job.job_id: waiting_because(job, queue) for job in jobs}
    return {job_id: text for job_id, text in found.items() if text}
