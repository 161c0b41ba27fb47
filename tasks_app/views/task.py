"""The live task page: the full page, or for an htmx poll the task panel fragment (204 when
the browser already holds the current version, the last data plus an inline warning when the
API fails)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe
from django_htmx.http import reswap

from ..deadline.errors import DeadlineError
from ..deadline.types import Task, TaskPath
from ..donut import DonutCache
from ..selectors import resources, task_page
from .common import crumbs, unchanged
from .errors import error_response
from .farm_task import task_worker_log
from .triage import start_triage, triage_context

#: The task panel a poll answers with, rendered once per task version (tasks_app/donut.py).
_PANELS = DonutCache("tasks_app/_task_panel.html")


@require_safe
def task_detail(
    request: HttpRequest, farm_id: str, queue_id: str, job_id: str, step_id: str, task_id: str
) -> HttpResponse:
    """The live task page; for htmx polls, only the task panel (or 204 when unchanged)."""
    path = TaskPath(farm_id, queue_id, job_id, step_id, task_id)
    if request.htmx and not request.htmx.boosted:
        response = _task_panel(request, path)
    else:
        # Attempts and the log tail: placeholders htmx fills, or with ?attempt= inline (no-JS,
        # bookmarks), their reads started first so they run alongside the page's own.
        triage_reads = start_triage(request, path)
        try:
            page = task_page.get_task_page(path=path)
        except DeadlineError as exc:
            response = error_response(request, exc, path=path)
        else:
            step_name = page.step.name if page.step is not None else ""
            context = _panel_context(request, path, page.task, step_name=step_name)
            context["crumbs"] = crumbs(path, names=_names(page))
            context = {**triage_context(request, path, triage_reads), **context}
            context.update(task_worker_log(request, path, context))
            response = render(request, "tasks_app/task_detail.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _task_panel(request: HttpRequest, path: TaskPath) -> HttpResponse:
    try:
        task = resources.get_task(**path.as_kwargs())
    except DeadlineError as exc:
        # Keep the panel the browser shows; swap only the warning slot (out of band).
        html = render_to_string(
            "tasks_app/_poll_warning.html", {"error": exc, "now": resources.now()}, request
        )
        return reswap(HttpResponse(html), "none")
    if _holds_version(request, task.version):
        return unchanged()
    context = _panel_context(request, path, task)
    context["fragment"] = True
    # Everything the panel shows but the clock: the task's version, the URL (path, poll and
    # reload links) and the poll period. Every viewer of a changed task gets it rendered once.
    key = (task.version, request.path, context["poll_seconds"])
    return HttpResponse(_PANELS.render(key, context, request, now=context["now"]))


def _holds_version(request: HttpRequest, version: str) -> bool:
    """Whether the poll says the browser holds ``version`` (``?v=``).

    Polls send back the ``poll_url`` the panel gave them, ``?v=<hex digest>``: compared as
    it came, that costs no parsing of the query string, the price of a whole cached read.
    Any other query string is parsed as usual.
    """
    if request.META.get("QUERY_STRING") == f"v={version}":
        return True
    return request.GET.get("v") == version


def _panel_context(
    request: HttpRequest, path: TaskPath, task: Task, *, step_name: str = ""
) -> dict[str, Any]:
    """What the task panel shows; the poll (no ``step_name``: it reads no names) titles the
    tab like the page, by status and task label."""
    now = resources.now()
    label = task_page.task_label(task)
    poll_seconds = (
        settings.DASHBOARD_TERMINAL_POLL_SECONDS
        if task.is_terminal
        else settings.DASHBOARD_POLL_SECONDS
    )
    return {
        "path": path,
        "task": task,
        "now": now,
        "poll_seconds": poll_seconds,
        "poll_ms": int(poll_seconds * 1000),
        "task_label": label,
        "step_name": step_name,
        "page_title": f"{task.run_status.label} · {label} · Deadline Task Dashboard",
        "poll_url": f"{request.path}?{urlencode({'v': task.version})}",
        "page_url": request.path,
    }


def _names(page: task_page.TaskPage) -> dict[str, str]:
    names = {}
    for kind in ("farm", "queue", "job", "step"):
        resource = getattr(page, kind)
        if resource is not None:
            names[kind] = resource.name
    return names
