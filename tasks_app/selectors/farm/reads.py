"""The farm side's cached reads: fleets, queue-fleet associations, workers, one worker's
sessions and actions, and windows of its log.

Lists that count (a fleet's workers by status, a worker's sessions) are read to the end; a
fleet's workers in the API's own order are SearchWorkers pages with no filter and no sort (the
model alone confirms that request; no Search name is sent), a page of the fleet page one call.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings

from ...deadline.cache import cached_read
from ...deadline.calls import call, list_every
from ...deadline.farm_types import ActionOutcomes, SessionList
from ...deadline.fleet_types import Associations, FleetInfos, LogEvents, WorkerInfo, WorkerInfos
from ...deadline.resilience import ContextThreadPoolExecutor
from ...deadline.worker_logs import read_after, read_window, search_window

#: SearchWorkers pages: their size, the item window, and how many of a listing are read at once.
SEARCH_PAGE = 100
SEARCH_WINDOW = 10_000
PAGE_READERS = 8
#: Workers change state within a minute; their lists are kept that long.
WORKER_SECONDS = 60.0
#: A closed metrics window never changes: kept this long (an open one: the poll period).
CLOSED_WINDOW_SECONDS = 3600.0


def _short() -> float:
    return float(settings.DEADLINE_CACHE_SECONDS)


def list_fleets(*, farm_id: str) -> FleetInfos:
    """A farm's fleets with status and scaling (ListFleets, every page)."""
    return cached_read(
        kind="fleet-infos",
        ids=(farm_id,),
        ttl=_short(),
        fetch=lambda: {"fleets": list_every("ListFleets", "fleets", farmId=farm_id)},
        parse=FleetInfos,
    )


def get_fleet(*, farm_id: str, fleet_id: str) -> FleetInfos:
    """GetFleet (description and capabilities too), as a list of one."""
    return cached_read(
        kind="fleet-info",
        ids=(farm_id, fleet_id),
        ttl=_short(),
        fetch=lambda: {"fleets": [call("GetFleet", farmId=farm_id, fleetId=fleet_id)]},
        parse=FleetInfos,
    )


def list_associations(*, farm_id: str) -> Associations:
    """Which queues each fleet serves (ListQueueFleetAssociations, every page)."""
    return cached_read(
        kind="queue-fleet-associations",
        ids=(farm_id,),
        ttl=float(settings.DEADLINE_NAME_CACHE_SECONDS),
        fetch=lambda: {
            "queueFleetAssociations": list_every(
                "ListQueueFleetAssociations", "queueFleetAssociations", farmId=farm_id
            )
        },
        parse=Associations,
    )


def list_fleet_workers(*, farm_id: str, fleet_id: str) -> WorkerInfos:
    """Every worker of a fleet: what filters, sorts and counts use (``every_worker``)."""
    return cached_read(
        kind="fleet-workers",
        ids=(farm_id, fleet_id),
        ttl=WORKER_SECONDS,
        fetch=lambda: {"workers": every_worker(farm_id=farm_id, fleet_id=fleet_id)},
        parse=WorkerInfos,
    )


def every_worker(*, farm_id: str, fleet_id: str) -> list[dict[str, Any]]:
    """Every worker of a fleet. SearchWorkers pages (no filter, no sort) are reached by
    offset, so after the first (which gives the total) the rest are read at once
    (``PAGE_READERS`` at a time, a pool of this read's own: it may run on a page's read pool).
    When the total reaches the 10,000-item window (it stops there) or the pages do not add up
    to it (workers came or went meanwhile): ListWorkers pages, one after the other."""
    params = {"farmId": farm_id, "fleetIds": [fleet_id], "pageSize": SEARCH_PAGE}
    first = call("SearchWorkers", **params, itemOffset=0)
    total = int(first.get("totalResults") or 0)
    workers = list(first.get("workers") or [])
    if SEARCH_PAGE < total < SEARCH_WINDOW:
        offsets = range(SEARCH_PAGE, total, SEARCH_PAGE)
        with ContextThreadPoolExecutor(max_workers=PAGE_READERS) as pool:
            pages = pool.map(
                lambda offset: call("SearchWorkers", **params, itemOffset=offset), offsets
            )
            for page in pages:
                workers.extend(page.get("workers") or [])
    # totalResults stops at the window: a total that reaches it may stand for more workers.
    if total >= SEARCH_WINDOW or len({w.get("workerId") for w in workers}) != total:
        return list_every("ListWorkers", "workers", farmId=farm_id, fleetId=fleet_id)
    return workers


