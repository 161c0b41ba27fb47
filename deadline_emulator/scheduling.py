"""What decides whether READY work runs: queue-fleet associations, limits and their queue
associations, budgets, step dependencies, fleet capabilities and scheduling configuration.

A mixin of the backend (like ``batch.py``). Its state is kept beside the world and built on
first use: every queue starts associated (ACTIVE) with the fleets the seed gave it. The
time model stays closed-form: a gated step (``_gates``, set up by ``scheduling_lab``) stays
READY while its cause holds; the first write that removes the cause (UpdateQueueFleetAssociation,
UpdateBudget, UpdateLimit, UpdateFleet, UpdateJob, CreateBudget ...) opens the gate at that
instant and the step runs from then on, as ``simulation._natural`` plans it.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from deadline_emulator.exceptions import ConflictException, ResourceNotFoundException
from deadline_emulator.pagination import paginate, query_hash
from deadline_emulator.seed import digest

INF = math.inf
_ACTIVE_TASKS = ("ASSIGNED", "STARTING", "SCHEDULED", "RUNNING", "INTERRUPTING")
_STOP_ACTIONS = ("STOP_SCHEDULING_AND_COMPLETE_TASKS", "STOP_SCHEDULING_AND_CANCEL_TASKS")
OPERATOR = "dashboard-operator@lighthouse.example"


def _dt(value: float | None) -> datetime | None:
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


def fleet_capabilities(configuration: dict[str, Any]) -> dict[str, Any]:
    """A fleet's ``capabilities`` from its configuration's worker/instance capabilities, in
    OpenJD's capability names (``attr.worker.os.family``, ``amount.worker.vcpu`` ...)."""
    caps = configuration.get("customerManaged", {}).get("workerCapabilities") or (
        configuration.get("serviceManagedEc2", {}).get("instanceCapabilities") or {}
    )
    amounts = [
        {"name": "amount.worker.vcpu", **caps.get("vCpuCount", {"min": 1})},
        {"name": "amount.worker.memory", **caps.get("memoryMiB", {"min": 1024})},
    ]
    for extra in caps.get("customAmounts") or ():
        amounts.append(dict(extra))
    attributes = [
        {"name": "attr.worker.os.family", "values": [str(caps.get("osFamily", "LINUX")).lower()]},
        {"name": "attr.worker.cpu.arch", "values": [caps.get("cpuArchitectureType", "x86_64")]},
    ]
    for extra in caps.get("customAttributes") or ():
        attributes.append(dict(extra))
    return {"amounts": amounts, "attributes": attributes}


def unmet_requirements(required: dict[str, Any], capabilities: dict[str, Any]) -> list[str]:
    """The step's host requirements (names) a fleet's capabilities do not meet. Amounts a
    fleet does not report (licence limits, custom amounts) are not the fleet's to meet."""
    unmet: list[str] = []
    attrs = {a["name"]: set(a.get("values") or ()) for a in capabilities.get("attributes", ())}
    for attr in required.get("attributes") or ():
        have = attrs.get(attr["name"])
        if have is None:
            if attr["name"].startswith("attr.worker."):
                unmet.append(attr["name"])
            continue
        any_of, all_of = attr.get("anyOf"), attr.get("allOf")
        if (any_of and not have & set(any_of)) or (all_of and not set(all_of) <= have):
            unmet.append(attr["name"])
    amounts = {a["name"]: a for a in capabilities.get("amounts", ())}
    for amount in required.get("amounts") or ():
        have = amounts.get(amount["name"])
        if have is None:
            continue
        top = have.get("max", INF)
        need = amount.get("min", amount.get("value", 0.0)) or 0.0
        if need > top or (amount.get("max") is not None and amount["max"] < have.get("min", 0)):
            unmet.append(amount["name"])
    return unmet


