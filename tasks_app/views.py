"""Views: translate HTTP to a service call and back; decide nothing else.

``task_detail`` serves the full page, or for an htmx poll the task panel fragment: 204 when
the browser already holds the current version, and the last data plus an inline warning
(nothing swapped) when the API fails.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET
from django_htmx.http import reswap

from . import services
from .exceptions import (
    RESOURCE_KINDS,
    AccessDenied,
    DeadlineError,
    InvalidRequest,
    NotFound,
    Unavailable,
)
from .forms import TaskIdsForm
from .types import Task, TaskPath

logger = logging.getLogger(__name__)

_KIND_LABELS = {"farm": "Farm", "queue": "Queue", "job": "Job", "step": "Step", "task": "Task"}


# --- Pages -------------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Open a task by its IDs; in demo mode, a few interesting tasks of the demo world."""
    # A submitted form always carries task_id; links to a parent level only pre-fill the form.
    if "task_id" in request.GET:
        form = TaskIdsForm(request.GET)
    else:
        form = TaskIdsForm(initial=request.GET.dict())
    if form.is_bound and form.is_valid():
        return redirect("task_detail", **form.cleaned_data)
    context = {"form": form, "examples": services.example_tasks()}
    return render(request, "tasks_app/home.html", context)


@require_GET
def task_detail(
    request: HttpRequest, farm_id: str, queue_id: str, job_id: str, step_id: str, task_id: str
) -> HttpResponse:
    """The live task page; for htmx polls, only the task panel (or 204 when unchanged)."""
    path = TaskPath(farm_id, queue_id, job_id, step_id, task_id)
    if request.htmx and not request.htmx.boosted:
        response = _task_panel(request, path)
    else:
        try:
            page = services.get_task_page(path=path)
        except DeadlineError as exc:
            response = error_response(request, exc, path=path)
        else:
            context = _panel_context(request, path, page.task)
            context["crumbs"] = _crumbs(path, names=_names(page))
            response = render(request, "tasks_app/task_detail.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _task_panel(request: HttpRequest, path: TaskPath) -> HttpResponse:
    try:
        task = services.get_task(**path.as_kwargs())
    except DeadlineError as exc:
        # Keep the panel the browser shows; swap only the warning slot (out of band).
        html = render_to_string(
            "tasks_app/_poll_warning.html", {"error": exc, "now": services.now()}, request
        )
        return reswap(HttpResponse(html), "none")
    if request.GET.get("v") == task.version:
        return _unchanged()
    context = _panel_context(request, path, task)
    context["fragment"] = True
    return render(request, "tasks_app/_task_panel.html", context)


def _unchanged() -> HttpResponse:
    """204: htmx swaps nothing and keeps polling; the smallest answer we can give."""
    response = HttpResponse(status=204)
    del response["Content-Type"]
    response["Cache-Control"] = "no-store"
    return response


def _panel_context(request: HttpRequest, path: TaskPath, task: Task) -> dict[str, Any]:
    now = services.now()
    poll_seconds = (
        settings.DASHBOARD_TERMINAL_POLL_SECONDS
        if task.is_terminal
        else settings.DASHBOARD_POLL_SECONDS
    )
    return {
        "path": path,
        "task": task,
        "now": now,
        "duration": task.duration(now),
        "poll_seconds": poll_seconds,
        "poll_ms": int(poll_seconds * 1000),
        "page_title": f"{task.run_status.label} · {path.task_id} · Deadline Task Dashboard",
        "poll_url": f"{request.path}?{urlencode({'v': task.version})}",
        "page_url": request.path,
    }


def _names(page: services.TaskPage) -> dict[str, str]:
    names = {}
    for kind in ("farm", "queue", "job", "step"):
        resource = getattr(page, kind)
        if resource is not None:
            names[kind] = resource.name
    return names


def _level_url(kind: str, ids: dict[str, str]) -> str:
    """The page of one level: its browse page when the project has one, else the home form
    with the IDs down to that level filled in."""
    wanted = RESOURCE_KINDS[: RESOURCE_KINDS.index(kind) + 1]
    kwargs = {f"{k}_id": ids[f"{k}_id"] for k in wanted}
    try:
        return reverse(f"{kind}_detail", kwargs=kwargs)
    except NoReverseMatch:
        return f"{reverse('home')}?{urlencode(kwargs)}"


def _crumbs(
    path: TaskPath, *, names: dict[str, str] | None = None, upto: str = "task"
) -> list[dict[str, Any]]:
    """Breadcrumbs farm -> ... -> ``upto``: kind label, ID, display name and link; the task
    itself is the current page."""
    ids = path.as_kwargs()
    names = names or {}
    return [
        {
            "kind": _KIND_LABELS[kind],
            "id": ids[f"{kind}_id"],
            "name": names.get(kind),
            "url": None if kind == "task" else _level_url(kind, ids),
            "current": kind == "task",
        }
        for kind in RESOURCE_KINDS[: RESOURCE_KINDS.index(upto) + 1]
    ]


# --- Errors ------------------------------------------------------------------------------------


def error_response(
    request: HttpRequest, exc: DeadlineError, *, path: TaskPath | None = None
) -> HttpResponse:
    """The error page for a domain error: 404, 403, 400 or 503 with Retry-After."""
    context: dict[str, Any] = {"error": exc}
    if isinstance(exc, NotFound):
        template, status = "404.html", 404
        context["missing_kind"] = _KIND_LABELS.get(exc.resource_type, exc.resource_type.title())
        context["missing_id"] = exc.resource_id
        if path is not None and exc.resource_type in RESOURCE_KINDS[1:]:
            parent = RESOURCE_KINDS[RESOURCE_KINDS.index(exc.resource_type) - 1]
            context["parents"] = _crumbs(path, upto=parent)
    elif isinstance(exc, AccessDenied):
        template, status = "403.html", 403
        context["action"] = exc.action
    elif isinstance(exc, InvalidRequest):
        template, status = "400.html", 400
    else:
        template, status = "503.html", 503
    response = render(request, template, context, status=status)
    if isinstance(exc, Unavailable):
        response["Retry-After"] = str(exc.retry_after)
    elif status == 503:
        response["Retry-After"] = str(services.DEFAULT_RETRY_AFTER)
    return response


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: unknown URLs and malformed IDs (rejected before any API call)."""
    context = {"malformed_path": request.path.startswith("/farms/")}
    return render(request, "404.html", context, status=404)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler403."""
    return render(request, "403.html", {}, status=403)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler400."""
    return render(request, "400.html", {}, status=400)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: a plain page, never a traceback; falls back to text if templates fail."""
    try:
        return render(request, "500.html", {}, status=500)
    except Exception:  # the page of last resort must not raise
        logger.exception("rendering 500.html failed")
        return HttpResponse("Internal error.", status=500, content_type="text/plain; charset=utf-8")
