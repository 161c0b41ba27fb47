"""Types built from the answers that say why READY work waits: a queue's scheduling settings,
its fleet and limit associations, fleets with their capabilities, limits, budgets, a step's
host requirements and its dependency links.

Like ``types``, each has ``from_api`` and a ``to_cache`` in the API's own member names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .types import Cacheable, compact, format_datetime, parse_datetime

SCHEDULING_KINDS = ("priorityFifo", "priorityBalanced", "weightedBalanced")


@dataclass(frozen=True)
class QueueSettings(Cacheable):
    """GetQueue's status and scheduling members."""

    queue_id: str
    display_name: str
    status: str
    blocked_reason: str | None = None
    default_budget_action: str | None = None
    scheduling: str = "priorityFifo"  # which member of schedulingConfiguration is set
    scheduling_options: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> QueueSettings:
        config = answer.get("schedulingConfiguration") or {}
        kind = next((k for k in SCHEDULING_KINDS if k in config), "priorityFifo")
        options = config.get(kind) or {}
        return cls(
            queue_id=str(answer["queueId"]),
            display_name=str(answer.get("displayName") or answer["queueId"]),
            status=str(answer.get("status") or ""),
            blocked_reason=answer.get("blockedReason"),
            default_budget_action=answer.get("defaultBudgetAction"),
            scheduling=kind,
            scheduling_options=tuple(sorted((str(k), v) for k, v in options.items())),
        )

    def to_cache(self) -> dict[str, Any]:
        return compact(
            {
                "queueId": self.queue_id,
                "displayName": self.display_name,
                "status": self.status,
                "blockedReason": self.blocked_reason,
                "defaultBudgetAction": self.default_budget_action,
                "schedulingConfiguration": {self.scheduling: dict(self.scheduling_options)},
            }
        )


@dataclass(frozen=True)
class Association:
    """A queue's link to a fleet or a limit, with its status."""

    queue_id: str
    other_id: str  # the fleet or limit
    status: str


@dataclass(frozen=True)
class Associations(Cacheable):
    """ListQueueFleetAssociations or ListQueueLimitAssociations, every page."""

    items: tuple[Association, ...]
    member: str = "fleetId"  # which member names the other side

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> Associations:
        member = "limitId" if "queueLimitAssociations" in answer else "fleetId"
        key = "queueLimitAssociations" if member == "limitId" else "queueFleetAssociations"
        items = tuple(
            Association(str(a["queueId"]), str(a[member]), str(a.get("status") or ""))
            for a in answer.get(key) or ()
        )
        return cls(items=items, member=member)

    def to_cache(self) -> dict[str, Any]:
        key = "queueLimitAssociations" if self.member == "limitId" else "queueFleetAssociations"
        return {
            key: [
                {"queueId": a.queue_id, self.member: a.other_id, "status": a.status}
                for a in self.items
            ]
        }


@dataclass(frozen=True)
class Capability:
    """An attribute (values) or an amount (min..max) a fleet offers or a step requires."""

    name: str
    values: tuple[str, ...] = ()  # attributes: a fleet's values / a step's anyOf
    all_of: tuple[str, ...] = ()  # a step's allOf
    low: float | None = None  # amounts
    high: float | None = None

    @classmethod
    def from_api(cls, item: Mapping[str, Any]) -> Capability:
        low = item.get("min", item.get("value"))
        return cls(
            name=str(item["name"]),
            values=tuple(str(v) for v in item.get("values") or item.get("anyOf") or ()),
            all_of=tuple(str(v) for v in item.get("allOf") or ()),
            low=None if low is None else float(low),
            high=None if item.get("max") is None else float(item["max"]),
        )

    @property
    def is_amount(self) -> bool:
        return self.name.split(":")[-1].startswith("amount.")

    def to_api(self, *, fleet: bool) -> dict[str, Any]:
        if self.is_amount:
            return compact({"name": self.name, "min": self.low, "max": self.high})
        if fleet:
            return {"name": self.name, "values": list(self.values)}
        return compact(
            {
                "name": self.name,
                "anyOf": list(self.values) or None,
                "allOf": list(self.all_of) or None,
            }
        )

    @property
    def text(self) -> str:
        """``attr.worker.os.family: windows`` / ``amount.worker.vcpu >= 8``."""
        if self.is_amount:
            parts = []
            if self.low is not None:
                parts.append(f">= {self.low:g}")
            if self.high is not None:
                parts.append(f"<= {self.high:g}")
            return f"{self.name} {' and '.join(parts) or 'any'}"
        wanted = " or ".join(self.values) if self.values else " and ".join(self.all_of)
        return f"{self.name}: {wanted}"