class SchedulingOperations:
    """The scheduling operations of ``DeadlineBackend`` (see the module docstring)."""

    _sched_lock = threading.RLock()

    # --- state ------------------------------------------------------------------------------

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
            "schedule": {"fixed": {"startTime": _dt(start), "endTime": _dt(start + 400 * 86400)}},
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
            answer[key] = _dt(value) if key in ("createdAt", "updatedAt") else value
        return answer

    # --- queue status, scheduling configuration, fleets (overlays on the seed's answers) ---

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

    @staticmethod
    def _budget_tripped(budget: dict[str, Any]) -> bool:
        spent = budget["usages"]["approximateDollarUsage"]
        for action in budget["actions"]:
            limit = budget["approximateDollarLimit"] * action["thresholdPercentage"] / 100.0
            if action["type"] in _STOP_ACTIONS and spent >= limit:
                return True
        return False

    def _queue_overlay(self, queue: Any, answer: dict[str, Any], full: bool) -> dict[str, Any]:
        status, reason = self.queue_status(queue)
        answer["status"] = status
        answer.pop("blockedReason", None)
        if reason:
            answer["blockedReason"] = reason
        edits = self._sched().queue_edits.get(queue.queue_id, {})
        for member, value in edits.items():
            if member == "schedulingConfiguration" and not full:
                continue
            answer[member] = _dt(value) if member == "updatedAt" else value
        return answer

    def _fleet_config(self, fleet: Any, answer: dict[str, Any]) -> dict[str, Any]:
        edits = self._sched().fleet_edits.get(fleet.fleet_id, {})
        return edits.get("configuration") or answer["configuration"]

    def _fleet_overlay(self, fleet: Any, answer: dict[str, Any], full: bool) -> dict[str, Any]:
        """GetFleet/ListFleets after UpdateFleet's configuration (the worker counts are
        ``farm_side``'s), with the status message and, in GetFleet, the capabilities."""
        edits = self._sched().fleet_edits.get(fleet.fleet_id, {})
        for member in ("configuration", "statusMessage"):
            if member in edits:
                answer[member] = edits[member]
        if full:
            answer["capabilities"] = fleet_capabilities(answer["configuration"])
        return answer

    def fleet_capacity(self, fleet: Any) -> int:
        """Workers the fleet may run at once (its maxWorkerCount, or its workers)."""
        scaling = getattr(self, "fleet_scaling", None)
        if scaling is not None:
            return int(scaling(fleet)["maxWorkerCount"])
        return len(fleet.worker_ids)

    def set_fleet_status_message(self, fleet_id: str, message: str) -> None:
        """Why a fleet is not ACTIVE (GetFleet ``statusMessage``); scenario builders set it."""
        with self._sched_lock:
            self._sched().fleet_edits.setdefault(fleet_id, {})["statusMessage"] = message

    def update_queue(
        self, farm_id: str, queue_id: str, client_token: str | None = None, **members: Any
    ) -> dict[str, Any]:
        """UpdateQueue: the members the dashboard reads (scheduling configuration, names)."""
        self._queue(farm_id, queue_id)  # type: ignore[attr-defined]
        names = {
            "scheduling_configuration": "schedulingConfiguration",
            "display_name": "displayName",
            "description": "description",
            "default_budget_action": "defaultBudgetAction",
        }
        with self._sched_lock:
            edits = self._sched().queue_edits.setdefault(queue_id, {})
            for name, member in names.items():
                if members.get(name) is not None:
                    edits[member] = members[name]
            self._stamp(edits)
        self.reconsider_gates(farm_id)
        return {}

    def update_fleet(
        self, farm_id: str, fleet_id: str, client_token: str | None = None, **members: Any
    ) -> dict[str, Any]:
        """UpdateFleet: the configuration (hence the capabilities) here, worker counts and
        names in ``farm_side``; then whatever the fleet held back may run."""
        fleet = self._fleet(farm_id, fleet_id)  # type: ignore[attr-defined]
        configuration = members.pop("configuration", None)
        parent = getattr(super(), "update_fleet", None)
        if parent is not None:
            parent(farm_id=farm_id, fleet_id=fleet_id, client_token=client_token, **members)
        if configuration is not None:
            with self._sched_lock:
                self._sched().fleet_edits.setdefault(fleet.fleet_id, {})["configuration"] = (
                    configuration
                )
        self.reconsider_gates(farm_id)
        return {}

    # --- queue-fleet associations -------------------------------------------------------------

    def _association(self, farm_id: str, queue_id: str, fleet_id: str) -> dict[str, Any]:
        self._queue(farm_id, queue_id)  # type: ignore[attr-defined]
        self._fleet(farm_id, fleet_id)  # type: ignore[attr-defined]
        found = self._sched().associations.get((queue_id, fleet_id))
        if found is None:
            raise ResourceNotFoundException(
                f"Queue-fleet association {queue_id}/{fleet_id} not found",
                resource_id=f"{queue_id}/{fleet_id}",
                resource_type="queue-fleet-association",
            )
        return found

    def associated_fleets(self, queue_id: str) -> list[tuple[Any, str]]:
        """(fleet, association status) of every association of the queue."""
        fleets = self._fleets  # type: ignore[attr-defined]
        return [
            (fleets[fid], a["status"])
            for (qid, fid), a in sorted(self._sched().associations.items())
            if qid == queue_id
        ]

    def list_queue_fleet_associations(
        self,
        farm_id: str,
        queue_id: str | None = None,
        fleet_id: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        self._farm(farm_id)  # type: ignore[attr-defined]
        queues = self._queues  # type: ignore[attr-defined]
        items = [
            a
            for (qid, fid), a in sorted(self._sched().associations.items())
            if queues[qid].farm_id == farm_id
            and (queue_id is None or qid == queue_id)
            and (fleet_id is None or fid == fleet_id)
        ]
        page, token = paginate(
            items,
            lambda a: [a["queueId"], a["fleetId"]],
            query=query_hash("ListQueueFleetAssociations", farm_id, queue_id, fleet_id),
            next_token=next_token,
            max_results=max_results,
        )
        answer: dict[str, Any] = {"queueFleetAssociations": [self._wire(a) for a in page]}
        if token:
            answer["nextToken"] = token
        return answer

    def get_queue_fleet_association(
        self, farm_id: str, queue_id: str, fleet_id: str, **_: Any
    ) -> dict[str, Any]:
        return self._wire(self._association(farm_id, queue_id, fleet_id))

    def create_queue_fleet_association(
        self, farm_id: str, queue_id: str, fleet_id: str, **_: Any
    ) -> dict[str, Any]:
        self._queue(farm_id, queue_id)  # type: ignore[attr-defined]
        self._fleet(farm_id, fleet_id)  # type: ignore[attr-defined]
        with self._sched_lock:
            state = self._sched()
            if (queue_id, fleet_id) in state.associations:
                raise ConflictException(
                    f"Queue {queue_id} is already associated with fleet {fleet_id}",
                    resource_id=fleet_id,
                    resource_type="queue-fleet-association",
                    reason="RESOURCE_ALREADY_EXISTS",
                )
            record = {"queueId": queue_id, "fleetId": fleet_id, "status": "ACTIVE"}
            self._stamp(record, created=True)
            state.associations[queue_id, fleet_id] = record
            # Work that starts from now on may land on the new fleet's workers.
            pools = self._pools  # type: ignore[attr-defined]
            fleet = self._fleets[fleet_id]  # type: ignore[attr-defined]
            workers = self._workers  # type: ignore[attr-defined]
            added = tuple(w for w in fleet.worker_ids if workers[w].status in ("RUNNING", "IDLE"))
            pools[queue_id] = tuple(pools.get(queue_id, ())) + added
        self.reconsider_gates(farm_id)
        return {}

    def update_queue_fleet_association(
        self, farm_id: str, queue_id: str, fleet_id: str, status: str, **_: Any
    ) -> dict[str, Any]:
        with self._sched_lock:
            record = self._association(farm_id, queue_id, fleet_id)
            record["status"] = status
            self._stamp(record)
        self.reconsider_gates(farm_id)
        return {}

    def delete_queue_fleet_association(
        self, farm_id: str, queue_id: str, fleet_id: str, **_: Any
    ) -> dict[str, Any]:
        with self._sched_lock:
            record = self._association(farm_id, queue_id, fleet_id)
            if record["status"] != "STOPPED" and record["status"] != "ACTIVE":
                pass  # the service wants STOPPED first; the emulator lets it go
            del self._sched().associations[queue_id, fleet_id]
        self.reconsider_gates(farm_id)
        return {}

    # --- limits and queue-limit associations --------------------------------------------------

    def _limit(self, farm_id: str, limit_id: str) -> dict[str, Any]:
        self._farm(farm_id)  # type: ignore[attr-defined]
        found = self._sched().limits.get(limit_id)
        if found is None or found["farmId"] != farm_id:
            raise ResourceNotFoundException(
                f"Limit {limit_id} not found in farm {farm_id}",
                resource_id=limit_id,
                resource_type="limit",
            )
        return found

    def limit_holders(self, limit: dict[str, Any], t: float) -> dict[str, int]:
        """Job ID -> tasks holding the limit at ``t``: active tasks of steps that require its
        amount, in queues whose association with the limit is ACTIVE (or stopping: tasks
        already running keep what they acquired)."""
        name = limit["amountRequirementName"]
        queues = {
            qid
            for (qid, lid), a in self._sched().limit_associations.items()
            if lid == limit["limitId"] and a["status"] != "STOPPED"
        }
        holders: dict[str, int] = {}
        for job in self._all_jobs(t):  # type: ignore[attr-defined]
            if job.queue_id not in queues:
                continue
            for step in job.steps:
                amounts = (step.required_capabilities or {}).get("amounts") or ()
                if not any(a["name"] == name for a in amounts):
                    continue
                agg, _ = self._step_state(job, step, t, {})  # type: ignore[attr-defined]
                held = sum(agg.counts.get(s, 0) for s in _ACTIVE_TASKS)
                if held:
                    holders[job.job_id] = holders.get(job.job_id, 0) + held
        return holders

    def acquired_limits(self, job: Any, step: Any) -> list[dict[str, Any]] | None:
        """GetSessionAction's ``acquiredLimits`` of a task run: one of each limit of the
        job's queue whose amount the step requires (what its count holds while it runs)."""
        state = self.__dict__.get("_scheduling")
        if state is None or not state.limit_associations:
            return None
        needed = {a["name"] for a in (step.required_capabilities or {}).get("amounts") or ()}
        acquired = [
            {"limitId": lid, "count": 1}
            for (qid, lid), assoc in sorted(state.limit_associations.items())
            if qid == job.queue_id
            and assoc["status"] != "STOPPED"
            and state.limits[lid]["amountRequirementName"] in needed
        ]
        return acquired or None

    def _limit_answer(self, limit: dict[str, Any], full: bool) -> dict[str, Any]:
        answer = self._wire(limit)
        if not full:
            answer.pop("description", None)
        answer["currentCount"] = sum(self.limit_holders(limit, self.clock.now()).values())  # type: ignore[attr-defined]
        return answer

    def create_limit(
        self,
        farm_id: str,
        display_name: str,
        amount_requirement_name: str,
        max_count: int,
        description: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        self._farm(farm_id)  # type: ignore[attr-defined]
        limit_id = self._new_id("limit")
        record = {
            "farmId": farm_id,
            "limitId": limit_id,
            "displayName": display_name,
            "amountRequirementName": amount_requirement_name,
            "maxCount": max_count,
            "description": description,
        }
        self._stamp(record, created=True)
        with self._sched_lock:
            self._sched().limits[limit_id] = record
        return {"limitId": limit_id}

    def get_limit(self, farm_id: str, limit_id: str, **_: Any) -> dict[str, Any]:
        return self._limit_answer(self._limit(farm_id, limit_id), True)

    def list_limits(
        self,
        farm_id: str,
        next_token: str | None = None,
        max_results: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        self._farm(farm_id)  # type: ignore[attr-defined]
        limits = sorted(
            (x for x in self._sched().limits.values() if x["farmId"] == farm_id),
            key=lambda x: x["limitId"],
        )
        page, token = paginate(
            limits,
            lambda x: [x["limitId"]],
            query=query_hash("ListLimits", farm_id),
            next_token=next_token,
            max_results=max_results,
        )
        answer: dict[str, Any] = {"limits": [self._limit_answer(x, False) for x in page]}
        if token:
            answer["nextToken"] = token
        return answer

    def update_limit(
        self,
        farm_id: str,
        limit_id: str,
        display_name: str | None = None,
        description: str | None = None,
        max_count: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        with self._sched_lock:
            record = self._limit(farm_id, limit_id)
            for member, value in (
                ("displayName", display_name),
                ("description", description),
                ("maxCount", max_count),
            ):
                if value is not None:
                    record[member] = value
            self._stamp(record)
        self.reconsider_gates(farm_id)
        return {}

    def delete_limit(self, farm_id: str, limit_id: str, **_: Any) -> dict[str, Any]:
        with self._sched_lock:
            self._limit(farm_id, limit_id)
            state = self._sched()
            del state.limits[limit_id]
            for key in [k for k in state.limit_associations if k[1] == limit_id]:
                del state.limit_associations[key]
        self.reconsider_gates(farm_id)
        return {}

    def _limit_association(self, farm_id: str, queue_id: str, limit_id: str) -> dict[str, Any]:
        self._queue(farm_id, queue_id)  # type: ignore[attr-defined]
        self._limit(farm_id, limit_id)
        found = self._sched().limit_associations.get((queue_id, limit_id))
        if found is None:
            raise ResourceNotFoundException(
                f"Queue-limit association {queue_id}/{limit_id} not found",
                resource_id=f"{queue_id}/{limit_id}",
                resource_type="queue-limit-association",
            )
        return found

    def create_queue_limit_association(
        self, farm_id: str, queue_id: str, limit_id: str, **_: Any
    ) -> dict[str, Any]:
        self._queue(farm_id, queue_id)  # type: ignore[attr-defined]
        self._limit(farm_id, limit_id)
        with self._sched_lock:
            state = self._sched()
            if (queue_id, limit_id) in state.limit_associations:
                raise ConflictException(
                    f"Queue {queue_id} is already associated with limit {limit_id}",
                    resource_id=limit_id,
                    resource_type="queue-limit-association",
                    reason="RESOURCE_ALREADY_EXISTS",
                )
            record = {"queueId": queue_id, "limitId": limit_id, "status": "ACTIVE"}
            self._stamp(record, created=True)
            state.limit_associations[queue_id, limit_id] = record
        self.reconsider_gates(farm_id)
        return {}

    def get_queue_limit_association(
        self, farm_id: str, queue_id: str, limit_id: str, **_: Any
    ) -> dict[str, Any]:
        return self._wire(self._limit_association(farm_id, queue_id, limit_id))

    def list_queue_limit_associations(
        self,
        farm_id: str,
        queue_id: str | None = None,
        limit_id: str | None = None,
        next_token: str | None = None,
        max_results: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        self._farm(farm_id)  # type: ignore[attr-defined]
        state = self._sched()
        items = [
            a
            for (qid, lid), a in sorted(state.limit_associations.items())
            if state.limits[lid]["farmId"] == farm_id
            and (queue_id is None or qid == queue_id)
            and (limit_id is None or lid == limit_id)
        ]
        page, token = paginate(
            items,
            lambda a: [a["queueId"], a["limitId"]],
            query=query_hash("ListQueueLimitAssociations", farm_id, queue_id, limit_id),
            next_token=next_token,
            max_results=max_results,
        )
        answer: dict[str, Any] = {"queueLimitAssociations": [self._wire(a) for a in page]}
        if token:
            answer["nextToken"] = token
        return answer

    def update_queue_limit_association(
        self, farm_id: str, queue_id: str, limit_id: str, status: str, **_: Any
    ) -> dict[str, Any]:
        with self._sched_lock:
            record = self._limit_association(farm_id, queue_id, limit_id)
            record["status"] = status
            self._stamp(record)
        self.reconsider_gates(farm_id)
        return {}

    def delete_queue_limit_association(
        self, farm_id: str, queue_id: str, limit_id: str, **_: Any
    ) -> dict[str, Any]:
        with self._sched_lock:
            self._limit_association(farm_id, queue_id, limit_id)
            del self._sched().limit_associations[queue_id, limit_id]
        self.reconsider_gates(farm_id)
        return {}

    # --- budgets ------------------------------------------------------------------------------

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

    def _budget_answer(self, budget: dict[str, Any], full: bool) -> dict[str, Any]:
        answer = self._wire(budget)
        if not full:
            for member in ("actions", "schedule", "queueStoppedAt"):
                answer.pop(member, None)
        elif budget.get("_stoppedAt") is not None and self._budget_tripped(budget):
            answer["queueStoppedAt"] = _dt(budget["_stoppedAt"])
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
        page, token = paginate(
            budgets,
            lambda b: [b["budgetId"]],
            query=query_hash("ListBudgets", farm_id, status),
            next_token=next_token,
            max_results=max_results,
        )
        answer: dict[str, Any] = {"budgets": [self._budget_answer(b, False) for b in page]}
        if token:
            answer["nextToken"] = token
        return answer

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
        """What the budget has spent so far (the service meters it; scenario builders set it)."""
        with self._sched_lock:
            record = self._sched().budgets[budget_id]
            record["usages"] = {"approximateDollarUsage": float(dollars)}
            if self._budget_tripped(record):
                record["_stoppedAt"] = self.clock.now()  # type: ignore[attr-defined]

    # --- step dependencies --------------------------------------------------------------------

    def _dependency_page(
        self, operation: str, items: list[dict[str, Any]], ids: tuple[str, ...], **paging: Any
    ) -> tuple[list[dict[str, Any]], str | None]:
        return paginate(
            items,
            lambda d: [d["stepId"]],
            query=query_hash(operation, *ids),
            next_token=paging.get("next_token"),
            max_results=paging.get("max_results"),
        )

    def list_step_dependencies(
        self, farm_id: str, queue_id: str, job_id: str, step_id: str, **paging: Any
    ) -> dict[str, Any]:
        """The step's dependency (the previous step, when it depends on it), RESOLVED once
        that step has SUCCEEDED."""
        t = self.clock.now()  # type: ignore[attr-defined]
        step = self._step(farm_id, queue_id, job_id, step_id, t)  # type: ignore[attr-defined]
        job = self._jobs[job_id]  # type: ignore[attr-defined]
        items = []
        if step.index > 0 and step.depends_on_previous:
            ready = self._ready_at(job, step.index, t, {})  # type: ignore[attr-defined]
            resolved = ready is not None and ready <= t
            items.append(
                {
                    "stepId": job.steps[step.index - 1].step_id,
                    "status": "RESOLVED" if resolved else "UNRESOLVED",
                }
            )
        page, token = self._dependency_page(
            "ListStepDependencies", items, (farm_id, queue_id, job_id, step_id), **paging
        )
        answer: dict[str, Any] = {"dependencies": page}
        if token:
            answer["nextToken"] = token
        return answer

    def list_step_consumers(
        self, farm_id: str, queue_id: str, job_id: str, step_id: str, **paging: Any
    ) -> dict[str, Any]:
        """The steps that depend on this one (the next step, when it does)."""
        t = self.clock.now()  # type: ignore[attr-defined]
        step = self._step(farm_id, queue_id, job_id, step_id, t)  # type: ignore[attr-defined]
        job = self._jobs[job_id]  # type: ignore[attr-defined]
        items = []
        if step.index + 1 < len(job.steps) and job.steps[step.index + 1].depends_on_previous:
            ready = self._ready_at(job, step.index + 1, t, {})  # type: ignore[attr-defined]
            resolved = ready is not None and ready <= t
            items.append(
                {
                    "stepId": job.steps[step.index + 1].step_id,
                    "status": "RESOLVED" if resolved else "UNRESOLVED",
                }
            )
        page, token = self._dependency_page(
            "ListStepConsumers", items, (farm_id, queue_id, job_id, step_id), **paging
        )
        answer: dict[str, Any] = {"consumers": page}
        if token:
            answer["nextToken"] = token
        return answer

    # --- gates: the simulation obeys the causes above -----------------------------------------

    def gate(self, job_id: str, step_index: int, natural: float = INF) -> None:
        """Hold a step READY until its causes are removed (or ``natural``)."""
        with self._sched_lock:
            self._sched().gates[job_id, step_index] = Gate(natural=natural)

    def sched_gate(self, job_id: str, step_index: int) -> Gate:
        return self._sched().gates[job_id, step_index]

    def held_until(self, job: Any, step: Any) -> float:
        """When the step's READY tasks may first be assigned (-INF: no gate)."""
        state = self.__dict__.get("_scheduling")
        if state is None or not state.gates:
            return -INF
        found = state.gates.get((job.job_id, step.index))
        return -INF if found is None else found.until

    def reconsider_gates(self, farm_id: str | None = None) -> None:
        """Open every gate whose causes are gone, at this instant (a write just happened)."""
        state = self._sched()
        if not state.gates:
            return
        t = self.clock.now()  # type: ignore[attr-defined]
        with self._lock:  # type: ignore[attr-defined]
            for (job_id, index), found in list(state.gates.items()):
                job = self._jobs.get(job_id)  # type: ignore[attr-defined]
                if job is None or found.cleared is not None or found.until <= t:
                    continue
                if farm_id is not None and job.farm_id != farm_id:
                    continue
                if not self.gate_causes(job, job.steps[index], t):
                    found.cleared = t
                    self._bump(job)  # type: ignore[attr-defined]

    def gate_causes(self, job: Any, step: Any, t: float) -> list[str]:
        """What holds the step back at ``t``, as the emulator's scheduler sees it."""
        causes: list[str] = []
        queue = self._queues[job.queue_id]  # type: ignore[attr-defined]
        if self.queue_status(queue)[0] == "SCHEDULING_BLOCKED":
            causes.append("queue_blocked")
        usable = [f for f, status in self.associated_fleets(queue.queue_id) if status == "ACTIVE"]
        usable = [f for f in usable if f.status == "ACTIVE"]
        if not usable:
            causes.append("no_fleet")
        causes.extend(self._limit_causes(job, step, t))
        edits = self._job_edits.get(job.job_id, {})  # type: ignore[attr-defined]
        most = edits.get("maxWorkerCount", job.max_worker_count)
        if most is not None and most >= 0 and self._job_active(job, t) >= most:
            causes.append("job_max_workers")
        if usable and all(self._fleet_busy(f, t) >= self.fleet_capacity(f) for f in usable):
            found = self._sched().gates.get((job.job_id, step.index))
            if found is not None and found.behind and self._still_behind(job, found.behind, t):
                causes.append("fleet_at_capacity")
        return causes

    def _limit_causes(self, job: Any, step: Any, t: float) -> list[str]:
        state = self._sched()
        needed = {a["name"] for a in (step.required_capabilities or {}).get("amounts") or ()}
        causes = []
        for (qid, lid), assoc in state.limit_associations.items():
            limit = state.limits[lid]
            if qid != job.queue_id or limit["amountRequirementName"] not in needed:
                continue
            if assoc["status"] != "ACTIVE":
                causes.append("limit_reached")  # a stopped association grants nothing
                continue
            if limit["maxCount"] >= 0:
                held = sum(self.limit_holders(limit, t).values())
                if held >= limit["maxCount"]:
                    causes.append("limit_reached")
        return causes

    def _job_active(self, job: Any, t: float) -> int:
        memo: dict = {}
        return sum(
            sum(self._step_state(job, s, t, memo)[0].counts.get(x, 0) for x in _ACTIVE_TASKS)  # type: ignore[attr-defined]
            for s in job.steps
        )

    def _fleet_busy(self, fleet: Any, t: float) -> int:
        """Active tasks of the jobs in the queues associated with ``fleet``."""
        queues = {qid for (qid, fid) in self._sched().associations if fid == fleet.fleet_id}
        return sum(self._job_active(j, t) for j in self._all_jobs(t) if j.queue_id in queues)  # type: ignore[attr-defined]

    def _still_behind(self, job: Any, ahead: tuple[str, ...], t: float) -> bool:
        """Whether a job ahead still outranks ``job`` (priority first, then submission)."""
        edits = self._job_edits  # type: ignore[attr-defined]

        def rank(j: Any) -> tuple[int, float]:
            return (-int(edits.get(j.job_id, {}).get("priority", j.priority)), j.created_at)

        mine = rank(job)
        config = self._sched().queue_edits.get(job.queue_id, {}).get("schedulingConfiguration")
        if config and "priorityBalanced" in config:
            # Jobs of equal priority share the workers: only a higher priority is ahead.
            return any(
                j is not None and rank(j)[0] < mine[0] and self._job_active(j, t)
                for j in (self._jobs.get(x) for x in ahead)  # type: ignore[attr-defined]
            )
        return any(
            j is not None and rank(j) <= mine and self._job_active(j, t)
            for j in (self._jobs.get(x) for x in ahead)  # type: ignore[attr-defined]
        )
