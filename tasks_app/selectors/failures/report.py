"""What a failures view shows, as frozen view models: the report of a scope, its groups (one
per cause), each group's tasks and workers, and the worker clusters found among them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from . import signatures
from .records import FailureScope, JobBrief

NO_ATTEMPT = "no attempt recorded"
NOT_ANALYSED = "not analysed"


@dataclass(frozen=True)
class WorkerCount:
    worker_id: str
    host_name: str | None
    attempts: int

    @property
    def label(self) -> str:
        return self.host_name.split(".")[0] if self.host_name else self.worker_id


@dataclass(frozen=True)
class GroupTask:
    """One failed task of a group: where it is, its frame, its failing attempt."""

    task_id: str
    job_id: str
    step_id: str
    session_action_id: str | None
    frame: str
    retries: int
    worker_id: str | None = None
    worker_label: str | None = None
    exit_code: int | None = None
    ended_at: datetime | None = None
    line: int | None = None
    line_at_ms: int | None = None
    source: str = ""
    inferred: bool = False

    @property
    def attempts(self) -> int:
        return self.retries + 1


@dataclass(frozen=True)
class FailureGroup:
    """Every failed task whose failing attempt has one signature."""

    signature: str
    title: str
    tasks: tuple[GroupTask, ...]
    workers: tuple[WorkerCount, ...]
    frames: str
    flaky: bool | None
    retried_ok: int  # tasks seen failing like this, then succeeding on a retry
    first_seen: datetime | None
    last_seen: datetime | None
    example: GroupTask | None
    steps: tuple[tuple[str, int], ...] = ()  # step ID -> tasks
    jobs: tuple[tuple[str, int], ...] = ()  # job ID -> tasks
    exit_codes: tuple[int, ...] = ()
    raw: str = ""  # the log line the title was made from, as written (timestamps, level)
    retry_trials: int = 0  # retried tasks seen: retried_ok and those retried that still failed
    retry_baseline: float | None = None  # the retry success rate of the scope's other causes

    @property
    def digest(self) -> str:
        return signatures.Signature(self.signature, self.title, "").digest

    @property
    def task_count(self) -> int:
        return len(self.tasks) if self.tasks else self.hidden

    @property
    def attempts(self) -> int:
        return sum(t.attempts for t in self.tasks)

    @property
    def task_ids(self) -> tuple[str, ...]:
        return tuple(t.task_id for t in self.tasks)

    @property
    def inferred(self) -> int:
        """Tasks grouped here by exit code and message (their log was not read)."""
        return sum(1 for t in self.tasks if t.inferred)

    @property
    def from_log(self) -> bool:
        return any(t.source == signatures.FROM_LOG for t in self.tasks)

    @property
    def retry_rate(self) -> float | None:
        """Of the retried tasks seen failing like this, the share that then succeeded."""
        return self.retried_ok / self.retry_trials if self.retry_trials else None

    @property
    def advice(self) -> str | None:
        """ "Retry likely to help" (flaky), "Fix before requeueing", or None (not known)."""
        if self.flaky is None:
            return None
        return "Retry likely to help" if self.flaky else "Fix before requeueing"

    hidden: int = 0  # tasks counted but not listed (over the listing cap)


@dataclass(frozen=True)
class WorkerCluster:
    """One worker holds far more of a signature's failures than of the scope's work."""

    worker_id: str
    label: str
    signature: str
    title: str
    failures: int
    total: int
    baseline: float | None  # its share of the scope's sessions (or of every failure)
    baseline_kind: str  # "sessions" | "failures"

    @property
    def share(self) -> float:
        return self.failures / self.total if self.total else 0.0

    @property
    def summary(self) -> str:
        """``3 of 4 failures like this ran on render-a-017, which ran 9 % of the sessions``."""
        text = f"{self.failures:,} of {self.total:,} failures like this ran on {self.label}"
        if self.baseline is None:
            return text
        of = "the sessions" if self.baseline_kind == "sessions" else "every failure"
        return f"{text}, which ran {round(100 * self.baseline)} % of {of}"

    @property
    def digest(self) -> str:
        return signatures.Signature(self.signature, self.title, "").digest


@dataclass(frozen=True)
class FailureReport:
    """Everything a failures view shows, in HTML, JSON or Markdown."""

    scope: FailureScope
    names: Mapping[str, str]
    failed_tasks: int
    listed: int
    analysed: int
    complete: bool
    running: bool
    groups: tuple[FailureGroup, ...]
    clusters: tuple[WorkerCluster, ...]
    method: str
    settled: bool
    listed_at: datetime | None
    logs_cap: int
    not_read: int
    inferred: int
    jobs: tuple[JobBrief, ...] = ()
    jobs_matched: int = 0  # queue scope: the window's jobs (more than ``jobs`` when capped)
    worker_id: str = ""
    error: str | None = None
    flaky_known: bool = False
    hosts: Mapping[str, str] = field(default_factory=dict)

    @property
    def jobs_not_read(self) -> int:
        """The window's jobs past the listing cap: not read, so not counted here."""
        return max(0, self.jobs_matched - len(self.jobs))

    @property
    def percent(self) -> int:
        return 100 if not self.listed else int(100 * self.analysed / self.listed)

    def name(self, key: str) -> str | None:
        return self.names.get(key)

    @property
    def worker_label(self) -> str:
        return self.hosts.get(self.worker_id, self.worker_id)
