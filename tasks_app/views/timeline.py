"""A job's timeline (``…/jobs/<job>/timeline/``): one lane per worker, its sessions split into
their actions coloured by outcome, idle gaps as empty track, zoom by ``?start=&end=`` links,
and the overhead summary. HTML, or JSON (``Accept: application/json`` / ``?format=json``).

Zoomed out over many actions, each lane is drawn as aggregate bars (how busy the worker was in
each slice, red where a task run failed), each a link that zooms into its slice; zoomed in
far enough, every action is its own bar linking to its task. A big job's overview comes from
each task's latest run (``job_overview``) and says so, on the page and in the JSON's ``view``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from .. import charts
from ..deadline.errors import DeadlineError, InvalidRequest
from ..selectors import resources
from ..selectors.usage import timeline as tl
from ..selectors.usage.job_overview import read_timeline
from ..selectors.usage.timeline import Window
from ..selectors.usage.timeline_slices import SLICES, Slice, slices
from .common import browse_path, crumbs, named
from .errors import error_response, wants_json
from .render_times import seconds_text

#: Actions drawn one by one at most; past this, lanes are drawn as aggregate bars.
MAX_SPANS = 1_500


def _moment(text: str) -> float:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidRequest(
            f"Not a time: {text!r} (use ISO 8601, e.g. 2026-11-20T10:00Z)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _asked(request: HttpRequest, name: str) -> float | None:
    return _moment(request.GET[name]) if request.GET.get(name) else None


def timeline_json(timeline: tl.Timeline, window: Window | None) -> dict[str, Any]:
    """The JSON shape of docs/usage.md (only the sessions inside the window when zoomed), and how it
    was read (``view``): aggregated lanes carry slices instead of sessions."""
    workers = []
    for worker in timeline.workers:
        if timeline.aggregate:
            if window is None:
                continue
            lane: dict[str, Any] = {
                "slices": [_slice_json(s) for s in slices(worker, window, timeline.now)]
            }
        else:
            lane = {"sessions": _sessions_json(worker, window, timeline.now)}
        if next(iter(lane.values())):
            workers.append({"worker_id": worker.worker_id, "host_name": worker.host_name, **lane})
    o = timeline.overhead
    return {
        "workers": workers,
        "overhead": {
            "setup_seconds": round(o.setup_seconds, 3),
            "sync_seconds": round(o.sync_seconds, 3),
            "task_seconds": round(o.task_seconds, 3),
            "gap_seconds": round(o.gap_seconds, 3),
            "estimated": bool(o.sampled),
            "sampled_sessions": o.sampled,
            "sessions": o.sessions,
        },
        "view": {
            "aggregated": timeline.aggregate,
            "start": tl.iso(window.start) if window else None,
            "end": tl.iso(window.end) if window else None,
            "notes": list(timeline.notes),
        },
    }


def _sessions_json(
    worker: tl.WorkerActivity, window: Window | None, now: float
) -> list[dict[str, Any]]:
    return [
        {
            "session_id": s.session_id,
            "start": tl.iso(s.start),
            "end": tl.iso(s.end),
            "actions": [
                {
                    "kind": a.kind,
                    "start": tl.iso(a.start),
                    "end": tl.iso(a.end),
                    "status": a.status,
                    "task_id": a.task_id,
                }
                for a in worker.actions[s.session_id]
            ],
        }
        for s in worker.sessions
        if window is None or window.holds(s.start, s.end, now)
    ]


def _slice_json(piece: Slice) -> dict[str, Any]:
    return {
        "start": tl.iso(piece.start),
        "end": tl.iso(piece.end),
        "busy_seconds": round(piece.busy_seconds, 3),
        "task_runs": piece.task_runs,
        "failed": piece.failed,
    }


@require_safe
def job_timeline(request: HttpRequest, farm_id: str, queue_id: str, job_id: str) -> HttpResponse:
    """The job's timeline page (or JSON)."""
    path = browse_path(farm_id, queue_id, job_id)
    kwargs = {"farm_id": farm_id, "queue_id": queue_id, "job_id": job_id}
    try:
        got = resources.read_concurrently(
            {
                "farm": lambda: resources.get_farm(farm_id=farm_id),
                "queue": lambda: resources.get_queue(farm_id=farm_id, queue_id=queue_id),
                "job": lambda: resources.get_job(**kwargs),
            },
            optional=frozenset({"farm", "queue"}),
        )
        timeline, window = read_timeline(
            **kwargs,
            tasks=got["job"].total_tasks,
            start=_asked(request, "start"),
            end=_asked(request, "end"),
        )
    except DeadlineError as exc:
        return error_response(request, exc, path=path)
    if wants_json(request):
        response: HttpResponse = JsonResponse(
            timeline_json(timeline, window), json_dumps_params={"ensure_ascii": False}
        )
    else:
        names = named(farm=got["farm"], queue=got["queue"], job=got["job"])
        context = {
            "path": path,
            "job": got["job"],
            "crumbs": crumbs(path, names=names, upto="job"),
            "timeline": timeline,
            **_picture(request, timeline, window, kwargs),
        }
        response = render(request, "tasks_app/job_timeline.html", context)
    patch_vary_headers(response, ("Accept",))
    return response


