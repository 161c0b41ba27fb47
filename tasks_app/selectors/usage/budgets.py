"""A farm's budgets: amount, used, remaining, period, thresholds and the action at each, the
queue each governs, and when each threshold will be reached at the current burn rate.

Read with ListBudgets (the blockers' cached read) and GetBudget each (its actions and
schedule). The burn rate is the governed queues' estimated cost over the last
``BURN_DAYS`` days (the sessions statistics aggregation, cached as the usage page caches it),
per day; a threshold's projection is now plus what is left below it divided by that rate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from ...deadline.cache import cached_read
from ...deadline.calls import call
from ...deadline.errors import DeadlineError
from ...deadline.types import Cacheable, compact, format_datetime, parse_datetime
from .. import resources
from ..blockers import reads as scheduling_reads
from . import usage as us

#: Days of spend the burn rate is measured over.
BURN_DAYS = 7
#: A budget projected to reach a threshold within this is an attention item.
ATTENTION_WITHIN = timedelta(days=1)
STOP_ACTIONS = frozenset({"STOP_SCHEDULING_AND_COMPLETE_TASKS", "STOP_SCHEDULING_AND_CANCEL_TASKS"})
ACTION_LABELS = {
    "STOP_SCHEDULING_AND_COMPLETE_TASKS": "Stop scheduling; running tasks complete",
    "STOP_SCHEDULING_AND_CANCEL_TASKS": "Stop scheduling and cancel running tasks",
}


@dataclass(frozen=True)
class BudgetDetail(Cacheable):
    """GetBudget's answer: what the page shows, the schedule included."""

    budget_id: str
    name: str
    status: str
    queue_id: str | None
    limit: float
    used: float
    actions: tuple[tuple[str, float], ...]  # (type, threshold percentage)
    period_start: datetime | None
    period_end: datetime | None
    description: str | None = None

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> BudgetDetail:
        fixed = (answer.get("schedule") or {}).get("fixed") or {}
        return cls(
            budget_id=str(answer["budgetId"]),
            name=str(answer.get("displayName") or answer["budgetId"]),
            status=str(answer.get("status") or ""),
            queue_id=(answer.get("usageTrackingResource") or {}).get("queueId"),
            limit=float(answer.get("approximateDollarLimit") or 0.0),
            used=float((answer.get("usages") or {}).get("approximateDollarUsage") or 0.0),
            actions=tuple(
                (str(a["type"]), float(a["thresholdPercentage"]))
                for a in answer.get("actions") or ()
            ),
            period_start=parse_datetime(fixed.get("startTime")),
            period_end=parse_datetime(fixed.get("endTime")),
            description=answer.get("description"),
        )

    def to_cache(self) -> dict[str, Any]:
        schedule = compact(
            {
                "startTime": format_datetime(self.period_start),
                "endTime": format_datetime(self.period_end),
            }
        )
        return compact(
            {
                "budgetId": self.budget_id,
                "displayName": self.name,
                "status": self.status,
                "usageTrackingResource": {"queueId": self.queue_id} if self.queue_id else {},
                "approximateDollarLimit": self.limit,
                "usages": {"approximateDollarUsage": self.used},
                "actions": [{"type": t, "thresholdPercentage": p} for t, p in self.actions],
                "schedule": {"fixed": schedule},
                "description": self.description,
            }
        )


def get_budget(*, farm_id: str, budget_id: str) -> BudgetDetail:
    return cached_read(
        kind="usage-budget",
        ids=(farm_id, budget_id),
        ttl=settings.DEADLINE_CACHE_SECONDS * 12,
        fetch=lambda: call("GetBudget", farmId=farm_id, budgetId=budget_id),
        parse=BudgetDetail,
    )


@dataclass(frozen=True)
class Threshold:
    action: str
    percentage: float
    amount: float
    reached: bool
    projected_at: datetime | None  # None: reached already, or no spend to project from

    @property
    def label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action.replace("_", " ").capitalize())

    @property
    def stops(self) -> bool:
        return self.action in STOP_ACTIONS


