"""Template helpers for actions: the buttons on the job, step and task pages."""

from __future__ import annotations

from typing import Any

from django import template

from tasks_app.deadline.types import TaskRunStatus
from tasks_app.services.actions import ACTIONS

register = template.Library()

# Order of the buttons, most used first.
_MENU = ("requeue", "cancel", "suspend", "succeed", "fail")


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
    allowed = context.get("can_act")
    if callable(allowed):
        allowed = allowed()
    if not allowed:
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
