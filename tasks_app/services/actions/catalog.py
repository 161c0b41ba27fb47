"""What can be done, and where: the actions, their run statuses, scopes and the operator's
choice, validated before anything is read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ...deadline import writes
from ...deadline.types import TaskRunStatus

S = TaskRunStatus


@dataclass(frozen=True)
class ActionKind:
    """One action: its target run status and which run statuses it can apply to."""

    name: str  # requeue, cancel, ...
    label: str  # "Requeue"
    verb: str  # past tense, for results: "requeued"
    target: TaskRunStatus | None  # None: priority
    eligible: frozenset[TaskRunStatus]
    default: frozenset[TaskRunStatus]


ACTIONS: dict[str, ActionKind] = {
    kind.name: kind
    for kind in (
        # As `deadline job requeue-tasks`: PENDING, default FAILED/CANCELED/SUSPENDED.
        ActionKind(
            "requeue",
            "Requeue",
            "requeued",
            S.PENDING,
            writes.SETTLED,
            frozenset({S.FAILED, S.CANCELED, S.SUSPENDED}),
        ),
        # As `deadline job cancel --mark-as ...`: every task that has not finished.
        ActionKind(
            "cancel", "Cancel", "canceled", S.CANCELED, writes.UNFINISHED, writes.UNFINISHED
        ),
        ActionKind(
            "suspend",
            "Suspend",
            "suspended",
            S.SUSPENDED,
            writes.UNFINISHED - {S.SUSPENDED},
            writes.UNFINISHED - {S.SUSPENDED},
        ),
        ActionKind(
            "succeed",
            "Mark succeeded",
            "marked succeeded",
            S.SUCCEEDED,
            frozenset(S.known()) - {S.SUCCEEDED},
            writes.UNFINISHED,
        ),
        ActionKind(
            "fail",
            "Mark failed",
            "marked failed",
            S.FAILED,
            frozenset(S.known()) - {S.FAILED},
            writes.UNFINISHED,
        ),
        ActionKind("priority", "Set priority", "reprioritised", None, frozenset(), frozenset()),
    )
}
SCOPES = ("task", "step", "job", "failures")


class ActionError(Exception):
    """The request cannot be planned as asked (shown to the operator, HTTP 400)."""


@dataclass(frozen=True)
class Scope:
    """Where an action applies: a task, a step, a job, or a failure group (``kind``
    "failures": a job's or one of its steps' failed tasks of one cause; ``signature`` is the
    group's digest, as the failures page names it)."""

    kind: str
    farm_id: str
    queue_id: str
    job_id: str
    step_id: str = ""
    task_id: str = ""
    signature: str = ""

    def key(self) -> str:
        return "/".join(
            (self.kind, self.farm_id, self.queue_id, self.job_id, self.step_id, self.task_id)
        ) + (f"#{self.signature}" if self.signature else "")


@dataclass(frozen=True)
class ActionChoice:
    """What the operator asked: the action, the run statuses it applies to, a priority."""

    action: str
    run_statuses: tuple[TaskRunStatus, ...] = ()
    priority: int | None = None

    @property
    def kind(self) -> ActionKind:
        return ACTIONS[self.action]

    @classmethod
    def build(
        cls, action: str, run_statuses: Iterable[str] = (), priority: int | None = None
    ) -> ActionChoice:
        """Validated: unknown actions, statuses the action cannot change and a missing or
        out-of-range priority raise ActionError. No statuses: the action's defaults."""
        kind = ACTIONS.get(action)
        if kind is None:
            raise ActionError(f"Unknown action {action!r}: one of {', '.join(ACTIONS)}.")
        if kind.target is None:
            if priority is None or not 0 <= priority <= 100:
                raise ActionError("A job's priority is a whole number from 0 to 100.")
            return cls(action=action, priority=priority)
        chosen = {S.parse(status) for status in run_statuses} or set(kind.default)
        refused = sorted(status.value for status in chosen - kind.eligible)
        if refused:
            raise ActionError(
                f"{kind.label} does not apply to tasks that are {', '.join(refused)}."
            )
        return cls(action=action, run_statuses=tuple(sorted(chosen, key=status_order)))


def status_order(status: TaskRunStatus) -> int:
    """The dashboard's order of run statuses (unknown ones last)."""
    return S.known().index(status) if status in S.known() else len(S.known())