def _picture(
    request: HttpRequest, timeline: tl.Timeline, window: Window | None, kwargs: dict[str, str]
) -> dict[str, Any]:
    """The lanes, the zoom links, the summary and the per-worker table."""
    if window is None:
        return {"lanes_svg": None, "zoom": [], "summary": [], "rows": [], "aggregated": False}
    now = timeline.now
    visible = sum(
        len(worker.actions[s.session_id])
        for worker in timeline.workers
        for s in worker.sessions
        if window.holds(s.start, s.end, now)
    )
    aggregated = timeline.aggregate or visible > MAX_SPANS
    lanes = []
    for worker in timeline.workers:
        draw = _slices if aggregated else _spans
        spans = draw(worker, window, now, request, kwargs)
        if spans:
            lanes.append(charts.Lane(label=worker.label, spans=tuple(spans)))
    svg = charts.lanes(
        lanes,
        seconds=window.seconds,
        title="Sessions per worker over time",
        axis=_axis(window),
    )
    return {
        "lanes_svg": svg if lanes else None,
        "aggregated": aggregated,
        "visible_actions": visible,
        "window_text": f"{_clock(window.start, window)} to {_clock(window.end, window)} UTC",
        "zoomed": (window.start, window.end) != (timeline.start, timeline.end),
        "zoom": _zoom_links(request, timeline, window),
        "summary": _summary(timeline.overhead),
        "rows": _worker_rows(timeline),
    }


def _range_url(request: HttpRequest, start: float, end: float) -> str:
    return f"{request.path}?{urlencode({'start': tl.iso(start), 'end': tl.iso(end)})}"


def _spans(
    worker: tl.WorkerActivity,
    window: Window,
    now: float,
    request: HttpRequest,
    kwargs: dict[str, str],
) -> list[charts.Span]:
    spans = []
    for session in worker.sessions:
        if not window.holds(session.start, session.end, now):
            continue
        spans.append(_span(session.start, session.end, window, now, "span-session", "Session"))
        for action in worker.actions[session.session_id]:
            if not window.holds(action.start, action.end, now):
                continue
            css, label, href = _action_look(action, kwargs)
            title = (
                f"{worker.label}: {label}, {action.status.lower().replace('_', ' ')}, "
                f"{seconds_text(tl.duration(action.start, action.end, now))}"
            )
            spans.append(_span(action.start, action.end, window, now, css, title, href))
    return spans


def _action_look(action: tl.ActivityAction, kwargs: dict[str, str]) -> tuple[str, str, str]:
    """CSS class, words and link of an action (task runs link to their task)."""
    if action.kind == tl.TASK_RUN and action.task_id and action.step_id:
        url = reverse(
            "task_detail", kwargs={**kwargs, "step_id": action.step_id, "task_id": action.task_id}
        )
        status = action.status.lower()
        css = "span-task" if status == "succeeded" else f"span-task span-task--{status}"
        return css, f"task {action.task_id.rpartition('-')[2]}", url
    if action.kind == tl.SYNC:
        return "span-sync", "attachment sync", ""
    label = {tl.ENV_ENTER: "environment enter", tl.ENV_EXIT: "environment exit"}
    return "span-setup", label.get(action.kind, action.kind), ""


