"""The cached reads behind "why isn't it running?": a queue's scheduling settings and
associations, fleets, limits, budgets, a step's host requirements and dependency links.

Settings and associations change when an administrator acts; counts, fleets and limits move
with the farm, so they live DASHBOARD_ATTENTION_SECONDS, like the attention page's reads.
"""

from __future__ import annotations

from django.conf import settings

from ...deadline.cache import cached_read
from ...deadline.calls import call, list_every
from ...deadline.scheduling_types import (
    Associations,
    Budget,
    BudgetList,
    FleetDetail,
    LimitList,
    QueueSettings,
    StepLinks,
    StepRequirements,
)


def _live() -> float:
    return settings.DASHBOARD_ATTENTION_SECONDS


def queue_settings(*, farm_id: str, queue_id: str) -> QueueSettings:
    """GetQueue: status, blocked reason and scheduling configuration."""
    return cached_read(
        kind="sched-queue",
        ids=(farm_id, queue_id),
        ttl=_live(),
        fetch=lambda: call("GetQueue", farmId=farm_id, queueId=queue_id),
        parse=QueueSettings,
    )


def fleet_associations(*, farm_id: str, queue_id: str = "", fleet_id: str = "") -> Associations:
    """ListQueueFleetAssociations of one queue (or one fleet), every page."""
    params = {"farmId": farm_id}
    if queue_id:
        params["queueId"] = queue_id
    if fleet_id:
        params["fleetId"] = fleet_id
    return cached_read(
        kind="sched-qfa",
        ids=(farm_id, queue_id, fleet_id),
        ttl=_live(),
        fetch=lambda: {
            "queueFleetAssociations": list_every(
                "ListQueueFleetAssociations", "queueFleetAssociations", **params
            )
        },
        parse=Associations,
    )


def limit_associations(*, farm_id: str, queue_id: str = "") -> Associations:
    """ListQueueLimitAssociations of one queue (or the whole farm), every page."""
    params = {"farmId": farm_id, **({"queueId": queue_id} if queue_id else {})}
    return cached_read(
        kind="sched-qla",
        ids=(farm_id, queue_id),
        ttl=_live(),
        fetch=lambda: {
            "queueLimitAssociations": list_every(
                "ListQueueLimitAssociations", "queueLimitAssociations", **params
            )
        },
        parse=Associations,
    )


def fleet(*, farm_id: str, fleet_id: str) -> FleetDetail:
    """GetFleet: status, size and capabilities."""
    return cached_read(
        kind="sched-fleet",
        ids=(farm_id, fleet_id),
        ttl=_live(),
        fetch=lambda: call("GetFleet", farmId=farm_id, fleetId=fleet_id),
        parse=FleetDetail,
    )


def limits(*, farm_id: str) -> LimitList:
    """ListLimits of the farm, every page, with their current counts."""
    return cached_read(
        kind="sched-limits",
        ids=(farm_id,),
        ttl=_live(),
        fetch=lambda: {"limits": list_every("ListLimits", "limits", farmId=farm_id)},
        parse=LimitList,
    )


def budgets(*, farm_id: str) -> BudgetList:
    """ListBudgets of the farm (IDs and the queue each tracks)."""
    return cached_read(
        kind="sched-budgets",
        ids=(farm_id,),
        ttl=_live(),
        fetch=lambda: {"budgets": list_every("ListBudgets", "budgets", farmId=farm_id)},
        parse=BudgetList,
    )


def budget(*, farm_id: str, budget_id: str) -> Budget:
    """GetBudget: usage, limit and actions."""
    return cached_read(
        kind="sched-budget",
        ids=(farm_id, budget_id),
        ttl=_live(),
        fetch=lambda: call("GetBudget", farmId=farm_id, budgetId=budget_id),
        parse=Budget,
    )


def step_requirements(
    *, farm_id: str, queue_id: str, job_id: str, step_id: str
) -> StepRequirements:
    """GetStep's host requirements (they never change) and dependency counts."""
    return cached_read(
        kind="sched-step",
        ids=(farm_id, queue_id, job_id, step_id),
        ttl=_live(),
        fetch=lambda: call(
            "GetStep", farmId=farm_id, queueId=queue_id, jobId=job_id, stepId=step_id
        ),
        parse=StepRequirements,
    )


def step_links(
    *, farm_id: str, queue_id: str, job_id: str, step_id: str, consumers: bool = False
) -> StepLinks:
    """ListStepDependencies (or ListStepConsumers) of one step, every page."""
    operation, key = (
        ("ListStepConsumers", "consumers")
        if consumers
        else ("ListStepDependencies", "dependencies")
    )
    return cached_read(
        kind="sched-consumers" if consumers else "sched-deps",
        ids=(farm_id, queue_id, job_id, step_id),
        ttl=_live(),
        fetch=lambda: {
            key: list_every(
                operation, key, farmId=farm_id, queueId=queue_id, jobId=job_id, stepId=step_id
            )
        },
        parse=StepLinks,
    )
