"""The attention list's ``waiting_job`` rule: work that has waited longer than
DASHBOARD_WAIT_SECONDS with nothing of it running, for a reason an operator can act on (a
budget, a fleet, a limit, a job's worker maximum, a suspension, a step no fleet can run).

Capacity and order pass by themselves and a blocked queue is its own item (``blocked_queue``),
so neither makes a job an item here. Each candidate costs the blockers' reads (cached, and
mostly shared by the jobs of one queue), so a refresh looks at the longest-waiting few.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from ...deadline.errors import DeadlineError
from ...deadline.types import Job, TaskRunStatus
from ..blockers import BlockerReport, job_blockers
from ..blockers.facts import active
from ..blockers.reads import queue_settings

#: Jobs of one queue whose blockers one refresh reads at most (the longest-waiting first).
MAX_JOBS_PER_QUEUE = 3
#: Causes another attention item already names.
_COVERED = frozenset({"queue_blocked", "budget"})


@dataclass(frozen=True)
class WaitingJob:
    job: Job
    report: BlockerReport
    waited_seconds: float

    @property
    def reason(self) -> str:
        minutes = self.waited_seconds / 60
        span = f"{minutes / 60:.1f} h" if minutes >= 90 else f"{minutes:.0f} min"
        causes = "; ".join(b.reason for b in self.report.blockers if b.actionable)
        return f"{self.report.waiting:,} tasks waiting for {span}, none running: {causes}"


def _held(job: Job) -> bool:
    """Tasks that could run but do not (READY), or wait for a person or a fleet. PENDING
    alone waits on other steps (failed ones are the failed job's item)."""
    counts = job.status_counts
    return bool(
        counts.get(TaskRunStatus.READY, 0)
        or counts.get(TaskRunStatus.SUSPENDED, 0)
        or counts.get(TaskRunStatus.NOT_COMPATIBLE, 0)
    ) and not counts.get(TaskRunStatus.FAILED, 0)


def wait_seconds() -> float:
    return float(settings.DASHBOARD_WAIT_SECONDS)


def waiting_jobs(
    *, farm_id: str, queue_id: str, jobs: Iterable[Job], now: datetime
) -> list[WaitingJob]:
    """The queue's jobs waiting too long with an actionable blocker, longest wait first."""
    candidates = []
    for job in jobs:
        since = job.updated_at or job.created_at
        if job.ended_at is not None or since is None or active(job) or not _held(job):
            continue
        waited = (now - since).total_seconds()
        if waited >= wait_seconds():
            candidates.append((waited, job))
    candidates.sort(key=lambda pair: -pair[0])
    if not candidates:
        return []
    try:
        if queue_settings(farm_id=farm_id, queue_id=queue_id).status == "SCHEDULING_BLOCKED":
            return []  # the queue is its own item, and holds every job of it
    except DeadlineError:
        return []
    found = []
    for waited, job in candidates[:MAX_JOBS_PER_QUEUE]:
        try:
            report = job_blockers(farm_id=farm_id, queue_id=queue_id, job_id=job.job_id)
        except DeadlineError:
            continue
        if any(b.actionable and b.kind not in _COVERED for b in report.blockers):
            found.append(WaitingJob(job, report, waited))
    return found
