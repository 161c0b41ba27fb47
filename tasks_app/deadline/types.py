"""Frozen dataclasses built from Deadline Cloud API answers; raw dicts stop at this boundary.

Each type has ``from_api(answer)`` (a botocore answer: datetimes already parsed) and an
explicit, compact ``to_cache()`` that gives back an API-shaped, JSON-able dict (timestamps as
ISO 8601 strings, absent members omitted); ``from_cache`` is ``from_api`` on that dict. Cache
entries therefore never hold pickled botocore objects and survive a process or host change.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cached_property
from typing import Any, Self

# --- Statuses ----------------------------------------------------------------------------------


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


# --- Conversions -------------------------------------------------------------------------------


def parse_datetime(value: datetime | str | None) -> datetime | None:
    """An aware UTC datetime from a botocore datetime or an ISO 8601 string (cache form)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_datetime(value: datetime | None) -> str | None:
    """The compact cache form of a datetime: ``2026-11-20T10:05:00.123Z``."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def compact(members: Mapping[str, Any]) -> dict[str, Any]:
    """The members that are set: absent members stay absent in the cache form."""
    return {key: value for key, value in members.items() if value is not None}


def _counts(answer: Mapping[str, Any]) -> tuple[tuple[TaskRunStatus, int], ...]:
    """Status counts; keys read case-insensitively (``failed`` and ``FAILED`` are one status),
    unknown statuses and unreadable counts left out."""
    raw = answer.get("taskRunStatusCounts") or {}
    counts: dict[TaskRunStatus, int] = {}
    for name, count in raw.items():
        status = TaskRunStatus.parse(str(name).strip().upper())
        try:
            number = int(count)
        except (TypeError, ValueError):
            continue
        if status is not TaskRunStatus.UNKNOWN and number >= 0:
            counts[status] = counts.get(status, 0) + number
    return tuple(sorted(counts.items()))


def _optional_status(value: str | None) -> TaskRunStatus | None:
    return None if value is None else TaskRunStatus.parse(value)


# --- Parameters --------------------------------------------------------------------------------

PARAMETER_TYPES = ("int", "float", "string", "path", "chunkInt")
_CHUNK_ITEM = re.compile(r"(-?\d+)(?:-(-?\d+)(?::(\d+))?)?")
_MAX_CHUNK_ITEMS = 1000


def chunk_frame_count(expression: str) -> int | None:
    """Number of integers in an OpenJD chunk expression (``1-10``, ``1-3,5,7-20:2``), or None.

    Ranges are inclusive; the count is computed, never by expanding the range.
    """
    items = [item.strip() for item in expression.split(",")]
    if not items or len(items) > _MAX_CHUNK_ITEMS:
        return None
    total = 0
    for item in items:
        match = _CHUNK_ITEM.fullmatch(item)
        if match is None:
            return None
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) is not None else start
        step = int(match.group(3)) if match.group(3) is not None else 1
        if step < 1 or end < start:
            return None
        total += (end - start) // step + 1
    return total


@dataclass(frozen=True)
class TaskParameter:
    """One task parameter: ``type`` is the union member the API used (int, float, ...)."""

    name: str
    type: str
    value: str

    @classmethod
    def from_api(cls, name: str, union: Mapping[str, Any]) -> TaskParameter:
        for kind in PARAMETER_TYPES:
            if kind in union:
                return cls(name=name, type=kind, value=str(union[kind]))
        # An unknown union member from a newer API: keep it visible rather than dropping it.
        kind, value = next(iter(union.items()), ("unknown", ""))
        return cls(name=name, type=str(kind), value=str(value))

    def to_api(self) -> dict[str, str]:
        return {self.type: self.value}

    @property
    def frame_count(self) -> int | None:
        """For chunkInt: how many integers (frames) the chunk holds, when parseable."""
        if self.type != "chunkInt":
            return None
        return chunk_frame_count(self.value)

    @property
    def is_monospace(self) -> bool:
        return self.type in {"int", "float", "path", "chunkInt"}


def _parameters(answer: Mapping[str, Any]) -> tuple[TaskParameter, ...]:
    raw = answer.get("parameters") or {}
    return tuple(TaskParameter.from_api(name, raw[name]) for name in sorted(raw))


def _parameters_to_api(parameters: tuple[TaskParameter, ...]) -> dict[str, dict[str, str]] | None:
    return {p.name: p.to_api() for p in parameters} or None


def _list_text(value: Any) -> str:
    """A list-typed job parameter (stringList, intListList...) as one line of text."""
    if isinstance(value, list):
        return ", ".join(
            "[" + ", ".join(map(str, item)) + "]" if isinstance(item, list) else str(item)
            for item in value
        )
    return str(value)


def _job_parameters(answer: Mapping[str, Any]) -> tuple[TaskParameter, ...]:
    """A job's parameters (the JobParameter union: int, float, string, path, bool, rangeExpr
    and the list types), each as its member and its value as text."""
    raw = answer.get("parameters") or {}
    found = []
    for name in sorted(raw):
        kind, value = next(iter((raw[name] or {}).items()), ("unknown", ""))
        found.append(TaskParameter(name=name, type=str(kind), value=_list_text(value)))
    return tuple(found)


@dataclass(frozen=True)
class AttachmentRoot:
    """One root of a job's attachments (ManifestProperties): where inputs were uploaded from
    and where outputs are written, relative to it."""

    root_path: str
    path_format: str
    location: str | None = None
    outputs: tuple[str, ...] = ()
    input_manifest: str | None = None

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> AttachmentRoot:
        return cls(
            root_path=str(answer.get("rootPath") or ""),
            path_format=str(answer.get("rootPathFormat") or ""),
            location=answer.get("fileSystemLocationName"),
            outputs=tuple(answer.get("outputRelativeDirectories") or ()),
            input_manifest=answer.get("inputManifestPath"),
        )

    def to_api(self) -> dict[str, Any]:
        return compact(
            {
                "rootPath": self.root_path,
                "rootPathFormat": self.path_format,
                "fileSystemLocationName": self.location,
                "outputRelativeDirectories": list(self.outputs) or None,
                "inputManifestPath": self.input_manifest,
            }
        )


# --- Resources ---------------------------------------------------------------------------------


class Cacheable:
    """Base of every type built from an answer: ``from_api``/``to_cache`` (overridden),
    ``from_cache`` and ``version``. ``cache.cached_read`` stores and rebuilds these."""

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> Self:  # pragma: no cover - overridden
        raise NotImplementedError

    def to_cache(self) -> dict[str, Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    @classmethod
    def from_cache(cls, data: Mapping[str, Any]) -> Self:
        return cls.from_api(data)

    @cached_property
    def version(self) -> str:
        """A short digest of the content: equal versions render identically."""
        text = json.dumps(self.to_cache(), sort_keys=True, separators=(",", ":"))
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _task_run_members(answer: Mapping[str, Any]) -> dict[str, Any]:
    """The members GetTask and SearchTasks share (status target, retries, timings,
    parameters), as dataclass keyword arguments."""
    retries = answer.get("failureRetryCount")
    return {
        "target_run_status": _optional_status(answer.get("targetRunStatus")),
        "failure_retry_count": None if retries is None else int(retries),
        "started_at": parse_datetime(answer.get("startedAt")),
        "ended_at": parse_datetime(answer.get("endedAt")),
        "updated_at": parse_datetime(answer.get("updatedAt")),
        "updated_by": answer.get("updatedBy"),
        "latest_session_action_id": answer.get("latestSessionActionId"),
        "parameters": _parameters(answer),
    }


class _TaskRun:
    """Behaviour shared by a task (GetTask) and a task row (SearchTasks)."""

    run_status: TaskRunStatus
    target_run_status: TaskRunStatus | None
    failure_retry_count: int | None
    started_at: datetime | None
    ended_at: datetime | None
    updated_at: datetime | None
    updated_by: str | None
    latest_session_action_id: str | None
    parameters: tuple[TaskParameter, ...]

    def _run_to_api(self) -> dict[str, Any]:
        return {
            "targetRunStatus": self.target_run_status and self.target_run_status.value,
            "failureRetryCount": self.failure_retry_count,
            "startedAt": format_datetime(self.started_at),
            "endedAt": format_datetime(self.ended_at),
            "updatedAt": format_datetime(self.updated_at),
            "updatedBy": self.updated_by,
            "latestSessionActionId": self.latest_session_action_id,
            "parameters": _parameters_to_api(self.parameters),
        }

    @property
    def is_terminal(self) -> bool:
        return self.run_status.is_terminal

    @property
    def retries(self) -> int:
        return self.failure_retry_count or 0


@dataclass(frozen=True)
class Task(_TaskRun, Cacheable):
    """GetTask's answer."""

    task_id: str
    run_status: TaskRunStatus
    created_at: datetime
    created_by: str
    target_run_status: TaskRunStatus | None = None
    failure_retry_count: int | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None
    latest_session_action_id: str | None = None
    parameters: tuple[TaskParameter, ...] = field(default=())

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> Task:
        created_at = parse_datetime(answer["createdAt"]) or datetime.fromtimestamp(0, tz=UTC)
        return cls(
            task_id=answer["taskId"],
            run_status=TaskRunStatus.parse(answer["runStatus"]),
            created_at=created_at,
            created_by=answer["createdBy"],
            **_task_run_members(answer),
        )

    def to_cache(self) -> dict[str, Any]:
        return compact(
            {
                "taskId": self.task_id,
                "runStatus": self.run_status.value,
                "createdAt": format_datetime(self.created_at),
                "createdBy": self.created_by,
                **self._run_to_api(),
            }
        )

    @property
    def shows_target(self) -> bool:
        """The target run status is set and differs from the current one."""
        return self.target_run_status is not None and self.target_run_status != self.run_status

    def duration(self, now: datetime) -> timedelta | None:
        """Run time: started -> ended, or started -> ``now`` while not ended."""
        if self.started_at is None:
            return None
        return max((self.ended_at or now) - self.started_at, timedelta(0))


