"""Limits and queue-limit associations; a limit's count is the tasks holding it now: a mixin
of the backend (see ``scheduling``)."""

from __future__ import annotations

from typing import Any

from deadline_emulator.exceptions import ConflictException, ResourceNotFoundException
from deadline_emulator.scheduling_state import ACTIVE_TASKS, SchedulingBase, page_answer


class LimitOperations(SchedulingBase):
    """CreateLimit ... DeleteLimit, CreateQueueLimitAssociation ... Delete...; acquiredLimits."""

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
                held = sum(agg.counts.get(s, 0) for s in ACTIVE_TASKS)
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
        return page_answer(
            "limits",
            limits,
            ("limitId",),
            ("ListLimits", farm_id),
            {"next_token": next_token, "max_results": max_results},
            lambda x: self._limit_answer(x, False),
        )

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
        return page_answer(
            "queueLimitAssociations",
            items,
            ("queueId", "limitId"),
            ("ListQueueLimitAssociations", farm_id, queue_id, limit_id),
            {"next_token": next_token, "max_results": max_results},
            self._wire,
        )

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
