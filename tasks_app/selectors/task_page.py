"""The task page's reads: the task and the names of its farm, queue, job and step; and what
the page calls the task ("Frame 93", not its 40-character ID)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..deadline.types import Farm, Job, Queue, Step, Task, TaskParameter, TaskPath
from .resources import (
    get_farm,
    get_job,
    get_queue,
    get_step,
    get_task,
    prefetch_path,
    read_concurrently,
)

_NAMES = frozenset({"farm", "queue", "job", "step"})


@dataclass(frozen=True)
class TaskPage:
    """Everything the task page shows. Ancestors are None when only their name was unreadable."""

    path: TaskPath
    task: Task
    farm: Farm | None
    queue: Queue | None
    job: Job | None
    step: Step | None


def get_task_page(*, path: TaskPath) -> TaskPage:
    """The task and the names of its farm, queue, job and step, read concurrently when cold.

    A missing resource raises NotFound for the highest missing level (so the 404 page can
    link to the nearest existing parent). Any other failure of a name read degrades to
    showing the ID; a failure of the task read itself is raised.
    """
    ids = path.as_kwargs()
    reads: dict[str, Callable[[], Any]] = {
        "farm": lambda: get_farm(farm_id=path.farm_id),
        "queue": lambda: get_queue(farm_id=path.farm_id, queue_id=path.queue_id),
        "job": lambda: get_job(farm_id=path.farm_id, queue_id=path.queue_id, job_id=path.job_id),
        "step": lambda: get_step(
            farm_id=path.farm_id, queue_id=path.queue_id, job_id=path.job_id, step_id=path.step_id
        ),
        "task": lambda: get_task(**ids),
    }
    with prefetch_path(path):
        got = read_concurrently(reads, optional=_NAMES)
    return TaskPage(
        path=path,
        task=got["task"],
        farm=got["farm"],
        queue=got["queue"],
        job=got["job"],
        step=got["step"],
    )


def task_label(task: Task) -> str:
    """What an operator calls the task: ``Frame 93``, ``Frames 1-10`` (a chunk), else its
    parameters (``Layer=beauty``), else ``Task 7`` (its index), else its ID."""
    frame = _frame_parameter(task.parameters)
    if frame is not None:
        word = "Frames" if frame.type == "chunkInt" else "Frame"
        return f"{word} {frame.value}"
    if task.parameters:
        summary = ", ".join(f"{p.name}={p.value}" for p in task.parameters)
        return summary if len(summary) <= 60 else summary[:59] + "…"
    index = task_index(task.task_id)
    return f"Task {index}" if index is not None else task.task_id


def _frame_parameter(parameters: tuple[TaskParameter, ...]) -> TaskParameter | None:
    """The chunk of frames, else the int parameter named like a frame."""
    chunks = [p for p in parameters if p.type == "chunkInt"]
    if chunks:
        return chunks[0]
    return next((p for p in parameters if p.type == "int" and "frame" in p.name.lower()), None)


def task_index(task_id: str) -> int | None:
    """The numeric suffix of a task ID (its index within the step), or None."""
    head, _, tail = task_id.rpartition("-")
    return int(tail) if head and tail.isdigit() and len(tail) < 10 else None
