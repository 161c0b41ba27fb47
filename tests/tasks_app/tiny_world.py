"""A tiny Deadline world for dashboard tests: exactly the resources a test asks for.

It plugs into the real emulator (``Emulator(backend=TinyWorld())``), so every read still goes
through boto3, the rest-json wire layer and the model's validation; only the demo world's
contents are replaced by data a test controls.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from deadline_emulator.exceptions import DeadlineError, ResourceNotFoundException

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
CREATED = NOW - timedelta(hours=2)


def hex_id(prefix: str, n: int) -> str:
    """A realistic ID: ``farm-`` + 32 lower-case hex digits (``n`` makes it unique)."""
    return f"{prefix}-{n:032x}"


FARM_ID = hex_id("farm", 0xA1)
QUEUE_ID = hex_id("queue", 0xB2)
JOB_ID = hex_id("job", 0xC3)
STEP_ID = hex_id("step", 0xD4)


def task_id(index: int, step_id: str = STEP_ID) -> str:
    return f"task-{step_id.removeprefix('step-')}-{index}"


@dataclass(frozen=True)
class Ids:
    farm_id: str = FARM_ID
    queue_id: str = QUEUE_ID
    job_id: str = JOB_ID
    step_id: str = STEP_ID
    task_id: str = task_id(0)

    def kwargs(self) -> dict[str, str]:
        return {
            "farm_id": self.farm_id,
            "queue_id": self.queue_id,
            "job_id": self.job_id,
            "step_id": self.step_id,
            "task_id": self.task_id,
        }

    def url(self) -> str:
        return (
            f"/farms/{self.farm_id}/queues/{self.queue_id}/jobs/{self.job_id}"
            f"/steps/{self.step_id}/tasks/{self.task_id}/"
        )


class TinyWorld:
    """One farm/queue/job/step and the tasks a test adds (backend methods as the emulator's)."""

    def __init__(self, *, farm_name: str = "Paris render farm") -> None:
        self.farms = {FARM_ID: {"farmId": FARM_ID, "displayName": farm_name}}
        self.queues = {(FARM_ID, QUEUE_ID): {"queueId": QUEUE_ID, "displayName": "Lighting"}}
        self.jobs = {(FARM_ID, QUEUE_ID, JOB_ID): {"jobId": JOB_ID, "name": "shot_042_v3"}}
        self.steps = {(FARM_ID, QUEUE_ID, JOB_ID, STEP_ID): {"stepId": STEP_ID, "name": "Render"}}
        self.tasks: dict[str, dict[str, Any]] = {}
        # Modelled errors GetTask raises for a task ID (ValidationException...).
        self.task_errors: dict[str, DeadlineError] = {}

    def add_task(self, index: int = 0, **members: Any) -> Ids:
        """Add a task (API member names) under the one step; returns its IDs."""
        tid = task_id(index)
        self.tasks[tid] = {
            "taskId": tid,
            "createdAt": CREATED,
            "createdBy": "arn:aws:sts::123456789012:assumed-role/Artist/ana",
            "runStatus": "READY",
            **members,
        }
        return Ids(task_id=tid)

    # --- backend operations (names and keywords as the emulator's wire layer calls them) ---

    @staticmethod
    def _missing(kind: str, resource_id: str) -> ResourceNotFoundException:
        return ResourceNotFoundException(
            f"{kind.title()} {resource_id} not found", resource_id=resource_id, resource_type=kind
        )

    def get_farm(self, *, farm_id: str) -> dict[str, Any]:
        if farm_id not in self.farms:
            raise self._missing("farm", farm_id)
        return {
            "createdAt": CREATED,
            "createdBy": "admin",
            "costScaleFactor": 1.0,
            **self.farms[farm_id],
        }

    def get_queue(self, *, farm_id: str, queue_id: str) -> dict[str, Any]:
        self.get_farm(farm_id=farm_id)
        if (farm_id, queue_id) not in self.queues:
            raise self._missing("queue", queue_id)
        return {
            "farmId": farm_id,
            "status": "SCHEDULING",
            "defaultBudgetAction": "NONE",
            "createdAt": CREATED,
            "createdBy": "admin",
            **self.queues[(farm_id, queue_id)],
        }

    def get_job(self, *, farm_id: str, queue_id: str, job_id: str) -> dict[str, Any]:
        self.get_queue(farm_id=farm_id, queue_id=queue_id)
        if (farm_id, queue_id, job_id) not in self.jobs:
            raise self._missing("job", job_id)
        return {
            "lifecycleStatus": "CREATE_COMPLETE",
            "lifecycleStatusMessage": "Job created",
            "priority": 50,
            "createdAt": CREATED,
            "createdBy": "ana",
            "taskRunStatus": "RUNNING",
            "taskRunStatusCounts": {"RUNNING": 1},
            **self.jobs[(farm_id, queue_id, job_id)],
        }

    def get_step(self, *, farm_id: str, queue_id: str, job_id: str, step_id: str) -> dict[str, Any]:
        self.get_job(farm_id=farm_id, queue_id=queue_id, job_id=job_id)
        if (farm_id, queue_id, job_id, step_id) not in self.steps:
            raise self._missing("step", step_id)
        return {
            "lifecycleStatus": "CREATE_COMPLETE",
            "taskRunStatus": "RUNNING",
            "taskRunStatusCounts": {"RUNNING": 1},
            "createdAt": CREATED,
            "createdBy": "ana",
            **self.steps[(farm_id, queue_id, job_id, step_id)],
        }

    def get_task(
        self, *, farm_id: str, queue_id: str, job_id: str, step_id: str, task_id: str
    ) -> dict[str, Any]:
        self.get_step(farm_id=farm_id, queue_id=queue_id, job_id=job_id, step_id=step_id)
        if task_id in self.task_errors:
            raise self.task_errors[task_id]
        if task_id not in self.tasks:
            raise self._missing("task", task_id)
        return dict(self.tasks[task_id])

    def list_session_actions(
        self, *, farm_id: str, queue_id: str, job_id: str, **_: Any
    ) -> dict[str, Any]:
        """No task of the tiny world has run yet: no attempts."""
        self.get_job(farm_id=farm_id, queue_id=queue_id, job_id=job_id)
        return {"sessionActions": []}
