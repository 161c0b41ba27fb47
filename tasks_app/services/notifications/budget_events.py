"""Budget events: one per (budget, threshold crossed), from the attention report's ``budget``
items and the budget reads the report just cached (no API call of its own).

The report's item names one threshold per budget (the lowest that needs attention); a
rule wants to hear of each threshold as the budget passes it (80 % "alert", then 100 %
"stop scheduling"), once per budget period. So a budget with its GetBudget answer in the
cache yields an event per threshold its usage has reached; one that is only projected to
reach a threshold (or whose answer is no longer cached) yields the item's own threshold.
"""

from __future__ import annotations

import re
from datetime import datetime

from ...deadline.cache import cached_only
from ...deadline.scheduling_types import BudgetList
from ...selectors.attention import AttentionItem
from ...selectors.usage import budgets as usage_budgets

#: "<name>: 80% reached (...)" or "<name>: 80% projected in 5h (...)", the item's reason.
_STATE = re.compile(r": ([0-9.]+)% (reached|projected)")


def _detail(item: AttentionItem) -> usage_budgets.BudgetDetail | None:
    """The item's budget as the report last read it: same farm, name and governed queue."""
    listed = cached_only(kind="sched-budgets", ids=(item.farm_id,), parse=BudgetList)
    for budget_id, queue_id in listed.budgets if listed is not None else ():
        if (queue_id or None) != (item.queue_id or None):
            continue
        detail = cached_only(
            kind="usage-budget",
            ids=(item.farm_id, budget_id),
            parse=usage_budgets.BudgetDetail,
        )
        if detail is not None and detail.name == item.title:
            return detail
    return None


def _label(action: str) -> str:
    return usage_budgets.ACTION_LABELS.get(action, action.replace("_", " ").capitalize())


def budget_events(item: AttentionItem, *, now: datetime) -> list[tuple[str, str]]:
    """The (subject key, summary) of each event of one ``budget`` item: each threshold
    reached in the budget's period, or the item's own (projected) threshold."""
    detail = _detail(item)
    state = _STATE.search(item.reason)
    pct = state.group(1) if state else "?"
    if detail is None:
        kind = state.group(2) if state else "attention"
        key = f"budget_threshold:{item.farm_id}:{item.title}:{pct}:{kind}:{now:%Y-%m}"
        return [(key, item.reason)]
    period = detail.period_start.strftime("%Y-%m-%d") if detail.period_start else ""
    used = f"${detail.used:,.0f} of ${detail.limit:,.0f} used"
    found = [
        (
            f"budget_threshold:{detail.budget_id}:{percentage:g}:{period}",
            f"{percentage:g}% reached; at it: {_label(action)}; {used}",
        )
        for action, percentage in sorted(detail.actions, key=lambda a: a[1])
        if detail.limit and detail.used >= detail.limit * percentage / 100.0
    ]
    if found:
        return found
    key = f"budget_threshold:{detail.budget_id}:{pct}:projected:{period}"
    return [(key, item.reason)]
