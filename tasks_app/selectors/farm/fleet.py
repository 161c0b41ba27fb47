"""One fleet (``/farms/<farm>/fleets/<fleet>/``): its facts and its workers, sortable,
filterable by status, host name and instance type, and paged for fleets of thousands.

Which read serves a page:

- the first pages in the API's own order, unfiltered: one SearchWorkers call per page with
  no filter and no sort (the model alone confirms that request; no Search name involved);
- any filter or sort: the fleet's whole listing (``reads.list_fleet_workers``: every
  SearchWorkers page by offset, or every ListWorkers page; cached a minute), filtered, sorted
  and cut into pages here. No SearchWorkers filter or sort name is sent: a public client
  sends none of them (``deadline_facts.search_names``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...deadline.cache import cached_only
from ...deadline.errors import DeadlineError
from ...deadline.fleet_types import FleetInfo, WorkerInfo, WorkerInfos
from ...deadline.types import SearchWindow
from .. import browse
from ..resources import read_concurrently
from . import reads
from .activity import CurrentTask, FleetActivity, Tally, fleet_activity
from .fleets import ServedQueue, counts_in_order, fleet_json

PAGE_SIZE = 100
#: SearchWorkers reaches items 0..10,000 only; pages past it come from the listing.
SEARCH_WINDOW = 10_000
SORTS = {
    "host": lambda w: ((w.host_name or "").lower(), w.worker_id),
    "status": lambda w: (w.status, (w.host_name or "").lower(), w.worker_id),
    "instance": lambda w: (w.instance_type or "", (w.host_name or "").lower(), w.worker_id),
    "changed": lambda w: (w.changed_at.timestamp() if w.changed_at else 0.0, w.worker_id),
}


@dataclass(frozen=True)
class WorkerQuery:
    status: str = ""
    host: str = ""
    instance_type: str = ""
    sort: str = ""  # "" is the API's own order
    descending: bool = False
    page: int = 1

    @property
    def plain(self) -> bool:
        """The API's order and no filter: the SearchWorkers page alone serves it."""
        return not (self.status or self.host or self.instance_type or self.sort)

    def matches(self, worker: WorkerInfo) -> bool:
        if self.status and worker.status != self.status:
            return False
        if self.instance_type and (worker.instance_type or "") != self.instance_type:
            return False
        return not self.host or self.host.lower() in (worker.host_name or "").lower()


@dataclass(frozen=True)
class WorkerRow:
    worker: WorkerInfo
    current: CurrentTask | None
    tally: Tally

    def as_json(self) -> dict[str, Any]:
        w = self.worker
        return {
            "worker_id": w.worker_id,
            "host_name": w.host_name,
            "status": w.status,
            "instance_type": w.instance_type,
            "current_task": self.current.as_json() if self.current else None,
            "recent_attempts": self.tally.attempts,
            "recent_failures": self.tally.failures,
        }


@dataclass(frozen=True)
class FleetPage:
    fleet: FleetInfo
    queues: tuple[ServedQueue, ...]
    rows: tuple[WorkerRow, ...]
    window: SearchWindow
    fleet_tally: Tally
    jobs_sampled: int
    status_counts: dict[str, int] | None  # None: the whole listing was not read for this page
    instance_types: tuple[str, ...]
    source: str  # how the page was read: one SearchWorkers page, or the whole listing
    notes: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {
            "fleet": {
                **fleet_json(self.fleet, self.queues, managed=True),
                "recent_attempts": self.fleet_tally.attempts,
                "recent_failures": self.fleet_tally.failures,
            },
            "workers": [row.as_json() for row in self.rows],
            "total": self.window.total,
            "page": self.window.page,
            "page_count": self.window.page_count,
        }

    @property
    def counts(self) -> list[tuple[str, int]]:
        return counts_in_order(self.status_counts)


