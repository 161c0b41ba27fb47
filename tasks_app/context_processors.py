"""Context every page gets: whether the demo world is shown, and which backend answers."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from . import deadline


def dashboard(request: HttpRequest) -> dict[str, Any]:
    """``demo_mode`` drives the "demo data" marker shown on every page."""
    return {"demo_mode": deadline.is_demo()}
