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


def add_heavy_frame_job(emulator: Emulator, *, minutes_ago: float) -> dict[str, str]:
    """A job in the demo world's comp queue whose 24 frames all started together and take
    5-6 min, except frame 6, six times heavier; submitted ``minutes_ago``. Its IDs."""
    from deadline_emulator.seed import JobSpec, ParamDef, StepSpec, hex_id

    backend = emulator.backend
    queue = backend.landmarks()["queues"]["Comp & Finishing"]
    step = StepSpec(
        step_id=hex_id(0, "step", "test:heavy-frame"),
        index=0,
        name="comp",
        task_count=24,
        params=(ParamDef("Frame", "INT", start=1),),
        concurrency=24,
        run_min=300.0,
        run_max=360.0,
        fail_rate=0.0,
        slow_tasks=(5,),
        slow_factor=6.0,
    )
    job = JobSpec(
        job_id=hex_id(0, "job", "test:heavy-frame"),
        job_ref=(1 << 28) + 1,
        farm_id=queue["farmId"],
        queue_id=queue["queueId"],
        name="sq120_sh0010_comp_v001 (one heavy frame)",
        created_at=emulator.clock.now() - minutes_ago * 60,
        created_by="maria.chen@lighthouse.example",
        priority=50,
        steps=(step,),
    )
    backend.add_job(job)
    return {
        **queue,
        "jobId": job.job_id,
        "stepId": step.step_id,
        "taskId": f"task-{step.step_id[5:]}-5",
    }
