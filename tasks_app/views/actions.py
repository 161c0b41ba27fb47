"""Acting on work: ``POST <job, step or task URL>actions/`` previews an action (a page, or with
htmx a dialog); the same POST with the preview's ``confirm`` token executes it and redirects
(303) to its live result page. Who may act: ``tasks_app.permissions``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods
from django_htmx.http import HttpResponseClientRedirect

from ..deadline.errors import DeadlineError
from ..deadline.types import TaskPath, TaskRunStatus
from ..forms import REASON_MAX, ActionForm
from ..models import ActionRun
from ..permissions import acting_permission, actor_name
from ..selectors import failures
from ..services import actions, failure_runs
from .common import browse_path, is_fragment, level_url
from .errors import error_response


def see_other(url: str) -> HttpResponseRedirect:
    """303 See Other: after a POST, the browser GETs ``url``."""
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def job_actions(request: HttpRequest, farm_id: str, queue_id: str, job_id: str) -> HttpResponse:
    """Preview or execute an action on a job's tasks (or its priority)."""
    return _act(request, actions.Scope("job", farm_id, queue_id, job_id))


@require_http_methods(["GET", "HEAD", "POST"])
def step_actions(
    request: HttpRequest, farm_id: str, queue_id: str, job_id: str, step_id: str
) -> HttpResponse:
    """Preview or execute an action on a step's tasks."""
    return _act(request, actions.Scope("step", farm_id, queue_id, job_id, step_id))


@require_http_methods(["GET", "HEAD", "POST"])
def task_actions(
    request: HttpRequest, farm_id: str, queue_id: str, job_id: str, step_id: str, task_id: str
) -> HttpResponse:
    """Preview or execute an action on one task."""
    return _act(request, actions.Scope("task", farm_id, queue_id, job_id, step_id, task_id))


@require_http_methods(["GET", "HEAD", "POST"])
def job_failure_actions(
    request: HttpRequest, farm_id: str, queue_id: str, job_id: str
) -> HttpResponse:
    """Preview or execute an action on the tasks of one of a job's failure groups."""
    return _act(request, actions.Scope("failures", farm_id, queue_id, job_id))


@require_http_methods(["GET", "HEAD", "POST"])
def step_failure_actions(
    request: HttpRequest, farm_id: str, queue_id: str, job_id: str, step_id: str
) -> HttpResponse:
    """Preview or execute an action on the tasks of one of a step's failure groups."""
    return _act(request, actions.Scope("failures", farm_id, queue_id, job_id, step_id))


def scope_url(scope: actions.Scope) -> str:
    """The page of what an action applies to."""
    if scope.kind == "failures":
        ids = [scope.farm_id, scope.queue_id, scope.job_id]
        if scope.step_id:
            return reverse("step_failures", args=[*ids, scope.step_id])
        return reverse("job_failures", args=ids)
    if scope.kind == "task":
        return reverse(
            "task_detail",
            args=[scope.farm_id, scope.queue_id, scope.job_id, scope.step_id, scope.task_id],
        )
    ids = {"farm_id": scope.farm_id, "queue_id": scope.queue_id, "job_id": scope.job_id}
    if scope.kind == "step":
        return level_url("step", {**ids, "step_id": scope.step_id})
    return level_url("job", ids)


def _path(scope: actions.Scope) -> TaskPath:
    return browse_path(scope.farm_id, scope.queue_id, scope.job_id, scope.step_id)


def forbidden(request: HttpRequest, why: str) -> HttpResponse:
    return render(request, "403.html", {"refusal": why}, status=403)