def _span(
    start: float | None,
    end: float | None,
    window: Window,
    now: float,
    css: str,
    title: str,
    href: str = "",
) -> charts.Span:
    low = max((start or window.start), window.start) - window.start
    high = min((end if end is not None else now), window.end) - window.start
    return charts.Span(start=low, end=max(high, low), css=css, title=title, href=href)


def _slices(
    worker: tl.WorkerActivity,
    window: Window,
    now: float,
    request: HttpRequest,
    kwargs: dict[str, str],
) -> list[charts.Span]:
    """Aggregate bars: per slice of the window, the share of it the worker spent in
    sessions, and whether a task run failed in it; each links to a zoom on its slice."""
    spans = []
    for piece in slices(worker, window, now, SLICES):
        width = piece.end - piece.start
        css = "span-mixed span-mixed--failed" if piece.failed else "span-mixed"
        title = (
            f"{worker.label}: {piece.share:.0%} busy from {_clock(piece.start, window)}, "
            f"{piece.task_runs} task runs, {piece.failed} failed"
        )
        # A slice opens a view ten slices wide around it: enough context to read it.
        zoom = _range_url(
            request, max(piece.start - 4 * width, window.start), piece.start + 6 * width
        )
        low = piece.start - window.start
        spans.append(
            charts.Span(start=low, end=low + width * piece.share, css=css, title=title, href=zoom)
        )
    return spans


def _clock(epoch: float, window: Window) -> str:
    moment = datetime.fromtimestamp(epoch, tz=UTC)
    if window.seconds <= 900:  # a narrow zoom: its ticks and links are seconds apart
        return moment.strftime("%H:%M:%S")
    return moment.strftime("%H:%M" if window.seconds <= 86_400 else "%d %b %H:%M")


def _axis(window: Window) -> list[tuple[float, str]]:
    step = charts.nice_step(window.seconds / 60, ticks=4) * 60
    first = (window.start // step + 1) * step
    ticks, tick = [], first
    while tick < window.end:
        ticks.append((tick - window.start, _clock(tick, window)))
        tick += step
    return ticks


def _zoom_links(
    request: HttpRequest, timeline: tl.Timeline, window: Window
) -> list[dict[str, str]]:
    assert timeline.start is not None and timeline.end is not None
    links = [{"label": "Whole job", "url": request.path}]
    middle, half = (window.start + window.end) / 2, window.seconds
    links.append({"label": "Zoom out", "url": _range_url(request, middle - half, middle + half)})
    quarter = window.seconds / 4
    for n in range(4):
        low = window.start + n * quarter
        label = f"{_clock(low, window)} to {_clock(low + quarter, window)}"
        links.append({"label": label, "url": _range_url(request, low, low + quarter)})
    return links


def _summary(o: tl.Overhead) -> list[dict[str, Any]]:
    rows = [
        ("Tasks", o.task_seconds),
        ("Environment set-up and tear-down", o.setup_seconds),
        ("Attachment sync", o.sync_seconds),
        ("Gaps inside sessions", o.gap_seconds),
    ]
    return [
        {"label": label, "text": seconds_text(seconds), "share": f"{o.share(seconds):.1%}"}
        for label, seconds in rows
    ]


def _worker_rows(timeline: tl.Timeline) -> list[dict[str, Any]]:
    now, rows = timeline.now, []
    for worker in timeline.workers:
        tasks = failed = 0
        task_seconds = session_seconds = 0.0
        for session in worker.sessions:
            session_seconds += tl.duration(session.start, session.end, now)
            for action in worker.actions[session.session_id]:
                if action.kind == tl.TASK_RUN:
                    tasks += 1
                    failed += action.status == "FAILED"
                    task_seconds += tl.duration(action.start, action.end, now)
        rows.append(
            {
                "worker": worker,
                "sessions": len(worker.sessions),
                "tasks": tasks,
                "failed": failed,
                "busy": seconds_text(session_seconds),
                "task_share": f"{task_seconds / session_seconds:.0%}" if session_seconds else "",
            }
        )
    return rows
