"""Render times of a step: how long its succeeded tasks took, as a histogram, percentiles, the
slowest and fastest frames, and duration against frame number.

Read from the step's whole task listing (ListTasks, every page, cached: ``task_listing``), the
same copy the step page cuts its far pages from. A task's duration is its ``endedAt`` minus its
``startedAt`` as the API gives them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from ...deadline.cache import cached_only
from ...deadline.types import TaskListing, TaskRunStatus, TaskSummary
from ..task_listing import StepIds, list_step_tasks

#: Slowest and fastest frames listed.
EXTREMES = 5
#: Histogram columns at most (fewer when the durations span little).
MAX_BINS = 24
#: Points drawn in the scatter at most (evenly sampled by frame; the table has them all).
MAX_POINTS = 2_000

_FIRST_INTEGER = re.compile(r"-?\d+")


@dataclass(frozen=True)
class TaskDuration:
    task_id: str
    frame: int  # the task's first integer parameter (its frame), else its index in the step
    frame_label: str
    seconds: float


@dataclass(frozen=True)
class Bin:
    from_seconds: float
    to_seconds: float
    count: int


@dataclass(frozen=True)
class RenderTimes:
    """The view model of the durations page and of the step page's summary."""

    durations: tuple[TaskDuration, ...]  # by frame
    histogram: tuple[Bin, ...]
    p50_seconds: float | None
    p95_seconds: float | None
    max_seconds: float | None
    slowest: tuple[TaskDuration, ...]
    fastest: tuple[TaskDuration, ...]
    complete: bool  # the listing reached the step's last task

    @property
    def count(self) -> int:
        return len(self.durations)

    @property
    def points(self) -> tuple[TaskDuration, ...]:
        """What the scatter draws: every task up to MAX_POINTS, else an even sample."""
        if len(self.durations) <= MAX_POINTS:
            return self.durations
        stride = len(self.durations) / MAX_POINTS
        return tuple(self.durations[int(i * stride)] for i in range(MAX_POINTS))


def render_times(ids: StepIds) -> RenderTimes:
    """The step's render times, from its (cached) task listing."""
    return summarise(list_step_tasks(ids))


def cached_render_times(ids: StepIds) -> RenderTimes | None:
    """The render times when the step's listing is already cached (no API call), else None:
    the step page shows the summary only once someone has read the listing."""
    listing = cached_only(
        kind="tasks-listing",
        ids=(ids.farm_id, ids.queue_id, ids.job_id, ids.step_id),
        parse=TaskListing,
    )
    return None if listing is None else summarise(listing)


def listed_tasks(ids: StepIds, times: RenderTimes) -> list[TaskSummary]:
    """The task summaries of the slowest and fastest frames (from the cached listing)."""
    wanted = {d.task_id for d in (*times.slowest, *times.fastest)}
    return [t for t in list_step_tasks(ids).tasks if t.task_id in wanted]


def summarise(listing: TaskListing) -> RenderTimes:
    durations = sorted(
        (d for d in map(_duration, listing.tasks) if d is not None),
        key=lambda d: (d.frame, d.task_id),
    )
    by_time = sorted(durations, key=lambda d: (d.seconds, d.frame))
    seconds = [d.seconds for d in by_time]
    return RenderTimes(
        durations=tuple(durations),
        histogram=histogram_bins(seconds),
        p50_seconds=percentile(seconds, 50),
        p95_seconds=percentile(seconds, 95),
        max_seconds=seconds[-1] if seconds else None,
        slowest=tuple(reversed(by_time[-EXTREMES:])),
        fastest=tuple(by_time[:EXTREMES]),
        complete=listing.complete,
    )


def _duration(task: TaskSummary) -> TaskDuration | None:
    if task.run_status != TaskRunStatus.SUCCEEDED or not task.started_at or not task.ended_at:
        return None
    frame, label = _frame(task)
    seconds = max((task.ended_at - task.started_at).total_seconds(), 0.0)
    return TaskDuration(task_id=task.task_id, frame=frame, frame_label=label, seconds=seconds)


def _frame(task: TaskSummary) -> tuple[int, str]:
    """The frame a task renders: its first int (or chunk) parameter; else its index."""
    for parameter in task.parameters:
        if parameter.type in ("int", "chunkInt"):
            match = _FIRST_INTEGER.search(parameter.value)
            if match:
                return int(match.group()), f"{parameter.name}={parameter.value}"
    index = task.task_id.rpartition("-")[2]
    return (int(index) if index.isdigit() else 0), f"#{index}"


def percentile(ordered: list[float], pct: float) -> float | None:
    """Nearest-rank percentile of an ascending list (the value a reader can find in it)."""
    if not ordered:
        return None
    rank = max(math.ceil(pct / 100 * len(ordered)), 1)
    return ordered[rank - 1]


def histogram_bins(ordered: list[float]) -> tuple[Bin, ...]:
    """Equal bins of a round width (1/2/5 x 10^k seconds) from the shortest to the longest
    duration; every duration falls in exactly one bin (the last bin includes its end)."""
    if not ordered:
        return ()
    low, high = ordered[0], ordered[-1]
    width = _round_width((high - low) / MAX_BINS)
    start = math.floor(low / width) * width
    count = max(int((high - start) // width) + 1, 1)
    counts = [0] * count
    for value in ordered:
        counts[min(int((value - start) // width), count - 1)] += 1
    return tuple(
        Bin(from_seconds=start + i * width, to_seconds=start + (i + 1) * width, count=n)
        for i, n in enumerate(counts)
    )


def _round_width(raw: float) -> float:
    if raw <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return float(factor * power)
    return float(10 * power)
