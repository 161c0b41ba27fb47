"""The rules of what needs attention, as pure functions (no I/O): stalled, slow, sick workers
and the duration statistics behind them and behind ETAs. Every page that shows a verdict (the
farm-wide report, the task page, ETAs) gets it from here; the settings they read are read
when called."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings

from ...deadline.farm_types import DEAD_WORKER_STATUSES, TaskRow
from ...deadline.types import UNFINISHED_RUN_STATUSES, TaskRunStatus

# --- Settings (read when called) ---------------------------------------------------------------


def stall_after() -> timedelta:
    """A live attempt whose log is silent this long is stalled (DASHBOARD_STALL_SECONDS)."""
    return timedelta(seconds=float(settings.DASHBOARD_STALL_SECONDS))


def refresh_seconds() -> float:
    """How long the farm-wide report is reused (DASHBOARD_ATTENTION_SECONDS)."""
    return float(settings.DASHBOARD_ATTENTION_SECONDS)


def recent() -> timedelta:
    """How far back "recently" reaches (DASHBOARD_RECENT_SECONDS)."""
    return timedelta(seconds=float(settings.DASHBOARD_RECENT_SECONDS))


def min_samples() -> int:
    """Finished tasks a step needs before slowness or an ETA is judged."""
    return int(settings.DASHBOARD_MIN_SAMPLES)


def slow_factor() -> float:
    """A running task is slow past this multiple of its step's p95 duration."""
    return float(settings.DASHBOARD_SLOW_FACTOR)


# --- Rules: statuses ---------------------------------------------------------------------------

#: A task in one of these is in a worker's hands: it can stall.
LIVE_STATUSES = frozenset(
    {
        TaskRunStatus.ASSIGNED,
        TaskRunStatus.STARTING,
        TaskRunStatus.SCHEDULED,
        TaskRunStatus.RUNNING,
        TaskRunStatus.INTERRUPTING,
    }
)
#: Waiting for a worker (or about to start on one): what an ETA still has to run.
QUEUED_STATUSES = frozenset(
    {
        TaskRunStatus.PENDING,
        TaskRunStatus.READY,
        TaskRunStatus.ASSIGNED,
        TaskRunStatus.STARTING,
        TaskRunStatus.SCHEDULED,
    }
)
#: Job aggregate statuses of unfinished work (SearchJobs' confirmed TASK_RUN_STATUS filter).
UNFINISHED_JOB_STATUSES = UNFINISHED_RUN_STATUSES


def span(seconds: float) -> str:
    """A coarse length of time for reasons: ``45 s``, ``12 min``, ``3 h 05 min``, ``2 d 4 h``."""
    seconds = max(0, int(seconds))
    if seconds < 90:
        return f"{seconds} s"
    minutes = round(seconds / 60)
    if minutes < 90:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def _clock_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%H:%M UTC")


# --- Rules: durations ---------------------------------------------------------------------------


