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

from typing import Any

from deadline_emulator.scheduling_budgets import BudgetOperations
from deadline_emulator.scheduling_limits import LimitOperations
from deadline_emulator.scheduling_links import LinkOperations
from deadline_emulator.scheduling_state import ACTIVE_TASKS, INF, Gate, wire_time


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


class SchedulingOperations(LinkOperations, LimitOperations, BudgetOperations):
    """The scheduling operations of ``DeadlineBackend`` (see the module docstring)."""

    # --- scheduling configuration, fleets (overlays on the seed's answers) -------------------

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
            answer[member] = wire_time(value) if member == "updatedAt" else value
        return answer

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
            sum(self._step_state(job, s, t, memo)[0].counts.get(x, 0) for x in ACTIVE_TASKS)  # type: ignore[attr-defined]
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
