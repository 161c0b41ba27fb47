"""Template helpers for actions: the buttons on the job, step and task pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from tasks_app.deadline.types import TaskRunStatus
from tasks_app.services.actions import ACTIONS

register = template.Library()

# Order of the buttons, most used first.
_MENU = ("requeue", "cancel", "suspend", "succeed", "fail")


def _allowed(context: template.Context) -> bool:
    allowed = context.get("can_act")
    return bool(allowed() if callable(allowed) else allowed)


@register.inclusion_tag("tasks_app/_failure_group_action.html", takes_context=True)
def failure_group_action(
    context: template.Context, scope: Any, digest: str, tasks: int
) -> dict[str, Any]:
    """A failure group's "Requeue these tasks" button (job and step failures pages)."""
    if not _allowed(context) or scope.kind not in ("job", "step"):
        return {"allowed": False}
    ids = [scope.farm_id, scope.queue_id, scope.job_id]
    if scope.kind == "step":
        url = reverse("step_failure_actions", args=[*ids, scope.step_id])
    else:
        url = reverse("job_failure_actions", args=ids)
    return {
        "allowed": True,
        "url": url,
        "digest": digest,
        "tasks": tasks,
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag(takes_context=True)
def may_act(context: template.Context) -> bool:
    """Whether this person sees action buttons (for the dialog and assets around them)."""
    return _allowed(context)


@register.inclusion_tag("tasks_app/_actions_menu.html", takes_context=True)
def action_menu(
    context: template.Context,
    scope: str,
    url: str,
    status: TaskRunStatus | str | None = None,
    priority: int | None = None,
) -> dict[str, Any]:
    """The actions this person may take here: for a job or step every one (the preview says
    how many tasks each changes), for a task those its run status allows."""
    if not _allowed(context):
        return {"allowed": False}
    current = None if status is None else TaskRunStatus.parse(str(status))
    buttons = []
    for name in _MENU:
        kind = ACTIONS[name]
        if current is not None and current not in kind.eligible:
            continue
        buttons.append({"action": name, "label": kind.label})
    return {
        "allowed": True,
        "scope": scope,
        "url": url,
        "buttons": buttons,
        "status": current,
        "priority": priority,
        "csrf_token": context.get("csrf_token"),
    }