def _capabilities(block: Mapping[str, Any] | None) -> tuple[Capability, ...]:
    block = block or {}
    return tuple(
        Capability.from_api(item)
        for key in ("attributes", "amounts")
        for item in block.get(key) or ()
    )


def _capabilities_to_api(caps: tuple[Capability, ...], *, fleet: bool) -> dict[str, Any]:
    return {
        "attributes": [c.to_api(fleet=fleet) for c in caps if not c.is_amount],
        "amounts": [c.to_api(fleet=fleet) for c in caps if c.is_amount],
    }


@dataclass(frozen=True)
class FleetDetail(Cacheable):
    """GetFleet: status, size, scaling and capabilities."""

    fleet_id: str
    display_name: str
    status: str
    status_message: str | None = None
    worker_count: int = 0
    max_worker_count: int = 0
    target_worker_count: int | None = None
    auto_scaling_status: str | None = None
    capabilities: tuple[Capability, ...] = ()

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> FleetDetail:
        target = answer.get("targetWorkerCount")
        return cls(
            fleet_id=str(answer["fleetId"]),
            display_name=str(answer.get("displayName") or answer["fleetId"]),
            status=str(answer.get("status") or ""),
            status_message=answer.get("statusMessage"),
            worker_count=int(answer.get("workerCount") or 0),
            max_worker_count=int(answer.get("maxWorkerCount") or 0),
            target_worker_count=None if target is None else int(target),
            auto_scaling_status=answer.get("autoScalingStatus"),
            capabilities=_capabilities(answer.get("capabilities")),
        )

    def to_cache(self) -> dict[str, Any]:
        return compact(
            {
                "fleetId": self.fleet_id,
                "displayName": self.display_name,
                "status": self.status,
                "statusMessage": self.status_message,
                "workerCount": self.worker_count,
                "maxWorkerCount": self.max_worker_count,
                "targetWorkerCount": self.target_worker_count,
                "autoScalingStatus": self.auto_scaling_status,
                "capabilities": _capabilities_to_api(self.capabilities, fleet=True)
                if self.capabilities
                else None,
            }
        )

    @property
    def growing(self) -> bool:
        return self.auto_scaling_status == "GROWING"


@dataclass(frozen=True)
class Limit:
    """One limit: a count of something (licences) shared by the queues associated with it."""

    limit_id: str
    display_name: str
    amount_requirement_name: str
    current_count: int
    max_count: int  # -1: no maximum

    @property
    def unlimited(self) -> bool:
        return self.max_count < 0

    @property
    def reached(self) -> bool:
        return not self.unlimited and self.current_count >= self.max_count

    @property
    def percent(self) -> float:
        if self.unlimited or self.max_count == 0:
            return 100.0 if self.max_count == 0 else 0.0
        return min(100.0, 100.0 * self.current_count / self.max_count)


@dataclass(frozen=True)
class LimitList(Cacheable):
    """ListLimits, every page."""

    limits: tuple[Limit, ...]

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> LimitList:
        return cls(
            limits=tuple(
                Limit(
                    limit_id=str(x["limitId"]),
                    display_name=str(x.get("displayName") or x["limitId"]),
                    amount_requirement_name=str(x.get("amountRequirementName") or ""),
                    current_count=int(x.get("currentCount") or 0),
                    max_count=int(x.get("maxCount", -1)),
                )
                for x in answer.get("limits") or ()
            )
        )

    def to_cache(self) -> dict[str, Any]:
        return {
            "limits": [
                {
                    "limitId": x.limit_id,
                    "displayName": x.display_name,
                    "amountRequirementName": x.amount_requirement_name,
                    "currentCount": x.current_count,
                    "maxCount": x.max_count,
                }
                for x in self.limits
            ]
        }


@dataclass(frozen=True)
class BudgetAction:
    type: str
    threshold_percentage: float


