"""The bell in the header and the "Notify me" button of job and queue pages: each reads the
database for the signed-in user only (one small query), never the API."""

from __future__ import annotations

from typing import Any

from django import template

from ..services.notifications import following, log

register = template.Library()


def _user(context: template.Context) -> Any:
    request = context.get("request")
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


@register.inclusion_tag("tasks_app/_notifications_bell.html", takes_context=True)
def notification_bell(context: template.Context) -> dict[str, Any]:
    user = _user(context)
    return {"unread": log.unread_count(user) if user else 0}


@register.inclusion_tag("tasks_app/_notifications_follow.html", takes_context=True)
def follow_button(
    context: template.Context, farm_id: str, queue_id: str, job_id: str = ""
) -> dict[str, Any]:
    """Nothing for someone not signed in (following needs an account)."""
    user = _user(context)
    request = context.get("request")
    if user is None:
        return {"hidden": True}
    return {
        "farm_id": farm_id,
        "queue_id": queue_id,
        "job_id": job_id,
        "following": following(user, farm_id=farm_id, queue_id=queue_id, job_id=job_id),
        "next": request.get_full_path() if request is not None else "",
        "has_email": bool(getattr(user, "email", "")),
        "csrf_token": context.get("csrf_token"),
    }