@dataclass(frozen=True)
class Farm(Cacheable):
    """GetFarm's answer (the members the dashboard shows)."""

    farm_id: str
    display_name: str
    created_at: datetime | None = None
    created_by: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None
    description: str | None = None

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> Farm:
        return cls(
            farm_id=answer["farmId"],
            display_name=answer["displayName"],
            created_at=parse_datetime(answer.get("createdAt")),
            created_by=answer.get("createdBy"),
            updated_at=parse_datetime(answer.get("updatedAt")),
            updated_by=answer.get("updatedBy"),
            description=answer.get("description"),
        )

    def to_cache(self) -> dict[str, Any]:
        return compact(
            {
                "farmId": self.farm_id,
                "displayName": self.display_name,
                "createdAt": format_datetime(self.created_at),
                "createdBy": self.created_by,
                "updatedAt": format_datetime(self.updated_at),
                "updatedBy": self.updated_by,
                "description": self.description,
            }
        )

    @property
    def name(self) -> str:
        return self.display_name


@dataclass(frozen=True)
class Queue(Cacheable):
    """GetQueue's answer (the members the dashboard shows)."""

    farm_id: str
    queue_id: str
    display_name: str
    status: str | None = None
    blocked_reason: str | None = None
    default_budget_action: str | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None
    description: str | None = None

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> Queue:
        return cls(
            farm_id=answer["farmId"],
            queue_id=answer["queueId"],
            display_name=answer["displayName"],
            status=answer.get("status"),
            blocked_reason=answer.get("blockedReason"),
            default_budget_action=answer.get("defaultBudgetAction"),
            created_at=parse_datetime(answer.get("createdAt")),
            created_by=answer.get("createdBy"),
            updated_at=parse_datetime(answer.get("updatedAt")),
            updated_by=answer.get("updatedBy"),
            description=answer.get("description"),
        )

    def to_cache(self) -> dict[str, Any]:
        return compact(
            {
                "farmId": self.farm_id,
                "queueId": self.queue_id,
                "displayName": self.display_name,
                "status": self.status,
                "blockedReason": self.blocked_reason,
                "defaultBudgetAction": self.default_budget_action,
                "createdAt": format_datetime(self.created_at),
                "createdBy": self.created_by,
                "updatedAt": format_datetime(self.updated_at),
                "updatedBy": self.updated_by,
                "description": self.description,
            }
        )

    @property
    def name(self) -> str:
        return self.display_name


