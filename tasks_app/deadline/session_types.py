"""Types built from the answers about attempts: session actions, sessions, workers, fleets,
and pages of a session's CloudWatch log."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from .types import Cacheable, compact, format_datetime, parse_datetime


class ActionStatus(StrEnum):
    """A session action's status (SessionActionStatus), UNKNOWN for a newer value."""

    ASSIGNED = "ASSIGNED"
    SCHEDULED = "SCHEDULED"
    RUNNING = "RUNNING"
    CANCELING = "CANCELING"
    RECLAIMING = "RECLAIMING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    INTERRUPTED = "INTERRUPTED"
    CANCELED = "CANCELED"
    NEVER_ATTEMPTED = "NEVER_ATTEMPTED"
    RECLAIMED = "RECLAIMED"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def parse(cls, value: str | None) -> ActionStatus:
        try:
            return cls(value or "")
        except ValueError:
            return cls.UNKNOWN

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()

    @property
    def css_class(self) -> str:
        return "badge--" + self.value.lower().replace("_", "-")

    @property
    def is_live(self) -> bool:
        """Still changing: waiting for, or in, a worker's hands."""
        return self in _LIVE_ACTIONS


_LIVE_ACTIONS = frozenset(
    {
        ActionStatus.ASSIGNED,
        ActionStatus.SCHEDULED,
        ActionStatus.RUNNING,
        ActionStatus.CANCELING,
        ActionStatus.RECLAIMING,
    }
)


#: Actions that prepare a session before its task runs: when one fails, the task runs of that
#: session are NEVER_ATTEMPTED and the cause is in the failed action's own output.
SETUP_ACTIONS = {
    "syncInputJobAttachments": "job attachments input sync",
    "envEnter": "environment enter",
}
TASK_RUN = "taskRun"


def session_id_of(session_action_id: str) -> str:
    """``sessionaction-<hex>-<n>`` belongs to ``session-<hex>`` (the ``deadline`` CLI's rule)."""
    return "session-" + session_action_id.removeprefix("sessionaction-").rpartition("-")[0]


@dataclass(frozen=True)
class SessionAction(Cacheable):
    """A session action (a task run, or the input sync or environment enter that failed
    before it): ListSessionActions' summary, or GetSessionAction's answer (which adds
    ``progressMessage`` and ``processExitCode``). ``kind`` is its definition's member."""

    session_action_id: str
    status: ActionStatus
    task_id: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    worker_updated_at: datetime | None = None
    progress_percent: float | None = None
    progress_message: str | None = None
    process_exit_code: int | None = None
    detailed: bool = False  # read with GetSessionAction
    kind: str = TASK_RUN

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> SessionAction:
        definition = answer.get("definition") or {}
        task_run = definition.get(TASK_RUN) or {}
        percent = answer.get("progressPercent")
        code = answer.get("processExitCode")
        return cls(
            session_action_id=answer["sessionActionId"],
            status=ActionStatus.parse(answer.get("status")),
            task_id=task_run.get("taskId"),
            started_at=parse_datetime(answer.get("startedAt")),
            ended_at=parse_datetime(answer.get("endedAt")),
            worker_updated_at=parse_datetime(answer.get("workerUpdatedAt")),
            progress_percent=None if percent is None else float(percent),
            progress_message=answer.get("progressMessage"),
            process_exit_code=None if code is None else int(code),
            detailed="sessionId" in answer,
            kind=next(iter(definition), TASK_RUN),
        )

    def to_cache(self) -> dict[str, Any]:
        answer = compact(
            {
                "sessionActionId": self.session_action_id,
                "status": self.status.value,
                "startedAt": format_datetime(self.started_at),
                "endedAt": format_datetime(self.ended_at),
                "workerUpdatedAt": format_datetime(self.worker_updated_at),
                "progressPercent": self.progress_percent,
                "progressMessage": self.progress_message,
                "processExitCode": self.process_exit_code,
                "sessionId": self.session_id if self.detailed else None,
            }
        )
        body = compact({"taskId": self.task_id}) if self.kind == TASK_RUN else {}
        answer["definition"] = {self.kind: body}
        return answer

    @property
    def is_setup(self) -> bool:
        """An input sync or environment enter (not a task run)."""
        return self.kind in SETUP_ACTIONS

    @property
    def session_id(self) -> str:
        return session_id_of(self.session_action_id)


@dataclass(frozen=True)
class SessionActionList(Cacheable):
    """The task-run actions of one task (every ListSessionActions page), in API order."""

    actions: tuple[SessionAction, ...]

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> SessionActionList:
        return cls(tuple(SessionAction.from_api(item) for item in answer["sessionActions"]))

    def to_cache(self) -> dict[str, Any]:
        return {"sessionActions": [action.to_cache() for action in self.actions]}


