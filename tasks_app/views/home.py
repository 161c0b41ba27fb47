"""The home page's navigation form (farm -> queue -> job -> step -> task selects that work
without JavaScript too) and the go-to box (``/go/?q=...``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe
from django_htmx.http import HttpResponseClientRedirect

from .. import goto
from ..deadline.errors import DeadlineError, NotFound
from ..deadline.types import Job, Queue, Step, TaskRunStatus, TaskSummary
from ..forms import GotoForm, NavigationForm
from ..selectors import browse, find, resources
from .common import is_fragment
from .errors import failed_response, mark_dashboard_page


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The navigation form (farm -> queue -> job -> step -> task), the go-to box and, in demo
    mode, a few interesting tasks. A complete selection redirects to the task's page; an
    htmx request (a select changed) gets only the levels below the one that changed."""
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
        context["examples"] = browse.example_tasks()
        response = render(request, "tasks_app/home.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_safe
def go_to(request: HttpRequest) -> HttpResponse:
    """``/go/?q=...``: redirect to the deepest level the pasted text names, or say what is
    missing or malformed next to the field (nothing is sent to the API)."""
    form = GotoForm(request.GET if "q" in request.GET else None)
    context: dict[str, Any] = {"goto_form": form}
    status = 400 if form.is_bound else 200
    if form.is_bound and form.is_valid():
        destination = form.cleaned_data["q"]
        if isinstance(destination, goto.Destination):
            url = reverse(f"{destination.level}_detail", kwargs=destination.as_kwargs())
            return _go(request, url)
        try:
            found = _look_up(destination)
        except DeadlineError as exc:
            return failed_response(request, exc)
        if len(found.matches) == 1 and (destination.job_id or not found.more):
            return _go(request, _match_url(found.matches[0], destination))
        if found.matches and is_fragment(request):
            return HttpResponseClientRedirect(request.get_full_path())  # the list, full page
        context.update(lookup=destination, found=found, now=resources.now())
        if not found.matches:
            form.add_error("q", _nothing_found(destination, found))
        status = 200 if found.matches else 404
    template = "tasks_app/_goto_form.html" if is_fragment(request) else "tasks_app/goto.html"
    response = mark_dashboard_page(render(request, template, context, status=status))
    patch_vary_headers(response, ("HX-Request",))
    return response


def _go(request: HttpRequest, url: str) -> HttpResponse:
    if is_fragment(request):
        return HttpResponseClientRedirect(url)
    return redirect(url)


def _look_up(lookup: goto.JobLookup) -> find.JobMatches:
    if lookup.job_id:
        return find.find_job_by_id(job_id=lookup.job_id, farm_id=lookup.farm_id)
    return find.find_jobs_by_name(name=lookup.name)


def _match_url(match: find.JobMatch, lookup: goto.JobLookup) -> str:
    ids = {"farm_id": match.farm_id, "queue_id": match.queue_id, "job_id": match.job_id}
    ids.update({f"{level}_id": value for level, value in lookup.deeper})
    level = lookup.deeper[-1][0] if lookup.deeper else "job"
    return reverse(f"{level}_detail", kwargs=ids)


def _nothing_found(lookup: goto.JobLookup, found: find.JobMatches) -> str:
    where = "in the queues the dashboard can see"
    if found.unread:
        where += f" (could not read: {', '.join(found.unread[:5])})"
    if lookup.job_id:
        return f"No job `{lookup.job_id}` {where}."
    return f"No job name contains “{lookup.name}” {where}."


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
                for f in browse.list_farms().farms
            ]
        elif level == "queue":
            options["queue"] = [
                _option(q.queue_id, _queue_label(q), chosen.get("queue"))
                for q in browse.list_queues(farm_id=ids["farm_id"]).queues
            ]
        elif level == "job":
            page = browse.search_jobs(
                farm_id=ids["farm_id"],
                queue_id=ids["queue_id"],
                query=browse.JobQuery(name=data.get("job_filter", ""), page_size=_NAV_PAGE_SIZE),
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
                for s in browse.list_steps(
                    farm_id=ids["farm_id"], queue_id=ids["queue_id"], job_id=ids["job_id"]
                ).steps
            ]
        elif level == "task":
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
            options["task"] = [
                _option(t.task_id, _task_label(t), chosen.get("task")) for t in page.tasks
            ]
            if page.window.total > len(page.tasks):
                notes["task"] = (
                    f"{len(page.tasks)} of {page.window.total} tasks shown: type a frame, a task "
                    "index (#1042) or a parameter value (Frame=1042) to find another."
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
