"""A queue's scheduling settings for its page: the scheduling configuration, the fleets with
their association status, the limits and the budgets (what decides whether its work runs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...deadline.scheduling_types import Budget, FleetDetail, Limit, QueueSettings
from ..resources import read_concurrently
from . import reads

SCHEDULING_LABELS = {
    "priorityFifo": "Priority, then first in, first out",
    "priorityBalanced": "Priority, balanced across jobs of equal priority",
    "weightedBalanced": "Weighted balance of priority, errors, submission time and rendering tasks",
}


@dataclass(frozen=True)
class QueueSettingsView:
    settings: QueueSettings
    fleets: tuple[tuple[str, FleetDetail | None, str], ...]  # (fleet ID, fleet, association)
    limits: tuple[tuple[Limit, str], ...]
    budgets: tuple[Budget, ...]

    @property
    def scheduling_label(self) -> str:
        return SCHEDULING_LABELS.get(self.settings.scheduling, self.settings.scheduling)

    def as_json(self) -> dict[str, Any]:
        s = self.settings
        return {
            "queue_id": s.queue_id,
            "status": s.status,
            "blocked_reason": s.blocked_reason,
            "scheduling_configuration": {s.scheduling: dict(s.scheduling_options)},
            "fleets": [
                {
                    "fleet_id": fid,
                    "association_status": status,
                    "fleet_status": fleet.status if fleet else None,
                    "worker_count": fleet.worker_count if fleet else None,
                    "max_worker_count": fleet.max_worker_count if fleet else None,
                }
                for fid, fleet, status in self.fleets
            ],
            "limits": [
                {
                    "limit_id": x.limit_id,
                    "display_name": x.display_name,
                    "association_status": status,
                    "current_count": x.current_count,
                    "max_count": x.max_count,
                }
                for x, status in self.limits
            ],
            "budgets": [
                {
                    "budget_id": b.budget_id,
                    "display_name": b.display_name,
                    "status": b.status,
                    "approximate_dollar_limit": b.dollar_limit,
                    "approximate_dollar_usage": b.dollar_usage,
                    "actions": [
                        {"type": a.type, "threshold_percentage": a.threshold_percentage}
                        for a in b.actions
                    ],
                }
                for b in self.budgets
            ],
        }


def queue_settings_view(*, farm_id: str, queue_id: str) -> QueueSettingsView:
    """Read (concurrently, cached) everything the queue page's settings section shows."""
    ids = {"farm_id": farm_id, "queue_id": queue_id}
    first = read_concurrently(
        {
            "settings": lambda: reads.queue_settings(**ids),
            "fleets": lambda: reads.fleet_associations(**ids),
            "limit_associations": lambda: reads.limit_associations(**ids),
            "limits": lambda: reads.limits(farm_id=farm_id),
            "budgets": lambda: reads.budgets(farm_id=farm_id),
        }
    )
    fleet_ids = [a.other_id for a in first["fleets"].items]
    budget_ids = [b for b, q in first["budgets"].budgets if q == queue_id]
    second_reads: dict[str, Any] = {
        f: (lambda f=f: reads.fleet(farm_id=farm_id, fleet_id=f)) for f in fleet_ids
    }
    second_reads.update(
        {b: (lambda b=b: reads.budget(farm_id=farm_id, budget_id=b)) for b in budget_ids}
    )
    second = read_concurrently(second_reads, optional=frozenset(fleet_ids)) if second_reads else {}
    status = {a.other_id: a.status for a in first["limit_associations"].items}
    return QueueSettingsView(
        settings=first["settings"],
        fleets=tuple((a.other_id, second.get(a.other_id), a.status) for a in first["fleets"].items),
        limits=tuple(
            (x, status[x.limit_id]) for x in first["limits"].limits if x.limit_id in status
        ),
        budgets=tuple(second[b] for b in budget_ids),
    )
