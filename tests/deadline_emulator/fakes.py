"""A tiny in-memory stand-in for the demo world's backend, for wire-layer tests."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

import boto3
import botocore.config

from deadline_emulator.exceptions import DeadlineError, ResourceNotFoundException

FARM_ID = "farm-" + "0" * 31 + "1"
OTHER_FARM_ID = "farm-" + "0" * 31 + "2"
QUEUE_ID = "queue-" + "0" * 31 + "1"
JOB_ID = "job-" + "0" * 31 + "1"
STEP_ID = "step-" + "0" * 31 + "1"
TASK_ID = "task-" + "0" * 31 + "1-0"
MISSING_TASK_ID = "task-" + "0" * 31 + "1-999"

CREATED = datetime(2026, 11, 20, 10, 5, 0, 123456, tzinfo=UTC)

TASK_PATH = f"/2023-10-12/farms/{FARM_ID}/queues/{QUEUE_ID}/jobs/{JOB_ID}/steps/{STEP_ID}/tasks"


def task_id(index: int) -> str:
    return f"task-{'0' * 31}1-{index}"


class FakeBackend:
    """Answers a few operations from fixed data; records every call's keyword arguments."""

    def __init__(self, task_count: int = 5) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.raise_next: DeadlineError | None = None
        self.farms = [
            {
                "farmId": FARM_ID,
                "displayName": "Paris <b>render</b>",
                "createdAt": CREATED,
                "createdBy": "ana",
                "updatedAt": None,
            },
            {
                "farmId": OTHER_FARM_ID,
                "displayName": "Tokyo",
                "createdAt": CREATED,
                "createdBy": "kenji",
            },
        ]
        self.tasks = {
            task_id(i): {
                "taskId": task_id(i),
                "createdAt": CREATED,
                "createdBy": "ana",
                "runStatus": "READY",
                "parameters": {"Frame": {"int": str(i + 1)}},
            }
            for i in range(task_count)
        }

    def _record(self, operation: str, kwargs: dict[str, Any]) -> None:
        self.received.append((operation, kwargs))
        if self.raise_next is not None:
            error, self.raise_next = self.raise_next, None
            raise error

    def list_farms(self, **kwargs: Any) -> dict[str, Any]:
        self._record("list_farms", kwargs)
        start = int(kwargs.get("next_token") or 0)
        size = kwargs.get("max_results") or 100
        page = self.farms[start : start + size]
        answer: dict[str, Any] = {"farms": page}
        if start + size < len(self.farms):
            answer["nextToken"] = str(start + size)
        return answer

    def get_farm(self, *, farm_id: str) -> dict[str, Any]:
        self._record("get_farm", {"farm_id": farm_id})
        for farm in self.farms:
            if farm["farmId"] == farm_id:
                return {**farm, "costScaleFactor": 1.0}
        raise ResourceNotFoundException(
            f"Farm {farm_id} not found", resource_id=farm_id, resource_type="farm"
        )

    def get_task(self, **kwargs: Any) -> dict[str, Any]:
        self._record("get_task", kwargs)
        task = self.tasks.get(kwargs["task_id"])
        if task is None:
            raise ResourceNotFoundException(
                f"Task {kwargs['task_id']} not found",
                resource_id=kwargs["task_id"],
                resource_type="task",
            )
        return task

    def list_tasks(self, **kwargs: Any) -> dict[str, Any]:
        self._record("list_tasks", kwargs)
        tasks = list(self.tasks.values())
        start = int(kwargs.get("next_token") or 0)
        size = kwargs.get("max_results") or 100
        answer: dict[str, Any] = {"tasks": tasks[start : start + size]}
        if start + size < len(tasks):
            answer["nextToken"] = str(start + size)
        return answer

    def update_task(self, **kwargs: Any) -> None:
        self._record("update_task", kwargs)
        self.tasks[kwargs["task_id"]]["targetRunStatus"] = kwargs["target_run_status"]

    def batch_get_task(self, *, identifiers: list[dict[str, str]]) -> dict[str, Any]:
        self._record("batch_get_task", {"identifiers": identifiers})
        tasks, errors = [], []
        for identifier in identifiers:
            task = self.tasks.get(identifier["taskId"])
            if task is None:
                errors.append(
                    {**identifier, "code": "ResourceNotFoundException", "message": "Task not found"}
                )
            else:
                tasks.append({**task, **{k: v for k, v in identifier.items() if k != "taskId"}})
        return {"tasks": tasks, "errors": errors}

    def search_tasks(self, **kwargs: Any) -> dict[str, Any]:
        self._record("search_tasks", kwargs)
        offset, size = kwargs["item_offset"], kwargs.get("page_size", 100)
        tasks = list(self.tasks.values())
        page = [
            {
                "taskId": t["taskId"],
                "stepId": STEP_ID,
                "jobId": JOB_ID,
                "queueId": QUEUE_ID,
                "runStatus": t["runStatus"],
            }
            for t in tasks[offset : offset + size]
        ]
        answer: dict[str, Any] = {"tasks": page, "totalResults": len(tasks)}
        if offset + size < len(tasks):
            answer["nextItemOffset"] = offset + size
        return answer


class ExplodingBackend(FakeBackend):
    """A backend with a bug: GetTask raises a plain exception carrying a secret."""

    def get_task(self, **kwargs: Any) -> dict[str, Any]:
        raise RuntimeError("secret-internal-detail /home/app/models.py line 42")


class WrongShapeBackend(FakeBackend):
    """A backend returning something that is not a dict."""

    def get_farm(self, *, farm_id: str) -> Any:
        return ["not", "a", "dict"]


@functools.cache
def test_session() -> boto3.session.Session:
    """One boto3 session for the tests (its model loading is the slow part of a client)."""
    return boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-west-2"
    )


def http_client(url: str) -> Any:
    """A real boto3 Deadline client for an emulator served at ``url``."""
    return test_session().client(
        "deadline",
        endpoint_url=url,
        config=botocore.config.Config(
            inject_host_prefix=False, retries={"mode": "standard", "total_max_attempts": 1}
        ),
    )


def task_kwargs(task: str = TASK_ID) -> dict[str, str]:
    return {
        "farmId": FARM_ID,
        "queueId": QUEUE_ID,
        "jobId": JOB_ID,
        "stepId": STEP_ID,
        "taskId": task,
    }


def local_client(emulator: Any, service_name: str = "deadline") -> Any:
    """An in-process boto3 client for ``emulator`` built from the shared test session."""
    from deadline_emulator.transport import in_process_client

    return in_process_client(emulator, service_name, session=test_session())
