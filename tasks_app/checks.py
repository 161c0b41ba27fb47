"""``manage.py check --deploy``: who can reach the farms, and whom the dashboard believes.

- ``tasks_app.W001``: real farms (the aws backend) with ``DASHBOARD_AUTH=none``.
- ``tasks_app.W002``: ``remote-user`` mode with nothing proving that the user and groups headers
  came from the SSO proxy: neither ``DASHBOARD_PROXY_SECRET`` nor ``DASHBOARD_AUTH_REQUEST_URL``
  (make serve's nginx asking the SSO proxy itself). Anyone who reaches the dashboard could
  then name themselves, and their groups, in a header.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def check_auth_in_production(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Real farm data open to anyone who can reach the dashboard."""
    if settings.DEADLINE_BACKEND == "aws" and settings.DASHBOARD_AUTH == "none":
        return [
            checks.Warning(
                "DASHBOARD_AUTH=none: anyone who can reach the dashboard reads your farms.",
                hint='Set DASHBOARD_AUTH=login or remote-user (docs/operating.md "Who gets in"), '
                "or silence tasks_app.W001 if a network control already restricts who connects.",
                id="tasks_app.W001",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def check_remote_user_is_protected(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """remote-user mode believing headers that anyone who reaches the dashboard could send."""
    if settings.DASHBOARD_AUTH != "remote-user":
        return []
    if settings.DASHBOARD_PROXY_SECRET or settings.DASHBOARD_AUTH_REQUEST_URL:
        return []
    return [
        checks.Warning(
            f"DASHBOARD_AUTH=remote-user believes {settings.DASHBOARD_REMOTE_USER_HEADER} and "
            f"{settings.DASHBOARD_REMOTE_GROUPS_HEADER} from anyone who reaches the dashboard.",
            hint="Set DASHBOARD_PROXY_SECRET (the SSO proxy sends it in "
            "X-Dashboard-Proxy-Secret) or DASHBOARD_AUTH_REQUEST_URL (make serve's nginx asks "
            'the SSO proxy about every request); see docs/operating.md "Who gets in".',
            id="tasks_app.W002",
        )
    ]
