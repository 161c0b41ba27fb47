"""What the blockers selectors return: one ``Blocker`` per reason, and a ``BlockerReport``
whose JSON is the page's JSON (the HTML renders the same object)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ...iso8601 import iso8601

#: Most decisive first: a cause that would still hold if every later one went away comes first.
KINDS = (
    "suspended",
    "queue_blocked",
    "budget",
    "no_fleet",
    "fleet_not_scheduling",
    "no_compatible_fleet",
    "waiting_on_step",
    "limit_reached",
    "job_max_workers",
    "fleet_at_capacity",
    "behind_other_jobs",
)
KIND_LABELS = {
    "suspended": "Suspended",
    "queue_blocked": "Queue blocked",
    "budget": "Budget reached",
    "no_fleet": "No fleet",
    "fleet_not_scheduling": "Fleet not scheduling",
    "no_compatible_fleet": "No compatible fleet",
    "waiting_on_step": "Waiting on a step",
    "limit_reached": "Limit reached",
    "job_max_workers": "Job at its worker maximum",
    "fleet_at_capacity": "Fleet full",
    "behind_other_jobs": "Behind other jobs",
}
#: Kinds that pass without anyone acting (capacity and order): the start can be estimated.
CAPACITY_KINDS = frozenset({"fleet_at_capacity", "behind_other_jobs"})
#: Kinds an operator can act on from the dashboard's pages or the console.
ACTIONABLE_KINDS = frozenset(KINDS) - CAPACITY_KINDS - {"waiting_on_step"}
_ID_MEMBERS = ("queue_id", "fleet_id", "limit_id", "budget_id", "step_id", "depends_on_step_id")


@dataclass(frozen=True)
class Blocker:
    """One reason work waits, in plain words, with its evidence and where it is fixed."""

    kind: str
    reason: str
    evidence: tuple[str, ...] = ()
    fix_url: str = ""
    fix_label: str = ""
    queue_id: str | None = None
    fleet_id: str | None = None
    limit_id: str | None = None
    budget_id: str | None = None
    step_id: str | None = None
    depends_on_step_id: str | None = None
    current: float | None = None
    maximum: float | None = None

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def identity(self) -> tuple[Any, ...]:
        """Two blockers with this equal are one reason (a job lists each once)."""
        return (self.kind, *(getattr(self, name) for name in _ID_MEMBERS))

    @property
    def actionable(self) -> bool:
        return self.kind in ACTIONABLE_KINDS

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind, "reason": self.reason}
        for name in (*_ID_MEMBERS, "current", "maximum"):
            value = getattr(self, name)
            if value is not None:
                data[name] = value
        return data


@dataclass(frozen=True)
class StartEstimate:
    """When the first waiting task should start: a range, or None with the reason."""

    earliest: datetime | None
    latest: datetime | None
    reason: str = ""

    @property
    def known(self) -> bool:
        return self.earliest is not None and self.latest is not None

    def as_json(self) -> dict[str, str] | None:
        if not self.known:
            return None
        assert self.earliest is not None and self.latest is not None
        exact = "microseconds"  # an estimate read back equals the one computed
        return {
            "earliest": iso8601(self.earliest, timespec=exact),
            "latest": iso8601(self.latest, timespec=exact),
        }


@dataclass(frozen=True)
class BlockerReport:
    """Every reason a job's (or a step's) waiting tasks are not running."""

    running: int
    waiting: int
    blockers: tuple[Blocker, ...] = ()
    estimate: StartEstimate = field(default_factory=lambda: StartEstimate(None, None))
    notes: tuple[str, ...] = ()

    @property
    def top(self) -> tuple[Blocker, ...]:
        """The first few, for a one-line summary."""
        return self.blockers[:2]

    @property
    def summary(self) -> str:
        """ "Queue blocked; Budget reached (+2 more)"."""
        if not self.blockers:
            return ""
        text = "; ".join(b.label for b in self.top)
        more = len(self.blockers) - len(self.top)
        return f"{text} (+{more} more)" if more else text

    def as_json(self) -> dict[str, Any]:
        return {
            "running": self.running,
            "waiting": self.waiting,
            "blockers": [b.as_json() for b in self.blockers],
            "estimated_start": self.estimate.as_json(),
            "estimated_start_reason": None if self.estimate.known else self.estimate.reason,
        }


def ordered(blockers: list[Blocker]) -> tuple[Blocker, ...]:
    """Each reason once, most decisive first (stable within a kind)."""
    seen: set[tuple[Any, ...]] = set()
    unique = []
    for blocker in blockers:
        if blocker.identity not in seen:
            seen.add(blocker.identity)
            unique.append(blocker)
    return tuple(sorted(unique, key=lambda b: KINDS.index(b.kind)))
