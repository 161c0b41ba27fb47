"""The frames of a group of failed tasks, compact: ``frames 1001-1040, 1102``, parameter
values where a task has no frame, task numbers where it has no parameters."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from ...deadline.types import TaskParameter
from . import signatures
from .records import FailedTask


def frame_values(parameters: Iterable[TaskParameter]) -> list[int] | None:
    """The frames a task renders: its frame-like int parameter, or its chunkInt range."""
    parameters = list(parameters)
    for parameter in parameters:
        if parameter.type == "chunkInt":
            values = signatures.chunk_values(parameter.value)
            if values:
                return values
    for parameter in parameters:
        if parameter.type == "int" and "frame" in parameter.name.lower():
            try:
                return [int(parameter.value)]
            except ValueError:
                return None
    return None


def frame_label(task: FailedTask) -> str:
    """``frame 1004``, ``frames 1001-1010``, ``Layer=beauty`` or ``task 7``."""
    frames = frame_values(task.summary.parameters)
    if frames:
        word = "frame" if len(frames) == 1 else "frames"
        return f"{word} {signatures.compact_ranges(frames, limit=2)}"
    if task.summary.parameters:
        return task.summary.parameter_summary
    index = task.summary.index
    return f"task {index}" if index is not None else task.task_id


def frames_label(members: Iterable[FailedTask], names: Mapping[str, str]) -> str:
    """Frames (or, without a frame parameter, parameter values or task numbers), compact;
    per job when the tasks belong to several (a queue's view), the most failing job first."""
    by_job: dict[str, list[FailedTask]] = defaultdict(list)
    for task in members:
        by_job[task.job_id].append(task)
    if len(by_job) == 1:
        return _frames_of(next(iter(by_job.values())))
    ordered = sorted(by_job.items(), key=lambda item: (-len(item[1]), item[0]))
    parts = [f"{names.get(job_id) or job_id}: {_frames_of(tasks)}" for job_id, tasks in ordered[:4]]
    if len(ordered) > 4:
        parts.append(f"… (+{len(ordered) - 4} more jobs)")
    return "; ".join(parts)


def _frames_of(members: Iterable[FailedTask]) -> str:
    frames: list[int] = []
    others: list[str] = []
    indices: list[int] = []
    for task in members:
        values = frame_values(task.summary.parameters)
        if values:
            frames.extend(values)
        elif task.summary.parameters:
            others.append(task.summary.parameter_summary)
        elif task.summary.index is not None:
            indices.append(task.summary.index)
    parts = []
    if frames:
        parts.append(signatures.compact_ranges(frames))
    if others:
        distinct = sorted(set(others))
        parts.append(
            "; ".join(distinct[:6])
            + (f"; … (+{len(distinct) - 6} more)" if len(distinct) > 6 else "")
        )
    if indices:
        parts.append("tasks " + signatures.compact_ranges(indices))
    return "; ".join(parts)