@dataclass(frozen=True)
class Budget(Cacheable):
    """GetBudget (ListBudgets' summaries lack the actions)."""

    budget_id: str
    display_name: str
    status: str
    queue_id: str | None
    dollar_limit: float
    dollar_usage: float
    actions: tuple[BudgetAction, ...] = ()
    queue_stopped_at: datetime | None = None

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> Budget:
        return cls(
            budget_id=str(answer["budgetId"]),
            display_name=str(answer.get("displayName") or answer["budgetId"]),
            status=str(answer.get("status") or ""),
            queue_id=(answer.get("usageTrackingResource") or {}).get("queueId"),
            dollar_limit=float(answer.get("approximateDollarLimit") or 0.0),
            dollar_usage=float((answer.get("usages") or {}).get("approximateDollarUsage") or 0.0),
            actions=tuple(
                BudgetAction(str(a["type"]), float(a["thresholdPercentage"]))
                for a in answer.get("actions") or ()
            ),
            queue_stopped_at=parse_datetime(answer.get("queueStoppedAt")),
        )

    def to_cache(self) -> dict[str, Any]:
        return compact(
            {
                "budgetId": self.budget_id,
                "displayName": self.display_name,
                "status": self.status,
                "usageTrackingResource": {"queueId": self.queue_id} if self.queue_id else {},
                "approximateDollarLimit": self.dollar_limit,
                "usages": {"approximateDollarUsage": self.dollar_usage},
                "actions": [
                    {"type": a.type, "thresholdPercentage": a.threshold_percentage}
                    for a in self.actions
                ],
                "queueStoppedAt": format_datetime(self.queue_stopped_at),
            }
        )

    @property
    def used_percent(self) -> float:
        return 100.0 * self.dollar_usage / self.dollar_limit if self.dollar_limit else 0.0

    def tripped(self) -> BudgetAction | None:
        """The stop action whose threshold the usage has reached, if any (ACTIVE budgets)."""
        if self.status != "ACTIVE":
            return None
        hits = [a for a in self.actions if self.used_percent >= a.threshold_percentage]
        return min(hits, key=lambda a: a.threshold_percentage) if hits else None


@dataclass(frozen=True)
class BudgetList(Cacheable):
    """ListBudgets' IDs and the queue each tracks."""

    budgets: tuple[tuple[str, str | None], ...]

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> BudgetList:
        return cls(
            budgets=tuple(
                (str(b["budgetId"]), (b.get("usageTrackingResource") or {}).get("queueId"))
                for b in answer.get("budgets") or ()
            )
        )

    def to_cache(self) -> dict[str, Any]:
        return {
            "budgets": [
                {"budgetId": b, "usageTrackingResource": {"queueId": q} if q else {}}
                for b, q in self.budgets
            ]
        }


@dataclass(frozen=True)
class StepRequirements(Cacheable):
    """GetStep's host requirements and dependency counts."""

    step_id: str
    required: tuple[Capability, ...] = ()
    dependencies_unresolved: int = 0
    consumers: int = 0

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> StepRequirements:
        counts = answer.get("dependencyCounts") or {}
        return cls(
            step_id=str(answer["stepId"]),
            required=_capabilities(answer.get("requiredCapabilities")),
            dependencies_unresolved=int(counts.get("dependenciesUnresolved") or 0),
            consumers=int(counts.get("consumersResolved") or 0)
            + int(counts.get("consumersUnresolved") or 0),
        )

    def to_cache(self) -> dict[str, Any]:
        return {
            "stepId": self.step_id,
            "requiredCapabilities": _capabilities_to_api(self.required, fleet=False),
            "dependencyCounts": {
                "dependenciesUnresolved": self.dependencies_unresolved,
                "consumersResolved": self.consumers,
            },
        }


@dataclass(frozen=True)
class StepLinks(Cacheable):
    """ListStepDependencies or ListStepConsumers: (step ID, RESOLVED | UNRESOLVED)."""

    links: tuple[tuple[str, str], ...]

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> StepLinks:
        items = answer.get("dependencies") or answer.get("consumers") or ()
        return cls(links=tuple((str(d["stepId"]), str(d.get("status") or "")) for d in items))

    def to_cache(self) -> dict[str, Any]:
        return {"dependencies": [{"stepId": s, "status": st} for s, st in self.links]}
