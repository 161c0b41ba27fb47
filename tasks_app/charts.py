"""Small server-rendered SVG charts: a histogram, a scatter, stacked columns and timeline lanes.

Every chart is drawn from the same view model as the table printed beside it, so the numbers
never live only in a picture. Colours come from CSS classes (``static/tasks_app/charts.css``)
that read the design system's custom properties: light and dark follow the page. The
``viewBox`` is kept narrow enough that text stays readable when a phone (390 px) scales it.
All text is escaped (``_svg``), so names from the API cannot break the markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 520
HEIGHT = 220
LEFT = 62  # room for the y-axis labels
BOTTOM = 34  # room for the x-axis labels
TOP = 10
RIGHT = 12


@dataclass(frozen=True)
class Bar:
    """One column: its label under the axis, its height, and what a reader hears for it."""

    label: str
    value: float
    title: str


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    title: str
    href: str = ""


@dataclass(frozen=True)
class Column:
    """One stacked column: ``parts`` are (series index, value), bottom first."""

    label: str
    parts: tuple[tuple[int, float], ...]
    title: str


@dataclass(frozen=True)
class Span:
    """One bar of a timeline lane, in seconds from the chart's start."""

    start: float
    end: float
    css: str
    title: str
    href: str = ""


@dataclass(frozen=True)
class Lane:
    label: str
    spans: tuple[Span, ...]


def _svg(template: str, *args: object) -> SafeString:
    """``format_html`` that keeps numbers numbers (for ``{:.1f}``): text is escaped."""
    values = [
        a if isinstance(a, (int, float)) and not isinstance(a, bool) else conditional_escape(a)
        for a in args
    ]
    return mark_safe(template.format(*values))  # noqa: S308 - every text argument escaped


def nice_step(span: float, ticks: int = 4) -> float:
    """The 1/2/5 x 10^k step nearest to cutting ``span`` into ``ticks`` parts."""
    if span <= 0:
        return 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    return float(min((1, 2, 5, 10), key=lambda f: abs(math.log(f * power / raw))) * power)


def _ticks(top: float) -> list[float]:
    step = nice_step(top)
    return [step * i for i in range(round(top / step) + 1)]


def axis_top(value: float) -> float:
    """The y axis' top: the first round tick at or above ``value`` (so nothing overflows)."""
    if value <= 0:
        return 1.0
    step = nice_step(value)
    return math.ceil(value / step - 1e-9) * step


def _number(value: float) -> str:
    if value >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def _frame(title: str, description: str, body: SafeString, *, height: int = HEIGHT) -> SafeString:
    return _svg(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">'
        "<title>{}</title><desc>{}</desc>{}</svg>",
        WIDTH,
        height,
        title,
        title,
        description,
        body,
    )


def _y_axis(top: float, unit: str) -> SafeString:
    plot_h = HEIGHT - TOP - BOTTOM
    lines = []
    for tick in _ticks(top):
        y = HEIGHT - BOTTOM - (tick / top * plot_h if top else 0)
        lines.append(
            _svg(
                '<line class="chart-grid" x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}"/>'
                '<text class="chart-label" x="{}" y="{:.1f}" text-anchor="end">{}{}</text>',
                LEFT,
                WIDTH - RIGHT,
                y,
                y,
                LEFT - 4,
                y + 4,
                _number(tick),
                unit,
            )
        )
    return mark_safe("".join(lines))  # noqa: S308 - each part built by format_html


def histogram(bars: Sequence[Bar], *, title: str, description: str, unit: str = "") -> SafeString:
    """Columns of equal width, one per bar (a histogram's bins, or days)."""
    top = axis_top(max((b.value for b in bars), default=0))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    width = plot_w / max(len(bars), 1)
    every = max(1, math.ceil(len(bars) / 4))  # at most 4 labels: readable on a phone
    parts = [_y_axis(top, unit)]
    for i, bar in enumerate(bars):
        h = bar.value / top * plot_h
        x = LEFT + i * width
        parts.append(
            _svg(
                '<rect class="chart-bar" x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}">'
                "<title>{}</title></rect>",
                x + 1,
                HEIGHT - BOTTOM - h,
                max(width - 2, 1),
                h,
                bar.title,
            )
        )
        if i % every == 0:
            parts.append(_x_label(x + width / 2, bar.label))
    return _frame(title, description, mark_safe("".join(parts)))  # noqa: S308


def _x_label(x: float, label: str) -> SafeString:
    return _svg(
        '<text class="chart-label" x="{:.1f}" y="{}" text-anchor="middle">{}</text>',
        x,
        HEIGHT - BOTTOM + 16,
        label,
    )


def scatter(
    points: Sequence[Point], *, title: str, description: str, x_name: str, unit: str = ""
) -> SafeString:
    """Dots of ``y`` against ``x`` (render time against frame number)."""
    if not points:
        return _frame(title, description, mark_safe(""))
    low = min(p.x for p in points)
    high = max(p.x for p in points)
    top = axis_top(max(p.y for p in points))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    span = (high - low) or 1

    def x_of(value: float) -> float:
        return LEFT + (value - low) / span * plot_w

    parts = [_y_axis(top, unit)]
    for point in points:
        dot = _svg(
            '<circle class="chart-dot" cx="{:.1f}" cy="{:.1f}" r="2.5"><title>{}</title></circle>',
            x_of(point.x),
            HEIGHT - BOTTOM - point.y / top * plot_h,
            point.title,
        )
        parts.append(dot)
    step = nice_step(span, ticks=4)
    first = math.ceil(low / step) * step
    tick = first
    while tick <= high:
        parts.append(_x_label(x_of(tick), _number(tick)))
        tick += step
    parts.append(
        _svg(
            '<text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>',
            WIDTH - RIGHT,
            HEIGHT - 2,
            x_name,
        )
    )
    return _frame(title, description, mark_safe("".join(parts)))  # noqa: S308


