"""Render times of a step (``…/steps/<step>/durations/``): histogram, percentiles, slowest and
fastest frames, duration against frame. HTML, or JSON for ``Accept: application/json`` /
``?format=json`` (docs/usage.md's shape), from the same selector result."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from .. import charts
from ..deadline.errors import DeadlineError
from ..selectors import resources
from ..selectors.task_listing import StepIds
from ..selectors.usage import durations, task_memory
from ..selectors.usage.task_memory import TaskMemory
from .common import browse_path, crumbs, named
from .errors import error_response, wants_json


def seconds_text(seconds: float | None) -> str:
    """``42 s``, ``3 min 05 s``, ``2 h 04 min``: how long, at a glance."""
    if seconds is None:
        return "none"
    if seconds < 60:
        return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours:,} h {minutes:02d} min"


def short_seconds(seconds: float) -> str:
    """``42s``, ``4m10s``, ``2h05m``: an axis label that fits under a phone's column."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, rest = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{rest:02d}s"
    return f"{minutes // 60}h{minutes % 60:02d}m"


#: What the peak memory figures are, wherever they are shown.
MEMORY_NOTE = (
    "Peak memory: the highest memory-used-percent the worker agent logged for the whole host "
    "(every 60 s) while the task ran; none when no sample fell inside the run or the worker's "
    "log is no longer kept. Read for the frames listed here only."
)


def durations_json(
    times: durations.RenderTimes, peaks: dict[str, TaskMemory] | None = None
) -> dict[str, Any]:
    """The JSON shape docs/usage.md documents (the listed frames with their peak memory)."""
    peaks = peaks or {}

    def extreme(items: tuple[durations.TaskDuration, ...]) -> list[dict[str, Any]]:
        return [
            {
                "task_id": d.task_id,
                "seconds": round(d.seconds, 3),
                "peak_memory_percent": _peak(peaks, d.task_id),
            }
            for d in items
        ]

    return {
        "count": times.count,
        "p50_seconds": times.p50_seconds,
        "p95_seconds": times.p95_seconds,
        "max_seconds": times.max_seconds,
        "histogram": [
            {"from_seconds": b.from_seconds, "to_seconds": b.to_seconds, "count": b.count}
            for b in times.histogram
        ],
        "slowest": extreme(times.slowest),
        "fastest": extreme(times.fastest),
        "peak_memory_note": MEMORY_NOTE,
    }


def _peak(peaks: dict[str, TaskMemory], task_id: str) -> float | None:
    found = peaks.get(task_id)
    return None if found is None else found.peak_percent


def _peaks(ids: StepIds, times: durations.RenderTimes) -> tuple[dict[str, TaskMemory], str]:
    """The listed frames' peak memory, and a note when it could not be read."""
    try:
        return task_memory.listed_peaks(ids, durations.listed_tasks(ids, times)), ""
    except DeadlineError as exc:
        return {}, f"Peak memory could not be read: {exc.message}"


def histogram_chart(times: durations.RenderTimes) -> Any:
    bars = [
        charts.Bar(
            label=short_seconds(b.from_seconds),
            value=b.count,
            title=f"{b.count:,} tasks took {seconds_text(b.from_seconds)} to "
            f"{seconds_text(b.to_seconds)}",
        )
        for b in times.histogram
    ]
    return charts.histogram(
        bars,
        title="Render time histogram",
        description="How many succeeded tasks took each span of time; the table below "
        "lists the same counts.",
    )


def scatter_chart(times: durations.RenderTimes) -> Any:
    points = [
        charts.Point(
            x=d.frame,
            y=d.seconds / 60,
            title=f"{d.frame_label}: {seconds_text(d.seconds)}",
        )
        for d in times.points
    ]
    return charts.scatter(
        points,
        title="Render time against frame",
        description="Each dot is a succeeded task: its frame across, its minutes up. A rising "
        "line is a heavier end of the shot; a separate cluster often one slow worker.",
        x_name="frame",
        unit=" min",
    )


@require_safe
def step_durations(
    request: HttpRequest, farm_id: str, queue_id: str, job_id: str, step_id: str
) -> HttpResponse:
    """The step's render times page (or JSON)."""
    path = browse_path(farm_id, queue_id, job_id, step_id)
    ids = StepIds(farm_id, queue_id, job_id, step_id)
    kwargs = {"farm_id": farm_id, "queue_id": queue_id, "job_id": job_id}
    try:
        got = resources.read_concurrently(
            {
                "farm": lambda: resources.get_farm(farm_id=farm_id),
                "queue": lambda: resources.get_queue(farm_id=farm_id, queue_id=queue_id),
                "job": lambda: resources.get_job(**kwargs),
                "step": lambda: resources.get_step(**kwargs, step_id=step_id),
                "times": lambda: durations.render_times(ids),
            },
            optional=frozenset({"farm", "queue", "job"}),
        )
    except DeadlineError as exc:
        return error_response(request, exc, path=path)
    times: durations.RenderTimes = got["times"]
    peaks, memory_failed = _peaks(ids, times)
    if wants_json(request):
        response: HttpResponse = JsonResponse(
            durations_json(times, peaks), json_dumps_params={"ensure_ascii": False}
        )
        patch_vary_headers(response, ("Accept",))
        return response

    def task_url(task_id: str) -> str:
        return reverse("task_detail", kwargs={**kwargs, "step_id": step_id, "task_id": task_id})

    names = named(farm=got["farm"], queue=got["queue"], job=got["job"], step=got["step"])
    context = {
        "path": path,
        "step": got["step"],
        "times": times,
        "crumbs": crumbs(path, names=names, upto="step"),
        "histogram_svg": histogram_chart(times) if times.count else None,
        "scatter_svg": scatter_chart(times) if times.count else None,
        "bins": [
            {"bin": b, "from": seconds_text(b.from_seconds), "to": seconds_text(b.to_seconds)}
            for b in times.histogram
        ],
        "slowest": [_row(d, task_url, peaks) for d in times.slowest],
        "fastest": [_row(d, task_url, peaks) for d in times.fastest],
        "memory_note": MEMORY_NOTE,
        "memory_failed": memory_failed,
        "stats": [
            ("Succeeded tasks", f"{times.count:,}"),
            ("Median (p50)", seconds_text(times.p50_seconds)),
            ("p95", seconds_text(times.p95_seconds)),
            ("Longest", seconds_text(times.max_seconds)),
        ],
        "json_url": f"{request.path}?format=json",
    }
    response = render(request, "tasks_app/step_durations.html", context)
    patch_vary_headers(response, ("Accept",))
    return response


def _row(d: durations.TaskDuration, task_url: Any, peaks: dict[str, TaskMemory]) -> dict[str, Any]:
    peak = _peak(peaks, d.task_id)
    return {
        "d": d,
        "url": task_url(d.task_id),
        "text": seconds_text(d.seconds),
        "memory": "—" if peak is None else f"{peak:.0f}%",
    }
