"""Types built from the answers about attempts: session actions, sessions, workers, fleets,
and pages of a session's CloudWatch log."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from .codec import BOOL, DATETIME, FLOAT, INT, STR, Cacheable, Conv, declared, enum, many, member


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


ACTION_STATUS = enum(ActionStatus)

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


def _kind(answer: Mapping[str, Any]) -> str:
    """A session action's kind: the member its definition sets (a task run when none)."""
    return next(iter(answer.get("definition") or {}), TASK_RUN)


#: ``definition``'s member, the action's kind (its task run's IDs are members of their own).
KIND = Conv(_kind, lambda action: {"definition": {action.kind: {}}}, whole=True)


@declared
@dataclass(frozen=True)
class SessionAction(Cacheable):
    """A session action (a task run, or the input sync or environment enter that failed
    before it): ListSessionActions' summary, or GetSessionAction's answer (which adds
    ``progressMessage`` and ``processExitCode``). ``kind`` is its definition's member."""

    session_action_id: str = member("sessionActionId", required=True)
    status: ActionStatus = member("status", ACTION_STATUS, missing=ActionStatus.UNKNOWN)
    task_id: str | None = member("definition.taskRun.taskId", default=None)
    started_at: datetime | None = member("startedAt", DATETIME, default=None)
    ended_at: datetime | None = member("endedAt", DATETIME, default=None)
    worker_updated_at: datetime | None = member("workerUpdatedAt", DATETIME, default=None)
    progress_percent: float | None = member("progressPercent", FLOAT, default=None)
    progress_message: str | None = member("progressMessage", default=None)
    process_exit_code: int | None = member("processExitCode", INT, default=None)
    # Read with GetSessionAction (whose answer names the session).
    detailed: bool = member(
        "",
        Conv(
            lambda answer: "sessionId" in answer,
            lambda action: {"sessionId": action.session_id} if action.detailed else None,
            whole=True,
        ),
        default=False,
    )
    kind: str = member("", KIND, default=TASK_RUN)

    @property
    def is_setup(self) -> bool:
        """An input sync or environment enter (not a task run)."""
        return self.kind in SETUP_ACTIONS

    @property
    def session_id(self) -> str:
        return session_id_of(self.session_action_id)


@declared
@dataclass(frozen=True)
class SessionActionList(Cacheable):
    """The task-run actions of one task (every ListSessionActions page), in API order."""

    actions: tuple[SessionAction, ...] = member(
        "sessionActions", many(SessionAction), required=True
    )


def _ip_addresses(ips: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(ips.get("ipV4Addresses") or ()) + tuple(ips.get("ipV6Addresses") or ())


#: ``hostProperties.ipAddresses``: IPv4 then IPv6 addresses, kept as one list.
IP_ADDRESSES = Conv(
    _ip_addresses,
    lambda ips: {"ipV4Addresses": list(ips)} if ips else None,
    collection=True,
)


@declared
@dataclass(frozen=True)
class Session(Cacheable):
    """GetSession's answer: which worker ran the session, and where its log is."""

    session_id: str = member("sessionId", required=True)
    fleet_id: str = member("fleetId", required=True)
    worker_id: str = member("workerId", required=True)
    lifecycle_status: str = member("lifecycleStatus", missing="")
    started_at: datetime | None = member("startedAt", DATETIME, default=None)
    ended_at: datetime | None = member("endedAt", DATETIME, default=None)
    log_group: str | None = member("log.options.logGroupName", default=None)
    log_stream: str | None = member("log.options.logStreamName", default=None)
    host_name: str | None = member("hostProperties.hostName", default=None)
    ip_addresses: tuple[str, ...] = member("hostProperties.ipAddresses", IP_ADDRESSES, default=())


@declared
@dataclass(frozen=True)
class Worker(Cacheable):
    """GetWorker's answer (the members triage shows)."""

    farm_id: str = member("farmId", required=True)
    fleet_id: str = member("fleetId", required=True)
    worker_id: str = member("workerId", required=True)
    status: str = member("status", missing="")
    host_name: str | None = member("hostProperties.hostName", default=None)
    ip_addresses: tuple[str, ...] = member("hostProperties.ipAddresses", IP_ADDRESSES, default=())
    instance_type: str | None = member("hostProperties.ec2InstanceType", default=None)

    @property
    def is_unhealthy(self) -> bool:
        return self.status in {"NOT_RESPONDING", "NOT_COMPATIBLE", "STOPPING", "STOPPED"}


@declared
@dataclass(frozen=True)
class Fleet(Cacheable):
    """GetFleet's answer: only its name matters here."""

    fleet_id: str = member("fleetId", required=True)
    display_name: str = member("displayName", required=True)


_ERROR_LINE = re.compile(
    r"\b(ERROR|FATAL|CRITICAL|Traceback|Segmentation fault|FAILED)\b"
    r"|exit code: -?[1-9]|terminated by signal",
)
_WARNING_LINE = re.compile(r"\bWARN(ING)?\b")


def _event_time(event: Mapping[str, Any]) -> datetime:
    """An event's time; CloudWatch's model requires none, so a missing or broken one reads as
    the epoch rather than dropping the line."""
    try:
        return datetime.fromtimestamp(int(event["timestamp"]) / 1000, tz=UTC)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return datetime.fromtimestamp(0, tz=UTC)


@declared
@dataclass(frozen=True)
class LogLine:
    """One CloudWatch log event."""

    timestamp: datetime = member(
        "", Conv(_event_time, lambda line: {"timestamp": line.epoch_ms}, whole=True)
    )
    message: str = member("message", STR, missing="")

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


@declared
@dataclass(frozen=True)
class LogPage(Cacheable):
    """A page of a session log: lines oldest first, the tokens to page on, and whether
    earlier lines exist inside the window."""

    lines: tuple[LogLine, ...] = member("events", many(LogLine), missing=())
    forward_token: str | None = member("nextForwardToken")
    backward_token: str | None = member("nextBackwardToken")
    has_earlier: bool = member("hasEarlier", BOOL, missing=False)