@dataclass(frozen=True, kw_only=True)
class _WorkItem(Cacheable):
    """Members jobs and steps share: lifecycle, aggregate run status, counts, times."""

    name: str
    lifecycle_status: str
    lifecycle_status_message: str | None = None
    task_run_status: TaskRunStatus | None = None
    target_task_run_status: TaskRunStatus | None = None
    task_run_status_counts: tuple[tuple[TaskRunStatus, int], ...] = field(default=())
    task_failure_retry_count: int | None = None
    created_at: datetime | None = None
    created_by: str | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    description: str | None = None

    @staticmethod
    def _common(answer: Mapping[str, Any], resource_id: str = "") -> dict[str, Any]:
        # Search summaries require no member at all: a missing name shows the ID instead.
        retries = answer.get("taskFailureRetryCount")
        return {
            "name": str(answer.get("name") or resource_id),
            "lifecycle_status": str(answer.get("lifecycleStatus") or ""),
            "lifecycle_status_message": answer.get("lifecycleStatusMessage"),
            "task_run_status": _optional_status(answer.get("taskRunStatus")),
            "target_task_run_status": _optional_status(answer.get("targetTaskRunStatus")),
            "task_run_status_counts": _counts(answer),
            "task_failure_retry_count": None if retries is None else int(retries),
            "created_at": parse_datetime(answer.get("createdAt")),
            "created_by": answer.get("createdBy"),
            "updated_at": parse_datetime(answer.get("updatedAt")),
            "updated_by": answer.get("updatedBy"),
            "started_at": parse_datetime(answer.get("startedAt")),
            "ended_at": parse_datetime(answer.get("endedAt")),
            "description": answer.get("description"),
        }

    def _common_to_cache(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "lifecycleStatus": self.lifecycle_status,
            "lifecycleStatusMessage": self.lifecycle_status_message,
            "taskRunStatus": self.task_run_status and self.task_run_status.value,
            "targetTaskRunStatus": self.target_task_run_status
            and self.target_task_run_status.value,
            "taskRunStatusCounts": {s.value: n for s, n in self.task_run_status_counts} or None,
            "taskFailureRetryCount": self.task_failure_retry_count,
            "createdAt": format_datetime(self.created_at),
            "createdBy": self.created_by,
            "updatedAt": format_datetime(self.updated_at),
            "updatedBy": self.updated_by,
            "startedAt": format_datetime(self.started_at),
            "endedAt": format_datetime(self.ended_at),
            "description": self.description,
        }

    @property
    def status_counts(self) -> dict[TaskRunStatus, int]:
        return dict(self.task_run_status_counts)

    @property
    def total_tasks(self) -> int:
        return sum(count for _, count in self.task_run_status_counts)


