"""Template helpers for the triage sections: attempt durations and log timestamps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django import template

from tasks_app.deadline.session_types import LogLine
from tasks_app.selectors.triage import Attempt

register = template.Library()


@register.filter
def attempt_duration(attempt: Attempt, now: datetime) -> timedelta | None:
    """How long the attempt ran (so far, while it runs)."""
    return attempt.duration(now)


@register.filter
def log_utc(line: LogLine) -> str:
    """``2026-11-20 10:05:00.123`` in UTC (the page script can switch it to local time)."""
    value = line.timestamp.astimezone(UTC)
    return f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond // 1000:03d}"


@register.filter
def log_iso(line: LogLine) -> str:
    """ISO 8601 with milliseconds for ``<time datetime>``."""
    value = line.timestamp.astimezone(UTC)
    return f"{value:%Y-%m-%dT%H:%M:%S}.{value.microsecond // 1000:03d}Z"
