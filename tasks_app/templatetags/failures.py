"""Template helpers for the failures views: Markdown that stays Markdown (a hostile name or
log line cannot add links, emphasis, table cells or lines), and share percentages."""

from __future__ import annotations

import re

from django import template

register = template.Library()

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85]+")


def _one_line(value: object) -> str:
    return _LINE_BREAKS.sub(" ", str(value or "")).strip()


@register.filter
def md(value: object) -> str:
    """Inline Markdown text: every character Markdown could act on escaped, one line."""
    return _MD_SPECIAL.sub(r"\\\1", _one_line(value))


@register.filter
def md_code(value: object) -> str:
    """A code span that holds any text: a fence longer than its longest run of backticks;
    pipes escaped so a table cell stays one cell."""
    text = _one_line(value).replace("|", "\\|")
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    padding = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return f"{fence}{padding}{text}{padding}{fence}"


@register.filter
def percent(value: float | None) -> str:
    """0.8333 -> ``83 %``."""
    return "—" if value is None else f"{round(100 * value)} %"


@register.filter
def detail_for(details: dict[str, object] | None, task_id: str) -> object | None:
    """``row_details|detail_for:task.task_id``: one row's worker and last error."""
    return (details or {}).get(task_id)
