"""The resources the task pages show, built from GetTask, GetFarm, GetQueue, GetJob and GetStep
answers (and the search summaries of tasks, jobs and steps): each member declared once, on
its field (see ``codec``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .codec import DATETIME, INT, STR, Cacheable, Computed, Conv, declared, many, member
from .parameters import JOB_PARAMETERS, PARAMETERS, AttachmentRoot, TaskParameter
from .task_status import STATUS, STATUS_COUNTS, TaskRunStatus

_EPOCH = datetime.fromtimestamp(0, tz=UTC)


class _TaskRun:
    """Behaviour shared by a task (GetTask) and a task row (SearchTasks)."""

    run_status: TaskRunStatus
    failure_retry_count: int | None
    started_at: datetime | None
    ended_at: datetime | None

    @property
    def is_terminal(self) -> bool:
        return self.run_status.is_terminal

    @property
    def retries(self) -> int:
        return self.failure_retry_count or 0

    def duration(self, now: datetime) -> timedelta | None:
        """Run time: started -> ended, or started -> ``now`` while not ended."""
        if self.started_at is None:
            return None
        return max((self.ended_at or now) - self.started_at, timedelta(0))


@declared
@dataclass(frozen=True)
class Task(_TaskRun, Cacheable):
    """GetTask's answer."""

    task_id: str = member("taskId", required=True)
    run_status: TaskRunStatus = member("runStatus", STATUS, required=True)
    created_at: datetime = member("createdAt", DATETIME, required=True, missing=_EPOCH)
    created_by: str = member("createdBy", required=True)
    target_run_status: TaskRunStatus | None = member("targetRunStatus", STATUS, default=None)
    failure_retry_count: int | None = member("failureRetryCount", INT, default=None)
    started_at: datetime | None = member("startedAt", DATETIME, default=None)
    ended_at: datetime | None = member("endedAt", DATETIME, default=None)
    updated_at: datetime | None = member("updatedAt", DATETIME, default=None)
    updated_by: str | None = member("updatedBy", default=None)
    latest_session_action_id: str | None = member("latestSessionActionId", default=None)
    parameters: tuple[TaskParameter, ...] = member("parameters", PARAMETERS, default=())

    @property
    def shows_target(self) -> bool:
        """The target run status is set and differs from the current one."""
        return self.target_run_status is not None and self.target_run_status != self.run_status


def _task_index(task_id: str) -> int | None:
    head, _, index = task_id.rpartition("-")
    return int(index) if head and index.isdigit() else None


@declared
@dataclass(frozen=True)
class TaskSummary(_TaskRun, Cacheable):
    """One row of SearchTasks' or ListTasks' answer (no createdAt/createdBy)."""

    task_id: str = member("taskId", STR, falsy=True, missing="")
    run_status: TaskRunStatus = member("runStatus", STATUS, missing=TaskRunStatus.UNKNOWN)
    step_id: str | None = member("stepId", default=None)
    target_run_status: TaskRunStatus | None = member("targetRunStatus", STATUS, default=None)
    failure_retry_count: int | None = member("failureRetryCount", INT, default=None)
    started_at: datetime | None = member("startedAt", DATETIME, default=None)
    ended_at: datetime | None = member("endedAt", DATETIME, default=None)
    updated_at: datetime | None = member("updatedAt", DATETIME, default=None)
    updated_by: str | None = member("updatedBy", default=None)
    latest_session_action_id: str | None = member("latestSessionActionId", default=None)
    parameters: tuple[TaskParameter, ...] = member("parameters", PARAMETERS, default=())

    @property
    def index(self) -> int | None:
        """The task's index within its step (the ID's numeric suffix)."""
        return _task_index(self.task_id)

    @property
    def parameter_summary(self) -> str:
        """``Frame=1042`` (several parameters comma-separated), or "" without parameters."""
        return ", ".join(f"{p.name}={p.value}" for p in self.parameters)


@declared
@dataclass(frozen=True)
class Farm(Cacheable):
    """GetFarm's answer (the members the dashboard shows)."""

    farm_id: str = member("farmId", required=True)
    display_name: str = member("displayName", required=True)
    created_at: datetime | None = member("createdAt", DATETIME, default=None)
    created_by: str | None = member("createdBy", default=None)
    updated_at: datetime | None = member("updatedAt", DATETIME, default=None)
    updated_by: str | None = member("updatedBy", default=None)
    description: str | None = member("description", default=None)

    @property
    def name(self) -> str:
        return self.display_name


