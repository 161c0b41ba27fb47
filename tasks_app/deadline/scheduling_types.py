"""Types built from the answers that say why READY work waits: a queue's scheduling settings,
its fleet and limit associations, fleets with their capabilities, limits, budgets, a step's
host requirements and its dependency links.

Like ``types``, each declares its members once (``codec.member``), from which ``from_api``
and a ``to_cache`` in the API's own member names are written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .codec import DATETIME, FLOAT, INT, STR, Cacheable, Conv, compact, declared, many, member

SCHEDULING_KINDS = ("priorityFifo", "priorityBalanced", "weightedBalanced")


def _scheduling(answer: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """Which member of ``schedulingConfiguration`` is set (priorityFifo when none), and its
    options."""
    config = answer.get("schedulingConfiguration") or {}
    kind = next((k for k in SCHEDULING_KINDS if k in config), "priorityFifo")
    return kind, config.get(kind) or {}


@declared
@dataclass(frozen=True)
class QueueSettings(Cacheable):
    """GetQueue's status and scheduling members."""

    queue_id: str = member("queueId", STR, required=True)
    display_name: str = member("displayName", STR, falsy=True, missing="", or_field="queue_id")
    status: str = member("status", STR, falsy=True, missing="")
    blocked_reason: str | None = member("blockedReason", default=None)
    default_budget_action: str | None = member("defaultBudgetAction", default=None)
    # Which member of schedulingConfiguration is set (written back with its options).
    scheduling: str = member(
        "",
        Conv(
            lambda answer: _scheduling(answer)[0],
            lambda q: {"schedulingConfiguration": {q.scheduling: dict(q.scheduling_options)}},
            whole=True,
        ),
        default="priorityFifo",
    )
    scheduling_options: tuple[tuple[str, Any], ...] = member(
        "",
        Conv(
            lambda answer: tuple(sorted((str(k), v) for k, v in _scheduling(answer)[1].items())),
            whole=True,
        ),
        default=(),
    )


@dataclass(frozen=True)
class Association:
    """A queue's link to a fleet or a limit, with its status."""

    queue_id: str
    other_id: str  # the fleet or limit
    status: str


def _association_kind(answer: Mapping[str, Any]) -> str:
    return "limitId" if "queueLimitAssociations" in answer else "fleetId"


def _list_key(member: str) -> str:
    return "queueLimitAssociations" if member == "limitId" else "queueFleetAssociations"


def _associations(answer: Mapping[str, Any]) -> tuple[Association, ...]:
    member = _association_kind(answer)
    return tuple(
        Association(str(a["queueId"]), str(a[member]), str(a.get("status") or ""))
        for a in answer.get(_list_key(member)) or ()
    )


def _associations_to_api(found: Associations) -> dict[str, Any]:
    items = [
        {"queueId": a.queue_id, found.member: a.other_id, "status": a.status} for a in found.items
    ]
    return {_list_key(found.member): items}


@declared
@dataclass(frozen=True)
class Associations(Cacheable):
    """ListQueueFleetAssociations or ListQueueLimitAssociations, every page: the list's
    name says which (and ``member`` names the other side in each item)."""

    items: tuple[Association, ...] = member(
        "", Conv(_associations, _associations_to_api, whole=True)
    )
    member: str = member("", Conv(_association_kind, whole=True), default="fleetId")


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


def _capabilities(block: Mapping[str, Any]) -> tuple[Capability, ...]:
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


#: A fleet's ``capabilities`` (attributes with values) and a step's ``requiredCapabilities``
#: (attributes with anyOf/allOf), amounts alike in both.
FLEET_CAPABILITIES = Conv(
    _capabilities,
    lambda caps: _capabilities_to_api(caps, fleet=True) if caps else None,
    collection=True,
)
STEP_CAPABILITIES = Conv(_capabilities, lambda caps: _capabilities_to_api(caps, fleet=False))


def _count(path: str, **default: int) -> Any:
    """A count the answer may leave out: 0 then."""
    return member(path, INT, falsy=True, missing=0, **default)


@declared
@dataclass(frozen=True)
class FleetDetail(Cacheable):
    """GetFleet: status, size, scaling and capabilities."""

    fleet_id: str = member("fleetId", STR, required=True)
    display_name: str = member("displayName", STR, falsy=True, missing="", or_field="fleet_id")
    status: str = member("status", STR, falsy=True, missing="")
    status_message: str | None = member("statusMessage", default=None)
    worker_count: int = _count("workerCount", default=0)
    max_worker_count: int = _count("maxWorkerCount", default=0)
    target_worker_count: int | None = member("targetWorkerCount", INT, default=None)
    auto_scaling_status: str | None = member("autoScalingStatus", default=None)
    capabilities: tuple[Capability, ...] = member("capabilities", FLEET_CAPABILITIES, default=())

    @property
    def growing(self) -> bool:
        return self.auto_scaling_status == "GROWING"


