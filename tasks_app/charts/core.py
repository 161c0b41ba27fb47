"""What every chart shares: the SVG's size and margins, the view-model rows drawn (bars,
points, columns, spans, lanes), escaping (``svg``), the frame with its title and description,
and a y axis with round ticks."""

from __future__ import annotations

import math
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


def svg(template: str, *args: object) -> SafeString:
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


def ticks_under(top: float) -> list[float]:
    step = nice_step(top)
    return [step * i for i in range(round(top / step) + 1)]


def axis_top(value: float) -> float:
    """The y axis' top: the first round tick at or above ``value`` (so nothing overflows)."""
    if value <= 0:
        return 1.0
    step = nice_step(value)
    return math.ceil(value / step - 1e-9) * step


def number_text(value: float) -> str:
    if value >= 100 or value == int(value):
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def frame(title: str, description: str, body: SafeString, *, height: int = HEIGHT) -> SafeString:
    return svg(
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


def y_axis(top: float, unit: str) -> SafeString:
    plot_h = HEIGHT - TOP - BOTTOM
    lines = []
    for tick in ticks_under(top):
        y = HEIGHT - BOTTOM - (tick / top * plot_h if top else 0)
        lines.append(
            svg(
                '<line class="chart-grid" x1="{}" x2="{}" y1="{:.1f}" y2="{:.1f}"/>'
                '<text class="chart-label" x="{}" y="{:.1f}" text-anchor="end">{}{}</text>',
                LEFT,
                WIDTH - RIGHT,
                y,
                y,
                LEFT - 4,
                y + 4,
                number_text(tick),
                unit,
            )
        )
    return mark_safe("".join(lines))  # noqa: S308 - each part built by format_html
