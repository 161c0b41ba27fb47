"""The browse page (``/browse/``): farm -> queue -> job -> step -> task selects that work without
JavaScript too (each submit fills the next level; with htmx a change fills the levels below)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from ..deadline.errors import DeadlineError, NotFound
from ..deadline.types import Job, Queue, Step, TaskRunStatus, TaskSummary
from ..forms import GotoForm, NavigationForm
from ..selectors import browse
from .common import is_fragment


@require_safe
def browse_page(request: HttpRequest) -> HttpResponse:
    """The navigation form. A complete selection redirects to the task's page; an htmx
    request (a select changed) gets only the levels below the one that changed."""
    form = NavigationForm(request.GET or None)
    trigger = request.htmx.trigger_name if is_fragment(request) else None
    chosen = _nav_selection(form, trigger)
    if form.is_bound and trigger is None and not form.errors and len(chosen) == len(_LEVELS):
        return redirect("task_detail", **{f"{level}_id": v for level, v in chosen.items()})
    start = _NAV_TRIGGERS.get(trigger or "", "farm")
    context = {"form": form, "slots": _nav_slots(form, chosen, start, oob=trigger is not None)}
    if trigger is not None:
        response = render(request, "tasks_app/_nav_slots.html", context)
    else:
        context["goto_form"] = GotoForm()
        context["examples"] = browse.example_tasks()  # the demo world's notable tasks
        response = render(request, "tasks_app/browse.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


_LEVELS = ("farm", "queue", "job", "step", "task")


_LEVEL_LABELS = {"farm": "Farm", "queue": "Queue", "job": "Job", "step": "Step", "task": "Task"}


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


#: One level's options and, when worth saying, a note about them.
_Loaded = tuple[list[dict[str, Any]], str]


def _load_farms(ids: dict[str, str], data: dict[str, Any], chosen: str | None) -> _Loaded:
    return [_option(f.farm_id, f.display_name, chosen) for f in browse.list_farms().farms], ""


def _load_queues(ids: dict[str, str], data: dict[str, Any], chosen: str | None) -> _Loaded:
    queues = browse.list_queues(farm_id=ids["farm_id"]).queues
    return [_option(q.queue_id, _queue_label(q), chosen) for q in queues], ""


def _load_jobs(ids: dict[str, str], data: dict[str, Any], chosen: str | None) -> _Loaded:
    page = browse.search_jobs(
        farm_id=ids["farm_id"],
        queue_id=ids["queue_id"],
        query=browse.JobQuery(name=data.get("job_filter", ""), page_size=_NAV_PAGE_SIZE),
    )
    note = ""
    if page.window.total > len(page.jobs):
        note = (
            f"The {len(page.jobs)} newest of {page.window.total} jobs: "
            "filter by name to find older ones."
        )
    elif not page.jobs:
        note = "No job matches." if data.get("job_filter") else "No jobs yet."
    return [_option(j.job_id, _job_label(j), chosen) for j in page.jobs], note


def _load_steps(ids: dict[str, str], data: dict[str, Any], chosen: str | None) -> _Loaded:
    steps = browse.list_steps(
        farm_id=ids["farm_id"], queue_id=ids["queue_id"], job_id=ids["job_id"]
    ).steps
    return [_option(s.step_id, _step_label(s), chosen) for s in steps], ""


def _load_tasks(ids: dict[str, str], data: dict[str, Any], chosen: str | None) -> _Loaded:
    query = browse.TaskQuery(
        run_status=data.get("task_status", ""),
        search=data.get("task_search", ""),
        page_size=_NAV_PAGE_SIZE,
    )
    page = browse.get_step_overview(
        **{k: ids[k] for k in ("farm_id", "queue_id", "job_id", "step_id")},
        query=query,
        with_names=False,
    ).tasks
    note = ""
    if page.window.total > len(page.tasks):
        note = (
            f"{len(page.tasks)} of {page.window.total} tasks shown: type a frame, a task "
            "index (#1042) or a parameter value (Frame=1042) to find another."
        )
    elif not page.tasks:
        filtered = query.search or query.run_status
        note = "No task matches." if filtered else "This step has no tasks."
    return [_option(t.task_id, _task_label(t), chosen) for t in page.tasks], note


_LOADERS: dict[str, Callable[[dict[str, str], dict[str, Any], str | None], _Loaded]] = {
    "farm": _load_farms,
    "queue": _load_queues,
    "job": _load_jobs,
    "step": _load_steps,
    "task": _load_tasks,
}


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
    for position, level in enumerate(_LEVELS):
        if position > 0 and _LEVELS[position - 1] not in chosen:
            break
        if position < first:
            continue
        try:
            options[level], note = _LOADERS[level](ids, data, chosen.get(level))
        except DeadlineError as exc:
            target = level
            if isinstance(exc, NotFound) and exc.resource_type in _LEVELS:
                target = exc.resource_type
            errors[target].append(exc.message)
            break
        if note:
            notes[level] = note
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
