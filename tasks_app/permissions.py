"""Who may act on farm work (requeue, cancel, suspend, mark, reprioritise).

Nobody, unless ``DASHBOARD_ACTIONS`` is on (the default only with the demo backend). Then:

- ``login``: accounts holding ``tasks_app.act_on_work`` (the "Operators" group, created by a
  migration, holds it; superusers hold every permission);
- ``remote-user``: members of a group named in ``DASHBOARD_OPERATOR_GROUPS``, as listed by the
  SSO proxy in ``DASHBOARD_REMOTE_GROUPS_HEADER`` (comma-separated, like oauth2-proxy's
  ``X-Forwarded-Groups``); the proxy must set that header itself and drop any copy a client
  sends, exactly as for the user header;
- ``none``: everyone, but only on the demo world: anonymous writes to a real farm are refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest

PERMISSION = "tasks_app.act_on_work"
_MAX_GROUPS_HEADER = 8192  # longer than any proxy sends; ignore rather than parse megabytes


@dataclass(frozen=True)
class ActingPermission:
    """Whether this request may act, and if not, a sentence saying why (for the 403 page)."""

    allowed: bool
    why_not: str = ""


def _remote_groups(request: HttpRequest) -> set[str]:
    raw = request.headers.get(settings.DASHBOARD_REMOTE_GROUPS_HEADER, "")
    if len(raw) > _MAX_GROUPS_HEADER:
        return set()
    return {group.strip() for group in raw.split(",") if group.strip()}


def acting_permission(request: HttpRequest) -> ActingPermission:
    """May the person behind ``request`` change farm work?"""
    if not settings.DASHBOARD_ACTIONS:
        return ActingPermission(False, "This dashboard is read-only: DASHBOARD_ACTIONS is off.")
    mode = str(settings.DASHBOARD_AUTH)
    if mode == "none":
        if settings.DEADLINE_BACKEND != "demo":
            return ActingPermission(
                False,
                "Actions on a real farm need people to sign in: set DASHBOARD_AUTH to login or "
                "remote-user.",
            )
        return ActingPermission(True)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ActingPermission(False, "Sign in to act on work.")
    if mode == "remote-user":
        operators = set(settings.DASHBOARD_OPERATOR_GROUPS)
        if operators & _remote_groups(request):
            return ActingPermission(True)
        return ActingPermission(
            False,
            "Your account is not in an operator group "
            f"({', '.join(sorted(operators)) or 'none is configured: DASHBOARD_OPERATOR_GROUPS'}).",
        )
    if user.has_perm(PERMISSION):
        return ActingPermission(True)
    return ActingPermission(
        False, 'Your account may not act on work: ask an administrator to add it to "Operators".'
    )


def actor_name(request: HttpRequest) -> str:
    """Who the audit names: the signed-in user, or "anonymous" without sign-in (demo only)."""
    user = getattr(request, "user", None)
    if settings.DASHBOARD_AUTH != "none" and user is not None and user.is_authenticated:
        return str(user.get_username())
    return "anonymous"
