"""Typed reads of one resource each (farm, queue, job, step, task), cached briefly, and the
helper that runs a page's independent reads concurrently."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from django.conf import settings

from ..deadline import client
from ..deadline.cache import cached_read, prefetch
from ..deadline.calls import call
from ..deadline.errors import RESOURCE_KINDS, DeadlineError, NotFound
from ..deadline.fanout import gather
from ..deadline.types import Farm, Job, Queue, Step, Task, TaskPath

logger = logging.getLogger(__name__)


def now() -> datetime:
    """The backend's "now", for relative times and running durations."""
    return client.backend_now()


def get_farm(*, farm_id: str) -> Farm:
    """One farm (display name, description), cached for DEADLINE_NAME_CACHE_SECONDS."""
    return cached_read(
        kind="farm",
        ids=(farm_id,),
        ttl=settings.DEADLINE_NAME_CACHE_SECONDS,
        fetch=lambda: call("GetFarm", farmId=farm_id),
        parse=Farm,
    )


def get_queue(*, farm_id: str, queue_id: str) -> Queue:
    """One queue, cached for DEADLINE_NAME_CACHE_SECONDS."""
    return cached_read(
        kind="queue",
        ids=(farm_id, queue_id),
        ttl=settings.DEADLINE_NAME_CACHE_SECONDS,
        fetch=lambda: call("GetQueue", farmId=farm_id, queueId=queue_id),
        parse=Queue,
    )


def get_job(*, farm_id: str, queue_id: str, job_id: str) -> Job:
    """One job, cached for DEADLINE_NAME_CACHE_SECONDS (the task page only needs its name)."""
    return cached_read(
        kind="job",
        ids=(farm_id, queue_id, job_id),
        ttl=settings.DEADLINE_NAME_CACHE_SECONDS,
        fetch=lambda: call("GetJob", farmId=farm_id, queueId=queue_id, jobId=job_id),
        parse=Job,
    )


def get_step(*, farm_id: str, queue_id: str, job_id: str, step_id: str) -> Step:
    """One step, cached for DEADLINE_NAME_CACHE_SECONDS (the task page only needs its name)."""
    return cached_read(
        kind="step",
        ids=(farm_id, queue_id, job_id, step_id),
        ttl=settings.DEADLINE_NAME_CACHE_SECONDS,
        fetch=lambda: call(
            "GetStep", farmId=farm_id, queueId=queue_id, jobId=job_id, stepId=step_id
        ),
        parse=Step,
    )


def get_task(*, farm_id: str, queue_id: str, job_id: str, step_id: str, task_id: str) -> Task:
    """One task, cached for DEADLINE_CACHE_SECONDS: many viewers inside the TTL cost one call."""
    return cached_read(
        kind="task",
        ids=(farm_id, queue_id, job_id, step_id, task_id),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: call(
            "GetTask",
            farmId=farm_id,
            queueId=queue_id,
            jobId=job_id,
            stepId=step_id,
            taskId=task_id,
        ),
        parse=Task,
    )


def prefetch_path(path: TaskPath) -> AbstractContextManager[None]:
    """Around reading ``path``'s farm, queue, job, step and task at once (``get_farm`` ...
    ``get_task``): their five cache entries in one round trip, not five (``cache.prefetch``)."""
    ids = path.as_kwargs()
    keys = tuple(ids[f"{kind}_id"] for kind in RESOURCE_KINDS)
    return prefetch((kind, keys[: depth + 1]) for depth, kind in enumerate(RESOURCE_KINDS))


def read_concurrently(
    reads: Mapping[str, Callable[[], Any]],
    *,
    optional: frozenset[str] = frozenset(),
    failures: dict[str, DeadlineError] | None = None,
) -> dict[str, Any]:
    """Run independent reads at once. NotFound for the highest level wins (nearest-parent
    404); other failures of ``optional`` reads (names, secondary sections) degrade to None,
    recorded in ``failures`` when given, and the rest raise."""
    results, errors = gather(reads)
    missing = [exc for exc in errors.values() if isinstance(exc, NotFound)]
    if missing:
        raise min(missing, key=lambda exc: _depth(exc.resource_type))
    for kind, exc in errors.items():
        if kind not in optional:
            raise exc
        logger.info("showing the page without its %s: %s", kind, exc.message)
        results[kind] = None
        if failures is not None:
            failures[kind] = exc
    return results


def _depth(kind: str) -> int:
    return RESOURCE_KINDS.index(kind) if kind in RESOURCE_KINDS else len(RESOURCE_KINDS)