def search_workers_page(*, farm_id: str, fleet_id: str, offset: int, size: int) -> WorkerInfos:
    """One page of a fleet's workers in the API's order, with the total (SearchWorkers, no
    filter, no sort)."""

    def fetch() -> dict[str, object]:
        answer = call(
            "SearchWorkers", farmId=farm_id, fleetIds=[fleet_id], itemOffset=offset, pageSize=size
        )
        return {"workers": answer.get("workers") or [], "totalResults": answer.get("totalResults")}

    return cached_read(
        kind="fleet-workers-page",
        ids=(farm_id, fleet_id, str(offset), str(size)),
        ttl=WORKER_SECONDS,
        fetch=fetch,
        parse=WorkerInfos,
    )


def get_worker(*, farm_id: str, fleet_id: str, worker_id: str) -> WorkerInfo:
    answer = cached_read(
        kind="worker-info",
        ids=(farm_id, fleet_id, worker_id),
        ttl=WORKER_SECONDS,
        fetch=lambda: {
            "workers": [call("GetWorker", farmId=farm_id, fleetId=fleet_id, workerId=worker_id)]
        },
        parse=WorkerInfos,
    )
    return answer.workers[0]


def worker_sessions(*, farm_id: str, fleet_id: str, worker_id: str) -> SessionList:
    """Every session of a worker, oldest first (ListSessionsForWorker, every page: the
    newest are on the last page)."""
    return cached_read(
        kind="worker-all-sessions",
        ids=(farm_id, fleet_id, worker_id),
        ttl=WORKER_SECONDS,
        fetch=lambda: {
            "sessions": list_every(
                "ListSessionsForWorker",
                "sessions",
                farmId=farm_id,
                fleetId=fleet_id,
                workerId=worker_id,
            )
        },
        parse=SessionList,
    )


def session_actions(*, farm_id: str, queue_id: str, job_id: str, session_id: str) -> ActionOutcomes:
    """A session's task-run actions (ListSessionActions by session, every page)."""
    return cached_read(
        kind="session-task-actions",
        ids=(farm_id, queue_id, job_id, session_id),
        ttl=WORKER_SECONDS,
        fetch=lambda: {
            "sessionActions": list_every(
                "ListSessionActions",
                "sessionActions",
                farmId=farm_id,
                queueId=queue_id,
                jobId=job_id,
                sessionId=session_id,
            )
        },
        parse=ActionOutcomes,
    )


def log_window(
    *, group: str, stream: str, start: datetime, end: datetime, closed: bool
) -> LogEvents:
    """A worker log's events in [start, end); a window that ended long ago is kept an hour."""
    return cached_read(
        kind="worker-log-window",
        ids=(group, stream, start.isoformat(), end.isoformat()),
        ttl=CLOSED_WINDOW_SECONDS if closed else _short(),
        fetch=lambda: read_window(group=group, stream=stream, start=start, end=end),
        parse=LogEvents,
    )


def log_search(
    *, group: str, stream: str, pattern: str, start: datetime, end: datetime, limit: int
) -> LogEvents:
    return cached_read(
        kind="worker-log-search",
        ids=(group, stream, pattern, start.isoformat(), end.isoformat(), str(limit)),
        ttl=_short(),
        fetch=lambda: search_window(
            group=group, stream=stream, pattern=pattern, start=start, end=end, limit=limit
        ),
        parse=LogEvents,
    )


def log_after(*, group: str, stream: str, token: str) -> LogEvents:
    """New events after a forward token (not cached: each follow poll asks for what is new)."""
    return LogEvents.from_api(read_after(group=group, stream=stream, token=token))
