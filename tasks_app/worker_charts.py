"""Line charts of a worker's resource series (CPU, memory, swap, disk, network), as
server-rendered SVG drawn from the same view model as the numbers beside them.

Time runs left to right over the chosen window; a gap of more than three metric intervals
(the worker was off or silent) breaks the line. Colours come from ``charts.css`` classes, so
light and dark follow the page; all text is escaped. The ``data-top``/``data-start``/
``data-end`` attributes give the scale, so a point's value can be read back from the SVG.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from .charts import nice_step

WIDTH = 520
HEIGHT = 160
LEFT = 52
RIGHT = 12
TOP = 10
BOTTOM = 28
GAP_SECONDS = 180.0  # three of the agent's 60-second intervals


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
    span = max((end - start).total_seconds(), 1.0)
    top = _top([v for _, v in points], unit)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x_of(at: datetime) -> float:
        return LEFT + (at - start).total_seconds() / span * plot_w

    def y_of(value: float) -> float:
        return HEIGHT - BOTTOM - min(value, top) / top * plot_h

    runs: list[list[str]] = []
    previous: datetime | None = None
    for at, value in points:
        if previous is None or (at - previous).total_seconds() > GAP_SECONDS:
            runs.append([])
        runs[-1].append(f"{x_of(at):.1f},{y_of(value):.1f}")
        previous = at
    grid = format_html_join(
        "",
        '<line class="chart-grid" x1="{}" x2="{}" y1="{}" y2="{}"/>'
        '<text class="chart-label" x="{}" y="{}" text-anchor="end">{}{}</text>',
        (
            (
                LEFT,
                WIDTH - RIGHT,
                f"{y_of(v):.1f}",
                f"{y_of(v):.1f}",
                LEFT - 4,
                f"{y_of(v) + 4:.1f}",
                _label(v),
                unit.strip(),
            )
            for v in (0.0, top / 2, top)
        ),
    )
    ticks = format_html_join(
        "",
        '<text class="chart-label" x="{}" y="{}" text-anchor="{}">{}</text>',
        (
            (f"{x:.1f}", HEIGHT - 8, anchor, at.strftime("%H:%M"))
            for x, anchor, at in (
                (LEFT, "start", start),
                (LEFT + plot_w / 2, "middle", start + (end - start) / 2),
                (WIDTH - RIGHT, "end", end),
            )
        ),
    )
    lines = format_html_join(
        "",
        '<polyline class="chart-line {}" points="{}"/>',
        ((series_class, " ".join(run)) for run in runs),
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
        top,
        int(start.timestamp()),
        int(end.timestamp()),
        LEFT,
        plot_w,
        HEIGHT - BOTTOM,
        plot_h,
        f"{title} ({latest})",
        grid,
        ticks,
        lines,
    )
