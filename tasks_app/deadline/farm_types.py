"""Types built from the answers the farm-wide reads need (what needs attention, ETAs): task
rows across a queue or a step, fleets and their workers, a worker's sessions, a job's sessions
and task-run outcomes, and the time of a log's last event.

Like ``types``, each declares its members once (``codec.member``): ``from_api`` reads a
botocore answer, or several pages folded into one API-shaped dict, and ``to_cache`` writes
the API's own member names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .codec import (
    BOOL,
    DATETIME,
    INT,
    STR,
    Cacheable,
    Conv,
    complete,
    declared,
    has,
    many,
    member,
)
from .parameters import PARAMETERS, TaskParameter
from .session_types import (
    ACTION_STATUS,
    KIND,
    SETUP_ACTIONS,
    TASK_RUN,
    ActionStatus,
    Worker,
    session_id_of,
)
from .task_status import STATUS, TaskRunStatus

UNKNOWN = TaskRunStatus.UNKNOWN

# --- Task rows ---------------------------------------------------------------------------------


@declared
@dataclass(frozen=True)
class TaskRow:
    """One task as SearchTasks or ListTasks tells it, with where it sits (job and step).

    Search summaries have no required member at all, so every member is optional here; a
    row without a task ID is dropped by ``TaskRows.from_api``.
    """

    task_id: str = member("taskId", STR, required=True)
    run_status: TaskRunStatus = member("runStatus", STATUS, falsy=True, missing=UNKNOWN)
    job_id: str | None = member("jobId", default=None)
    step_id: str | None = member("stepId", default=None)
    started_at: datetime | None = member("startedAt", DATETIME, default=None)
    ended_at: datetime | None = member("endedAt", DATETIME, default=None)
    updated_at: datetime | None = member("updatedAt", DATETIME, default=None)
    failure_retry_count: int | None = member("failureRetryCount", INT, default=None)
    latest_session_action_id: str | None = member("latestSessionActionId", default=None)
    parameters: tuple[TaskParameter, ...] = member("parameters", PARAMETERS, default=())

    @property
    def parameter_summary(self) -> str:
        """``Frame=1042`` (several comma-separated), or "" without parameters."""
        return ", ".join(f"{p.name}={p.value}" for p in self.parameters)

    @property
    def retries(self) -> int:
        return self.failure_retry_count or 0

    @property
    def session_id(self) -> str | None:
        """The session of the latest attempt (the ``deadline`` CLI's rule), if any."""
        action = self.latest_session_action_id
        return session_id_of(action) if action else None

    @property
    def duration(self) -> timedelta | None:
        """Started -> ended, for a finished task."""
        if self.started_at is None or self.ended_at is None:
            return None
        return max(self.ended_at - self.started_at, timedelta(0))


@declared
@dataclass(frozen=True)
class TaskRows(Cacheable):
    """Task rows from one or several pages, and whether the listing stopped before its end
    (``complete`` False: a page cap or the 10,000-item search window was reached)."""

    rows: tuple[TaskRow, ...] = member("tasks", many(TaskRow, take=has("taskId")), missing=())
    complete: bool = complete()


# --- Fleets, workers, sessions -----------------------------------------------------------------


@declared
@dataclass(frozen=True)
class FleetRef:
    fleet_id: str = member("fleetId", STR, required=True)
    display_name: str = member("displayName", STR, missing="")


@declared
@dataclass(frozen=True)
class FleetList(Cacheable):
    """ListFleets of one farm, all pages (only what the attention page needs)."""

    fleets: tuple[FleetRef, ...] = member("fleets", many(FleetRef, take=has("fleetId")), missing=())


@declared
@dataclass(frozen=True)
class WorkerList(Cacheable):
    """ListWorkers of one fleet, all pages."""

    workers: tuple[Worker, ...] = member("workers", many(Worker), missing=())


#: Worker statuses that mean "whatever it was given is not being worked on".
DEAD_WORKER_STATUSES = frozenset({"NOT_RESPONDING", "STOPPED"})


@declared
@dataclass(frozen=True)
class WorkerSession:
    """One session of a worker (ListSessionsForWorker) or of a job (ListSessions)."""

    session_id: str = member("sessionId", STR, required=True)
    lifecycle_status: str = member("lifecycleStatus", STR, missing="")
    started_at: datetime | None = member("startedAt", DATETIME, default=None)
    ended_at: datetime | None = member("endedAt", DATETIME, default=None)
    queue_id: str | None = member("queueId", default=None)
    job_id: str | None = member("jobId", default=None)
    worker_id: str | None = member("workerId", default=None)
    fleet_id: str | None = member("fleetId", default=None)

    @property
    def is_open(self) -> bool:
        return self.lifecycle_status != "ENDED" and self.ended_at is None


@declared
@dataclass(frozen=True)
class SessionList(Cacheable):
    """Sessions (of a worker, or of a job), all pages read, oldest first as listed."""

    sessions: tuple[WorkerSession, ...] = member(
        "sessions", many(WorkerSession, take=has("sessionId")), missing=()
    )
    complete: bool = complete()


@declared
@dataclass(frozen=True)
class ActionOutcome:
    """One task-run session action of a job (ListSessionActions by job), for worker health;
    or the input sync or environment enter that failed in its stead (``kind``): the worker's
    failed attempt, its task runs NEVER_ATTEMPTED."""

    session_action_id: str = member("sessionActionId", STR, required=True)
    status: ActionStatus = member("status", ACTION_STATUS, missing=ActionStatus.UNKNOWN)
    task_id: str | None = member("definition.taskRun.taskId", default=None)
    step_id: str | None = member("definition.taskRun.stepId", default=None)
    started_at: datetime | None = member("startedAt", DATETIME, default=None)
    ended_at: datetime | None = member("endedAt", DATETIME, default=None)
    kind: str = member("", KIND, default=TASK_RUN)

    @property
    def session_id(self) -> str:
        return session_id_of(self.session_action_id)

    @property
    def duration(self) -> timedelta | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return max(self.ended_at - self.started_at, timedelta(0))


def _outcome(item: Mapping[str, Any]) -> bool:
    """A task run, or a setup action that failed (the rest of envEnter, envExit and
    syncInputJobAttachments left out); an action without its ID cannot be told."""
    kind = next(iter(item.get("definition") or {}), TASK_RUN)
    failed_setup = kind in SETUP_ACTIONS and item.get("status") == "FAILED"
    return (kind == TASK_RUN or failed_setup) and "sessionActionId" in item


@declared
@dataclass(frozen=True)
class ActionOutcomes(Cacheable):
    """A job's task-run actions and failed setup actions, as far as the pages read went."""

    actions: tuple[ActionOutcome, ...] = member(
        "sessionActions", many(ActionOutcome, take=_outcome), missing=()
    )
    complete: bool = complete()


def _last_event(answer: Mapping[str, Any]) -> datetime | None:
    events = answer.get("events") or ()
    stamp = max((int(e["timestamp"]) for e in events if "timestamp" in e), default=None)
    return None if stamp is None else datetime.fromtimestamp(stamp / 1000, tz=UTC)


def _last_event_to_api(last: LastLogEvent) -> dict[str, Any]:
    at = last.at
    return {"events": [] if at is None else [{"timestamp": int(at.timestamp() * 1000)}]}


@declared
@dataclass(frozen=True)
class LastLogEvent(Cacheable):
    """When a session log last received an event (None: no event at all yet)."""

    at: datetime | None = member("", Conv(_last_event, _last_event_to_api, whole=True))
    # The stream does not exist (nothing uploaded yet).
    missing: bool = member("missing", BOOL, default=False)