@dataclass(frozen=True, kw_only=True)
class Job(_WorkItem):
    """GetJob's answer (the members the dashboard shows)."""

    job_id: str
    priority: int | None = None
    max_failed_tasks_count: int | None = None
    max_retries_per_task: int | None = None
    max_worker_count: int | None = None
    source_job_id: str | None = None
    parameters: tuple[TaskParameter, ...] = field(default=())
    storage_profile_id: str | None = None
    attachments_file_system: str | None = None  # COPIED | VIRTUAL; None: no attachments
    attachment_roots: tuple[AttachmentRoot, ...] = field(default=())

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> Job:
        priority = answer.get("priority")
        job_id = str(answer.get("jobId") or "")
        attachments = answer.get("attachments") or {}
        return cls(
            job_id=job_id,
            priority=None if priority is None else int(priority),
            max_failed_tasks_count=answer.get("maxFailedTasksCount"),
            max_retries_per_task=answer.get("maxRetriesPerTask"),
            max_worker_count=answer.get("maxWorkerCount"),
            source_job_id=answer.get("sourceJobId"),
            parameters=_job_parameters(answer),
            storage_profile_id=answer.get("storageProfileId"),
            attachments_file_system=attachments.get("fileSystem")
            or ("COPIED" if attachments else None),
            attachment_roots=tuple(
                AttachmentRoot.from_api(m) for m in attachments.get("manifests") or ()
            ),
            **cls._common(answer, job_id),
        )

    def to_cache(self) -> dict[str, Any]:
        return compact(
            {
                "jobId": self.job_id,
                "priority": self.priority,
                "maxFailedTasksCount": self.max_failed_tasks_count,
                "maxRetriesPerTask": self.max_retries_per_task,
                "maxWorkerCount": self.max_worker_count,
                "sourceJobId": self.source_job_id,
                "parameters": _parameters_to_api(self.parameters),
                "storageProfileId": self.storage_profile_id,
                "attachments": (
                    {
                        "fileSystem": self.attachments_file_system,
                        "manifests": [root.to_api() for root in self.attachment_roots],
                    }
                    if self.attachments_file_system
                    else None
                ),
                **self._common_to_cache(),
            }
        )


