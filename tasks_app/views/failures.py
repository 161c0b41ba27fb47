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
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from ..deadline.errors import DeadlineError, InvalidRequest
from ..deadline.ids import ID_PATTERNS
from ..deadline.types import TaskPath
from ..selectors import failures, resources
from ..selectors.failures import FailureReport, FailureScope
from ..services import failure_runs
from .common import browse_crumbs, browse_path, is_fragment, unchanged
from .errors import deadline_error_json, failed_response, wants_json
from .failures_csv import report_csv
from .failures_json import Links, report_json

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
    links = Links(request, scope, worker)
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
            response = render(request, "tasks_app/failures.html#live", context)
    else:
        response = render(request, "tasks_app/failures.html", context)
    patch_vary_headers(response, ("Accept", "HX-Request"))
    return response


def _csv_response(report: FailureReport, links: Links) -> HttpResponse:
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


def _context(
    request: HttpRequest, report: FailureReport, links: Links, data: dict[str, Any]
) -> dict[str, Any]:
    scope = report.scope
    version = hashlib.blake2b(
        json.dumps([data, report.analysed, report.error], sort_keys=True, default=str).encode(),
        digest_size=8,
    ).hexdigest()
    params = request.GET.copy()
    for key in ("v", "logs", "format", "wait"):
        params.pop(key, None)
    names = report.names
    polling, poll_ms = _polling(report)
    return {
        "report": report,
        "scope": scope,
        "path": browse_path(scope.farm_id, scope.queue_id, scope.job_id, scope.step_id),
        "crumbs": _crumbs(scope, names),
        "subject": names.get(scope.kind) if scope.kind != "queue" else names.get("queue"),
        "groups": _groups(report, links, data),
        "clusters": _clusters(report, links),
        "version": version,
        "polling": polling,
        "poll_ms": poll_ms,
        **_urls(request, params, version),
        "links": links,
        "windows": failures.WINDOWS,
        "worker_label": report.worker_label if report.worker_id else "",
        "level_url": _level_url(scope),
        "now": resources.now(),
        "tasks_shown": TASKS_SHOWN,
    }


def _polling(report: FailureReport) -> tuple[bool, int]:
    """Whether the live part polls, and how often (ms)."""
    if report.error and not report.running:
        return True, int(settings.DASHBOARD_POLL_SECONDS * 1000)
    if not report.complete:
        return True, ANALYSIS_POLL_MS
    # Finished: a live scope still changes (new failures), a settled one rarely.
    return not report.settled, int(settings.DASHBOARD_POLL_SECONDS * 2 * 1000)


def _crumbs(scope: FailureScope, names: Mapping[str, str]) -> list[dict[str, Any]]:
    crumb_names = {k: v for k, v in names.items() if k in {"farm", "queue", "job", "step"}}
    path = browse_path(scope.farm_id, scope.queue_id, scope.job_id, scope.step_id)
    crumbs = browse_crumbs(path, crumb_names, scope.kind)
    crumbs[-1] = {**crumbs[-1], "url": _level_url(scope), "current": False}
    crumbs.append({"kind": "", "id": "", "name": "Failures", "url": None, "current": True})
    return crumbs


def _groups(report: FailureReport, links: Links, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Each group as the page shows it: its JSON, links, first tasks, steps and jobs."""
    names = report.names
    return [
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


def _clusters(report: FailureReport, links: Links) -> list[dict[str, Any]]:
    last_seen = {group.signature: group.last_seen for group in report.groups}
    return [
        {
            "cluster": cluster,
            "queue_url": links.worker_failures(cluster.worker_id, last_seen.get(cluster.signature)),
            "percent": round(100 * cluster.share),
            "baseline_percent": None if cluster.baseline is None else round(100 * cluster.baseline),
        }
        for cluster in report.clusters
    ]


def _urls(request: HttpRequest, params: QueryDict, version: str) -> dict[str, str]:
    """The page's own URLs: its poll, the formats, more logs, every worker."""

    def with_param(key: str, value: str) -> str:
        changed = params.copy()
        changed[key] = value
        return f"{request.path}?{changed.urlencode()}"

    page_url = request.path + (f"?{params.urlencode()}" if params else "")
    return {
        "poll_url": with_param("v", version),
        "page_url": page_url,
        "json_url": with_param("format", "json"),
        "markdown_url": with_param("format", "markdown"),
        "csv_url": with_param("format", "csv"),
        "more_logs_url": with_param("logs", "more"),
        "absolute_page_url": request.build_absolute_uri(page_url),
        "all_workers_url": _all_workers_url(request, params),
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
