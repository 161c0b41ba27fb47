"""Template helpers for the farm side: badges for worker, fleet and action statuses (a word
and a colour, never the colour alone), rates, and worker-log lines made readable."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django import template

register = template.Library()

_WORKER = {
    "RUNNING": "running",
    "IDLE": "ready",
    "STARTED": "starting",
    "CREATED": "starting",
    "STOPPING": "interrupting",
    "STOPPED": "canceled",
    "NOT_RESPONDING": "failed",
    "NOT_COMPATIBLE": "not-compatible",
}
_FLEET = {
    "ACTIVE": "succeeded",
    "CREATE_IN_PROGRESS": "starting",
    "UPDATE_IN_PROGRESS": "starting",
    "CREATE_FAILED": "failed",
    "UPDATE_FAILED": "failed",
    "SUSPENDED": "suspended",
}


@register.filter
def worker_badge(status: str) -> str:
    return "badge--" + _WORKER.get(status, "unknown")


@register.filter
def fleet_badge(status: str) -> str:
    return "badge--" + _FLEET.get(status, "unknown")


@register.filter
def action_badge(status: str) -> str:
    return "badge--" + (status or "unknown").lower().replace("_", "-")


@register.filter
def words(value: str | None) -> str:
    """``NOT_RESPONDING`` -> ``Not responding``."""
    return (value or "").replace("_", " ").capitalize()


@register.filter
def rate(failures: int, attempts: int) -> str:
    return f"{failures / attempts:.0%}" if attempts else "—"


@register.filter
def log_time(stamp: int) -> str:
    return datetime.fromtimestamp(stamp / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


@register.filter
def log_text(message: str) -> str:
    """A structured worker-log event as one readable line (level, type.subtype, message or
    the metrics), the raw text when it is not JSON."""
    try:
        event = json.loads(message)
    except ValueError:
        return message
    if not isinstance(event, dict):
        return message
    head = " ".join(
        str(part)
        for part in (
            event.get("level"),
            ".".join(str(event[k]) for k in ("type", "subtype") if event.get(k)),
        )
        if part
    )
    skip = {"level", "ti", "type", "subtype"}
    if "message" in event:
        rest = str(event["message"])
        extra = {k: v for k, v in event.items() if k not in skip | {"message"}}
        if extra:
            rest += " " + " ".join(f"{k}={v}" for k, v in extra.items())
    else:
        rest = " ".join(f"{k}={v}" for k, v in event.items() if k not in skip)
    return f"{head} {rest}".strip()
