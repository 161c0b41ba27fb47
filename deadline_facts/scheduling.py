"""What decides whether READY work runs: which names the dashboard and the emulator use, and
whether a public source confirms each or it is assumed.

Every operation, member and enum value (ListQueueFleetAssociations and its statuses,
Limits and QueueLimitAssociations, ListBudgets/GetBudget and the budget action types,
ListStepDependencies/ListStepConsumers, GetQueue's ``schedulingConfiguration``, GetFleet's
``capabilities``, ``statusMessage`` and autoscaling members, GetStep's
``requiredCapabilities``) comes from botocore's service model: confirmed by the model itself.

What the model leaves open is recorded here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

CONFIRMED: Final = "confirmed"
ASSUMED: Final = "assumed"


@dataclass(frozen=True)
class Fact:
    name: str
    status: str
    source: str


#: Capability names in host requirements and fleet capabilities (OpenJD's standard names).
CAPABILITY_NAMES: Final = (
    Fact(
        "attr.worker.os.family (linux, macos, windows)",
        CONFIRMED,
        "deadline 0.60.10 client/ui/dataclasses/__init__.py (HostRequirements.serialize)",
    ),
    Fact(
        "attr.worker.cpu.arch (x86_64, arm64)",
        CONFIRMED,
        "deadline 0.60.10 client/ui/dataclasses/__init__.py (HostRequirements.serialize)",
    ),
    Fact(
        "amount.worker.vcpu, amount.worker.memory, amount.worker.gpu, "
        "amount.worker.gpu.memory, amount.worker.disk.scratch",
        CONFIRMED,
        "deadline 0.60.10 client/ui/dataclasses/__init__.py (HardwareRequirements)",
    ),
)

#: How the dashboard reads what the model does not define.
RULES: Final = (
    Fact(
        "GetFleet capabilities name a fleet's attributes and amounts with the same names a "
        "step's requiredCapabilities use (a step's requirement on a name the fleet does not "
        "list is judged only for attr.worker.* and amount.worker.*)",
        ASSUMED,
        "the model types both with AttributeCapabilityName / AmountCapabilityName; no public "
        "client compares them",
    ),
    Fact(
        "a limit's amountRequirementName is matched against the amounts of a step's "
        "requiredCapabilities (those amounts are the limit's, not a fleet's)",
        CONFIRMED,
        "botocore model: CreateLimit amountRequirementName documentation",
    ),
    Fact(
        "priorityFifo: higher priority first, then the earlier submission; priorityBalanced: "
        "jobs of the highest priority share the workers",
        ASSUMED,
        "the model's shape names and documentation; the order within a priority is not given",
    ),
    Fact(
        "weightedBalanced score = priorityWeight x priority - errorWeight x failed tasks + "
        "submissionTimeWeight x minutes since submission - renderingTaskWeight x running tasks; "
        "missing weights: priority 1, the rest 0",
        ASSUMED,
        "the model documents the terms, not their units or defaults",
    ),
    Fact(
        "a budget stops scheduling once its approximateDollarUsage reaches a "
        "STOP_SCHEDULING_* action's thresholdPercentage of approximateDollarLimit",
        CONFIRMED,
        "botocore model: BudgetActionToAdd, QueueBlockedReason BUDGET_THRESHOLD_REACHED",
    ),
)
