"""Queue-fleet associations (with their statuses) and step dependencies: a mixin of the
backend (see ``scheduling``)."""

from __future__ import annotations

from typing import Any

from deadline_emulator.exceptions import ConflictException, ResourceNotFoundException
from deadline_emulator.scheduling_state import SchedulingBase, page_answer


class LinkOperations(SchedulingBase):
    """ListQueueFleetAssociations and its writes; ListStepDependencies, ListStepConsumers."""

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
        return page_answer(
            "queueFleetAssociations",
            items,
            ("queueId", "fleetId"),
            ("ListQueueFleetAssociations", farm_id, queue_id, fleet_id),
            {"next_token": next_token, "max_results": max_results},
            self._wire,
        )

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

    def _step_link(self, job: Any, later: int, named: int, t: float) -> list[dict[str, Any]]:
        """The link between step ``later`` and the step before it, as the entry that names
        step ``named``: none when ``later`` does not depend on its previous step, RESOLVED once
        ``later`` is ready. Dependencies name the earlier step, consumers the later one."""
        if not (0 < later < len(job.steps) and job.steps[later].depends_on_previous):
            return []
        ready = self._ready_at(job, later, t, {})  # type: ignore[attr-defined]
        resolved = ready is not None and ready <= t
        status = "RESOLVED" if resolved else "UNRESOLVED"
        return [{"stepId": job.steps[named].step_id, "status": status}]

    def list_step_dependencies(
        self, farm_id: str, queue_id: str, job_id: str, step_id: str, **paging: Any
    ) -> dict[str, Any]:
        """The step's dependency (the previous step, when it depends on it), RESOLVED once
        that step has SUCCEEDED."""
        t = self.clock.now()  # type: ignore[attr-defined]
        step = self._step(farm_id, queue_id, job_id, step_id, t)  # type: ignore[attr-defined]
        job = self._jobs[job_id]  # type: ignore[attr-defined]
        items = self._step_link(job, step.index, step.index - 1, t)
        return page_answer(
            "dependencies",
            items,
            ("stepId",),
            ("ListStepDependencies", farm_id, queue_id, job_id, step_id),
            paging,
        )

    def list_step_consumers(
        self, farm_id: str, queue_id: str, job_id: str, step_id: str, **paging: Any
    ) -> dict[str, Any]:
        """The steps that depend on this one (the next step, when it does)."""
        t = self.clock.now()  # type: ignore[attr-defined]
        step = self._step(farm_id, queue_id, job_id, step_id, t)  # type: ignore[attr-defined]
        job = self._jobs[job_id]  # type: ignore[attr-defined]
        items = self._step_link(job, step.index + 1, step.index + 1, t)
        return page_answer(
            "consumers",
            items,
            ("stepId",),
            ("ListStepConsumers", farm_id, queue_id, job_id, step_id),
            paging,
        )
