"""The writes the dashboard sends (UpdateTask/Step/Job, BatchUpdateTask), and what is known
of how the service applies them: each fact beside the code it shapes, with its source
(botocore's model, the official ``deadline`` CLI). How actions use them: docs/actions.md.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .calls import write
from .errors import AccessDenied, DeadlineError
from .types import TaskRunStatus

S = TaskRunStatus

# The official ``deadline`` CLI 0.60 (``client/cli/_groups/job_group.py``):
# - ``job requeue-tasks`` requeues with ``UpdateTask(targetRunStatus="PENDING")``, one call per
#   task whose run status is in the chosen set (default FAILED, CANCELED, SUSPENDED; offered:
#   SUSPENDED, CANCELED, FAILED, SUCCEEDED, NOT_COMPATIBLE), on a client of its own with
#   ``retries={"mode": "adaptive", "total_max_attempts": 5}``.
# - ``job cancel --mark-as CANCELED|SUSPENDED|FAILED|SUCCEEDED`` sends one
#   ``UpdateJob(targetTaskRunStatus=...)``: "the status to apply to all active tasks in the job".
# Assumed (no public source says which tasks a step- or job-wide update touches): "all active
# tasks" means every task that has not finished and does not already have the target; a step-
# or job-wide requeue touches the settled ones. The dashboard therefore uses UpdateStep and
# UpdateJob only when the operator chose exactly that set, and UpdateTask per task otherwise,
# so it never changes a task the preview did not count.

#: Finished: no change without someone acting.
TERMINAL = frozenset({S.SUCCEEDED, S.FAILED, S.CANCELED, S.NOT_COMPATIBLE})
#: Not finished (the CLI's "active tasks"): queued, running, being interrupted or suspended.
UNFINISHED = frozenset(set(S.known()) - TERMINAL)
#: What ``deadline job requeue-tasks`` can requeue: finished or suspended.
SETTLED = TERMINAL | {S.SUSPENDED}
#: Queued already: requeueing them changes nothing.
QUEUED = frozenset({S.PENDING, S.READY})

#: The model's ClientToken length limit (``X-Amz-Client-Token``, the idempotency header).
CLIENT_TOKEN_MAX = 64
#: The model's limit of items per BatchUpdateTask (BatchUpdateTaskItems: 1..100).
BATCH_UPDATE_MAX = 100
#: Per-item error codes that say "not now" rather than "no": the item is sent again later.
TRANSIENT_ITEM_CODES = frozenset({"ThrottlingException", "InternalServerErrorException"})
# What an endpoint that does not know an operation answers (besides a bare 404).
_UNKNOWN_OPERATION_CODES = frozenset(
    {"UnknownOperationException", "UnknownOperation", "InvalidAction", "UnrecognizedOperation"}
)


def scope_wide_statuses(target: TaskRunStatus) -> frozenset[TaskRunStatus]:
    """The run statuses an UpdateStep/UpdateJob to ``target`` changes (assumed; see above)."""
    if target in QUEUED:
        return SETTLED
    return UNFINISHED - {target}


def new_client_token() -> str:
    """A fresh idempotency token: stored with the plan, so a retry or a resumed run sends the
    same one and the service applies the change at most once."""
    return uuid.uuid4().hex


def update_task(
    *,
    farm_id: str,
    queue_id: str,
    job_id: str,
    step_id: str,
    task_id: str,
    target: TaskRunStatus,
    client_token: str,
) -> None:
    """UpdateTask: set one task's target run status (PENDING requeues it)."""
    write(
        "UpdateTask",
        farmId=farm_id,
        queueId=queue_id,
        jobId=job_id,
        stepId=step_id,
        taskId=task_id,
        targetRunStatus=target.value,
        clientToken=client_token,
    )


def update_step(
    *,
    farm_id: str,
    queue_id: str,
    job_id: str,
    step_id: str,
    target: TaskRunStatus,
    client_token: str,
) -> None:
    """UpdateStep: set the target run status of a step's tasks (``scope_wide_statuses``)."""
    write(
        "UpdateStep",
        farmId=farm_id,
        queueId=queue_id,
        jobId=job_id,
        stepId=step_id,
        targetTaskRunStatus=target.value,
        clientToken=client_token,
    )


def update_job(
    *,
    farm_id: str,
    queue_id: str,
    job_id: str,
    client_token: str,
    target: TaskRunStatus | None = None,
    priority: int | None = None,
) -> None:
    """UpdateJob: the target run status of a job's tasks, and/or its priority (0..100)."""
    members: dict[str, object] = {}
    if target is not None:
        members["targetTaskRunStatus"] = target.value
    if priority is not None:
        members["priority"] = priority
    if not members:
        raise ValueError("UpdateJob needs a target run status or a priority")
    write(
        "UpdateJob",
        farmId=farm_id,
        queueId=queue_id,
        jobId=job_id,
        clientToken=client_token,
        **members,
    )


@dataclass(frozen=True)
class TaskUpdate:
    """One item of a BatchUpdateTask: which task."""

    farm_id: str
    queue_id: str
    job_id: str
    step_id: str
    task_id: str


@dataclass(frozen=True)
class ItemError:
    """One entry of a batch answer's ``errors``: the item was not changed."""

    code: str
    message: str

    @property
    def transient(self) -> bool:
        return self.code in TRANSIENT_ITEM_CODES

    @property
    def denied(self) -> bool:
        return self.code == "AccessDeniedException"


def batch_update_tasks(
    *, tasks: Sequence[TaskUpdate], target: TaskRunStatus, client_token: str
) -> dict[str, ItemError]:
    """BatchUpdateTask: set ``target`` on up to 100 tasks in one call; task ID -> error of each
    task not changed (every other task was). Raises like any call when the call itself fails.

    One client token covers the whole call; the answer is 200 even when items fail, each
    failed item an entry of ``errors`` with its code. Older accounts and endpoints refuse the
    operation itself (``is_refusal``): the executor then sends ``UpdateTask`` per task."""
    if not 1 <= len(tasks) <= BATCH_UPDATE_MAX:
        raise ValueError(f"BatchUpdateTask takes 1 to {BATCH_UPDATE_MAX} tasks")
    answer = write(
        "BatchUpdateTask",
        tasks=[
            {
                "farmId": task.farm_id,
                "queueId": task.queue_id,
                "jobId": task.job_id,
                "stepId": task.step_id,
                "taskId": task.task_id,
                "targetRunStatus": target.value,
            }
            for task in tasks
        ],
        clientToken=client_token,
    )
    return {
        str(error.get("taskId", "")): ItemError(
            code=str(error.get("code", "")), message=str(error.get("message", ""))
        )
        for error in answer.get("errors") or ()
    }


def is_refusal(exc: DeadlineError) -> bool:
    """The backend refuses the operation itself, not one item: AccessDeniedException (a policy
    written before the operation existed) or an operation the endpoint does not know (a 404 for the
    whole call, UnknownOperationException, or ValidationException reason UNKNOWN_OPERATION)."""
    if isinstance(exc, AccessDenied):
        return True
    response: Any = getattr(exc.__cause__, "response", None)
    if not isinstance(response, Mapping):
        return False
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in _UNKNOWN_OPERATION_CODES or status == 404:
        return True
    return code == "ValidationException" and response.get("reason") == "UNKNOWN_OPERATION"