@dataclass(frozen=True, kw_only=True)
class Step(_WorkItem):
    """GetStep's answer (the members the dashboard shows)."""

    step_id: str

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> Step:
        step_id = str(answer.get("stepId") or "")
        return cls(step_id=step_id, **cls._common(answer, step_id))

    def to_cache(self) -> dict[str, Any]:
        return compact({"stepId": self.step_id, **self._common_to_cache()})


# --- Paths -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskPath:
    """The five IDs that locate a task; the API (and our URL) always needs all of them."""

    farm_id: str
    queue_id: str
    job_id: str
    step_id: str
    task_id: str

    def as_kwargs(self) -> dict[str, str]:
        return {
            "farm_id": self.farm_id,
            "queue_id": self.queue_id,
            "job_id": self.job_id,
            "step_id": self.step_id,
            "task_id": self.task_id,
        }

    @property
    def cli_command(self) -> str:
        """The equivalent ``aws deadline get-task`` command line."""
        return (
            f"aws deadline get-task --farm-id {self.farm_id} --queue-id {self.queue_id} "
            f"--job-id {self.job_id} --step-id {self.step_id} --task-id {self.task_id}"
        )


# --- Browse ------------------------------------------------------------------------------------
# List and search answers for the browse pages and the navigation form. Each is cached whole
# (one entry per API answer), so ``to_cache`` keeps the API's own member names.


def _task_index(task_id: str) -> int | None:
    head, _, index = task_id.rpartition("-")
    return int(index) if head and index.isdigit() else None


