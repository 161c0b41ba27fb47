"""Timeline lanes: one horizontal lane per row (a worker), its spans drawn along time."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.safestring import SafeString, mark_safe

from .core import BOTTOM, RIGHT, TOP, WIDTH, Lane, Span, svg

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
            svg(
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
            svg(
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
    return svg(
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
    rect = svg(
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
    return svg('<a href="{}" aria-label="{}">{}</a>', span.href, span.title, rect)
