"""Failures views: a job's, a step's or a queue's failed tasks grouped by cause.

One view per scope serves, from the one ``FailureReport`` the selector returns: the page, its
live part for htmx (polled while the analysis runs, 204 while nothing changed), JSON
(``Accept: application/json`` or ``?format=json``; the shape is in docs/failures.md), a
Markdown summary (``?format=markdown``, also on the page to copy) and a CSV of the failed tasks
(``?format=csv``, one row each, for a spreadsheet).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from ..deadline.errors import DeadlineError, InvalidRequest
from ..deadline.ids import ID_PATTERNS
from ..deadline.types import TaskPath
from ..selectors import failures, resources
from ..selectors.failures import FailureGroup, FailureReport, FailureScope, GroupTask
from ..services import failure_runs
from .common import browse_crumbs, browse_path, is_fragment, unchanged
from .errors import deadline_error_json, failed_response, wants_json
from .failures_csv import report_csv

#: How long a JSON request may ask to wait for the analysis (``?wait=``), in seconds.
MAX_JSON_WAIT = 30.0
#: Poll interval while the analysis runs.
ANALYSIS_POLL_MS = 1000
#: Tasks listed under a group on the page (all of them are in the JSON).
TASKS_SHOWN = 200


@require_safe
def queue_failures(request: HttpRequest, farm_id: str, queue_id: str) -> HttpResponse:
    """The failures of a queue's jobs submitted, finished or active in the window."""
    try:
        window = int(request.GET.get("window") or failures.WINDOWS[0])
    except ValueError:
        window = -1
    worker = request.GET.get("worker", "")
    if window not in failures.WINDOWS or (
        worker and not ID_PATTERNS["worker_id"].fullmatch(worker)
    ):
        return _bad_query(request, browse_path(farm_id, queue_id))
    scope = FailureScope(farm_id=farm_id, queue_id=queue_id, window_hours=window)
    return _failures(request, scope, worker=worker)


@require_safe
def job_failures(request: HttpRequest, farm_id: str, queue_id: str, job_id: str) -> HttpResponse:
    """The failures of one job, grouped by cause."""
    return _failures(request, FailureScope(farm_id=farm_id, queue_id=queue_id, job_id=job_id))


@require_safe
def step_failures(
    request: HttpRequest, farm_id: str, queue_id: str, job_id: str, step_id: str
) -> HttpResponse:
    """The failures of one step, grouped by cause."""
    scope = FailureScope(farm_id=farm_id, queue_id=queue_id, job_id=job_id, step_id=step_id)
    return _failures(request, scope)


# --- One view for the three scopes --------------------------------------------------------------


def _format(request: HttpRequest) -> str:
    """``json``, ``markdown``, ``csv`` or ``html``: ``?format=`` first, then the Accept header."""
    wanted = request.GET.get("format", "").lower()
    if wanted in {"json", "markdown", "md", "csv"}:
        return "markdown" if wanted == "md" else wanted
    if wanted:
        return "invalid"
    if not is_fragment(request):
        best = request.get_preferred_type(["text/html", "application/json"])
        if best == "application/json":
            return "json"
    return "html"


def _failures(request: HttpRequest, scope: FailureScope, *, worker: str = "") -> HttpResponse:
    path = browse_path(scope.farm_id, scope.queue_id, scope.job_id, scope.step_id)
    form = _format(request)
    if form == "invalid":
        return _bad_query(request, path)
    wait: float | None = None
    if is_fragment(request):
        wait = 0.0  # a poll shows what is known now; the next one comes in a second
    elif form in {"json", "csv"} and request.GET.get("wait"):
        try:
            wait = min(max(float(request.GET["wait"]), 0.0), MAX_JSON_WAIT)
        except ValueError:
            return _bad_query(request, path)
    try:
        report = failure_runs.report(
            scope,
            worker_id=worker,
            wait_seconds=wait,
            more_logs=request.GET.get("logs") == "more",
            must_wait=bool(wait) and not is_fragment(request),  # ?wait=: 503 when it cannot
        )
    except DeadlineError as exc:
        if form == "json":
            return deadline_error_json(exc)
        return failed_response(request, exc, path)
    links = _Links(request, scope, worker)
    data = report_json(report, links)
    if form == "json":
        response: HttpResponse = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
        response["Cache-Control"] = "no-store"
        patch_vary_headers(response, ("Accept", "HX-Request"))
        return response
    if form == "csv":
        return _csv_response(report, links)
    context = _context(request, report, links, data)
    # Markdown is rendered on its own (no HTML escaping, Markdown escaping instead); the page
    # shows the same text, escaped like any other string.
    # render_to_string marks its result safe: the page escapes it explicitly (force_escape).
    context["markdown"] = render_to_string("tasks_app/failures.md", context, request)
    if form == "markdown":
        response = HttpResponse(context["markdown"], content_type="text/markdown; charset=utf-8")
    elif is_fragment(request):
        if request.GET.get("v") == context["version"]:
            response = unchanged()
        else:
            response = render(request, "tasks_app/_failures_live.html", context)
    else:
        response = render(request, "tasks_app/failures.html", context)
    patch_vary_headers(response, ("Accept", "HX-Request"))
    return response