@dataclass(frozen=True)
class TaskSummary(_TaskRun, Cacheable):
    """One row of SearchTasks' answer (a TaskSearchSummary: no createdAt/createdBy)."""

    task_id: str
    run_status: TaskRunStatus
    step_id: str | None = None
    target_run_status: TaskRunStatus | None = None
    failure_retry_count: int | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    updated_at: datetime | None = None
    updated_by: str | None = None
    latest_session_action_id: str | None = None
    parameters: tuple[TaskParameter, ...] = field(default=())

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> TaskSummary:
        return cls(
            task_id=str(answer.get("taskId") or ""),
            run_status=TaskRunStatus.parse(answer.get("runStatus", "UNKNOWN")),
            step_id=answer.get("stepId"),
            **_task_run_members(answer),
        )

    def to_cache(self) -> dict[str, Any]:
        return compact(
            {
                "taskId": self.task_id,
                "runStatus": self.run_status.value,
                "stepId": self.step_id,
                **self._run_to_api(),
            }
        )

    @property
    def index(self) -> int | None:
        """The task's index within its step (the ID's numeric suffix)."""
        return _task_index(self.task_id)

    @property
    def parameter_summary(self) -> str:
        """``Frame=1042`` (several parameters comma-separated), or "" without parameters."""
        return ", ".join(f"{p.name}={p.value}" for p in self.parameters)

    def duration(self, now: datetime) -> timedelta | None:
        if self.started_at is None:
            return None
        return max((self.ended_at or now) - self.started_at, timedelta(0))


@dataclass(frozen=True, kw_only=True)
class StepDetail(Step):
    """GetStep's answer with the names of the step's task parameters (its parameterSpace)."""

    parameter_names: tuple[str, ...] = field(default=())
    # Each parameter's type (INT, FLOAT, STRING, PATH, CHUNK_INT; "" when not given), in order.
    parameter_types: tuple[str, ...] = field(default=())

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> StepDetail:
        space = (answer.get("parameterSpace") or {}).get("parameters") or []
        named = [p for p in space if p.get("name")]
        step_id = str(answer.get("stepId") or "")
        return cls(
            step_id=step_id,
            parameter_names=tuple(str(p["name"]) for p in named),
            parameter_types=tuple(str(p.get("type") or "") for p in named),
            **cls._common(answer, step_id),
        )

    def to_cache(self) -> dict[str, Any]:
        data = super().to_cache()
        if self.parameter_names:
            types = self.parameter_types or ("",) * len(self.parameter_names)
            data["parameterSpace"] = {
                "parameters": [
                    {"name": n, **({"type": t} if t else {})}
                    for n, t in zip(self.parameter_names, types, strict=True)
                ]
            }
        return data


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


@dataclass(frozen=True)
class SearchWindow:
    """Where one page sits in a Search* result (offset-based, 10,000-item window)."""

    offset: int
    page_size: int
    total: int
    shown: int

    @property
    def page(self) -> int:
        return self.offset // self.page_size + 1

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.page_count

    @property
    def first_shown(self) -> int:
        return self.offset + 1 if self.shown else 0

    @property
    def last_shown(self) -> int:
        return self.offset + self.shown


@dataclass(frozen=True)
class FarmList(Cacheable):
    """ListFarms, all pages."""

    farms: tuple[Farm, ...]

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> FarmList:
        farms = (Farm.from_api(item) for item in answer.get("farms") or [])
        return cls(farms=tuple(sorted(farms, key=lambda f: (f.display_name.casefold(), f.farm_id))))

    def to_cache(self) -> dict[str, Any]:
        return {"farms": [farm.to_cache() for farm in self.farms]}


@dataclass(frozen=True)
class QueueList(Cacheable):
    """ListQueues of one farm, all pages."""

    queues: tuple[Queue, ...]

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> QueueList:
        queues = (Queue.from_api(item) for item in answer.get("queues") or [])
        return cls(
            queues=tuple(sorted(queues, key=lambda q: (q.display_name.casefold(), q.queue_id)))
        )

    def to_cache(self) -> dict[str, Any]:
        return {"queues": [queue.to_cache() for queue in self.queues]}


@dataclass(frozen=True)
class StepList(Cacheable):
    """ListSteps of one job, all pages, in the job's order."""

    steps: tuple[Step, ...]

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> StepList:
        steps = (Step.from_api(item) for item in answer.get("steps") or [])
        return cls(steps=tuple(step for step in steps if step.step_id))

    def to_cache(self) -> dict[str, Any]:
        return {"steps": [step.to_cache() for step in self.steps]}