@dataclass(frozen=True)
class Session(Cacheable):
    """GetSession's answer: which worker ran the session, and where its log is."""

    session_id: str
    fleet_id: str
    worker_id: str
    lifecycle_status: str
    started_at: datetime | None = None
    ended_at: datetime | None = None
    log_group: str | None = None
    log_stream: str | None = None
    host_name: str | None = None
    ip_addresses: tuple[str, ...] = field(default=())

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> Session:
        options = (answer.get("log") or {}).get("options") or {}
        host = answer.get("hostProperties") or {}
        return cls(
            session_id=answer["sessionId"],
            fleet_id=answer["fleetId"],
            worker_id=answer["workerId"],
            lifecycle_status=answer.get("lifecycleStatus", ""),
            started_at=parse_datetime(answer.get("startedAt")),
            ended_at=parse_datetime(answer.get("endedAt")),
            log_group=options.get("logGroupName"),
            log_stream=options.get("logStreamName"),
            host_name=host.get("hostName"),
            ip_addresses=_ip_addresses(host),
        )

    def to_cache(self) -> dict[str, Any]:
        answer = compact(
            {
                "sessionId": self.session_id,
                "fleetId": self.fleet_id,
                "workerId": self.worker_id,
                "lifecycleStatus": self.lifecycle_status,
                "startedAt": format_datetime(self.started_at),
                "endedAt": format_datetime(self.ended_at),
            }
        )
        answer["log"] = {
            "options": compact({"logGroupName": self.log_group, "logStreamName": self.log_stream})
        }
        answer["hostProperties"] = compact(
            {
                "hostName": self.host_name,
                "ipAddresses": {"ipV4Addresses": list(self.ip_addresses)}
                if self.ip_addresses
                else None,
            }
        )
        return answer


def _ip_addresses(host: Mapping[str, Any]) -> tuple[str, ...]:
    ips = host.get("ipAddresses") or {}
    return tuple(ips.get("ipV4Addresses") or ()) + tuple(ips.get("ipV6Addresses") or ())


@dataclass(frozen=True)
class Worker(Cacheable):
    """GetWorker's answer (the members triage shows)."""

    farm_id: str
    fleet_id: str
    worker_id: str
    status: str
    host_name: str | None = None
    ip_addresses: tuple[str, ...] = field(default=())
    instance_type: str | None = None

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> Worker:
        host = answer.get("hostProperties") or {}
        return cls(
            farm_id=answer["farmId"],
            fleet_id=answer["fleetId"],
            worker_id=answer["workerId"],
            status=answer.get("status", ""),
            host_name=host.get("hostName"),
            ip_addresses=_ip_addresses(host),
            instance_type=host.get("ec2InstanceType"),
        )

    def to_cache(self) -> dict[str, Any]:
        host = compact(
            {
                "hostName": self.host_name,
                "ec2InstanceType": self.instance_type,
                "ipAddresses": {"ipV4Addresses": list(self.ip_addresses)}
                if self.ip_addresses
                else None,
            }
        )
        return {
            "farmId": self.farm_id,
            "fleetId": self.fleet_id,
            "workerId": self.worker_id,
            "status": self.status,
            "hostProperties": host,
        }

    @property
    def status_label(self) -> str:
        return self.status.replace("_", " ").capitalize()

    @property
    def is_unhealthy(self) -> bool:
        return self.status in {"NOT_RESPONDING", "NOT_COMPATIBLE", "STOPPING", "STOPPED"}


@dataclass(frozen=True)
class Fleet(Cacheable):
    """GetFleet's answer: only its name matters here."""

    fleet_id: str
    display_name: str

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> Fleet:
        return cls(fleet_id=answer["fleetId"], display_name=answer["displayName"])

    def to_cache(self) -> dict[str, Any]:
        return {"fleetId": self.fleet_id, "displayName": self.display_name}


_ERROR_LINE = re.compile(
    r"\b(ERROR|FATAL|CRITICAL|Traceback|Segmentation fault|FAILED)\b"
    r"|exit code: -?[1-9]|terminated by signal",
)
_WARNING_LINE = re.compile(r"\bWARN(ING)?\b")


@dataclass(frozen=True)
class LogLine:
    """One CloudWatch log event."""

    timestamp: datetime
    message: str

    @property
    def level(self) -> str:
        """``error``, ``warning`` or ``""``: for highlighting only, never for decisions."""
        if _ERROR_LINE.search(self.message):
            return "error"
        if _WARNING_LINE.search(self.message):
            return "warning"
        return ""

    @property
    def epoch_ms(self) -> int:
        return int(self.timestamp.timestamp() * 1000)


def _event_time(event: Mapping[str, Any]) -> datetime:
    """An event's time; CloudWatch's model requires none, so a missing or broken one reads as
    the epoch rather than dropping the line."""
    try:
        return datetime.fromtimestamp(int(event["timestamp"]) / 1000, tz=UTC)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return datetime.fromtimestamp(0, tz=UTC)


@dataclass(frozen=True)
class LogPage(Cacheable):
    """A page of a session log: lines oldest first, the tokens to page on, and whether
    earlier lines exist inside the window."""

    lines: tuple[LogLine, ...]
    forward_token: str | None
    backward_token: str | None
    has_earlier: bool

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> LogPage:
        lines = tuple(
            LogLine(timestamp=_event_time(event), message=str(event.get("message", "")))
            for event in answer.get("events") or ()
        )
        return cls(
            lines=lines,
            forward_token=answer.get("nextForwardToken"),
            backward_token=answer.get("nextBackwardToken"),
            has_earlier=bool(answer.get("hasEarlier")),
        )

    def to_cache(self) -> dict[str, Any]:
        return {
            "events": [{"timestamp": ln.epoch_ms, "message": ln.message} for ln in self.lines],
            "nextForwardToken": self.forward_token,
            "nextBackwardToken": self.backward_token,
            "hasEarlier": self.has_earlier,
        }
