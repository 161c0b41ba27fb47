"""Template helpers for the failures views: Markdown that stays Markdown (a hostile name or
log line cannot add links, emphasis, table cells or lines, nor reorder or hide text with
invisible characters: see ``plain_text``), CSV cells, and share percentages."""

from __future__ import annotations

from django import template

from .. import plain_text

register = template.Library()


@register.filter
def md(value: object) -> str:
    """Inline Markdown text: one line, isolated, invisible characters shown, escaped."""
    return plain_text.markdown_text(value)


@register.filter
def md_code(value: object) -> str:
    """An isolated code span that holds any text and keeps a table cell one cell."""
    return plain_text.markdown_code(value)


@register.filter
def percent(value: float | None) -> str:
    """0.8333 -> ``83 %``."""
    return "—" if value is None else f"{round(100 * value)} %"


@register.filter
def detail_for(details: dict[str, object] | None, task_id: str) -> object | None:
    """``row_details|detail_for:task.task_id``: one row's worker and last error."""
    return (details or {}).get(task_id)
