"""When a running step or job will finish: a range from the step's own finished tasks.

``estimate`` is pure: the step's counts, its succeeded durations, when its tasks finished
(throughput) and how long its running tasks have run (their progress) give a low, likely and
high remaining time. The reads (``step_eta``, ``job_eta``) list the step's tasks with ListTasks
(``attention.step_tasks``, cached DASHBOARD_ATTENTION_SECONDS for every viewer).

The model: queued tasks start as fast as tasks have been finishing lately (throughput), and
the last one still has to run a whole task; a running task has about the step's median
duration minus what it has run. The range takes the 25th and 95th percentile durations and a
throughput a quarter faster or slower. No ETA with fewer than DASHBOARD_MIN_SAMPLES tasks
finished cleanly, or when nothing finished in the last half hour.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from ..deadline.fanout import gather_each
from ..deadline.farm_types import TaskRows
from ..deadline.types import Step, TaskRunStatus
from .attention import step_tasks
from .attention.rules import QUEUED_STATUSES, DurationStats, clean_durations, min_samples

#: Throughput is measured over at least this much recent time (and 4 median tasks).
THROUGHPUT_WINDOW = timedelta(minutes=30)
#: The range: throughput this much faster or slower than measured...
THROUGHPUT_SPREAD = 1.25
#: ...and the slowest tasks this much slower than the 95th percentile.
TAIL_MARGIN = 1.25


@dataclass(frozen=True)
class Eta:
    """Time left: low, likely (mid) and high, from ``at`` (the estimate's "now")."""

    low: timedelta
    mid: timedelta
    high: timedelta
    at: datetime

    @property
    def text(self) -> str:
        """ "``about 40 min, 30-55 min`` with an en dash; the high end's unit serves the range."""
        unit, scale = ("h", 3600) if self.high.total_seconds() >= 90 * 60 else ("min", 60)
        low, mid, high = (t.total_seconds() / scale for t in (self.low, self.mid, self.high))
        if unit == "min":
            mid, low, high = max(1, round(mid)), max(1, round(low)), max(1, round(high))
            return f"about {mid} min, {low}\u2013{high} min"
        return f"about {mid:.1f} h, {low:.1f}\u2013{high:.1f} h"

    @property
    def finishes(self) -> tuple[datetime, datetime, datetime]:
        """When it finishes: earliest, likely, latest."""
        return (self.at + self.low, self.at + self.mid, self.at + self.high)


@dataclass(frozen=True)
class EtaResult:
    """An ETA, or why there is none (``reason``); ``left`` False when nothing is left to run
    (no ETA to show at all)."""

    eta: Eta | None
    reason: str = ""
    left: bool = True


def _throughput(completions: Sequence[datetime], now: datetime, typical: float) -> float | None:
    """Tasks finished per second lately (None: nothing finished in the window)."""
    if not completions:
        return None
    window = max(THROUGHPUT_WINDOW.total_seconds(), 4 * typical)
    # A young step: measure from when its first task could have started.
    started = min(completions) - timedelta(seconds=typical)
    window = min(window, max((now - started).total_seconds(), typical))
    recent = [c for c in completions if (now - c).total_seconds() <= window]
    if not recent:
        return None
    return len(recent) / window


def estimate(
    *,
    counts: Mapping[TaskRunStatus, int],
    durations: Sequence[float],
    completions: Sequence[datetime],
    running_elapsed: Sequence[float | None],
    now: datetime,
    failed_attempts: int = 0,
    needed: int | None = None,
) -> EtaResult:
    """The ETA of one step (pure).

    ``durations``: seconds of tasks that succeeded on their first attempt; ``completions``:
    when finished tasks ended; ``running_elapsed``: how long each running task has run (None
    when unknown, e.g. a retried task whose current attempt's start is not known);
    ``failed_attempts``: attempts that failed so far (a step that fails retries, so its last
    task may run twice: the high end allows one more run).
    """
    needed = min_samples() if needed is None else needed
    queued = sum(n for status, n in counts.items() if status in QUEUED_STATUSES)
    running = counts.get(TaskRunStatus.RUNNING, 0)
    if queued + running == 0:
        return EtaResult(None, left=False)
    stats = DurationStats.of(durations)
    if stats is None or stats.count < needed:
        have = 0 if stats is None else stats.count
        return EtaResult(None, f"no ETA yet: {have} of the {needed} finished tasks it needs")
    low = mid = high = 0.0
    for elapsed in running_elapsed:
        if elapsed is None:
            low, mid = max(low, 0.0), max(mid, stats.p50 / 2)
            high = max(high, stats.p95 * TAIL_MARGIN)
            continue
        low = max(low, stats.p25 - elapsed)
        mid = max(mid, stats.p50 - elapsed, 0.05 * stats.p50)
        high = max(high, stats.p95 * TAIL_MARGIN - elapsed, 0.25 * stats.p50)
    if queued:
        rate = _throughput(completions, now, stats.p50)
        if rate is None:
            window = int(max(THROUGHPUT_WINDOW.total_seconds(), 4 * stats.p50) // 60)
            return EtaResult(None, f"no ETA: no task finished in the last {window} min")
        low = max(low, queued / (rate * THROUGHPUT_SPREAD**1.5) + stats.p25)
        mid = max(mid, queued / rate + stats.p50)
        high = max(high, queued * THROUGHPUT_SPREAD / rate + stats.p95 * TAIL_MARGIN)
    if failed_attempts:
        high += stats.p95 * TAIL_MARGIN
    return EtaResult(
        Eta(
            low=timedelta(seconds=min(low, mid)),
            mid=timedelta(seconds=mid),
            high=timedelta(seconds=max(high, mid)),
            at=now,
        )
    )


def estimate_from_rows(
    *, counts: Mapping[TaskRunStatus, int], rows: TaskRows, now: datetime
) -> EtaResult:
    """``estimate`` with the inputs taken from a step's task listing."""
    completions = [
        row.ended_at
        for row in rows.rows
        if row.ended_at is not None and row.run_status in _FINISHED
    ]
    elapsed: list[float | None] = [
        (now - row.started_at).total_seconds() if row.started_at and not row.retries else None
        for row in rows.rows
        if row.run_status is TaskRunStatus.RUNNING
    ]
    return estimate(
        counts=counts,
        durations=clean_durations(rows.rows),
        completions=completions,
        running_elapsed=elapsed,
        now=now,
        failed_attempts=sum(row.retries for row in rows.rows)
        + sum(row.run_status is TaskRunStatus.FAILED for row in rows.rows),
    )


_FINISHED = frozenset({TaskRunStatus.SUCCEEDED, TaskRunStatus.FAILED})


def is_running(step: Step) -> bool:
    """Work is left and some of it is in progress or queued (an ETA means something)."""
    counts = step.status_counts
    busy = counts.get(TaskRunStatus.RUNNING, 0) + sum(
        counts.get(s, 0) for s in QUEUED_STATUSES if s is not TaskRunStatus.PENDING
    )
    return busy > 0


def step_eta(*, farm_id: str, queue_id: str, job_id: str, step: Step, now: datetime) -> EtaResult:
    """The ETA of a step that is running (reads its tasks; raises DeadlineError)."""
    rows = step_tasks(farm_id=farm_id, queue_id=queue_id, job_id=job_id, step_id=step.step_id)
    return estimate_from_rows(counts=step.status_counts, rows=rows, now=now)


@dataclass(frozen=True)
class JobEta:
    """A job's ETA (its last step to finish) and each running step's, by step ID."""

    job: EtaResult
    steps: dict[str, EtaResult]


def job_eta(
    *, farm_id: str, queue_id: str, job_id: str, steps: Iterable[Step], now: datetime
) -> JobEta:
    """ETAs of a job's running steps (their task listings read concurrently) and of the job:
    the latest of its steps', when every unfinished step has one. Never raises: a step whose
    tasks cannot be read has no ETA, and says why."""
    steps = list(steps)
    results = gather_each(
        {
            step.step_id: partial(
                step_eta, farm_id=farm_id, queue_id=queue_id, job_id=job_id, step=step, now=now
            )
            for step in steps
            if is_running(step)
        },
        lambda _, exc: EtaResult(None, f"no ETA: its tasks could not be read ({exc.message})"),
    )
    return JobEta(job=_job_result(steps, results), steps=results)


def _job_result(steps: Sequence[Step], results: Mapping[str, EtaResult]) -> EtaResult:
    etas = []
    for step in steps:
        counts = step.status_counts
        result = results.get(step.step_id)
        if result is None:
            if counts.get(TaskRunStatus.PENDING, 0):
                return EtaResult(None, f"no ETA: step {step.name} has not started")
            continue  # finished, or only work a person must resume
        if result.eta is None:
            if result.left:
                return EtaResult(None, f"{result.reason} (step {step.name})")
            continue
        etas.append(result.eta)
    if not etas:
        return EtaResult(None, left=False)
    return EtaResult(
        Eta(
            low=max(e.low for e in etas),
            mid=max(e.mid for e in etas),
            high=max(e.high for e in etas),
            at=etas[0].at,
        )
    )
