"""Charts of values: a histogram, a scatter, stacked columns and a meter (a bar with marks)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.safestring import SafeString, mark_safe

from .core import (
    BOTTOM,
    HEIGHT,
    LEFT,
    RIGHT,
    TOP,
    WIDTH,
    Bar,
    Column,
    Point,
    axis_top,
    frame,
    nice_step,
    number_text,
    svg,
    y_axis,
)


def histogram(bars: Sequence[Bar], *, title: str, description: str, unit: str = "") -> SafeString:
    """Columns of equal width, one per bar (a histogram's bins, or days)."""
    top = axis_top(max((b.value for b in bars), default=0))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    width = plot_w / max(len(bars), 1)
    every = max(1, math.ceil(len(bars) / 4))  # at most 4 labels: readable on a phone
    parts = [y_axis(top, unit)]
    for i, bar in enumerate(bars):
        h = bar.value / top * plot_h
        x = LEFT + i * width
        parts.append(
            svg(
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
    return frame(title, description, mark_safe("".join(parts)))  # noqa: S308


def _x_label(x: float, label: str) -> SafeString:
    return svg(
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
        return frame(title, description, mark_safe(""))
    low = min(p.x for p in points)
    high = max(p.x for p in points)
    top = axis_top(max(p.y for p in points))
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    span = (high - low) or 1

    def x_of(value: float) -> float:
        return LEFT + (value - low) / span * plot_w

    parts = [y_axis(top, unit)]
    for point in points:
        dot = svg(
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
        parts.append(_x_label(x_of(tick), number_text(tick)))
        tick += step
    parts.append(
        svg(
            '<text class="chart-label" x="{}" y="{}" text-anchor="end">{}</text>',
            WIDTH - RIGHT,
            HEIGHT - 2,
            x_name,
        )
    )
    return frame(title, description, mark_safe("".join(parts)))  # noqa: S308


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
    parts = [y_axis(top, unit)]
    for i, column in enumerate(columns):
        x = LEFT + i * width
        base = HEIGHT - BOTTOM
        for series, value in column.parts:
            h = value / top * plot_h
            base -= h
            parts.append(
                svg(
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
            svg(
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
    return frame(title, description, mark_safe("".join(parts)))  # noqa: S308


def meter(percent: float, *, marks: Sequence[float], title: str) -> SafeString:
    """A horizontal bar filled to ``percent`` (red past 100), a tick at each of ``marks``."""
    filled = max(min(percent, 100.0), 0.0)
    css = "meter-used meter-used--over" if percent >= 100 else "meter-used"
    ticks = "".join(
        svg('<rect class="meter-mark" x="{:.2f}" y="0" width="0.6" height="10"/>', min(m, 100.0))
        for m in marks
    )
    return svg(
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
