"""Views: translate HTTP to a service call and back; decide nothing else.

``task_detail`` serves the full page, or for an htmx poll the task panel fragment: 204 when
the browser already holds the current version, and the last data plus an inline warning
(nothing swapped) when the API fails.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect, reswap

from . import services, triage_views
from .exceptions import (
    RESOURCE_KINDS,
    AccessDenied,
    DeadlineError,
    InvalidRequest,
    NotFound,
    Unavailable,
)
from .forms import GotoForm, JobFilterForm, NavigationForm, TaskFilterForm
from .types import (
    Job,
    Queue,
    SearchWindow,
    Step,
    Task,
    TaskPath,
    TaskRunStatus,
    TaskSummary,
    is_settled,
)

logger = logging.getLogger(__name__)

_KIND_LABELS = {"farm": "Farm", "queue": "Queue", "job": "Job", "step": "Step", "task": "Task"}


# --- Pages -------------------------------------------------------------------------------------


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The navigation form (farm -> queue -> job -> step -> task), the go-to box and, in demo
    mode, a few interesting tasks. A complete selection redirects to the task's page; an
    htmx request (a select changed) gets only the levels below the one that changed."""
    form = NavigationForm(request.GET or None)
    trigger = request.htmx.trigger_name if _is_fragment(request) else None
    chosen = _nav_selection(form, trigger)
    if form.is_bound and trigger is None and not form.errors and len(chosen) == len(_LEVELS):
        return redirect("task_detail", **{f"{level}_id": v for level, v in chosen.items()})
    start = _NAV_TRIGGERS.get(trigger or "", "farm")
    context = {"form": form, "slots": _nav_slots(form, chosen, start, oob=trigger is not None)}
    if trigger is not None:
        response = render(request, "tasks_app/_nav_slots.html", context)
    else:
        context["goto_form"] = GotoForm()
        context["examples"] = services.example_tasks()
        response = render(request, "tasks_app/home.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_GET
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
        triage_reads = triage_views.start_triage(request, path)
        try:
            page = services.get_task_page(path=path)
        except DeadlineError as exc:
            response = error_response(request, exc, path=path)
        else:
            context = _panel_context(request, path, page.task)
            context["crumbs"] = _crumbs(path, names=_names(page))
            context = {**triage_views.triage_context(request, path, triage_reads), **context}
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


# --- Browse ------------------------------------------------------------------------------------
# Farms -> queues -> jobs -> steps -> tasks. Each page is one view serving the full page, or for
# htmx (polls, filter changes) only its live container: 204 when the poll's version is current.


def _is_fragment(request: HttpRequest) -> bool:
    """An htmx request for a page's live part (not a boosted link nor a history restore)."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def _browse_path(farm_id: str, queue_id: str = "", job_id: str = "", step_id: str = "") -> TaskPath:
    """A partial path (deeper IDs empty) for crumbs and nearest-parent links."""
    return TaskPath(farm_id, queue_id, job_id, step_id, "")


def _browse_crumbs(path: TaskPath, names: dict[str, str], upto: str) -> list[dict[str, Any]]:
    crumbs = _crumbs(path, names=names, upto=upto)
    crumbs[-1] = {**crumbs[-1], "url": None, "current": True}
    return crumbs


def _named(**resources: Any) -> dict[str, str]:
    return {kind: resource.name for kind, resource in resources.items() if resource is not None}


def _params(request: HttpRequest) -> QueryDict:
    """The query string the page was asked with, minus the poll's version."""
    params = request.GET.copy()
    params.pop("v", None)
    return params


def _url_with(params: QueryDict, **changes: Any) -> str:
    query = params.copy()
    for key, value in changes.items():
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = str(value)
    return f"?{query.urlencode()}" if query else "?"


def _version(*parts: Any) -> str:
    text = "|".join(part.version for part in parts)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _live_context(request: HttpRequest, *, version: str, settled: bool = False) -> dict[str, Any]:
    params = _params(request)
    poll = params.copy()
    poll["v"] = version
    return {
        "params": params,
        "version": version,
        "settled": settled,
        "poll_url": f"{request.path}?{poll.urlencode()}",
        "poll_seconds": settings.DASHBOARD_POLL_SECONDS,
        "poll_ms": int(settings.DASHBOARD_POLL_SECONDS * 1000),
        "now": services.now(),
        "page_url": request.path + (f"?{params.urlencode()}" if params else ""),
    }


def _browse_response(
    request: HttpRequest,
    *,
    template: str,
    fragment: str,
    context: dict[str, Any],
    status: int = 200,
) -> HttpResponse:
    if _is_fragment(request):
        if status == 200 and request.GET.get("v") == context.get("version"):
            response = _unchanged()
        else:
            context["fragment"] = True
            response = render(request, fragment, context, status=status)
    else:
        response = render(request, template, context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _browse_failed(
    request: HttpRequest, exc: DeadlineError, path: TaskPath | None = None
) -> HttpResponse:
    """The task page's error mapping; an htmx request keeps what the page shows and gets
    only the warning slot."""
    if _is_fragment(request):
        html = render_to_string(
            "tasks_app/_poll_warning.html", {"error": exc, "now": services.now()}, request
        )
        response = reswap(HttpResponse(html), "none")
    else:
        response = error_response(request, exc, path=path)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _pagination(params: QueryDict, window: SearchWindow) -> dict[str, Any]:
    def page_url(page: int) -> str:
        return _url_with(params, page=None if page == 1 else page)

    return {
        "window": window,
        "first_url": page_url(1) if window.has_previous else None,
        "previous_url": page_url(window.page - 1) if window.has_previous else None,
        "next_url": page_url(window.page + 1) if window.has_next else None,
        "last_url": page_url(window.page_count) if window.has_next else None,
    }


def _sort_columns(
    params: QueryDict, labels: dict[str, str], current: str, descending: bool
) -> dict[str, dict[str, Any]]:
    """Per sortable column: the link that sorts by it (toggling the order) and aria-sort."""
    columns = {}
    for field_name, label in labels.items():
        active = field_name == current
        order = ("asc" if descending else "desc") if active else "asc"
        columns[field_name] = {
            "label": label,
            "url": _url_with(params, sort=field_name, order=order, page=None),
            "aria_sort": ("descending" if descending else "ascending") if active else None,
        }
    return columns


@require_GET
def farm_list(request: HttpRequest) -> HttpResponse:
    """Every farm the dashboard's credentials can see."""
    try:
        farms = services.list_farms()
    except DeadlineError as exc:
        return _browse_failed(request, exc)
    context = {
        "farms": farms.farms,
        "crumbs": [],
        **_live_context(request, version=farms.version, settled=True),
    }
    return _browse_response(
        request,
        template="tasks_app/farm_list.html",
        fragment="tasks_app/_farm_table.html",
        context=context,
    )


@require_GET
def farm_detail(request: HttpRequest, farm_id: str) -> HttpResponse:
    """A farm's queues, with status and blocked reason (live)."""
    path = _browse_path(farm_id)
    try:
        page = services.get_farm_overview(farm_id=farm_id, with_names=not _is_fragment(request))
    except DeadlineError as exc:
        return _browse_failed(request, exc, path)
    context = {
        "path": path,
        "farm": page.farm,
        "queues": page.queues.queues,
        "crumbs": _browse_crumbs(path, _named(farm=page.farm), "farm"),
        **_live_context(request, version=page.queues.version),
    }
    return _browse_response(
        request,
        template="tasks_app/farm_detail.html",
        fragment="tasks_app/_queue_table.html",
        context=context,
    )


@require_GET
def queue_detail(request: HttpRequest, farm_id: str, queue_id: str) -> HttpResponse:
    """A queue's jobs: newest first, filtered, sorted and paged by one SearchJobs call."""
    path = _browse_path(farm_id, queue_id)
    form = JobFilterForm(request.GET)
    query = form.query()
    try:
        page = services.get_queue_overview(
            farm_id=farm_id, queue_id=queue_id, query=query, with_names=not _is_fragment(request)
        )
    except DeadlineError as exc:
        return _browse_failed(request, exc, path)
    params = _params(request)
    context = {
        "path": path,
        "form": form,
        "farm": page.farm,
        "queue": page.queue,
        "jobs": page.jobs.jobs,
        "query": query,
        "filtered": bool(query.run_status or query.lifecycle_status or query.name),
        "columns": _sort_columns(params, services.JOB_SORTS, query.sort, query.descending),
        "pagination": _pagination(params, page.jobs.window),
        "crumbs": _browse_crumbs(path, _named(farm=page.farm, queue=page.queue), "queue"),
        **_live_context(request, version=page.jobs.version),
    }
    return _browse_response(
        request,
        template="tasks_app/queue_detail.html",
        fragment="tasks_app/_job_table.html",
        context=context,
        status=400 if form.errors else 200,
    )


@require_GET
def job_detail(request: HttpRequest, farm_id: str, queue_id: str, job_id: str) -> HttpResponse:
    """A job (status bar, counts, times) and its steps; polls stop once every task settled."""
    path = _browse_path(farm_id, queue_id, job_id)
    try:
        page = services.get_job_overview(
            farm_id=farm_id, queue_id=queue_id, job_id=job_id, with_names=not _is_fragment(request)
        )
    except DeadlineError as exc:
        return _browse_failed(request, exc, path)
    job = page.job
    context = {
        "path": path,
        "job": job,
        "steps": page.steps.steps,
        "crumbs": _browse_crumbs(path, _named(farm=page.farm, queue=page.queue, job=job), "job"),
        **_live_context(
            request, version=_version(job, page.steps), settled=is_settled(job.status_counts)
        ),
    }
    return _browse_response(
        request,
        template="tasks_app/job_detail.html",
        fragment="tasks_app/_job_live.html",
        context=context,
    )


@require_GET
def step_detail(
    request: HttpRequest, farm_id: str, queue_id: str, job_id: str, step_id: str
) -> HttpResponse:
    """A step and its task table: filter, search, sort and pages served by SearchTasks."""
    path = _browse_path(farm_id, queue_id, job_id, step_id)
    form = TaskFilterForm(request.GET)
    query = form.query()
    try:
        page = services.get_step_overview(
            farm_id=farm_id,
            queue_id=queue_id,
            job_id=job_id,
            step_id=step_id,
            query=query,
            with_names=not _is_fragment(request),
        )
    except DeadlineError as exc:
        return _browse_failed(request, exc, path)
    params = _params(request)
    step = page.step
    names = _named(farm=page.farm, queue=page.queue, job=page.job, step=step)
    context = {
        "path": path,
        "form": form,
        "step": step,
        "job": page.job,
        "tasks": page.tasks.tasks,
        "query": query,
        "filtered": bool(query.run_status or query.search),
        "failed_count": step.status_counts.get(TaskRunStatus.FAILED, 0),
        "failed_url": _url_with(params, status="FAILED", page=None),
        "all_url": _url_with(params, status=None, q=None, page=None),
        "columns": _sort_columns(params, services.TASK_SORTS, query.sort, query.descending),
        "pagination": _pagination(params, page.tasks.window),
        "beyond_window": step.total_tasks > services.SEARCH_WINDOW,
        "crumbs": _browse_crumbs(path, names, "step"),
        **_live_context(
            request, version=_version(step, page.tasks), settled=is_settled(step.status_counts)
        ),
    }
    return _browse_response(
        request,
        template="tasks_app/step_detail.html",
        fragment="tasks_app/_step_live.html",
        context=context,
        status=400 if form.errors else 200,
    )


# --- Go to -------------------------------------------------------------------------------------


@require_GET
def go_to(request: HttpRequest) -> HttpResponse:
    """``/go/?q=...``: redirect to the deepest level the pasted text names, or say what is
    missing or malformed next to the field (nothing is sent to the API)."""
    form = GotoForm(request.GET if "q" in request.GET else None)
    if form.is_bound and form.is_valid():
        destination = form.cleaned_data["q"]
        url = reverse(f"{destination.level}_detail", kwargs=destination.as_kwargs())
        if _is_fragment(request):
            return HttpResponseClientRedirect(url)
        return redirect(url)
    context = {"goto_form": form}
    template = "tasks_app/_goto_form.html" if _is_fragment(request) else "tasks_app/goto.html"
    response = render(request, template, context, status=400 if form.is_bound else 200)
    patch_vary_headers(response, ("HX-Request",))
    return response


# --- The navigation form (home) ----------------------------------------------------------------

_LEVELS = ("farm", "queue", "job", "step", "task")
_LEVEL_LABELS = {"farm": "Farm", "queue": "Queue", "job": "Job", "step": "Step", "task": "Task"}
# Slots of the form, top-down; htmx swaps the slots below the field that changed.
_NAV_SLOTS = ("farm", "queue", "jobfilter", "job", "step", "taskfilter", "task", "submit")
_NAV_TRIGGERS = {
    "farm_id": "queue",
    "queue_id": "jobfilter",
    "job_filter": "job",
    "job_id": "step",
    "step_id": "taskfilter",
    "task_search": "task",
    "task_status": "task",
}
_NAV_PAGE_SIZE = 100
# What the submit button does, by the first level still to choose (the no-JavaScript path).
_NAV_BUTTONS = {
    "farm": "Show queues",
    "queue": "Show jobs",
    "job": "Show steps",
    "step": "Show tasks",
    "task": "Open task",
}


def _nav_selection(form: NavigationForm, trigger: str | None) -> dict[str, str]:
    """The levels chosen, top-down, stopping at the first empty or malformed one; levels
    below one that just changed are dropped (they belonged to the previous choice)."""
    if not form.is_bound:
        return {}
    form.is_valid()
    chosen: dict[str, str] = {}
    for level in _LEVELS:
        value = form.cleaned_data.get(f"{level}_id") or ""
        if not value or f"{level}_id" in form.errors:
            break
        chosen[level] = value
    changed: str | None = None
    if trigger in {f"{level}_id" for level in _LEVELS}:
        changed = trigger.removesuffix("_id")
    elif trigger is None and "shown" in form.data:
        shown = (form.cleaned_data.get("shown") or "").split("|")
        for position, level in enumerate(_LEVELS[:-1]):
            before = shown[position] if position < len(shown) else ""
            if chosen.get(level, "") != before:
                changed = level
                break
    if changed is not None:
        keep = _LEVELS[: _LEVELS.index(changed) + 1]
        chosen = {level: value for level, value in chosen.items() if level in keep}
    return chosen


def _option(value: str, label: str, selected: str | None) -> dict[str, Any]:
    return {"value": value, "label": label, "selected": value == selected}


def _nav_options(
    form: NavigationForm, chosen: dict[str, str], first: int = 0
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, list[str]], dict[str, str]]:
    """Options per level (from the API), errors per level, notes per level. Loading stops
    at the first level that cannot be read; its error is shown next to its field."""
    options: dict[str, list[dict[str, Any]]] = {}
    errors: dict[str, list[str]] = {
        level: list(form.errors.get(f"{level}_id", [])) for level in _LEVELS
    }
    notes: dict[str, str] = {}
    data = form.cleaned_data if form.is_bound else {}
    ids = {f"{level}_id": value for level, value in chosen.items()}

    def load(level: str) -> None:
        if level == "farm":
            options["farm"] = [
                _option(f.farm_id, f.display_name, chosen.get("farm"))
                for f in services.list_farms().farms
            ]
        elif level == "queue":
            options["queue"] = [
                _option(q.queue_id, _queue_label(q), chosen.get("queue"))
                for q in services.list_queues(farm_id=ids["farm_id"]).queues
            ]
        elif level == "job":
            page = services.search_jobs(
                farm_id=ids["farm_id"],
                queue_id=ids["queue_id"],
                query=services.JobQuery(name=data.get("job_filter", ""), page_size=_NAV_PAGE_SIZE),
            )
            options["job"] = [
                _option(j.job_id, _job_label(j), chosen.get("job")) for j in page.jobs
            ]
            if page.window.total > len(page.jobs):
                notes["job"] = (
                    f"The {len(page.jobs)} newest of {page.window.total} jobs: "
                    "filter by name to find older ones."
                )
            elif not page.jobs:
                notes["job"] = "No job matches." if data.get("job_filter") else "No jobs yet."
        elif level == "step":
            options["step"] = [
                _option(s.step_id, _step_label(s), chosen.get("step"))
                for s in services.list_steps(
                    farm_id=ids["farm_id"], queue_id=ids["queue_id"], job_id=ids["job_id"]
                ).steps
            ]
        elif level == "task":
            query = services.TaskQuery(
                run_status=data.get("task_status", ""),
                search=data.get("task_search", ""),
                page_size=_NAV_PAGE_SIZE,
            )
            page = services.get_step_overview(
                **{k: ids[k] for k in ("farm_id", "queue_id", "job_id", "step_id")},
                query=query,
                with_names=False,
            ).tasks
            options["task"] = [
                _option(t.task_id, _task_label(t), chosen.get("task")) for t in page.tasks
            ]
            if page.window.total > len(page.tasks):
                notes["task"] = (
                    f"{len(page.tasks)} of {page.window.total} tasks shown: type a task index "
                    "or a parameter value (Frame=1042) to find another."
                )
            elif not page.tasks:
                notes["task"] = (
                    "No task matches."
                    if query.search or query.run_status
                    else ("This step has no tasks.")
                )

    for position, level in enumerate(_LEVELS):
        if position > 0 and _LEVELS[position - 1] not in chosen:
            break
        if position < first:
            continue
        try:
            load(level)
        except DeadlineError as exc:
            target = level
            if isinstance(exc, NotFound) and exc.resource_type in _LEVELS:
                target = exc.resource_type
            errors[target].append(exc.message)
            break
    # A chosen ID the list does not show (an older job, a task outside the first page), or
    # whose list could not be read: keep it visible and selected.
    for level, value in chosen.items():
        listed = options.setdefault(level, [])
        if all(o["value"] != value for o in listed):
            listed.insert(0, _option(value, value, value))
    return options, errors, notes


def _queue_label(queue: Queue) -> str:
    status = (queue.status or "").replace("_", " ").lower()
    blocked = f": {queue.blocked_reason.replace('_', ' ').lower()}" if queue.blocked_reason else ""
    return f"{queue.display_name} — {status}{blocked}" if status else queue.display_name


def _job_label(job: Job) -> str:
    status = job.task_run_status.label if job.task_run_status else job.lifecycle_status
    created = f" · {job.created_at:%Y-%m-%d %H:%M}" if job.created_at else ""
    return f"{job.name} — {status}{created}"


def _step_label(step: Step) -> str:
    status = step.task_run_status.label if step.task_run_status else step.lifecycle_status
    return f"{step.name} — {status}, {step.total_tasks} task{'s' if step.total_tasks != 1 else ''}"


def _task_label(task: TaskSummary) -> str:
    parts = [f"#{task.index}" if task.index is not None else task.task_id]
    if task.parameter_summary:
        parts.append(task.parameter_summary)
    label = " · ".join(parts) + f" — {task.run_status.label}"
    if task.retries:
        label += f" ({task.retries} retr{'y' if task.retries == 1 else 'ies'})"
    return label


def _nav_slots(
    form: NavigationForm, chosen: dict[str, str], start: str, *, oob: bool
) -> list[dict[str, Any]]:
    rendered = _NAV_SLOTS[_NAV_SLOTS.index(start) :]
    first = min((_LEVELS.index(slot) for slot in rendered if slot in _LEVELS), default=len(_LEVELS))
    options, errors, notes = _nav_options(form, chosen, first)
    data = form.cleaned_data if form.is_bound else {}
    slots = []
    for slot in rendered:
        entry: dict[str, Any] = {"slot": slot, "oob": oob and bool(slots)}
        if slot in _LEVELS:
            position = _LEVELS.index(slot)
            parent = _LEVELS[position - 1] if position else None
            next_slot = _NAV_SLOTS[_NAV_SLOTS.index(slot) + 1]
            entry.update(
                name=f"{slot}_id",
                label=_LEVEL_LABELS[slot],
                options=options.get(slot, []),
                enabled=slot in options,
                errors=errors.get(slot, []),
                note=notes.get(slot, ""),
                placeholder=(f"Choose a {slot}" if slot in options else f"Choose a {parent} first"),
                # The task select only chooses; the submit button opens the task.
                next_slot=None if slot == "task" else next_slot,
            )
        elif slot == "jobfilter":
            entry.update(enabled="queue" in chosen, value=data.get("job_filter", ""))
            entry["errors"] = form.errors.get("job_filter", []) if form.is_bound else []
        elif slot == "taskfilter":
            entry.update(
                enabled="step" in chosen,
                value=data.get("task_search", ""),
                status=data.get("task_status", ""),
                statuses=[(s.value, s.label) for s in TaskRunStatus.known()],
            )
            entry["errors"] = (
                [*form.errors.get("task_search", []), *form.errors.get("task_status", [])]
                if form.is_bound
                else []
            )
        else:  # submit
            entry.update(
                shown="|".join(chosen.get(level, "") for level in _LEVELS[:-1]),
                button=_NAV_BUTTONS[next((lv for lv in _LEVELS if lv not in chosen), "task")],
            )
        slots.append(entry)
    return slots
