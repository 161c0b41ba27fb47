"""Template helpers for the dashboard: status badges, UTC/relative times, durations.

The relative texts here are the no-JavaScript rendering; static/tasks_app/dashboard.js keeps
them ticking with the same wording. Filters that read "now" are ``@clock_dependent``: a donut
render (tasks_app/donut.py) leaves holes for them, filled per request.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from tasks_app.deadline.types import TaskRunStatus
from tasks_app.donut import clock_dependent
from tasks_app.iso8601 import iso8601_or_none

register = template.Library()


@register.filter
@clock_dependent
def utc(value: datetime | None) -> str:
    """``2026-11-20 10:05:00 UTC``."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@register.filter
def iso(value: datetime | None) -> str:
    """ISO 8601 for ``<time datetime>`` attributes."""
    return iso8601_or_none(value, timespec="seconds") or ""


@register.filter
@clock_dependent
def epoch_ms(value: datetime | None) -> str:
    """Milliseconds since the epoch, for the ``data-`` attributes the ticking script reads."""
    if value is None:
        return ""
    return str(int(value.timestamp() * 1000))


def humanize_seconds(seconds: float) -> str:
    """Coarse length of time: ``12 s``, ``3 min``, ``5 h``, ``2 d``."""
    seconds = abs(int(seconds))
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    if seconds < 48 * 3600:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} d"


@register.filter
@clock_dependent
def relative(value: datetime | None, now: datetime) -> str:
    """``3 min ago`` (or ``in 3 min``) relative to ``now``."""
    if value is None:
        return ""
    delta = (now - value).total_seconds()
    if abs(delta) < 1:
        return "just now"
    text = humanize_seconds(delta)
    return f"{text} ago" if delta > 0 else f"in {text}"


@register.filter
def duration(value: timedelta | None) -> str:
    """Exact-enough length of a run: ``45 s``, ``12 min 05 s``, ``3 h 02 min``, ``2 d 4 h``."""
    if value is None:
        return ""
    seconds = int(value.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


@register.filter
@clock_dependent
def elapsed(started: datetime | None, now: datetime) -> str:
    """How long something running since ``started`` has run at ``now`` (as ``duration``)."""
    if started is None:
        return ""
    return duration(max(now - started, timedelta(0)))


@register.inclusion_tag("tasks_app/_status_badge.html")
def status_badge(status: TaskRunStatus | str | None) -> dict[str, Any]:
    """A run status badge: colour *and* text, so it never relies on colour alone."""
    if status is None:
        return {"status": None}
    if not isinstance(status, TaskRunStatus):
        status = TaskRunStatus.parse(str(status))
    return {"status": status}


@register.inclusion_tag("tasks_app/_timestamp.html")
def timestamp(value: datetime | None, now: datetime) -> dict[str, Any]:
    """Absolute UTC time plus a relative one that the page script keeps current."""
    return {"value": value, "now": now}


@register.filter
def address(value: object) -> str:
    """An e-mail address (or any dotted name) that wraps after its ``@`` and before its dots,
    never inside a word: the text is always escaped first (even text marked safe: an address
    is never markup), then ``<wbr>`` marks where it may wrap (neither ``@`` nor ``.`` occurs in
    what escaping writes)."""
    text = str(escape("" if value is None else str(value)))
    return mark_safe(text.replace("@", "@<wbr>").replace(".", "<wbr>."))  # noqa: S308 - escaped above
