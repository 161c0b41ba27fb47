"""Cached reads of one session action, session, worker or fleet: what the task page, the
attention list and the job timeline know about the machines that ran an attempt."""

from __future__ import annotations

from django.conf import settings

from ..deadline.cache import cached_read
from ..deadline.calls import call
from ..deadline.session_types import Fleet, Session, SessionAction, Worker

#: Workers change status (RUNNING -> NOT_RESPONDING): cached shorter than names.
WORKER_CACHE_SECONDS = 60.0


def get_session_action(
    *, farm_id: str, queue_id: str, job_id: str, session_action_id: str, ended: bool = False
) -> SessionAction:
    """GetSessionAction; an ended action never changes, so it is cached like a name.

    ``ended`` is what the caller knows (from the list): it picks the cache entry, so an
    action that ends is read afresh rather than served from its live entry.
    """
    return cached_read(
        kind="session-action",
        ids=(farm_id, queue_id, job_id, session_action_id, "ended" if ended else "live"),
        ttl=settings.DEADLINE_NAME_CACHE_SECONDS if ended else settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: call(
            "GetSessionAction",
            farmId=farm_id,
            queueId=queue_id,
            jobId=job_id,
            sessionActionId=session_action_id,
        ),
        parse=SessionAction,
    )


def get_session(*, farm_id: str, queue_id: str, job_id: str, session_id: str) -> Session:
    """GetSession (its worker, fleet and log never change): cached like a name."""
    return cached_read(
        kind="session",
        ids=(farm_id, queue_id, job_id, session_id),
        ttl=settings.DEADLINE_NAME_CACHE_SECONDS,
        fetch=lambda: call(
            "GetSession", farmId=farm_id, queueId=queue_id, jobId=job_id, sessionId=session_id
        ),
        parse=Session,
    )


def get_worker(*, farm_id: str, fleet_id: str, worker_id: str) -> Worker:
    """GetWorker, cached for a minute (its status matters while triaging)."""
    return cached_read(
        kind="worker",
        ids=(farm_id, fleet_id, worker_id),
        ttl=min(WORKER_CACHE_SECONDS, settings.DEADLINE_NAME_CACHE_SECONDS),
        fetch=lambda: call("GetWorker", farmId=farm_id, fleetId=fleet_id, workerId=worker_id),
        parse=Worker,
    )


def get_fleet(*, farm_id: str, fleet_id: str) -> Fleet:
    """GetFleet (for its name), cached for DEADLINE_NAME_CACHE_SECONDS."""
    return cached_read(
        kind="fleet",
        ids=(farm_id, fleet_id),
        ttl=settings.DEADLINE_NAME_CACHE_SECONDS,
        fetch=lambda: call("GetFleet", farmId=farm_id, fleetId=fleet_id),
        parse=Fleet,
    )