@declared
@dataclass(frozen=True)
class Queue(Cacheable):
    """GetQueue's answer (the members the dashboard shows)."""

    farm_id: str = member("farmId", required=True)
    queue_id: str = member("queueId", required=True)
    display_name: str = member("displayName", required=True)
    status: str | None = member("status", default=None)
    blocked_reason: str | None = member("blockedReason", default=None)
    default_budget_action: str | None = member("defaultBudgetAction", default=None)
    created_at: datetime | None = member("createdAt", DATETIME, default=None)
    created_by: str | None = member("createdBy", default=None)
    updated_at: datetime | None = member("updatedAt", DATETIME, default=None)
    updated_by: str | None = member("updatedBy", default=None)
    description: str | None = member("description", default=None)

    @property
    def name(self) -> str:
        return self.display_name


@dataclass(frozen=True, kw_only=True)
class _WorkItem(Cacheable):
    """Members jobs and steps share: lifecycle, aggregate run status, counts, times. Search
    summaries require no member at all: a missing name shows the ID instead."""

    name: str = member("name", STR, falsy=True, missing="", or_field=("job_id", "step_id"))
    lifecycle_status: str = member("lifecycleStatus", STR, falsy=True, missing="")
    lifecycle_status_message: str | None = member("lifecycleStatusMessage", default=None)
    task_run_status: TaskRunStatus | None = member("taskRunStatus", STATUS, default=None)
    target_task_run_status: TaskRunStatus | None = member(
        "targetTaskRunStatus", STATUS, default=None
    )
    task_run_status_counts: tuple[tuple[TaskRunStatus, int], ...] = member(
        "taskRunStatusCounts", STATUS_COUNTS, default=()
    )
    task_failure_retry_count: int | None = member("taskFailureRetryCount", INT, default=None)
    created_at: datetime | None = member("createdAt", DATETIME, default=None)
    created_by: str | None = member("createdBy", default=None)
    updated_at: datetime | None = member("updatedAt", DATETIME, default=None)
    updated_by: str | None = member("updatedBy", default=None)
    started_at: datetime | None = member("startedAt", DATETIME, default=None)
    ended_at: datetime | None = member("endedAt", DATETIME, default=None)
    description: str | None = member("description", default=None)

    @property
    def status_counts(self) -> dict[TaskRunStatus, int]:
        return dict(self.task_run_status_counts)

    @property
    def total_tasks(self) -> int:
        return sum(count for _, count in self.task_run_status_counts)


def _file_system(answer: Any) -> str | None:
    """An answer's attachments without a ``fileSystem`` use the default, COPIED."""
    return "COPIED" if answer.get("attachments") else None


@declared
@dataclass(frozen=True, kw_only=True)
class Job(_WorkItem):
    """GetJob's answer (the members the dashboard shows)."""

    job_id: str = member("jobId", STR, falsy=True, missing="")
    priority: int | None = member("priority", INT, default=None)
    max_failed_tasks_count: int | None = member("maxFailedTasksCount", default=None)
    max_retries_per_task: int | None = member("maxRetriesPerTask", default=None)
    max_worker_count: int | None = member("maxWorkerCount", default=None)
    source_job_id: str | None = member("sourceJobId", default=None)
    parameters: tuple[TaskParameter, ...] = member("parameters", JOB_PARAMETERS, default=())
    storage_profile_id: str | None = member("storageProfileId", default=None)
    # COPIED | VIRTUAL; None: no attachments
    attachments_file_system: str | None = member(
        "attachments.fileSystem", default=None, falsy=True, missing=Computed(_file_system)
    )
    attachment_roots: tuple[AttachmentRoot, ...] = member(
        "attachments.manifests", many(AttachmentRoot), default=()
    )


@declared
@dataclass(frozen=True, kw_only=True)
class Step(_WorkItem):
    """GetStep's answer (the members the dashboard shows)."""

    step_id: str = member("stepId", STR, falsy=True, missing="")


def _space(answer: Any) -> list[Any]:
    space = (answer.get("parameterSpace") or {}).get("parameters") or []
    return [p for p in space if p.get("name")]


def _space_to_api(step: StepDetail) -> dict[str, Any] | None:
    if not step.parameter_names:
        return None
    types = step.parameter_types or ("",) * len(step.parameter_names)
    parameters = [
        {"name": n, **({"type": t} if t else {})}
        for n, t in zip(step.parameter_names, types, strict=True)
    ]
    return {"parameterSpace": {"parameters": parameters}}


@declared
@dataclass(frozen=True, kw_only=True)
class StepDetail(Step):
    """GetStep's answer with the names of the step's task parameters (its parameterSpace)."""

    parameter_names: tuple[str, ...] = member(
        "",
        Conv(lambda a: tuple(str(p["name"]) for p in _space(a)), _space_to_api, whole=True),
        default=(),
    )
    # Each parameter's type (INT, FLOAT, STRING, PATH, CHUNK_INT; "" when not given), in order.
    parameter_types: tuple[str, ...] = member(
        "",
        Conv(lambda a: tuple(str(p.get("type") or "") for p in _space(a)), whole=True),
        default=(),
    )


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
