"""A task's run status (also the aggregate of a step or job): its members, which are final,
and the stacked status bar's segments."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from .codec import Conv, enum


class TaskRunStatus(StrEnum):
    """A task's run status (also used for targets and for step/job aggregates)."""

    PENDING = "PENDING"
    READY = "READY"
    ASSIGNED = "ASSIGNED"
    STARTING = "STARTING"
    SCHEDULED = "SCHEDULED"
    INTERRUPTING = "INTERRUPTING"
    RUNNING = "RUNNING"
    SUSPENDED = "SUSPENDED"
    CANCELED = "CANCELED"
    FAILED = "FAILED"
    SUCCEEDED = "SUCCEEDED"
    NOT_COMPATIBLE = "NOT_COMPATIBLE"
    # A value a newer API may send that this code does not know yet: shown, never a crash.
    UNKNOWN = "UNKNOWN"

    @classmethod
    def parse(cls, value: str) -> TaskRunStatus:
        """The member for ``value``, or UNKNOWN for a status this code does not know."""
        try:
            return cls(value)
        except ValueError:
            return cls.UNKNOWN

    @classmethod
    def known(cls) -> tuple[TaskRunStatus, ...]:
        """The twelve statuses the API defines (UNKNOWN excluded)."""
        return tuple(status for status in cls if status is not cls.UNKNOWN)

    @property
    def is_terminal(self) -> bool:
        """No change without someone acting (a requeue can still revive it)."""
        return self in _TERMINAL

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def css_class(self) -> str:
        """Badge modifier class, e.g. ``badge--not-compatible``."""
        return "badge--" + self.value.lower().replace("_", "-")


#: Run statuses of work that has not finished: the values of a job's aggregate
#: ``TASK_RUN_STATUS`` SearchJobs filter (confirmed: deadline_facts/search_names.py) that find
#: every job still to run or running.
UNFINISHED_RUN_STATUSES: tuple[str, ...] = (
    "PENDING",
    "READY",
    "ASSIGNED",
    "STARTING",
    "SCHEDULED",
    "RUNNING",
    "INTERRUPTING",
)

_TERMINAL = frozenset(
    {
        TaskRunStatus.SUCCEEDED,
        TaskRunStatus.FAILED,
        TaskRunStatus.CANCELED,
        TaskRunStatus.NOT_COMPATIBLE,
    }
)


def _counts(raw: Mapping[str, object]) -> tuple[tuple[TaskRunStatus, int], ...]:
    """Status counts; keys read case-insensitively (``failed`` and ``FAILED`` are one status),
    unknown statuses and unreadable counts left out."""
    counts: dict[TaskRunStatus, int] = {}
    for name, count in raw.items():
        status = TaskRunStatus.parse(str(name).strip().upper())
        try:
            number = int(count)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            continue
        if status is not TaskRunStatus.UNKNOWN and number >= 0:
            counts[status] = counts.get(status, 0) + number
    return tuple(sorted(counts.items()))


#: A run status member (UNKNOWN for a value this code does not know).
STATUS = enum(TaskRunStatus)
#: ``taskRunStatusCounts``: (status, count) pairs in status order.
STATUS_COUNTS = Conv(
    _counts, lambda counts: {status.value: n for status, n in counts}, collection=True
)


@dataclass(frozen=True)
class StatusSegment:
    """One run status's share of a job or step, for the stacked status bar."""

    status: TaskRunStatus
    count: int
    percent: float  # width, 0..100
    offset: float  # left edge, 0..100


# Bar order: the eye reads trouble first.
_BAR_ORDER = (
    TaskRunStatus.FAILED,
    TaskRunStatus.NOT_COMPATIBLE,
    TaskRunStatus.CANCELED,
    TaskRunStatus.SUSPENDED,
    TaskRunStatus.INTERRUPTING,
    TaskRunStatus.RUNNING,
    TaskRunStatus.STARTING,
    TaskRunStatus.ASSIGNED,
    TaskRunStatus.SCHEDULED,
    TaskRunStatus.READY,
    TaskRunStatus.PENDING,
    TaskRunStatus.SUCCEEDED,
)


def status_segments(counts: Mapping[TaskRunStatus, int]) -> tuple[StatusSegment, ...]:
    """Non-empty statuses in bar order with their widths in percent (summing to 100)."""
    total = sum(counts.values())
    if total <= 0:
        return ()
    segments = []
    offset = 0.0
    for status in _BAR_ORDER:
        count = counts.get(status, 0)
        if count > 0:
            percent = round(100 * count / total, 3)
            segments.append(StatusSegment(status, count, percent, round(offset, 3)))
            offset += percent
    return tuple(segments)


def is_settled(counts: Mapping[TaskRunStatus, int]) -> bool:
    """Every task of a job or step is terminal: its lists stop polling."""
    nonzero = [status for status, count in counts.items() if count > 0]
    return bool(nonzero) and all(status.is_terminal for status in nonzero)
