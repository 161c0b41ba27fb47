"""Template helpers for the browse pages: the stacked status bar, run times, enum labels."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import template

from tasks_app.deadline.types import TaskRunStatus, status_segments

register = template.Library()


@register.inclusion_tag("tasks_app/_status_bar.html")
def status_bar(counts: dict[TaskRunStatus, int], label: str = "Tasks") -> dict[str, Any]:
    """A stacked bar of task run status counts: SVG rects sized by attributes (the CSP
    forbids inline styles), numbers in a tooltip and in visually-hidden text."""
    segments = status_segments(counts)
    total = sum(counts.values())
    summary = ", ".join(f"{s.count} {s.status.label.lower()}" for s in segments)
    return {
        "segments": segments,
        "total": total,
        "summary": f"{label}: {summary} ({total} in all)" if segments else f"{label}: none",
    }


@register.filter
def work_duration(item: Any, now: datetime) -> timedelta | None:
    """Run time of a job, step or task: started -> ended, or started -> now while running."""
    started = getattr(item, "started_at", None)
    if started is None:
        return None
    ended = getattr(item, "ended_at", None)
    return max((ended or now) - started, timedelta(0))


@register.filter
def enum_label(value: str | None) -> str:
    """``SCHEDULING_BLOCKED`` -> ``Scheduling blocked``."""
    if not value:
        return ""
    return str(value).replace("_", " ").capitalize()


@register.filter
def status_count(counts: dict[TaskRunStatus, int], status: str) -> int:
    """``counts|status_count:"FAILED"``."""
    return counts.get(TaskRunStatus.parse(status), 0)
