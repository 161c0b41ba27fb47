"""Choosing what the Search* probe (``probe``) reads: the first allowed farm, its queue with
the most jobs, and a job whose tasks span two steps and two statuses (so filters can narrow).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import allow_list
from .calls import call, list_all
from .errors import DeadlineError

#: Rows per probe answer.
PAGE = 100
_MAX_QUEUES = 10
_MAX_JOB_CANDIDATES = 5


class NothingToProbe(DeadlineError):
    """No farm, queue or job the probe could use."""


def first_farm() -> str:
    farms = [f for f in list_all("ListFarms", "farms")["farms"] if "farmId" in f]
    allowed = [f["farmId"] for f in farms if allow_list.is_farm_allowed(f["farmId"])]
    if not allowed:
        raise NothingToProbe(
            "No farm to probe: these credentials see no farm"
            + (" that DASHBOARD_FARMS allows." if farms else ".")
        )
    return sorted(allowed)[0]


def _newest_jobs(farm_id: str, queue_id: str) -> dict[str, Any]:
    return call(
        "SearchJobs",
        farmId=farm_id,
        queueIds=[queue_id],
        itemOffset=0,
        pageSize=PAGE,
        sortExpressions=[{"fieldSort": {"name": "CREATED_AT", "sortOrder": "DESCENDING"}}],
    )


def queue_with_jobs(farm_id: str, queue_id: str | None) -> tuple[str, dict[str, Any]]:
    if queue_id is not None:
        found = _newest_jobs(farm_id, queue_id)
        if not found.get("jobs"):
            raise NothingToProbe(f"Queue {queue_id} has no job to probe with: submit one first.")
        return queue_id, found
    queues = list_all("ListQueues", "queues", farmId=farm_id)["queues"]
    best: tuple[str, dict[str, Any]] | None = None
    for queue in sorted(queues, key=lambda q: str(q.get("displayName", "")))[:_MAX_QUEUES]:
        found = _newest_jobs(farm_id, queue["queueId"])
        if best is None or int(found.get("totalResults") or 0) > int(
            best[1].get("totalResults") or 0
        ):
            best = (queue["queueId"], found)
    if best is None or not best[1].get("jobs"):
        raise NothingToProbe(
            f"No queue of farm {farm_id} has a job to probe with: submit one, or name "
            "--farm-id and --queue-id."
        )
    return best


def job_with_steps(
    farm_id: str, queue_id: str, jobs: Mapping[str, Any]
) -> tuple[str, list[dict]] | None:
    """A job with tasks, preferably in two steps and two statuses (so filters can narrow)."""
    candidates = [
        j for j in jobs.get("jobs") or () if sum((j.get("taskRunStatusCounts") or {}).values())
    ]
    candidates.sort(
        key=lambda j: -len([n for n in (j.get("taskRunStatusCounts") or {}).values() if n])
    )
    fallback: tuple[str, list[dict]] | None = None
    for job in candidates[:_MAX_JOB_CANDIDATES]:
        steps = list_all(
            "ListSteps", "steps", farmId=farm_id, queueId=queue_id, jobId=job["jobId"]
        )["steps"]
        with_tasks = [s for s in steps if sum((s.get("taskRunStatusCounts") or {}).values())]
        if len(with_tasks) >= 2:
            return job["jobId"], with_tasks
        if with_tasks and fallback is None:
            fallback = (job["jobId"], with_tasks)
    return fallback
