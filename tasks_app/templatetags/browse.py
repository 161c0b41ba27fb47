"""Template helpers for the browse pages: the stacked status bar, run times, enum labels."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django import template

from tasks_app.deadline.types import TaskRunStatus, status_segments

register = template.Library()


@dataclass(frozen=True)
class BarGroup:
    """One of the five things an operator reads off a bar, with its share of the width."""

    name: str  # succeeded | running | queued | failed | other (the CSS modifier too)
    count: int
    percent: float  # width, 0..100
    offset: float  # left edge, 0..100
    detail: str  # the statuses it gathers, e.g. "57 canceled, 2 suspended"

    @property
    def legend(self) -> str:
        """The legend's word: "other" only when it gathers several statuses ("57 canceled",
        never "57 other", when canceled is all there is)."""
        if self.name == "other" and self.detail and ", " not in self.detail:
            return self.detail.split(" ", 1)[1]
        return self.name


# Bar order: trouble first, then work in hand, then what is done.
BAR_GROUPS: tuple[tuple[str, tuple[TaskRunStatus, ...]], ...] = (
    ("failed", (TaskRunStatus.FAILED,)),
    (
        "running",
        (
            TaskRunStatus.RUNNING,
            TaskRunStatus.STARTING,
            TaskRunStatus.ASSIGNED,
            TaskRunStatus.SCHEDULED,
        ),
    ),
    ("queued", (TaskRunStatus.READY, TaskRunStatus.PENDING)),
    (
        "other",
        (
            TaskRunStatus.INTERRUPTING,
            TaskRunStatus.SUSPENDED,
            TaskRunStatus.CANCELED,
            TaskRunStatus.NOT_COMPATIBLE,
            TaskRunStatus.UNKNOWN,
        ),
    ),
    ("succeeded", (TaskRunStatus.SUCCEEDED,)),
)
#: A non-zero failed or running group is never narrower than this share of the bar (on top of
#: dashboard.css's pixel stroke), so 1 failed task among 255 never reads as an all-green bar.
MIN_VISIBLE_PERCENT = 1.5
_ALWAYS_VISIBLE = frozenset({"failed", "running"})


def _grouped(counts: Mapping[TaskRunStatus, int]) -> list[tuple[str, int, str]]:
    groups = []
    for name, statuses in BAR_GROUPS:
        present = [(status, counts.get(status, 0)) for status in statuses]
        present = [(status, count) for status, count in present if count > 0]
        total = sum(count for _, count in present)
        detail = ", ".join(f"{count:,} {status.label.lower()}" for status, count in present)
        groups.append((name, total, detail))
    return groups


def bar_groups(counts: Mapping[TaskRunStatus, int]) -> tuple[BarGroup, ...]:
    """The non-empty groups in bar order, their widths summing to 100, small failed or
    running groups widened to MIN_VISIBLE_PERCENT at the expense of the widest group."""
    grouped = [(name, count, detail) for name, count, detail in _grouped(counts) if count > 0]
    total = sum(count for _, count, _ in grouped)
    if total <= 0:
        return ()
    widths = {name: 100 * count / total for name, count, _ in grouped}
    for name in _ALWAYS_VISIBLE & widths.keys():
        if widths[name] < MIN_VISIBLE_PERCENT:
            widest = max(widths, key=widths.__getitem__)
            grow = min(MIN_VISIBLE_PERCENT - widths[name], widths[widest] - MIN_VISIBLE_PERCENT)
            if grow > 0:
                widths[name] += grow
                widths[widest] -= grow
    result = []
    offset = 0.0
    for name, count, detail in grouped:
        result.append(BarGroup(name, count, round(widths[name], 3), round(offset, 3), detail))
        offset += widths[name]
    return tuple(result)


@register.inclusion_tag("tasks_app/_status_bar.html")
def status_bar(
    counts: Mapping[TaskRunStatus, int], label: str = "Tasks", eta: str = ""
) -> dict[str, Any]:
    """The one status bar: full width, five groups (failed, running, queued, other,
    succeeded) with counts in a legend, percent done (succeeded, rounded down) and room for an
    ETA. SVG rects sized by attributes (the CSP forbids inline styles); the per-status counts
    in a tooltip and in visually-hidden text."""
    groups = bar_groups(counts)
    total = sum(counts.values())
    succeeded = counts.get(TaskRunStatus.SUCCEEDED, 0)
    detail = ", ".join(f"{s.count:,} {s.status.label.lower()}" for s in status_segments(counts))
    return {
        "segments": groups,
        "total": total,
        "done_percent": succeeded * 100 // total if total else 0,
        "eta": eta,
        "summary": f"{label}: {detail} ({total:,} in all)" if groups else f"{label}: none",
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


@register.filter
def lookup(mapping: Any, key: str) -> Any:
    """``step_etas|lookup:step.step_id``: a mapping's value for a key, None when absent."""
    return mapping.get(key) if hasattr(mapping, "get") else None
