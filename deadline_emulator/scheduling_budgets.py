"""Budgets, and the queue status they decide (a STOP_SCHEDULING_* action over its threshold
blocks the queue): a mixin of the backend (see ``scheduling``).

A budget's usage follows the sessions: the cost of its queue's sessions inside its fixed
schedule up to now, priced as the statistics aggregation prices them (``statistics``: the
rate per instance type times the farm's ``costScaleFactor``), plus whatever a scenario
recorded with ``set_budget_usage`` (spend the emulator has no sessions for). When it reaches a
STOP_SCHEDULING_* threshold the queue is SCHEDULING_BLOCKED: steps the simulation holds
(gates) stay held until the budget is raised, stopped or deleted. Tasks the deterministic
simulation already placed are not pulled back when a budget trips mid-run.
"""

from __future__ import annotations

from typing import Any

from deadline_emulator.exceptions import ResourceNotFoundException
from deadline_emulator.memos import kept
from deadline_emulator.scheduling_state import (
    STOP_ACTIONS,
    SchedulingBase,
    page_answer,
    wire_time,
)
from deadline_emulator.statistics import epoch_seconds, hourly_rate

#: How often a budget's usage is metered while the clock runs (GetQueue asks it every time).
METER_SECONDS = 60.0


class BudgetOperations(SchedulingBase):
    """CreateBudget ... DeleteBudget, and ``queue_status``."""

    def queue_status(self, queue: Any) -> tuple[str, str | None]:
        """The queue's status and blocked reason now: a STOP_SCHEDULING budget over its
        threshold blocks it; a queue the seed left without a budget stays blocked until one
        is created for it."""
        budgets = [
            b
            for b in self._sched().budgets.values()
            if b["usageTrackingResource"].get("queueId") == queue.queue_id
        ]
        for budget in budgets:
            if budget["status"] == "ACTIVE" and self._budget_tripped(budget):
                return "SCHEDULING_BLOCKED", "BUDGET_THRESHOLD_REACHED"
        if queue.blocked_reason == "NO_BUDGET_CONFIGURED" and not budgets:
            return "SCHEDULING_BLOCKED", "NO_BUDGET_CONFIGURED"
        if queue.status == "SCHEDULING_BLOCKED":
            return "SCHEDULING", None
        return queue.status, None

    def _budget_tripped(self, budget: dict[str, Any]) -> bool:
        spent = self.budget_usage(budget)
        for action in budget["actions"]:
            limit = budget["approximateDollarLimit"] * action["thresholdPercentage"] / 100.0
            if action["type"] in STOP_ACTIONS and spent >= limit:
                return True
        return False

    def _budget(self, farm_id: str, budget_id: str) -> dict[str, Any]:
        self._farm(farm_id)  # type: ignore[attr-defined]
        found = self._sched().budgets.get(budget_id)
        if found is None or found["_farmId"] != farm_id:
            raise ResourceNotFoundException(
                f"Budget {budget_id} not found in farm {farm_id}",
                resource_id=budget_id,
                resource_type="budget",
            )
        return found

    def budget_usage(self, budget: dict[str, Any]) -> float:
        """Dollars the budget has used by now (see the module docstring): metered once per
        ``METER_SECONDS`` while the clock runs (once per instant while it is pinned) and per
        version of the farm's task states."""
        t = self.clock.now()  # type: ignore[attr-defined]
        if not self.clock.is_pinned:  # type: ignore[attr-defined]
            t = t // METER_SECONDS * METER_SECONDS
        versions = sum(self._job_versions.values())  # type: ignore[attr-defined]
        key = (budget["budgetId"], t, self._update_seq, versions, _period(budget))  # type: ignore[attr-defined]
        return kept(
            self,
            "_budget_usage_memo",
            key,
            lambda: self._metered(budget, t) + budget.get("_recordedUsd", 0.0),
            limit=256,
        )

    def _metered(self, budget: dict[str, Any], t: float) -> float:
        """The cost of the queue's sessions inside the budget's schedule up to ``t``: the
        sessions ListSessions answers (one per attempt, a shared one counted once), read from
        the simulation directly (building every answer made GetQueue take seconds)."""
        queue_id = budget["usageTrackingResource"].get("queueId")
        start, end = _period(budget)
        end = min(end, t)
        if not queue_id or end <= start:
            return 0.0
        farm = self._farm(budget["_farmId"])  # type: ignore[attr-defined]
        now = self.clock.now()  # type: ignore[attr-defined]
        workers = self._workers  # type: ignore[attr-defined]
        total = 0.0
        for job in self._queue_jobs(queue_id, now):  # type: ignore[attr-defined]
            for _, _, attempt in self._job_attempts(job, now):  # type: ignore[attr-defined]
                began = _ms(attempt.assigned_at)
                ended = _ms(attempt.session_end) if attempt.session_end <= now else now
                runtime = min(ended, end) - max(began, start)
                if runtime > 0:
                    kind = getattr(workers.get(attempt.worker_id), "instance_type", None)
                    total += runtime / 3600.0 * hourly_rate(kind)
        return total * farm.cost_scale_factor

    def _budget_answer(self, budget: dict[str, Any], full: bool) -> dict[str, Any]:
        answer = self._wire(budget)
        answer["usages"] = {"approximateDollarUsage": round(self.budget_usage(budget), 6)}
        if not full:
            for member in ("actions", "schedule", "queueStoppedAt"):
                answer.pop(member, None)
        elif budget.get("_stoppedAt") is not None and self._budget_tripped(budget):
            answer["queueStoppedAt"] = wire_time(budget["_stoppedAt"])
        return answer

    def create_budget(
        self,
        farm_id: str,
        display_name: str,
        usage_tracking_resource: dict[str, Any],
        approximate_dollar_limit: float,
        actions: list[dict[str, Any]],
        schedule: dict[str, Any],
        description: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        self._farm(farm_id)  # type: ignore[attr-defined]
        budget_id = self._new_id("budget")
        record = {
            "_farmId": farm_id,
            "budgetId": budget_id,
            "usageTrackingResource": dict(usage_tracking_resource),
            "status": "ACTIVE",
            "displayName": display_name,
            "approximateDollarLimit": float(approximate_dollar_limit),
            "usages": {"approximateDollarUsage": 0.0},
            "description": description,
            "actions": [dict(a) for a in actions],
            "schedule": schedule,
        }
        self._stamp(record, created=True)
        with self._sched_lock:
            self._sched().budgets[budget_id] = record
        self.reconsider_gates(farm_id)
        return {"budgetId": budget_id}

    def get_budget(self, farm_id: str, budget_id: str, **_: Any) -> dict[str, Any]:
        return self._budget_answer(self._budget(farm_id, budget_id), True)

    def list_budgets(
        self,
        farm_id: str,
        status: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        self._farm(farm_id)  # type: ignore[attr-defined]
        budgets = sorted(
            (
                b
                for b in self._sched().budgets.values()
                if b["_farmId"] == farm_id and (status is None or b["status"] == status)
            ),
            key=lambda b: b["budgetId"],
        )
        return page_answer(
            "budgets",
            budgets,
            ("budgetId",),
            ("ListBudgets", farm_id, status),
            {"next_token": next_token, "max_results": max_results},
            lambda b: self._budget_answer(b, False),
        )

    def update_budget(
        self,
        farm_id: str,
        budget_id: str,
        display_name: str | None = None,
        description: str | None = None,
        status: str | None = None,
        approximate_dollar_limit: float | None = None,
        actions_to_add: list[dict[str, Any]] | None = None,
        actions_to_remove: list[dict[str, Any]] | None = None,
        schedule: dict[str, Any] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        with self._sched_lock:
            record = self._budget(farm_id, budget_id)
            for member, value in (
                ("displayName", display_name),
                ("description", description),
                ("status", status),
                ("schedule", schedule),
            ):
                if value is not None:
                    record[member] = value
            if approximate_dollar_limit is not None:
                record["approximateDollarLimit"] = float(approximate_dollar_limit)
            for gone in actions_to_remove or ():
                record["actions"] = [
                    a
                    for a in record["actions"]
                    if (a["type"], a["thresholdPercentage"])
                    != (gone["type"], gone["thresholdPercentage"])
                ]
            record["actions"].extend(dict(a) for a in actions_to_add or ())
            self._stamp(record)
        self.reconsider_gates(farm_id)
        return {}

    def delete_budget(self, farm_id: str, budget_id: str, **_: Any) -> dict[str, Any]:
        with self._sched_lock:
            self._budget(farm_id, budget_id)
            del self._sched().budgets[budget_id]
        self.reconsider_gates(farm_id)
        return {}

    def set_budget_usage(self, budget_id: str, dollars: float) -> None:
        """Make the budget's usage read ``dollars`` now: the difference from what its
        sessions cost is recorded as spend outside them (scenario builders and tests), and
        the sessions that run from now on add to it."""
        with self._sched_lock:
            record = self._sched().budgets[budget_id]
            metered = self._metered(record, self.clock.now())  # type: ignore[attr-defined]
            record["_recordedUsd"] = float(dollars) - metered
            self.__dict__.pop("_budget_usage_memo", None)
            if self._budget_tripped(record):
                record["_stoppedAt"] = self.clock.now()  # type: ignore[attr-defined]
        self.note_write()  # type: ignore[attr-defined]  # answers kept before it are stale


def _ms(epoch: float) -> float:
    """An instant as the API answers it (milliseconds)."""
    return round(epoch, 3)


def _period(budget: dict[str, Any]) -> tuple[float, float]:
    """The budget's fixed schedule as epoch seconds (unbounded without one)."""
    fixed = (budget.get("schedule") or {}).get("fixed") or {}
    start = fixed.get("startTime")
    end = fixed.get("endTime")
    return (
        epoch_seconds(start) if start is not None else float("-inf"),
        epoch_seconds(end) if end is not None else float("inf"),
    )