def _csv_response(report: FailureReport, links: _Links) -> HttpResponse:
    """The report as a CSV download named after its scope (IDs only: no submitter's text)."""
    text = report_csv(
        report,
        task_url=lambda task: links.absolute(links.task(task)),
        log_url=lambda task: links.absolute(links.example(task)),
    )
    scope = report.scope
    name = scope.step_id or scope.job_id or scope.queue_id
    # A byte-order mark: Excel reads the file as UTF-8 only with it.
    response = HttpResponse("\ufeff" + text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="failures-{name}.csv"'
    response["Cache-Control"] = "no-store"
    patch_vary_headers(response, ("Accept", "HX-Request"))
    return response


def _bad_query(request: HttpRequest, path: TaskPath) -> HttpResponse:
    error = InvalidRequest(
        "This failures view takes ?window= (one of "
        + ", ".join(str(w) for w in failures.WINDOWS)
        + " hours), ?worker=<worker ID>, ?format=json|markdown|csv and ?wait=<seconds>."
    )
    if wants_json(request):
        return deadline_error_json(error)
    return failed_response(request, error, path)


class _Links:
    """URLs of a report: pages of each level, tasks, and a group's example log line."""

    def __init__(self, request: HttpRequest, scope: FailureScope, worker: str) -> None:
        self.request = request
        self.scope = scope
        self.worker = worker
        self._steps: dict[tuple[str, str], str] = {}

    def task(self, task: GroupTask) -> str:
        """The task page (its step's URL reversed once: thousands of tasks may be linked)."""
        key = (task.job_id, task.step_id)
        step = self._steps.get(key)
        if step is None:
            step = self._steps[key] = reverse(
                "step_detail",
                kwargs={
                    "farm_id": self.scope.farm_id,
                    "queue_id": self.scope.queue_id,
                    "job_id": task.job_id,
                    "step_id": task.step_id,
                },
            )
        return f"{step}tasks/{task.task_id}/"

    def example(self, task: GroupTask | None) -> str | None:
        """The task page showing the failing attempt's log at the matching line."""
        if task is None:
            return None
        url = self.task(task)
        if not task.session_action_id:
            return url
        params: dict[str, Any] = {"attempt": task.session_action_id}
        if task.line is not None:
            params["line"] = task.line
            if task.line_at_ms is not None:
                params["at"] = task.line_at_ms
            return f"{url}?{urlencode(params)}#log-target"
        return f"{url}?{urlencode(params)}#log-panel"

    def absolute(self, url: str | None) -> str | None:
        return None if url is None else self.request.build_absolute_uri(url)

    def worker_failures(self, worker_id: str, last_seen: datetime | None = None) -> str:
        """The queue's failures on ``worker_id``: over this view's window, or, from a job or
        step, over the shortest window that still holds the job (it failed at ``last_seen``;
        its ENDED_AT is no earlier)."""
        url = reverse(
            "queue_failures",
            kwargs={"farm_id": self.scope.farm_id, "queue_id": self.scope.queue_id},
        )
        window = self.scope.window_hours
        if self.scope.kind != "queue" and last_seen is not None:
            # An hour of slack: the link is followed later than it is drawn.
            age_hours = (resources.now() - last_seen) / timedelta(hours=1) + 1
            covering = [hours for hours in sorted(failures.WINDOWS) if hours >= age_hours]
            window = covering[0] if covering else max(failures.WINDOWS)
        query = {"worker": worker_id}
        if window != failures.WINDOWS[0]:
            query["window"] = str(window)
        return f"{url}?{urlencode(query)}"

    def page(self) -> str:
        return self.request.path


def report_json(report: FailureReport, links: _Links) -> dict[str, Any]:
    """The JSON shape docs/failures.md documents, from the same report the page shows."""
    return {
        "failed_tasks": report.failed_tasks,
        "complete": report.complete,
        "jobs_not_read": report.jobs_not_read,
        "groups": [_group_json(group, links) for group in report.groups],
        "worker_clusters": [
            {
                "worker_id": cluster.worker_id,
                "signature": cluster.signature,
                "failures": cluster.failures,
                "share": round(cluster.share, 4),
            }
            for cluster in report.clusters
        ],
    }


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _group_json(group: FailureGroup, links: _Links) -> dict[str, Any]:
    example = group.example
    return {
        "signature": group.signature,
        "title": group.title,
        "log_line": group.raw or None,
        "tasks": group.task_count,
        "attempts": group.attempts,
        "task_ids": list(group.task_ids),
        "frames": group.frames,
        "workers": [
            {"worker_id": w.worker_id, "host_name": w.host_name, "attempts": w.attempts}
            for w in group.workers
        ],
        "flaky": group.flaky,
        "advice": group.advice,
        "first_seen": _iso(group.first_seen),
        "last_seen": _iso(group.last_seen),
        "example": None
        if example is None
        else {
            "task_id": example.task_id,
            "session_action_id": example.session_action_id,
            "url": links.absolute(links.example(example)),
        },
    }


def _context(
    request: HttpRequest, report: FailureReport, links: _Links, data: dict[str, Any]
) -> dict[str, Any]:
    scope = report.scope
    version = hashlib.blake2b(
        json.dumps([data, report.analysed, report.error], sort_keys=True, default=str).encode(),
        digest_size=8,
    ).hexdigest()
    polling = not report.complete
    if report.error and not report.running:
        poll_ms = int(settings.DASHBOARD_POLL_SECONDS * 1000)
    elif polling:
        poll_ms = ANALYSIS_POLL_MS
    else:
        # Finished: a live scope still changes (new failures), a settled one rarely.
        polling = not report.settled
        poll_ms = int(settings.DASHBOARD_POLL_SECONDS * 2 * 1000)
    params = request.GET.copy()
    for key in ("v", "logs", "format", "wait"):
        params.pop(key, None)
    poll = params.copy()
    poll["v"] = version
    names = report.names
    crumb_names = {k: v for k, v in names.items() if k in {"farm", "queue", "job", "step"}}
    path = browse_path(scope.farm_id, scope.queue_id, scope.job_id, scope.step_id)
    crumbs = browse_crumbs(path, crumb_names, scope.kind)
    crumbs[-1] = {**crumbs[-1], "url": _level_url(scope), "current": False}
    crumbs.append({"kind": "", "id": "", "name": "Failures", "url": None, "current": True})
    groups = [
        {
            "group": group,
            "json": item,
            "example_url": links.example(group.example),
            "example_absolute": links.absolute(links.example(group.example)),
            "tasks": [
                {"task": t, "url": links.task(t), "log_url": links.example(t)}
                for t in group.tasks[:TASKS_SHOWN]
            ],
            "more_tasks": max(0, len(group.tasks) - TASKS_SHOWN),
            "steps": [(names.get(step_id) or step_id, step_id, n) for step_id, n in group.steps],
            "jobs": [(names.get(job_id) or job_id, job_id, n) for job_id, n in group.jobs],
            "share": round(100 * group.task_count / report.failed_tasks)
            if report.failed_tasks
            else 0,
        }
        for group, item in zip(report.groups, data["groups"], strict=True)
    ]
    last_seen = {group.signature: group.last_seen for group in report.groups}
    clusters = [
        {
            "cluster": cluster,
            "queue_url": links.worker_failures(cluster.worker_id, last_seen.get(cluster.signature)),
            "percent": round(100 * cluster.share),
            "baseline_percent": None if cluster.baseline is None else round(100 * cluster.baseline),
        }
        for cluster in report.clusters
    ]
    subject = names.get(scope.kind) if scope.kind != "queue" else names.get("queue")
    more_logs = params.copy()
    more_logs["logs"] = "more"
    json_params = params.copy()
    json_params["format"] = "json"
    md_params = params.copy()
    md_params["format"] = "markdown"
    csv_params = params.copy()
    csv_params["format"] = "csv"
    return {
        "report": report,
        "scope": scope,
        "path": path,
        "crumbs": crumbs,
        "subject": subject,
        "groups": groups,
        "clusters": clusters,
        "version": version,
        "polling": polling,
        "poll_ms": poll_ms,
        "poll_url": f"{request.path}?{poll.urlencode()}",
        "page_url": request.path + (f"?{params.urlencode()}" if params else ""),
        "json_url": f"{request.path}?{json_params.urlencode()}",
        "markdown_url": f"{request.path}?{md_params.urlencode()}",
        "csv_url": f"{request.path}?{csv_params.urlencode()}",
        "more_logs_url": f"{request.path}?{more_logs.urlencode()}",
        "absolute_page_url": request.build_absolute_uri(
            request.path + (f"?{params.urlencode()}" if params else "")
        ),
        "links": links,
        "windows": failures.WINDOWS,
        "worker_label": report.worker_label if report.worker_id else "",
        "all_workers_url": _all_workers_url(request, params),
        "level_url": _level_url(scope),
        "now": resources.now(),
        "tasks_shown": TASKS_SHOWN,
    }


def _all_workers_url(request: HttpRequest, params: Any) -> str:
    without = params.copy()
    without.pop("worker", None)
    return request.path + (f"?{without.urlencode()}" if without else "")


def _level_url(scope: FailureScope) -> str:
    kwargs = {"farm_id": scope.farm_id, "queue_id": scope.queue_id}
    if scope.kind == "queue":
        return reverse("queue_detail", kwargs=kwargs)
    kwargs["job_id"] = scope.job_id
    if scope.kind == "job":
        return reverse("job_detail", kwargs=kwargs)
    return reverse("step_detail", kwargs={**kwargs, "step_id": scope.step_id})
