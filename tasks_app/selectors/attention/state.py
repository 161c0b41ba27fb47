"""What one refresh learns about each farm and queue, and the small judgements on jobs and
rows (typical durations, which jobs are stuck, busiest or failing most) the items use."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ...deadline.farm_types import TaskRow, TaskRows
from ...deadline.session_types import Worker
from ...deadline.types import Job, Queue, TaskRunStatus
from .items import DEFAULT_TASK_SECONDS
from .reads import ACTIVE_TASK_PAGES, CENSUS_JOBS, CENSUS_PAGES, HEALTH_JOBS, JOB_PAGES, JobList
from .rules import LIVE_STATUSES, DurationStats, clean_durations, recent


@dataclass
class QueueState:
    """What one refresh learned about one queue."""

    farm_id: str
    farm_name: str
    queue: Queue
    jobs: JobList | None = None
    live: TaskRows | None = None
    samples: TaskRows | None = None
    census: dict[str, TaskRows] = field(default_factory=dict)

    @property
    def queue_id(self) -> str:
        return self.queue.queue_id

    @property
    def where(self) -> str:
        return f"{self.farm_name} / {self.queue.display_name}"

    def job(self, job_id: str | None) -> Job | None:
        if self.jobs is None or job_id is None:
            return None
        return next((j for j in self.jobs.jobs if j.job_id == job_id), None)

    def live_rows(self) -> list[TaskRow]:
        if self.live is not None:
            return list(self.live.rows)
        return [
            r for rows in self.census.values() for r in rows.rows if r.run_status in LIVE_STATUSES
        ]

    def truncation_notes(self) -> list[str]:
        """What the page caps left out of this queue's listings."""
        notes = []
        if self.jobs is not None and not self.jobs.complete:
            notes.append(
                f"{self.where} has more than {JOB_PAGES * 100} unfinished or recent jobs: "
                "the newest were checked."
            )
        if self.live is not None and not self.live.complete:
            notes.append(
                f"{self.where} has more than {ACTIVE_TASK_PAGES * 100} tasks in workers' hands: "
                "the first were checked."
            )
        if any(not rows.complete for rows in self.census.values()):
            notes.append(
                f"Some of {self.where}'s busiest jobs have more than {CENSUS_PAGES * 100} tasks: "
                "their first were checked."
            )
        return notes

    def sample_rows(self) -> list[TaskRow]:
        if self.samples is not None:
            return list(self.samples.rows)
        return [r for rows in self.census.values() for r in rows.rows]


@dataclass
class FarmState:
    """What one refresh learned about one farm's workers."""

    farm_id: str
    name: str
    workers: dict[str, Worker] = field(default_factory=dict)
    # session ID -> (worker ID) for sessions still open on a worker that stopped responding
    dead_sessions: dict[str, str] = field(default_factory=dict)
    open_sessions: Counter[str] = field(default_factory=Counter)
    # worker ID -> when a worker that stopped was last seen starting work (its open sessions)
    last_seen: dict[str, datetime] = field(default_factory=dict)

    def saw(self, worker_id: str, session_id: str, started_at: datetime | None) -> None:
        """An open session of a worker that stopped responding."""
        self.dead_sessions[session_id] = worker_id
        self.open_sessions[worker_id] += 1
        self.seen_at(worker_id, started_at)

    def seen_at(self, worker_id: str, at: datetime | None) -> None:
        """The worker was working at ``at`` (a session or a task of it started then)."""
        seen = self.last_seen.get(worker_id)
        if at is not None and (seen is None or at > seen):
            self.last_seen[worker_id] = at


def worker_label(worker: Worker | None, worker_id: str | None) -> str:
    if worker is not None and worker.host_name:
        return worker.host_name.split(".")[0]
    return worker_id or "an unknown worker"


def durations_by_step(rows: Iterable[TaskRow]) -> dict[str, list[float]]:
    found: dict[str, list[TaskRow]] = defaultdict(list)
    for row in rows:
        if row.step_id:
            found[row.step_id].append(row)
    return {step: clean_durations(step_rows) for step, step_rows in found.items()}


def typical_seconds(rows: Sequence[TaskRow]) -> float:
    stats = DurationStats.of(clean_durations(rows))
    return stats.p50 if stats is not None else DEFAULT_TASK_SECONDS


def is_running(job: Job) -> bool:
    return any(status in LIVE_STATUSES and n for status, n in job.task_run_status_counts)


def stuck(job: Job) -> bool:
    """Nothing runs or waits to run but PENDING tasks: they wait on failed dependencies."""
    counts = job.status_counts
    return counts.get(TaskRunStatus.PENDING, 0) > 0 and not any(
        counts.get(s, 0) for s in (TaskRunStatus.READY, *LIVE_STATUSES)
    )


def most_failed(jobs: JobList | None, current: datetime) -> list[Job]:
    """The jobs whose attempts say most about the queue's workers: those with the most failed
    attempts (failed tasks plus retries) that ran recently, at most HEALTH_JOBS."""
    if jobs is None:
        return []
    since = current - recent()

    def failures(job: Job) -> int:
        return job.status_counts.get(TaskRunStatus.FAILED, 0) + (job.task_failure_retry_count or 0)

    ran = [j for j in jobs.jobs if failures(j) and (j.ended_at is None or j.ended_at >= since)]
    return sorted(ran, key=lambda j: (-failures(j), j.job_id))[:HEALTH_JOBS]


def busiest(jobs: JobList | None) -> list[Job]:
    """The unfinished jobs with the most tasks in workers' hands, at most CENSUS_JOBS."""
    if jobs is None:
        return []

    def live(job: Job) -> int:
        return sum(n for status, n in job.task_run_status_counts if status in LIVE_STATUSES)

    busy = [j for j in jobs.jobs if live(j) > 0]
    return sorted(busy, key=lambda j: (-live(j), j.job_id))[:CENSUS_JOBS]