@declared
@dataclass(frozen=True)
class Limit:
    """One limit: a count of something (licences) shared by the queues associated with it."""

    limit_id: str = member("limitId", STR, required=True)
    display_name: str = member("displayName", STR, falsy=True, missing="", or_field="limit_id")
    amount_requirement_name: str = member("amountRequirementName", STR, falsy=True, missing="")
    current_count: int = _count("currentCount")
    max_count: int = member("maxCount", INT, missing=-1)  # -1: no maximum

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


@declared
@dataclass(frozen=True)
class LimitList(Cacheable):
    """ListLimits, every page."""

    limits: tuple[Limit, ...] = member("limits", many(Limit), missing=())


@declared
@dataclass(frozen=True)
class BudgetAction:
    type: str = member("type", STR, required=True)
    threshold_percentage: float = member("thresholdPercentage", FLOAT, required=True)


def _amount(path: str) -> Any:
    """An amount of dollars the answer may leave out: 0.0 then."""
    return member(path, FLOAT, falsy=True, missing=0.0)


@declared
@dataclass(frozen=True)
class Budget(Cacheable):
    """GetBudget (ListBudgets' summaries lack the actions)."""

    budget_id: str = member("budgetId", STR, required=True)
    display_name: str = member("displayName", STR, falsy=True, missing="", or_field="budget_id")
    status: str = member("status", STR, falsy=True, missing="")
    queue_id: str | None = member("usageTrackingResource.queueId")
    dollar_limit: float = _amount("approximateDollarLimit")
    dollar_usage: float = _amount("usages.approximateDollarUsage")
    actions: tuple[BudgetAction, ...] = member("actions", many(BudgetAction), default=())
    queue_stopped_at: datetime | None = member("queueStoppedAt", DATETIME, default=None)

    @property
    def used_percent(self) -> float:
        return 100.0 * self.dollar_usage / self.dollar_limit if self.dollar_limit else 0.0

    def tripped(self) -> BudgetAction | None:
        """The stop action whose threshold the usage has reached, if any (ACTIVE budgets)."""
        if self.status != "ACTIVE":
            return None
        hits = [a for a in self.actions if self.used_percent >= a.threshold_percentage]
        return min(hits, key=lambda a: a.threshold_percentage) if hits else None


#: ListBudgets' items: (budget ID, the queue it tracks).
BUDGET_QUEUES = Conv(
    lambda items: tuple(
        (str(b["budgetId"]), (b.get("usageTrackingResource") or {}).get("queueId")) for b in items
    ),
    lambda budgets: [
        {"budgetId": b, "usageTrackingResource": {"queueId": q} if q else {}} for b, q in budgets
    ],
    collection=True,
)


@declared
@dataclass(frozen=True)
class BudgetList(Cacheable):
    """ListBudgets' IDs and the queue each tracks."""

    budgets: tuple[tuple[str, str | None], ...] = member("budgets", BUDGET_QUEUES, missing=())


def _consumers(answer: Mapping[str, Any]) -> int:
    counts = answer.get("dependencyCounts") or {}
    return int(counts.get("consumersResolved") or 0) + int(counts.get("consumersUnresolved") or 0)


@declared
@dataclass(frozen=True)
class StepRequirements(Cacheable):
    """GetStep's host requirements and dependency counts."""

    step_id: str = member("stepId", STR, required=True)
    required: tuple[Capability, ...] = member(
        "requiredCapabilities", STEP_CAPABILITIES, default=(), keep_empty=True
    )
    dependencies_unresolved: int = _count("dependencyCounts.dependenciesUnresolved", default=0)
    # Consumers, resolved or not (written back as resolved).
    consumers: int = member(
        "",
        Conv(
            _consumers,
            lambda step: {"dependencyCounts": {"consumersResolved": step.consumers}},
            whole=True,
        ),
        default=0,
    )


#: ListStepDependencies' or ListStepConsumers' items: (step ID, RESOLVED | UNRESOLVED).
STEP_LINKS = Conv(
    lambda answer: tuple(
        (str(d["stepId"]), str(d.get("status") or ""))
        for d in answer.get("dependencies") or answer.get("consumers") or ()
    ),
    lambda links: {"dependencies": [{"stepId": s, "status": st} for s, st in links.links]},
    whole=True,
)


@declared
@dataclass(frozen=True)
class StepLinks(Cacheable):
    """ListStepDependencies or ListStepConsumers: (step ID, RESOLVED | UNRESOLVED)."""

    links: tuple[tuple[str, str], ...] = member("", STEP_LINKS)