@dataclass(frozen=True)
class JobSearchPage(Cacheable):
    """One page of SearchJobs (``itemOffset``/``pageSize`` kept to place it)."""

    jobs: tuple[Job, ...]
    window: SearchWindow
    notes: tuple[str, ...] = ()  # what the dashboard did that the service did not (fallbacks)

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> JobSearchPage:
        # A summary without its ID cannot be linked to: it is left out.
        jobs = tuple(job for job in map(Job.from_api, answer.get("jobs") or []) if job.job_id)
        return cls(jobs=jobs, window=_window(answer, len(jobs)), notes=_notes(answer))

    def to_cache(self) -> dict[str, Any]:
        return {
            "jobs": [job.to_cache() for job in self.jobs],
            **_window_to_api(self.window),
            **_notes_to_api(self.notes),
        }


@dataclass(frozen=True)
class TaskSearchPage(Cacheable):
    """One page of SearchTasks."""

    tasks: tuple[TaskSummary, ...]
    window: SearchWindow
    notes: tuple[str, ...] = ()  # what the dashboard did that the service did not (fallbacks)

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> TaskSearchPage:
        items = answer.get("tasks") or []
        tasks = tuple(task for task in map(TaskSummary.from_api, items) if task.task_id)
        return cls(tasks=tasks, window=_window(answer, len(tasks)), notes=_notes(answer))

    def to_cache(self) -> dict[str, Any]:
        return {
            "tasks": [task.to_cache() for task in self.tasks],
            **_window_to_api(self.window),
            **_notes_to_api(self.notes),
        }


@dataclass(frozen=True)
class TaskListing(Cacheable):
    """Every task of one step (ListTasks, all pages up to a bound): what the step page sorts and
    filters itself when the account's SearchTasks refuses or ignores a name it needs."""

    tasks: tuple[TaskSummary, ...]
    complete: bool = True

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> TaskListing:
        tasks = (TaskSummary.from_api(item) for item in answer.get("tasks") or [])
        return cls(
            tasks=tuple(task for task in tasks if task.task_id),
            complete=bool(answer.get("complete", True)),
        )

    def to_cache(self) -> dict[str, Any]:
        return {"tasks": [task.to_cache() for task in self.tasks], "complete": self.complete}


@dataclass(frozen=True)
class JobListing(Cacheable):
    """A queue's jobs, newest first, read with confirmed names only (SearchJobs pages up to the
    10,000-item window): what the job list sorts and filters itself as a fallback."""

    jobs: tuple[Job, ...]
    complete: bool = True

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> JobListing:
        jobs = (Job.from_api(item) for item in answer.get("jobs") or [])
        return cls(
            jobs=tuple(job for job in jobs if job.job_id),
            complete=bool(answer.get("complete", True)),
        )

    def to_cache(self) -> dict[str, Any]:
        return {"jobs": [job.to_cache() for job in self.jobs], "complete": self.complete}


def _window(answer: Mapping[str, Any], shown: int) -> SearchWindow:
    return SearchWindow(
        offset=int(answer.get("itemOffset") or 0),
        page_size=max(1, int(answer.get("pageSize") or 100)),
        total=int(answer.get("totalResults") or 0),
        shown=shown,
    )


def _notes(answer: Mapping[str, Any]) -> tuple[str, ...]:
    return tuple(str(note) for note in answer.get("notes") or ())


def _notes_to_api(notes: tuple[str, ...]) -> dict[str, list[str]]:
    return {"notes": list(notes)} if notes else {}


def _window_to_api(window: SearchWindow) -> dict[str, int]:
    return {
        "itemOffset": window.offset,
        "pageSize": window.page_size,
        "totalResults": window.total,
    }