def _act(request: HttpRequest, scope: actions.Scope) -> HttpResponse:
    if request.method != "POST":
        # Actions are forms on the job, step and task pages: a bookmarked or reloaded
        # actions/ URL goes back there.
        return HttpResponseRedirect(scope_url(scope))
    permission = acting_permission(request)
    if not permission.allowed:
        return forbidden(request, permission.why_not)
    form = ActionForm(request.POST)
    if not form.is_valid():
        return _invalid(request, scope, form.errors.as_text())
    data = form.cleaned_data
    if scope.kind == "failures":
        if not data["signature"]:
            return _invalid(request, scope, "Name the failure group (its signature).")
        scope = replace(scope, signature=data["signature"])
    try:
        choice = actions.ActionChoice.build(data["action"], data["run_status"], data["priority"])
        if data["confirm"] and request.POST.get("intent") != "preview":
            plan = actions.confirmed_plan(
                scope=scope, choice=choice, token=data["confirm"], username=actor_name(request)
            )
        else:
            plan = actions.plan(scope=scope, choice=choice)
    except actions.ActionError as exc:
        return _invalid(request, scope, str(exc))
    except DeadlineError as exc:
        return error_response(request, exc, path=_path(scope))
    username = actor_name(request)
    problem, before, running = "", {}, None
    if data["confirm"] and request.POST.get("intent") != "preview":
        confirmed = _confirm(request, plan, data, username)
        if isinstance(confirmed, HttpResponse):
            return confirmed
        problem, before, running = confirmed
    preview = actions.preview(plan=plan, username=username)
    context = _preview_context(scope, preview, data, problem, before)
    context["running_url"] = reverse("action_result", args=[running.pk]) if running else ""
    context["causes_pending"] = _causes_pending(scope, plan)
    fragment = is_fragment(request)
    template = "tasks_app/_action_preview.html" if fragment else "tasks_app/action_preview.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _confirm(
    request: HttpRequest, plan: actions.Plan, data: dict[str, Any], username: str
) -> HttpResponse | tuple[str, dict[str, Any], ActionRun | None]:
    """Start the action when the confirmation holds (a redirect to its result page);
    otherwise why the preview is shown again, and the running action in the way if any."""
    check = actions.check_confirmation(token=data["confirm"], plan=plan, username=username)
    if not check.ok:
        return check.problem, dict(check.before), None
    try:
        run = actions.start(
            plan=plan,
            username=username,
            reason=data["reason"],
            nonce=check.nonce,
            request_id=str(getattr(request, "request_id", "")),
            client_request_id=str(getattr(request, "client_request_id", "")),
        )
    except actions.ActionBusy as busy:
        return str(busy), {}, busy.run
    result = reverse("action_result", args=[run.pk])
    if request.htmx:
        return HttpResponseClientRedirect(result)
    return see_other(result)


def _causes_pending(scope: actions.Scope, plan: actions.Plan) -> bool:
    """The failures analysis of the scope runs now: the preview of its failed tasks names
    their causes once it ends, and re-reads itself until then (it never starts one)."""
    if scope.kind == "task" or plan.choice.kind.name == "priority":
        return False
    if not plan.counts.get(TaskRunStatus.FAILED.value):
        return False
    analysed = failures.FailureScope(
        farm_id=scope.farm_id, queue_id=scope.queue_id, job_id=scope.job_id, step_id=scope.step_id
    )
    return failure_runs.running(analysed) is not None


def _invalid(request: HttpRequest, scope: actions.Scope, message: str) -> HttpResponse:
    context = {"message": message, "back_url": scope_url(scope)}
    template = (
        "tasks_app/_action_invalid.html"
        if is_fragment(request)
        else "tasks_app/action_invalid.html"
    )
    return render(request, template, context, status=400)


def _preview_context(
    scope: actions.Scope,
    preview: actions.Preview,
    data: dict[str, Any],
    problem: str,
    before: dict[str, Any],
) -> dict[str, Any]:
    plan = preview.plan
    kind = plan.choice.kind
    chosen = set(plan.choice.run_statuses)
    return {
        "scope": scope,
        "scope_url": scope_url(scope),
        "action_url": scope_url(scope) + "actions/",
        "signature": scope.signature,
        "plan": plan,
        "kind": kind,
        "confirm": preview.confirm,
        "reason": data.get("reason") or "",
        "reason_max": REASON_MAX,
        "problem": problem,
        "before": sorted(before.items()) if isinstance(before, dict) else [],
        "status_choices": [
            {"status": status, "checked": status in chosen}
            for status in TaskRunStatus.known()
            if status in kind.eligible
        ],
        "counts": [(TaskRunStatus.parse(name), n) for name, n in plan.counts.items()],
        "confirm_minutes": max(1, actions.confirm_seconds() // 60),
    }
