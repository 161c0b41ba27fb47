"""Context every page gets: whether the demo world is shown, which backend answers, and
whether this request served stale data (the stale banner)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .deadline import client, resilience
from .permissions import acting_permission


def dashboard(request: HttpRequest) -> dict[str, Any]:
    """``demo_mode`` drives the "demo data" marker; ``stale`` the stale-data banner;
    ``can_act`` (evaluated only by templates that ask) whether action buttons are shown;
    ``server_now`` (evaluated when shown) the backend's clock, which the browser's relative
    times count from."""
    return {
        "demo_mode": client.is_demo(),
        "stale": resilience.current_report(),
        "can_act": lambda: acting_permission(request).allowed,
        "server_now": client.backend_now,
    }
