"""Line charts of a worker's resource series (CPU, memory, swap, disk, network).

Time runs left to right over the chosen window; a gap of more than three metric intervals
(the worker was off or silent) breaks the line. The ``data-top``/``data-start``/``data-end``
attributes give the scale, so a point's value can be read back from the SVG.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from .core import nice_step

WIDTH = 520
HEIGHT = 160
LEFT = 52
RIGHT = 12
TOP = 10
BOTTOM = 28
GAP_SECONDS = 180.0  # three of the agent's 60-second intervals
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


def _top(values: Sequence[float], unit: str) -> float:
    if unit == "%":
        return 100.0
    peak = max(values, default=0.0)
    if peak <= 0:
        return 1.0
    step = nice_step(peak * 1.05)
    return step * -(-peak * 1.05 // step)


def _label(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:,.1f}"


@dataclass(frozen=True)
class _Scale:
    start: datetime
    end: datetime
    top: float

    def x(self, at: datetime) -> float:
        span = max((self.end - self.start).total_seconds(), 1.0)
        return LEFT + (at - self.start).total_seconds() / span * PLOT_W

    def y(self, value: float) -> float:
        return HEIGHT - BOTTOM - min(value, self.top) / self.top * PLOT_H


def _runs(points: Sequence[tuple[datetime, float]], scale: _Scale) -> list[list[str]]:
    """The points as polylines, a new one after each gap."""
    runs: list[list[str]] = []
    previous: datetime | None = None
    for at, value in points:
        if previous is None or (at - previous).total_seconds() > GAP_SECONDS:
            runs.append([])
        runs[-1].append(f"{scale.x(at):.1f},{scale.y(value):.1f}")
        previous = at
    return runs


def _grid(scale: _Scale, unit: str) -> SafeString:
    return format_html_join(
        "",
        '<line class="chart-grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
        '<text class="chart-label" x="{}" y="{}" text-anchor="end">{}{}</text>',
        (
            (
                LEFT,
                WIDTH - RIGHT,
                f"{scale.y(v):.1f}",
                f"{scale.y(v):.1f}",
                LEFT - 4,
                f"{scale.y(v) + 4:.1f}",
                _label(v),
                unit.strip(),
            )
            for v in (0.0, scale.top / 2, scale.top)
        ),
    )


def _time_ticks(start: datetime, end: datetime) -> SafeString:
    return format_html_join(
        "",
        '<text class="chart-label" x="{}" y="{}" text-anchor="{}">{}</text>',
        (
            (f"{x:.1f}", HEIGHT - 8, anchor, at.strftime("%H:%M"))
            for x, anchor, at in (
                (LEFT, "start", start),
                (LEFT + PLOT_W / 2, "middle", start + (end - start) / 2),
                (WIDTH - RIGHT, "end", end),
            )
        ),
    )


def line_chart(
    points: Sequence[tuple[datetime, float]],
    *,
    start: datetime,
    end: datetime,
    title: str,
    unit: str,
    series_class: str = "chart-s0",
) -> SafeString:
    """One series as a polyline (several when gaps break it), with a y axis and time ticks."""
    scale = _Scale(start, end, _top([v for _, v in points], unit))
    lines = format_html_join(
        "",
        '<polyline class="chart-line {}" points="{}"/>',
        ((series_class, " ".join(run)) for run in _runs(points, scale)),
    )
    latest = f"latest {_label(points[-1][1])}{unit}" if points else "no data in this window"
    return format_html(
        '<svg class="chart chart--line" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'data-top="{}" data-start="{}" data-end="{}" data-left="{}" data-plot-width="{}" '
        'data-baseline="{}" data-plot-height="{}" preserveAspectRatio="xMinYMin meet" '
        'xmlns="http://www.w3.org/2000/svg"><title>{}</title>{}{}{}</svg>',
        WIDTH,
        HEIGHT,
        f"{title}: {latest}",
        scale.top,
        int(start.timestamp()),
        int(end.timestamp()),
        LEFT,
        PLOT_W,
        HEIGHT - BOTTOM,
        PLOT_H,
        f"{title} ({latest})",
        _grid(scale, unit),
        _time_ticks(start, end),
        lines,
    )
