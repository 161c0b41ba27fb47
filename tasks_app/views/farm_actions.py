"""Acting on machines: ``POST <worker page>actions/`` removes a STOPPED or NOT_RESPONDING
worker, ``POST <fleet page>actions/`` sets a fleet's minimum and maximum worker counts. The
first POST previews (a page), the same POST with the preview's ``confirm`` token acts and
redirects (303) to the action's audit row; who may act is ``tasks_app.permissions``, as for
acting on work."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_safe

from ..deadline import allow_list
from ..deadline.errors import DeadlineError
from ..forms import REASON_MAX
from ..models import MachineAction
from ..permissions import acting_permission, actor_name
from ..services import machine_actions
from .actions import forbidden, see_other
from .common import browse_path
from .errors import error_response


@require_http_methods(["GET", "HEAD", "POST"])
def worker_actions(
    request: HttpRequest, farm_id: str, fleet_id: str, worker_id: str
) -> HttpResponse:
    """Preview or remove a worker."""
    choice = machine_actions.MachineChoice(
        MachineAction.Kind.REMOVE_WORKER, farm_id, fleet_id, worker_id
    )
    return _act(request, choice, reverse("worker_detail", args=[farm_id, fleet_id, worker_id]))


@require_http_methods(["GET", "HEAD", "POST"])
def fleet_actions(request: HttpRequest, farm_id: str, fleet_id: str) -> HttpResponse:
    """Preview or set a fleet's minimum and maximum worker counts."""
    low, high = _count(request, "min_count"), _count(request, "max_count")
    choice = machine_actions.MachineChoice(
        MachineAction.Kind.FLEET_SIZE, farm_id, fleet_id, min_count=low, max_count=high
    )
    return _act(request, choice, reverse("fleet_detail", args=[farm_id, fleet_id]))


def _count(request: HttpRequest, name: str) -> int | None:
    raw = request.POST.get(name, "").strip()
    if not raw.isdigit() or len(raw) > 10:
        return None
    return int(raw)


def _act(request: HttpRequest, choice: machine_actions.MachineChoice, back: str) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseRedirect(back)  # the forms live on the worker and fleet pages
    permission = acting_permission(request)
    if not permission.allowed:
        return forbidden(request, permission.why_not)
    username = actor_name(request)
    reason = request.POST.get("reason", "")[:REASON_MAX]
    token = request.POST.get("confirm", "")
    problem = ""
    try:
        if token and request.POST.get("intent") != "preview":
            try:
                row = machine_actions.confirm(
                    choice=choice,
                    token=token,
                    username=username,
                    reason=reason,
                    request_id=str(getattr(request, "request_id", "") or ""),
                    client_request_id=str(getattr(request, "client_request_id", "") or ""),
                )
            except machine_actions.MachineActionError as exc:
                problem = str(exc)
            else:
                return see_other(reverse("machine_action_result", args=[row.pk]))
        shown = machine_actions.preview(choice=choice, username=username)
    except DeadlineError as exc:
        return error_response(request, exc, path=browse_path(choice.farm_id))
    context: dict[str, Any] = {
        "preview": shown,
        "choice": choice,
        "problem": problem or shown.problem,
        "back_url": back,
        "action_url": request.path,
        "reason": reason,
        "reason_max": REASON_MAX,
        "confirm_minutes": max(1, machine_actions.confirm_seconds() // 60),
    }
    return render(request, "tasks_app/machine_preview.html", context)


@require_safe
def machine_action_result(request: HttpRequest, action_id: int) -> HttpResponse:
    """One machine action's audit row: who, when, what, before, asked, result."""
    row = MachineAction.objects.filter(pk=action_id).first()
    # A farm outside the allow-list has no machine actions here either, as /audit/<n>/ says.
    if row is None or not allow_list.is_farm_allowed(row.farm_id):
        raise Http404("No such machine action")
    back = (
        reverse("worker_detail", args=[row.farm_id, row.fleet_id, row.worker_id])
        if row.worker_id
        else reverse("fleet_detail", args=[row.farm_id, row.fleet_id])
    )
    return render(request, "tasks_app/machine_result.html", {"row": row, "back_url": back})
