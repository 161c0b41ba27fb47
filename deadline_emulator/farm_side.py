"""The farm side of the backend: fleet scaling and worker removal (queue-fleet associations
are ``scheduling_links``').

UpdateFleet (minimum and maximum worker counts, name, description), DeleteWorker (only a
STOPPED or NOT_RESPONDING worker; others are a ConflictException, as the service refuses to
delete a worker that may still run work) and GetFleet's autoscaling members derived from
them. ``worker_timeline`` gives the worker-log generator (``worker_logs``) the attempts a
worker ran in the log's window; ``add_fleet`` lets scenario builders add a fleet to an
existing farm.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from deadline_emulator.exceptions import (
    ConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from deadline_emulator.seed import FleetSpec, WorkerSpec

OPERATOR = "dashboard-operator@lighthouse.example"
#: The emulator keeps this much of each worker log (seconds before the clock).
WORKER_LOG_SPAN = 24 * 3600.0
_ACTIVE = ("RUNNING", "IDLE")
_DELETABLE = ("STOPPED", "NOT_RESPONDING")


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


@dataclasses.dataclass
class _FarmSideState:
    fleet_edits: dict[str, dict[str, Any]] = dataclasses.field(default_factory=dict)
    deleted_workers: set[str] = dataclasses.field(default_factory=set)
    # (clock minute, worker ID -> attempts in the log window): one scan serves every worker.
    attempts: tuple[int, dict[str, list[dict[str, Any]]]] = (-1, {})


class FarmSideOperations:
    """Mixed into ``DeadlineBackend``; reads its world, fleets and workers."""

    _fleets: dict[str, Any]
    _workers: dict[str, Any]
    _queues: dict[str, Any]
    _lock: Any
    world: Any
    clock: Any
    seed: int

    @property
    def _farm_side(self) -> _FarmSideState:
        state = self.__dict__.get("_farm_side_state")
        if state is None:
            state = self.__dict__.setdefault("_farm_side_state", _FarmSideState())
        return state

    def worker_deleted(self, worker_id: str) -> bool:
        """True once DeleteWorker removed the worker (its past sessions still resolve)."""
        return worker_id in self._farm_side.deleted_workers

    def fleet_scaling(self, fleet: Any) -> dict[str, Any]:
        """GetFleet's scaling members: the target is the active count held inside [min, max],
        and the fleet is GROWING or SHRINKING towards it."""
        live = [w for w in fleet.worker_ids if w not in self._farm_side.deleted_workers]
        active = sum(self._workers[w].status in _ACTIVE for w in live)
        edits = self._farm_side.fleet_edits.get(fleet.fleet_id, {})
        low = edits.get("minWorkerCount", 0)
        high = edits.get("maxWorkerCount", max(len(live), low))
        target = min(max(active, low), high)
        status = "STEADY" if target == active else ("GROWING" if target > active else "SHRINKING")
        answer = {
            "autoScalingStatus": status,
            "targetWorkerCount": target,
            "workerCount": active,
            "minWorkerCount": low,
            "maxWorkerCount": high,
        }
        for member in ("displayName", "description", "updatedAt", "updatedBy"):
            if member in edits:
                answer[member] = edits[member]
        return answer

    # --- operations ---------------------------------------------------------------------------

    def update_fleet(
        self,
        farm_id: str,
        fleet_id: str,
        min_worker_count: int | None = None,
        max_worker_count: int | None = None,
        display_name: str | None = None,
        description: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """Changes the fleet's scaling bounds (and name, description); empty answer."""
        fleet = self._fleet(farm_id, fleet_id)  # type: ignore[attr-defined]
        with self._lock:
            edits = dict(self._farm_side.fleet_edits.get(fleet_id, {}))
            current = self.fleet_scaling(fleet)
            low = current["minWorkerCount"] if min_worker_count is None else min_worker_count
            high = current["maxWorkerCount"] if max_worker_count is None else max_worker_count
            if low > high:
                raise ValidationException(
                    "minWorkerCount must be less than or equal to maxWorkerCount", reason="OTHER"
                )
            edits.update(minWorkerCount=low, maxWorkerCount=high)
            if display_name is not None:
                edits["displayName"] = display_name
            if description is not None:
                edits["description"] = description
            edits.update(updatedAt=_dt(self.clock.now()), updatedBy=OPERATOR)
            self._farm_side.fleet_edits[fleet_id] = edits
        return {}

    def delete_worker(self, farm_id: str, fleet_id: str, worker_id: str, **_: Any) -> dict:
        """Removes a STOPPED or NOT_RESPONDING worker from its fleet; empty answer."""
        self._fleet(farm_id, fleet_id)  # type: ignore[attr-defined]
        worker = self._workers.get(worker_id)
        if worker is None or worker.fleet_id != fleet_id or self.worker_deleted(worker_id):
            raise ResourceNotFoundException(
                f"Resource of type worker with id {worker_id} does not exist in fleet {fleet_id}.",
                resource_id=worker_id,
                resource_type="worker",
            )
        if worker.status not in _DELETABLE:
            raise ConflictException(
                f"Worker {worker_id} is {worker.status}; only a STOPPED or NOT_RESPONDING "
                "worker can be deleted.",
                resource_id=worker_id,
                resource_type="worker",
                reason="STATUS_CONFLICT",
            )
        with self._lock:
            self._farm_side.deleted_workers.add(worker_id)
            fleet = self._fleets[fleet_id]
            kept = tuple(w for w in fleet.worker_ids if w != worker_id)
            replaced = dataclasses.replace(fleet, worker_ids=kept)
            self._fleets[fleet_id] = replaced
            self.world.fleets[:] = [replaced if f is fleet else f for f in self.world.fleets]
        return {}

    # --- for scenario builders and the worker-log generator ------------------------------------

    def add_fleet(self, fleet: FleetSpec, workers: list[WorkerSpec]) -> None:
        """Adds a fleet (serving no queue) and its workers to an existing farm."""
        self._farm(fleet.farm_id)  # type: ignore[attr-defined]
        with self._lock:
            if fleet.fleet_id in self._fleets:
                raise ValueError(f"fleet {fleet.fleet_id} already exists")
            self.world.fleets.append(fleet)
            self._fleets[fleet.fleet_id] = fleet
            for worker in workers:
                self.world.workers.append(worker)
                self._workers[worker.worker_id] = worker

    def worker_timeline(self, farm_id: str, fleet_id: str, worker_id: str) -> dict[str, Any]:
        """What the worker-log generator needs: the worker, the log's span and the attempts
        it ran in that span (oldest first), as of the clock."""
        self._fleet(farm_id, fleet_id)  # type: ignore[attr-defined]
        worker = self._workers.get(worker_id)
        if worker is None or worker.fleet_id != fleet_id:
            raise ResourceNotFoundException(
                f"Resource of type worker with id {worker_id} does not exist.",
                resource_id=worker_id,
                resource_type="worker",
            )
        now = self.clock.now()
        return {
            "farmId": farm_id,
            "fleetId": fleet_id,
            "workerId": worker_id,
            "status": worker.status,
            "hostName": worker.host_name,
            "instanceType": worker.instance_type,
            "createdAt": worker.created_at,
            "startsAt": max(worker.created_at, now - WORKER_LOG_SPAN),
            "now": now,
            "attempts": self._attempts_by_worker(now).get(worker_id, []),
        }

    def _attempts_by_worker(self, now: float) -> dict[str, list[dict[str, Any]]]:
        minute = int(now // 60)
        cached = self._farm_side.attempts
        if cached[0] == minute:
            return cached[1]
        since = now - WORKER_LOG_SPAN
        found: dict[str, list[dict[str, Any]]] = {}
        for job in self._all_jobs(now):  # type: ignore[attr-defined]
            for step, index, attempt in self._job_attempts(job, now):  # type: ignore[attr-defined]
                if attempt.session_end < since or attempt.assigned_at > now:
                    continue
                session = self._session_hex(job, step, index, attempt)  # type: ignore[attr-defined]
                found.setdefault(attempt.worker_id, []).append({
                    "sessionId": "session-" + session,
                    "queueId": job.queue_id,
                    "jobId": job.job_id,
                    "stepId": step.step_id,
                    "taskId": self._task_id(step, index),  # type: ignore[attr-defined]
                    "runningAt": attempt.running_at,
                    "endsAt": attempt.task_run_end,
                    "sessionEndsAt": attempt.session_end,
                    "outcome": attempt.outcome if attempt.task_run_end <= now else "",
                    "exitCode": attempt.exit_code,
                })  # fmt: skip
        for attempts in found.values():
            attempts.sort(key=lambda a: (a["runningAt"], a["sessionId"]))
        self._farm_side.attempts = (minute, found)
        return found
