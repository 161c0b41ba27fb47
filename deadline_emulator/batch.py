"""BatchUpdateTask, BatchUpdateJob and BatchGetWorker: the batch versions of UpdateTask,
UpdateJob and GetWorker, as botocore's model shapes them.

Each item is answered as its single call would be, but an item that fails is an entry of
the answer's ``errors`` (its identifiers, ``code`` and ``message``) while the call itself
answers 200: the service's documented contract ("check for batch errors even when the
call returns an HTTP status code of 200"). The wire layer enforces the model's 1..100
items. A batch write's client token covers the whole batch: the same token with the same
items answers the first answer again and changes nothing; the same token with other items
is the ValidationException UpdateTask gives for a reused token.

Item faults (``FaultInjector.item_fault``) strike items one by one: a throttled item is
reported in ``errors`` and left unchanged, the rest of the batch is applied.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from deadline_emulator.exceptions import DeadlineError
from deadline_emulator.service_model import deadline_model

ItemFault = Callable[[str], DeadlineError | None]

_TASK_IDS = ("farmId", "queueId", "jobId", "stepId", "taskId")
_JOB_IDS = ("farmId", "queueId", "jobId")
_WORKER_IDS = ("farmId", "fleetId", "workerId")
# BatchUpdateJobItem members besides the IDs, by UpdateJob keyword.
_JOB_ITEM_MEMBERS = {
    "targetTaskRunStatus": "target_task_run_status",
    "priority": "priority",
    "maxFailedTasksCount": "max_failed_tasks_count",
    "maxRetriesPerTask": "max_retries_per_task",
    "lifecycleStatus": "lifecycle_status",
    "maxWorkerCount": "max_worker_count",
    "name": "name",
    "description": "description",
}

_codes: dict[str, frozenset[str]] = {}


def item_error_codes(operation: str) -> frozenset[str]:
    """The codes a batch operation's per-item errors may carry (the model's enum)."""
    codes = _codes.get(operation)
    if codes is None:
        shape = deadline_model().shapes.get(f"{operation}ErrorCode", {})
        codes = _codes[operation] = frozenset(shape.get("enum", ()))
    return codes


def item_error(operation: str, ids: dict[str, Any], error: DeadlineError) -> dict[str, Any]:
    """One ``errors`` entry; a code the operation's enum lacks becomes an internal error."""
    code = error.code if error.code in item_error_codes(operation) else None
    return {
        **ids,
        "code": code or "InternalServerErrorException",
        "message": error.message,
    }


def _no_fault(operation: str) -> DeadlineError | None:
    return None


class BatchOperations:
    """Mixed into ``DeadlineBackend``: batch writes and BatchGetWorker over its single calls.

    ``item_faults`` is set by the ``Emulator`` to its fault injector's ``item_fault``.
    """

    item_faults: ItemFault = staticmethod(_no_fault)

    # Provided by DeadlineBackend.
    _lock: Any
    _batch_answers: dict[str, dict[str, Any]]  # client token -> the batch's first answer
    _replayed: Callable[..., bool]
    update_task: Callable[..., dict[str, Any]]
    update_job: Callable[..., dict[str, Any]]
    get_worker: Callable[..., dict[str, Any]]

    def _item_fault(self, operation: str) -> None:
        """Raise the fault injected into this item of ``operation``, if any."""
        fault = self.item_faults(operation)
        if fault is not None:
            raise fault

    def _batch_write(
        self,
        operation: str,
        items: list[dict[str, Any]],
        ids: tuple[str, ...],
        client_token: str | None,
        apply: Callable[[dict[str, Any]], None],
    ) -> dict[str, Any]:
        """Apply ``items`` one by one under the lock, once per client token."""
        request = (operation, tuple(tuple(sorted(item.items())) for item in items))
        with self._lock:
            if self._replayed(client_token, request):
                return copy.deepcopy(self._batch_answers[client_token])  # type: ignore[index]
            errors = []
            for item in items:
                item_ids = {key: item[key] for key in ids}
                try:
                    self._item_fault(operation)
                    apply(item)
                except DeadlineError as error:
                    errors.append(item_error(operation, item_ids, error))
            answer = {"errors": errors}
            if client_token is not None:
                self._batch_answers[client_token] = copy.deepcopy(answer)
        return answer

    def batch_update_task(
        self, tasks: list[dict[str, Any]], client_token: str | None = None, **_: Any
    ) -> dict[str, Any]:
        """UpdateTask for up to 100 tasks; each failing task is an entry of ``errors``."""

        def apply(item: dict[str, Any]) -> None:
            self.update_task(
                farm_id=item["farmId"],
                queue_id=item["queueId"],
                job_id=item["jobId"],
                step_id=item["stepId"],
                task_id=item["taskId"],
                target_run_status=item["targetRunStatus"],
                counted_as="BatchUpdateTask",
            )

        return self._batch_write("BatchUpdateTask", tasks, _TASK_IDS, client_token, apply)

    def batch_update_job(
        self, jobs: list[dict[str, Any]], client_token: str | None = None, **_: Any
    ) -> dict[str, Any]:
        """UpdateJob for up to 100 jobs; each failing job is an entry of ``errors``."""

        def apply(item: dict[str, Any]) -> None:
            members = {
                keyword: item[member]
                for member, keyword in _JOB_ITEM_MEMBERS.items()
                if item.get(member) is not None
            }
            self.update_job(
                farm_id=item["farmId"],
                queue_id=item["queueId"],
                job_id=item["jobId"],
                counted_as="BatchUpdateJob",
                **members,
            )

        return self._batch_write("BatchUpdateJob", jobs, _JOB_IDS, client_token, apply)

    def batch_get_worker(self, identifiers: list[dict[str, str]], **_: Any) -> dict[str, Any]:
        """GetWorker for up to 100 workers, with per-item ``errors``."""
        workers, errors = [], []
        for ident in identifiers:
            item_ids = {key: ident[key] for key in _WORKER_IDS}
            try:
                self._item_fault("BatchGetWorker")
                workers.append(
                    self.get_worker(
                        farm_id=ident["farmId"],
                        fleet_id=ident["fleetId"],
                        worker_id=ident["workerId"],
                    )
                )
            except DeadlineError as error:
                errors.append(item_error("BatchGetWorker", item_ids, error))
        return {"workers": workers, "errors": errors}
