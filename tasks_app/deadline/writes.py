"""The three writes the dashboard sends, and what is known of how the service applies them.

Sources: botocore's model (UpdateTask/UpdateStep/UpdateJob: PATCH, ``X-Amz-Client-Token``
idempotency header of 1..64 characters, job priority 0..100) and the official ``deadline``
CLI 0.60 (``client/cli/_groups/job_group.py``):

- ``job requeue-tasks`` requeues with ``UpdateTask(targetRunStatus="PENDING")``, one call per
  task whose run status is in the chosen set (default FAILED, CANCELED, SUSPENDED; offered:
  SUSPENDED, CANCELED, FAILED, SUCCEEDED, NOT_COMPATIBLE), on a client of its own with
  ``retries={"mode": "adaptive", "total_max_attempts": 5}``.
- ``job cancel --mark-as CANCELED|SUSPENDED|FAILED|SUCCEEDED`` sends one
  ``UpdateJob(targetTaskRunStatus=...)``: "the status to apply to all active tasks in the job".

Assumed (no public source says which tasks a step- or job-wide update touches): "all active
tasks" means every task that has not finished (not SUCCEEDED, FAILED, CANCELED or
NOT_COMPATIBLE) and does not already have the target; a step- or job-wide requeue touches the
settled ones. The dashboard therefore uses UpdateStep/UpdateJob only when the operator chose
exactly that set, and UpdateTask per task otherwise, so it never changes a task the preview
did not count.
"""

from __future__ import annotations

import uuid

from .calls import write
from .types import TaskRunStatus

S = TaskRunStatus
#: Finished: no change without someone acting.
TERMINAL = frozenset({S.SUCCEEDED, S.FAILED, S.CANCELED, S.NOT_COMPATIBLE})
#: Not finished (the CLI's "active tasks"): queued, running, being interrupted or suspended.
UNFINISHED = frozenset(set(S.known()) - TERMINAL)
#: What ``deadline job requeue-tasks`` can requeue: finished or suspended.
SETTLED = TERMINAL | {S.SUSPENDED}
#: Queued already: requeueing them changes nothing.
QUEUED = frozenset({S.PENDING, S.READY})

#: The model's ClientToken length limit.
CLIENT_TOKEN_MAX = 64


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