@dataclass(frozen=True)
class BudgetView:
    budget: BudgetDetail
    queue_name: str | None
    burn_per_day: float | None  # None: the spend could not be read
    thresholds: tuple[Threshold, ...]

    @property
    def remaining(self) -> float:
        return max(self.budget.limit - self.budget.used, 0.0)

    @property
    def used_percent(self) -> float:
        return 100.0 * self.budget.used / self.budget.limit if self.budget.limit else 0.0

    @property
    def projected_at(self) -> datetime | None:
        """When the limit itself will be reached at the current burn rate."""
        return project(self.budget.limit, self.budget, self.burn_per_day, resources.now())


def project(
    amount: float, budget: BudgetDetail, per_day: float | None, now: datetime
) -> datetime | None:
    """When spending ``per_day`` reaches ``amount`` from what the budget has used; None when
    it is reached already, nothing is spent, or it would fall after the budget's period."""
    left = amount - budget.used
    if left <= 0 or not per_day:
        return None
    try:
        when = now + timedelta(days=left / per_day)
    except OverflowError:  # a trickle of spend against a big budget: past any date
        return None
    if budget.period_end is not None and when > budget.period_end:
        return None
    return when


def farm_budgets(*, farm_id: str) -> tuple[BudgetView, ...]:
    """Every budget of the farm with its thresholds, projections and governed queue."""
    listed = scheduling_reads.budgets(farm_id=farm_id).budgets
    reads = {
        budget_id: (lambda b=budget_id: get_budget(farm_id=farm_id, budget_id=b))
        for budget_id, _ in listed
    }
    details = resources.read_concurrently(reads)
    try:
        names = us.queue_names(farm_id)
    except DeadlineError:  # names are decoration: the queue IDs stand in
        names = {}
    rates = burn_rates(farm_id, {d.queue_id for d in details.values() if d.queue_id})
    now = resources.now()
    views = []
    for budget_id, _ in listed:
        budget: BudgetDetail = details[budget_id]
        rate = rates.get(budget.queue_id or "") if rates is not None else None
        thresholds = tuple(
            Threshold(
                action=action,
                percentage=pct,
                amount=budget.limit * pct / 100.0,
                reached=budget.used >= budget.limit * pct / 100.0,
                projected_at=project(budget.limit * pct / 100.0, budget, rate, now),
            )
            for action, pct in sorted(budget.actions, key=lambda a: a[1])
        )
        views.append(
            BudgetView(
                budget=budget,
                queue_name=names.get(budget.queue_id or ""),
                burn_per_day=rate,
                thresholds=thresholds,
            )
        )
    views.sort(key=lambda v: (-v.used_percent, v.budget.name))
    return tuple(views)


def burn_rates(farm_id: str, queue_ids: set[str]) -> dict[str, float] | None:
    """Estimated dollars per day each queue spent over the last BURN_DAYS days."""
    if not queue_ids:
        return {}
    window = us.open_window(BURN_DAYS, resources.now())
    try:
        got = us.aggregate_all(
            farm_id=farm_id,
            queue_ids=tuple(sorted(queue_ids)),
            window=window,
            asks={"rows": ("QUEUE_ID", None)},
        )
    except DeadlineError:  # the budgets still show; only their projections are missing
        return None
    rates: dict[str, float] = {}
    for stat in got["rows"].stats:
        rates[stat.key] = rates.get(stat.key, 0.0) + stat.cost / BURN_DAYS
    return rates


def needs_attention(view: BudgetView, now: datetime) -> Threshold | None:
    """The threshold that makes a budget an attention item: passed, or projected to be
    within ATTENTION_WITHIN (the lowest such)."""
    if view.budget.status != "ACTIVE":
        return None
    for threshold in view.thresholds:
        if threshold.reached:
            return threshold
        if threshold.projected_at is not None and threshold.projected_at - now <= ATTENTION_WITHIN:
            return threshold
    return None
