"""The current run status of given tasks, fresh from the API: BatchGetTask, 100 tasks a call
(per-task GetTask where the account refuses it). Planning a failure group and the executor's
re-read before each batch both ask this."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...deadline import writes
from ...deadline.calls import call
from ...deadline.errors import AccessDenied, InvalidRequest, NotFound, Unavailable
from ...deadline.resilience import ContextThreadPoolExecutor, read_pool
from ...deadline.types import Task
from . import refusals

#: BatchGetTask's limit (the model's BatchGetTaskIdentifiers: 1..100).
BATCH_GET_MAX = 100
#: BatchGetTask calls at once when many tasks are read (a confirmation of thousands): as many
#: as an action's writes in flight (DASHBOARD_ACTION_CONCURRENCY's default), so a confirmation
#: of 1,000 tasks is one round trip.
PARALLEL_READS = 16


@dataclass(frozen=True)
class TaskRef:
    """Where a task is: its job's IDs, its step and itself."""

    farm_id: str
    queue_id: str
    job_id: str
    step_id: str
    task_id: str

    def identifier(self) -> dict[str, str]:
        return {
            "farmId": self.farm_id,
            "queueId": self.queue_id,
            "jobId": self.job_id,
            "stepId": self.step_id,
            "taskId": self.task_id,
        }


@dataclass(frozen=True)
class Reading:
    """What the API said of each task asked for: its Task, or why not (``gone``: it does not
    exist any more; ``unknown``: not read this time, ask again)."""

    tasks: dict[str, Task]
    gone: dict[str, str]
    unknown: dict[str, str]


def read_tasks(refs: Sequence[TaskRef]) -> Reading:
    """The tasks ``refs`` name, fresh (no cache); several BatchGetTask calls at once on the
    read pool. Raises Unavailable (and other domain errors) when a whole call fails; per-task
    errors are in the answer."""
    reading = Reading({}, {}, {})
    chunks = [refs[i : i + BATCH_GET_MAX] for i in range(0, len(refs), BATCH_GET_MAX)]
    if len(chunks) == 1:
        answers = [_batch_get(chunks[0])]
    else:
        # A pool of its own: the shared read pool may be busy with a failures analysis, and
        # a confirmation should not queue behind it.
        with ContextThreadPoolExecutor(
            max_workers=min(PARALLEL_READS, len(chunks)), thread_name_prefix="action-read"
        ) as pool:
            answers = list(pool.map(_batch_get, chunks))
    for chunk, answer in zip(chunks, answers, strict=True):
        if answer is None:  # refused: one GetTask per task
            _read_one_by_one(chunk, reading)
            continue
        for raw in answer.get("tasks") or ():
            task = Task.from_api(raw)
            reading.tasks[task.task_id] = task
        for error in answer.get("errors") or ():
            task_id, code = str(error.get("taskId", "")), str(error.get("code", ""))
            message = f"{code}: {error.get('message', '')}"
            if code == "ResourceNotFoundException":
                reading.gone[task_id] = message
            else:
                reading.unknown[task_id] = message
    return reading


def _batch_get(chunk: Sequence[TaskRef]) -> dict[str, Any] | None:
    """One BatchGetTask; None when this backend refuses the operation (remembered)."""
    if refusals.refused("BatchGetTask"):
        return None
    try:
        return call("BatchGetTask", identifiers=[ref.identifier() for ref in chunk])
    except (AccessDenied, InvalidRequest, NotFound) as exc:
        if not writes.is_refusal(exc):
            raise
        refusals.remember("BatchGetTask", exc)
        return None


def _read_one_by_one(refs: Sequence[TaskRef], reading: Reading) -> None:
    """GetTask per task, concurrently on the read pool: for accounts that refuse BatchGetTask."""
    futures = [(ref, read_pool().submit(call, "GetTask", **ref.identifier())) for ref in refs]
    for ref, future in futures:
        try:
            reading.tasks[ref.task_id] = Task.from_api(future.result())
        except NotFound as exc:
            reading.gone[ref.task_id] = exc.message
        except Unavailable as exc:
            reading.unknown[ref.task_id] = exc.message