def percentile(sorted_values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values (``p`` in 0..100)."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


@dataclass(frozen=True)
class DurationStats:
    """A step's succeeded durations (seconds): count and the percentiles the rules use."""

    count: int
    p25: float
    p50: float
    p95: float

    @classmethod
    def of(cls, seconds: Iterable[float]) -> DurationStats | None:
        values = sorted(s for s in seconds if s >= 0)
        if not values:
            return None
        return cls(
            count=len(values),
            p25=percentile(values, 25),
            p50=percentile(values, 50),
            p95=percentile(values, 95),
        )


def clean_durations(rows: Iterable[TaskRow]) -> list[float]:
    """Succeeded durations of tasks that succeeded on their first attempt: a retried task's
    ``startedAt`` is its first attempt's, so its start-to-end time is not one run."""
    return [
        row.duration.total_seconds()
        for row in rows
        if row.run_status is TaskRunStatus.SUCCEEDED and row.retries == 0 and row.duration
    ]


# --- Rules: stalled ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    """Why a task needs attention: ``kind`` is "stalled" or "slow"; ``since`` is when the
    trouble began as far as we can tell (impact counts from there)."""

    kind: str
    reason: str
    since: datetime | None = None

    @property
    def label(self) -> str:
        return "Stalled" if self.kind == "stalled" else "Slow"


def assess_stall(
    *,
    run_status: TaskRunStatus,
    now: datetime,
    worker_label: str | None = None,
    worker_status: str | None = None,
    session_open: bool | None = None,
    session_ended_at: datetime | None = None,
    last_log_at: datetime | None = None,
    log_missing: bool = False,
    attempt_started_at: datetime | None = None,
    after: timedelta | None = None,
) -> Verdict | None:
    """Stalled: a task in a worker's hands whose worker is NOT_RESPONDING or STOPPED, whose
    session (the worker running it) has ended, or whose attempt's log has had no new event
    for ``after`` (DASHBOARD_STALL_SECONDS). Unknown inputs (None) prove nothing."""
    if run_status not in LIVE_STATUSES:
        return None
    after = stall_after() if after is None else after
    who = f"worker {worker_label}" if worker_label else "its worker"
    if worker_status in DEAD_WORKER_STATUSES:
        state = worker_status.replace("_", " ").lower()
        return Verdict("stalled", f"{who} is {state}", attempt_started_at)
    if session_open is False:
        when = f" at {_clock_time(session_ended_at)}" if session_ended_at else ""
        return Verdict(
            "stalled", f"{who} is no longer running it (its session ended{when})", session_ended_at
        )
    if last_log_at is not None:
        silent = now - last_log_at
        if silent >= after:
            return Verdict(
                "stalled",
                f"no new log line for {span(silent.total_seconds())} "
                f"(last at {_clock_time(last_log_at)})",
                last_log_at,
            )
    elif log_missing and attempt_started_at is not None and now - attempt_started_at >= after:
        elapsed = span((now - attempt_started_at).total_seconds())
        return Verdict(
            "stalled",
            f"no log line at all since the attempt started {elapsed} ago",
            attempt_started_at,
        )
    return None


# --- Rules: slow -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlowCheck:
    """A running task against its step's succeeded durations."""

    samples: int
    needed: int
    elapsed: float | None
    stats: DurationStats | None = None
    factor: float = 2.0

    @property
    def too_few(self) -> bool:
        return self.stats is None or self.samples < self.needed

    @property
    def threshold(self) -> float | None:
        return None if self.too_few or self.stats is None else self.stats.p95 * self.factor

    @property
    def slow(self) -> bool:
        threshold = self.threshold
        return threshold is not None and self.elapsed is not None and self.elapsed > threshold

    @property
    def summary(self) -> str:
        """What the check found, for the task page ("too few samples" included)."""
        if self.too_few:
            return (
                f"Not checked for slowness: {self.samples} of this step's tasks have finished "
                f"cleanly, {self.needed} are needed."
            )
        assert self.stats is not None
        typical = f"median {span(self.stats.p50)}, p95 {span(self.stats.p95)}"
        return f"This step's tasks take {typical} ({self.samples} finished)."

    def verdict(self, started_at: datetime | None) -> Verdict | None:
        if not self.slow:
            return None
        assert self.stats is not None and self.elapsed is not None
        ratio = self.elapsed / self.stats.p95 if self.stats.p95 > 0 else float("inf")
        reason = (
            f"running {span(self.elapsed)}, {ratio:.1f} times the step's p95 of "
            f"{span(self.stats.p95)} ({self.samples} finished tasks)"
        )
        return Verdict("slow", reason, started_at)


def assess_slow(
    *,
    elapsed: timedelta | None,
    durations: Sequence[float],
    needed: int | None = None,
    factor: float | None = None,
) -> SlowCheck:
    """Slow: running past ``factor`` times the p95 of the step's succeeded durations, judged only
    with at least ``needed`` samples (DASHBOARD_MIN_SAMPLES, DASHBOARD_SLOW_FACTOR)."""
    return SlowCheck(
        samples=len(durations),
        needed=min_samples() if needed is None else needed,
        elapsed=None if elapsed is None else elapsed.total_seconds(),
        stats=DurationStats.of(durations),
        factor=slow_factor() if factor is None else factor,
    )


# --- Rules: workers ----------------------------------------------------------------------------

#: A worker failing at least this share of its recent attempts (and far more than the
#: others) is sick.
SICK_SHARE = 0.5
SICK_MIN_ATTEMPTS = 4


@dataclass
class WorkerTally:
    """One worker's recent record: its attempts and failures, stalled tasks, open sessions."""

    worker_id: str
    fleet_id: str | None = None
    label: str = ""
    status: str = ""
    farm_id: str = ""
    attempts: int = 0
    failures: int = 0
    failed_seconds: float = 0.0
    stalls: int = 0
    stalled_seconds: float = 0.0
    open_sessions: int = 0
    evidence: str = ""  # the page showing it (its latest failed or stalled attempt)
    evidence_at: datetime | None = None

    def add_failure(self, seconds: float, url: str, at: datetime | None) -> None:
        self.failures += 1
        self.failed_seconds += seconds
        if url and (self.evidence_at is None or (at is not None and at > self.evidence_at)):
            self.evidence, self.evidence_at = url, at

    @property
    def share(self) -> float:
        return self.failures / self.attempts if self.attempts else 0.0


def assess_worker(tally: WorkerTally, *, others_attempts: int, others_failures: int) -> str | None:
    """Why a worker is sick, or None: not responding (or stopped) with work assigned, or
    failing most of its recent attempts — at least SICK_SHARE of them, and at least three
    times the rate of the other workers seen (a broken job fails on every worker alike)."""
    if tally.status in DEAD_WORKER_STATUSES and (tally.stalls or tally.open_sessions):
        assigned = max(tally.stalls, tally.open_sessions)
        state = tally.status.replace("_", " ").lower()
        noun = "task" if assigned == 1 else "tasks"
        return f"{state} with {assigned} {noun} still assigned to it"
    if tally.attempts < SICK_MIN_ATTEMPTS:
        return None
    others = others_failures / others_attempts if others_attempts else 0.0
    if tally.share >= SICK_SHARE and tally.share >= 3 * others:
        return (
            f"failed {tally.failures} of its {tally.attempts} recent attempts "
            f"({tally.share:.0%}; {others:.0%} on the other workers)"
        )
    return None