def served_queues(farm_id: str, fleet_id: str) -> tuple[ServedQueue, ...]:
    associations = reads.list_associations(farm_id=farm_id)
    names = {q.queue_id: q.display_name for q in browse.list_queues(farm_id=farm_id).queues}
    return tuple(
        ServedQueue(a.queue_id, names.get(a.queue_id, a.queue_id), a.status)
        for a in associations.associations
        if a.fleet_id == fleet_id
    )


def _workers(
    farm_id: str, fleet_id: str, query: WorkerQuery
) -> tuple[list[WorkerInfo], SearchWindow, WorkerInfos | None, str]:
    offset = (query.page - 1) * PAGE_SIZE
    if query.plain and offset < SEARCH_WINDOW:
        page = reads.search_workers_page(
            farm_id=farm_id, fleet_id=fleet_id, offset=offset, size=PAGE_SIZE
        )
        total = page.total if page.total is not None else len(page.workers)
        # A total that reaches the window stops there: such a fleet is paged from its listing
        # (one order for every page, the last one included).
        if total < SEARCH_WINDOW:
            listing = cached_only(kind="fleet-workers", ids=(farm_id, fleet_id), parse=WorkerInfos)
            window = SearchWindow(
                offset=offset, page_size=PAGE_SIZE, total=total, shown=len(page.workers)
            )
            return list(page.workers), window, listing, "one SearchWorkers page"
    listing = reads.list_fleet_workers(farm_id=farm_id, fleet_id=fleet_id)
    chosen = [w for w in listing.workers if query.matches(w)]
    if query.sort in SORTS:
        chosen.sort(key=SORTS[query.sort], reverse=query.descending)
    total = len(chosen)
    offset = min(offset, max(0, (total - 1) // PAGE_SIZE * PAGE_SIZE))
    shown = chosen[offset : offset + PAGE_SIZE]
    window = SearchWindow(offset=offset, page_size=PAGE_SIZE, total=total, shown=len(shown))
    return shown, window, listing, "the fleet's whole listing"


def fleet_page(*, farm_id: str, fleet_id: str, query: WorkerQuery) -> FleetPage:
    """The fleet's facts, the queues it serves, one page of its workers with what each runs
    now and its recent record against the fleet's."""
    got = read_concurrently(
        {
            "fleet": lambda: reads.get_fleet(farm_id=farm_id, fleet_id=fleet_id),
            "queues": lambda: served_queues(farm_id, fleet_id),
            "workers": lambda: _workers(farm_id, fleet_id, query),
        },
        optional=frozenset({"queues"}),
    )
    notes = []
    queues = got["queues"] or ()
    if got["queues"] is None:
        notes.append("Which queues this fleet serves could not be read.")
    shown, window, listing, source = got["workers"]
    try:
        activity = fleet_activity(
            farm_id=farm_id, fleet_id=fleet_id, queue_ids=tuple(q.queue_id for q in queues)
        )
    except DeadlineError:  # the workers stand without their activity
        activity = FleetActivity(current={}, tallies={})
        notes.append("What the workers run now and their recent record could not be read.")
    members = {w.worker_id for w in listing.workers} if listing else {w.worker_id for w in shown}
    fleet_tally = Tally(
        sum(t.attempts for w, t in activity.tallies.items() if w in members),
        sum(t.failures for w, t in activity.tallies.items() if w in members),
    )
    rows = tuple(
        WorkerRow(w, activity.current.get(w.worker_id), activity.tallies.get(w.worker_id, Tally()))
        for w in shown
    )
    counts = None
    types: set[str] = {w.instance_type for w in shown if w.instance_type}
    if listing is not None:
        counts = {}
        for w in listing.workers:
            counts[w.status] = counts.get(w.status, 0) + 1
            if w.instance_type:
                types.add(w.instance_type)
    return FleetPage(
        fleet=got["fleet"].fleets[0],
        queues=tuple(queues),
        rows=rows,
        window=window,
        fleet_tally=fleet_tally,
        jobs_sampled=activity.jobs_sampled,
        status_counts=counts,
        instance_types=tuple(sorted(types)),
        source=source,
        notes=tuple(notes),
    )
