"""Helpers for tests against the emulator's demo world (IDs come from its landmarks)."""

from __future__ import annotations

from django.urls import reverse

from deadline_emulator import Emulator
from tasks_app.deadline.types import TaskRunStatus


def task_url(ids: dict[str, str]) -> str:
    return reverse(
        "task_detail",
        kwargs={
            "farm_id": ids["farmId"],
            "queue_id": ids["queueId"],
            "job_id": ids["jobId"],
            "step_id": ids["stepId"],
            "task_id": ids["taskId"],
        },
    )


def first_tasks(emulator: Emulator, step_key: str, count: int) -> list[dict[str, str]]:
    step = emulator.backend.landmarks()[step_key]
    kwargs = {key.removesuffix("Id") + "_id": value for key, value in step.items()}
    tasks = emulator.backend.list_tasks(**kwargs, max_results=count)["tasks"]
    return [{**step, "taskId": task["taskId"]} for task in tasks]


def advance_until_terminal(emulator: Emulator, ids: dict[str, str]) -> str:
    """Move the emulator clock in 5-minute steps until the task settles; its final status."""
    kwargs = {key.removesuffix("Id") + "_id": value for key, value in ids.items()}
    for _ in range(12 * 12):
        emulator.clock.advance(300)
        status = emulator.backend.get_task(**kwargs)["runStatus"]
        if TaskRunStatus(status).is_terminal:
            return status
    raise AssertionError(f"{ids['taskId']} still not finished after 12 h")