def stacked(
    columns: Sequence[Column], *, title: str, description: str, unit: str = ""
) -> SafeString:
    """Stacked columns (worker-hours per day, one colour per group: ``chart-s<n>``)."""
    totals = [sum(v for _, v in c.parts) for c in columns]
    top = axis_top(max(totals, default=0))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    width = plot_w / max(len(columns), 1)
    every = max(1, math.ceil(len(columns) / 4))
    parts = [_y_axis(top, unit)]
    for i, column in enumerate(columns):
        x = LEFT + i * width
        base = HEIGHT - BOTTOM
        for series, value in column.parts:
            h = value / top * plot_h
            base -= h
            parts.append(
                _svg(
                    '<rect class="chart-s{}" x="{:.1f}" y="{:.1f}" width="{:.1f}" '
                    'height="{:.1f}"/>',
                    series % 8,
                    x + 1,
                    base,
                    max(width - 2, 1),
                    h,
                )
            )
        parts.append(
            _svg(
                '<rect class="chart-hit" x="{:.1f}" y="{}" width="{:.1f}" height="{}">'
                "<title>{}</title></rect>",
                x,
                TOP,
                width,
                plot_h,
                column.title,
            )
        )
        if i % every == 0:
            parts.append(_x_label(x + width / 2, column.label))
    return _frame(title, description, mark_safe("".join(parts)))  # noqa: S308


LANE_HEIGHT = 28
LANE_LABEL = 150


def lanes(
    rows: Sequence[Lane], *, seconds: float, title: str, axis: Sequence[tuple[float, str]]
) -> SafeString:
    """One horizontal lane per row (a worker), its spans drawn along ``seconds``; a span with
    an ``href`` is a link (its task or attempt), named by its title for screen readers."""
    height = TOP + LANE_HEIGHT * len(rows) + BOTTOM
    plot_w = WIDTH - LANE_LABEL - RIGHT
    scale = plot_w / (seconds or 1)
    parts = []
    for tick, label in axis:
        x = LANE_LABEL + tick * scale
        parts.append(
            _svg(
                '<line class="chart-grid" x1="{:.1f}" x2="{:.1f}" y1="{}" y2="{}"/>'
                '<text class="chart-label" x="{:.1f}" y="{}" text-anchor="middle">{}</text>',
                x,
                x,
                TOP,
                height - BOTTOM,
                x,
                height - BOTTOM + 16,
                label,
            )
        )
    for n, row in enumerate(rows):
        y = TOP + n * LANE_HEIGHT
        parts.append(
            _svg(
                '<text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>'
                '<line class="chart-lane" x1="{}" x2="{}" y1="{}" y2="{}"/>',
                LANE_LABEL - 6,
                y + LANE_HEIGHT / 2 + 4,
                _short(row.label),
                LANE_LABEL,
                WIDTH - RIGHT,
                y + LANE_HEIGHT / 2,
                y + LANE_HEIGHT / 2,
            )
        )
        parts.extend(_span(s, y, scale) for s in row.spans)
    body = mark_safe("".join(parts))  # noqa: S308
    return _svg(
        '<svg class="chart chart--lanes" viewBox="0 0 {} {}" role="group" aria-label="{}" '
        'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">{}</svg>',
        WIDTH,
        height,
        title,
        body,
    )


def _short(label: str, limit: int = 20) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _span(span: Span, y: float, scale: float) -> SafeString:
    x = LANE_LABEL + span.start * scale
    width = max((span.end - span.start) * scale, 0.8)
    rect = _svg(
        '<rect class="{}" x="{:.2f}" y="{}" width="{:.2f}" height="{}"><title>{}</title></rect>',
        span.css,
        x,
        y + 3,
        width,
        LANE_HEIGHT - 6,
        span.title,
    )
    if not span.href:
        return rect
    return _svg('<a href="{}" aria-label="{}">{}</a>', span.href, span.title, rect)


def meter(percent: float, *, marks: Sequence[float], title: str) -> SafeString:
    """A horizontal bar filled to ``percent`` (red past 100), a tick at each of ``marks``."""
    filled = max(min(percent, 100.0), 0.0)
    css = "meter-used meter-used--over" if percent >= 100 else "meter-used"
    ticks = "".join(
        _svg('<rect class="meter-mark" x="{:.2f}" y="0" width="0.6" height="10"/>', min(m, 100.0))
        for m in marks
    )
    return _svg(
        '<svg class="meter" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" '
        'aria-label="{}" xmlns="http://www.w3.org/2000/svg"><title>{}</title>'
        '<rect class="meter-track" x="0" y="2" width="100" height="6"/>'
        '<rect class="{}" x="0" y="2" width="{:.2f}" height="6"/>{}</svg>',
        title,
        title,
        css,
        filled,
        mark_safe(ticks),  # noqa: S308 - built by _svg
    )
