"""Types built from the answers the farm-wide reads need (what needs attention, ETAs): task
rows across a queue or a step, fleets and their workers, a worker's sessions, a job's sessions
and task-run outcomes, and the time of a log's last event.

Like ``types``, each has ``from_api`` (a botocore answer, or several pages folded into one
API-shaped dict) and an explicit ``to_cache`` in the API's own member names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .session_types import SETUP_ACTIONS, TASK_RUN, ActionStatus, Worker, session_id_of
from .types import (
    Cacheable,
    TaskParameter,
    TaskRunStatus,
    compact,
    format_datetime,
    parse_datetime,
)

# --- Task rows ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskRow:
    """One task as SearchTasks or ListTasks tells it, with where it sits (job and step).

    Search summaries have no required member at all, so every member is optional here; a
    row without a task ID is dropped by ``TaskRows.from_api``.
    """

    task_id: str
    run_status: TaskRunStatus
    job_id: str | None = None
    step_id: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    updated_at: datetime | None = None
    failure_retry_count: int | None = None
    latest_session_action_id: str | None = None
    parameters: tuple[TaskParameter, ...] = ()

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> TaskRow:
        retries = answer.get("failureRetryCount")
        raw = answer.get("parameters") or {}
        return cls(
            task_id=str(answer["taskId"]),
            run_status=TaskRunStatus.parse(str(answer.get("runStatus") or "")),
            job_id=answer.get("jobId"),
            step_id=answer.get("stepId"),
            started_at=parse_datetime(answer.get("startedAt")),
            ended_at=parse_datetime(answer.get("endedAt")),
            updated_at=parse_datetime(answer.get("updatedAt")),
            failure_retry_count=None if retries is None else int(retries),
            latest_session_action_id=answer.get("latestSessionActionId"),
            parameters=tuple(TaskParameter.from_api(name, raw[name]) for name in sorted(raw)),
        )

    def to_api(self) -> dict[str, Any]:
        return compact(
            {
                "taskId": self.task_id,
                "runStatus": self.run_status.value,
                "jobId": self.job_id,
                "stepId": self.step_id,
                "startedAt": format_datetime(self.started_at),
                "endedAt": format_datetime(self.ended_at),
                "updatedAt": format_datetime(self.updated_at),
                "failureRetryCount": self.failure_retry_count,
                "latestSessionActionId": self.latest_session_action_id,
                "parameters": {p.name: p.to_api() for p in self.parameters} or None,
            }
        )

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


@dataclass(frozen=True)
class TaskRows(Cacheable):
    """Task rows from one or several pages, and whether the listing stopped before its end
    (``complete`` False: a page cap or the 10,000-item search window was reached)."""

    rows: tuple[TaskRow, ...]
    complete: bool = True

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> TaskRows:
        rows = tuple(
            TaskRow.from_api(item) for item in answer.get("tasks") or () if "taskId" in item
        )
        return cls(rows=rows, complete=bool(answer.get("complete", True)))

    def to_cache(self) -> dict[str, Any]:
        return {"tasks": [row.to_api() for row in self.rows], "complete": self.complete}


# --- Fleets, workers, sessions -----------------------------------------------------------------


@dataclass(frozen=True)
class FleetRef:
    fleet_id: str
    display_name: str


@dataclass(frozen=True)
class FleetList(Cacheable):
    """ListFleets of one farm, all pages (only what the attention page needs)."""

    fleets: tuple[FleetRef, ...]

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> FleetList:
        return cls(
            fleets=tuple(
                FleetRef(
                    fleet_id=str(item["fleetId"]), display_name=str(item.get("displayName", ""))
                )
                for item in answer.get("fleets") or ()
                if "fleetId" in item
            )
        )

    def to_cache(self) -> dict[str, Any]:
        return {
            "fleets": [{"fleetId": f.fleet_id, "displayName": f.display_name} for f in self.fleets]
        }


@dataclass(frozen=True)
class WorkerList(Cacheable):
    """ListWorkers of one fleet, all pages."""

    workers: tuple[Worker, ...]

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> WorkerList:
        return cls(workers=tuple(Worker.from_api(item) for item in answer.get("workers") or ()))

    def to_cache(self) -> dict[str, Any]:
        return {"workers": [worker.to_cache() for worker in self.workers]}


#: Worker statuses that mean "whatever it was given is not being worked on".
DEAD_WORKER_STATUSES = frozenset({"NOT_RESPONDING", "STOPPED"})


@dataclass(frozen=True)
class WorkerSession:
    """One session of a worker (ListSessionsForWorker) or of a job (ListSessions)."""

    session_id: str
    lifecycle_status: str
    started_at: datetime | None = None
    ended_at: datetime | None = None
    queue_id: str | None = None
    job_id: str | None = None
    worker_id: str | None = None
    fleet_id: str | None = None

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> WorkerSession:
        return cls(
            session_id=str(answer["sessionId"]),
            lifecycle_status=str(answer.get("lifecycleStatus", "")),
            started_at=parse_datetime(answer.get("startedAt")),
            ended_at=parse_datetime(answer.get("endedAt")),
            queue_id=answer.get("queueId"),
            job_id=answer.get("jobId"),
            worker_id=answer.get("workerId"),
            fleet_id=answer.get("fleetId"),
        )

    def to_api(self) -> dict[str, Any]:
        return compact(
            {
                "sessionId": self.session_id,
                "lifecycleStatus": self.lifecycle_status,
                "startedAt": format_datetime(self.started_at),
                "endedAt": format_datetime(self.ended_at),
                "queueId": self.queue_id,
                "jobId": self.job_id,
                "workerId": self.worker_id,
                "fleetId": self.fleet_id,
            }
        )

    @property
    def is_open(self) -> bool:
        return self.lifecycle_status != "ENDED" and self.ended_at is None


@dataclass(frozen=True)
class SessionList(Cacheable):
    """Sessions (of a worker, or of a job), all pages read, oldest first as listed."""

    sessions: tuple[WorkerSession, ...]
    complete: bool = True

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> SessionList:
        return cls(
            sessions=tuple(
                WorkerSession.from_api(item)
                for item in answer.get("sessions") or ()
                if "sessionId" in item
            ),
            complete=bool(answer.get("complete", True)),
        )

    def to_cache(self) -> dict[str, Any]:
        return {"sessions": [s.to_api() for s in self.sessions], "complete": self.complete}


@dataclass(frozen=True)
class ActionOutcome:
    """One task-run session action of a job (ListSessionActions by job), for worker health;
    or the input sync or environment enter that failed in its stead (``kind``): the worker's
    failed attempt, its task runs NEVER_ATTEMPTED."""

    session_action_id: str
    status: ActionStatus
    task_id: str | None = None
    step_id: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    kind: str = TASK_RUN

    @property
    def session_id(self) -> str:
        return session_id_of(self.session_action_id)

    @property
    def duration(self) -> timedelta | None:
        if self.started_at is None or self.ended_at is None:
            return None
        return max(self.ended_at - self.started_at, timedelta(0))


@dataclass(frozen=True)
class ActionOutcomes(Cacheable):
    """A job's task-run actions and failed setup actions (the rest of envEnter, envExit and
    syncInputJobAttachments left out), as far as the pages read went."""

    actions: tuple[ActionOutcome, ...]
    complete: bool = True

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> ActionOutcomes:
        actions = []
        for item in answer.get("sessionActions") or ():
            definition = item.get("definition") or {}
            kind = next(iter(definition), TASK_RUN)
            failed_setup = kind in SETUP_ACTIONS and item.get("status") == "FAILED"
            if (kind != TASK_RUN and not failed_setup) or "sessionActionId" not in item:
                continue
            task_run = definition.get(TASK_RUN) or {}
            actions.append(
                ActionOutcome(
                    session_action_id=str(item["sessionActionId"]),
                    status=ActionStatus.parse(item.get("status")),
                    task_id=task_run.get("taskId"),
                    step_id=task_run.get("stepId"),
                    started_at=parse_datetime(item.get("startedAt")),
                    ended_at=parse_datetime(item.get("endedAt")),
                    kind=kind,
                )
            )
        return cls(actions=tuple(actions), complete=bool(answer.get("complete", True)))

    def to_cache(self) -> dict[str, Any]:
        return {
            "sessionActions": [
                compact(
                    {
                        "sessionActionId": a.session_action_id,
                        "status": a.status.value,
                        "startedAt": format_datetime(a.started_at),
                        "endedAt": format_datetime(a.ended_at),
                        "definition": {a.kind: compact({"taskId": a.task_id, "stepId": a.step_id})},
                    }
                )
                for a in self.actions
            ],
            "complete": self.complete,
        }


@dataclass(frozen=True)
class LastLogEvent(Cacheable):
    """When a session log last received an event (None: no event at all yet)."""

    at: datetime | None
    missing: bool = False  # the stream does not exist (nothing uploaded yet)

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> LastLogEvent:
        events = answer.get("events") or ()
        stamp = max((int(e["timestamp"]) for e in events if "timestamp" in e), default=None)
        at = None if stamp is None else datetime.fromtimestamp(stamp / 1000, tz=UTC)
        return cls(at=at, missing=bool(answer.get("missing", False)))

    def to_cache(self) -> dict[str, Any]:
        events = [] if self.at is None else [{"timestamp": int(self.at.timestamp() * 1000)}]
        return {"events": events, "missing": self.missing}
