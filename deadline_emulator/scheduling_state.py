"""The scheduling model's state (associations, limits, budgets, edits, gates) and the helpers
every part of it shares; the parts are mixins of the backend (see ``scheduling``)."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from deadline_emulator.pagination import paginate, query_hash
from deadline_emulator.seed import digest

INF = math.inf
ACTIVE_TASKS = ("ASSIGNED", "STARTING", "SCHEDULED", "RUNNING", "INTERRUPTING")
STOP_ACTIONS = ("STOP_SCHEDULING_AND_COMPLETE_TASKS", "STOP_SCHEDULING_AND_CANCEL_TASKS")
OPERATOR = "dashboard-operator@lighthouse.example"


def page_answer(
    field: str,
    items: list[dict[str, Any]],
    keys: tuple[str, ...],
    query: tuple[Any, ...],
    paging: dict[str, Any],
    render: Callable[[dict[str, Any]], dict[str, Any]] = lambda x: x,
) -> dict[str, Any]:
    """One page of a scheduling listing as its answer: every List* of the model pages its
    sorted records by the same keys and names ``nextToken`` only while more remain, so the
    rule is written once. ``query`` is the operation and the filters the token is bound to."""
    page, token = paginate(
        items,
        lambda x: [x[k] for k in keys],
        query=query_hash(*query),
        next_token=paging.get("next_token"),
        max_results=paging.get("max_results"),
    )
    answer: dict[str, Any] = {field: [render(x) for x in page]}
    if token:
        answer["nextToken"] = token
    return answer


def wire_time(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(round(value, 3), tz=UTC)


@dataclass
class Gate:
    """A step held READY: until ``natural`` (INF: until its cause is removed) or ``cleared``."""

    natural: float = INF
    cleared: float | None = None
    behind: tuple[str, ...] = ()  # job IDs it waits behind on a full fleet

    @property
    def until(self) -> float:
        return self.natural if self.cleared is None else min(self.cleared, self.natural)


@dataclass
class SchedulingState:
    """Everything the scheduling operations changed or added."""

    associations: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    seeded_queues: set[str] = field(default_factory=set)
    limits: dict[str, dict[str, Any]] = field(default_factory=dict)
    limit_associations: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    budgets: dict[str, dict[str, Any]] = field(default_factory=dict)
    queue_edits: dict[str, dict[str, Any]] = field(default_factory=dict)
    fleet_edits: dict[str, dict[str, Any]] = field(default_factory=dict)
    gates: dict[tuple[str, int], Gate] = field(default_factory=dict)
    serial: int = 0


class SchedulingBase:
    """State and helpers of the scheduling mixins (reads the backend's world and clock)."""

    _sched_lock = threading.RLock()

    def _sched(self) -> SchedulingState:
        state = self.__dict__.get("_scheduling")
        if state is None:
            with self._sched_lock:
                state = self.__dict__.get("_scheduling")
                if state is None:
                    state = self.__dict__["_scheduling"] = SchedulingState()
                    self._seed_budget(state)
        with self._sched_lock:
            for q in self.world.queues:  # type: ignore[attr-defined]
                if q.queue_id not in state.seeded_queues:
                    state.seeded_queues.add(q.queue_id)
                    for fleet_id in q.fleet_ids:
                        fleet = self._fleets[fleet_id]  # type: ignore[attr-defined]
                        state.associations[q.queue_id, fleet_id] = {
                            "queueId": q.queue_id,
                            "fleetId": fleet_id,
                            "status": "ACTIVE",
                            "createdAt": max(q.created_at, fleet.created_at),
                            "createdBy": q.created_by,
                        }
        return state

    def _seed_budget(self, state: SchedulingState) -> None:
        """The demo world's first queue has a monthly budget, well within its limit."""
        queue = self.world.queues[0]  # type: ignore[attr-defined]
        budget_id = "budget-" + digest(self.seed, f"budget:{queue.queue_id}", size=16).hex()  # type: ignore[attr-defined]
        start = queue.created_at
        state.budgets[budget_id] = {
            "_farmId": queue.farm_id,
            "budgetId": budget_id,
            "usageTrackingResource": {"queueId": queue.queue_id},
            "status": "ACTIVE",
            "displayName": f"{queue.display_name} monthly",
            "approximateDollarLimit": 25000.0,
            "usages": {"approximateDollarUsage": 10412.5},
            "description": "Render spend of the queue",
            "actions": [
                {"type": "STOP_SCHEDULING_AND_COMPLETE_TASKS", "thresholdPercentage": 100.0}
            ],
            "schedule": {
                "fixed": {"startTime": wire_time(start), "endTime": wire_time(start + 400 * 86400)}
            },
            "createdAt": start,
            "createdBy": queue.created_by,
        }

    def _new_id(self, kind: str) -> str:
        state = self._sched()
        with self._sched_lock:
            state.serial += 1
            number = state.serial
        return f"{kind}-" + digest(self.seed, f"{kind}:{number}", size=16).hex()  # type: ignore[attr-defined]

    def _stamp(self, record: dict[str, Any], created: bool = False) -> None:
        now = self.clock.now()  # type: ignore[attr-defined]
        if created:
            record.update(createdAt=now, createdBy=OPERATOR)
        else:
            record.update(updatedAt=now, updatedBy=OPERATOR)

    @staticmethod
    def _wire(record: dict[str, Any]) -> dict[str, Any]:
        """A stored record as an answer: epoch times as datetimes, private keys dropped."""
        answer = {}
        for key, value in record.items():
            if key.startswith("_") or value is None:
                continue
            answer[key] = wire_time(value) if key in ("createdAt", "updatedAt") else value
        return answer
