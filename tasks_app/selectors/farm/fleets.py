"""The fleets of a farm (``/farms/<farm>/fleets/``) and the farm page's fleet list: status,
scaling, the queues each serves, and worker counts by status."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...deadline.errors import DeadlineError
from ...deadline.fleet_types import FleetInfo
from .. import browse
from ..resources import read_concurrently
from . import reads

#: Worker statuses in the order a reader scans them (the API's WorkerStatus enum).
WORKER_STATUSES = (
    "RUNNING",
    "IDLE",
    "STARTED",
    "CREATED",
    "STOPPING",
    "STOPPED",
    "NOT_RESPONDING",
    "NOT_COMPATIBLE",
)


@dataclass(frozen=True)
class ServedQueue:
    queue_id: str
    name: str
    association_status: str


@dataclass(frozen=True)
class FleetRow:
    fleet: FleetInfo
    queues: tuple[ServedQueue, ...]
    status_counts: Mapping[str, int] | None  # None: the workers could not be listed

    def as_json(self) -> dict[str, Any]:
        return fleet_json(self.fleet, self.queues)

    @property
    def counts(self) -> list[tuple[str, int]]:
        return counts_in_order(self.status_counts)


def fleet_json(
    f: FleetInfo, queues: tuple[ServedQueue, ...], *, managed: bool = False
) -> dict[str, Any]:
    """A fleet and the queues it serves as the fleets list and the fleet page both answer in
    JSON; ``managed`` adds whether the service runs its hosts (the fleet page says so)."""
    answer: dict[str, Any] = {
        "fleet_id": f.fleet_id,
        "name": f.display_name,
        "status": f.status,
        "status_message": f.status_message,
    }
    if managed:
        answer["managed"] = f.managed
    answer.update(
        worker_count=f.worker_count,
        target_worker_count=f.target_worker_count,
        min_worker_count=f.min_worker_count,
        max_worker_count=f.max_worker_count,
        autoscaling_status=f.autoscaling_status,
        queues=[
            {"queue_id": q.queue_id, "name": q.name, "association_status": q.association_status}
            for q in queues
        ],
    )
    return answer


def counts_in_order(status_counts: Mapping[str, int] | None) -> list[tuple[str, int]]:
    """(status, workers) for the statuses present, in WORKER_STATUSES order."""
    if not status_counts:
        return []
    return [(s, status_counts[s]) for s in WORKER_STATUSES if status_counts.get(s)]


@dataclass(frozen=True)
class FleetsPage:
    farm_id: str
    rows: tuple[FleetRow, ...]
    notes: tuple[str, ...] = field(default=())

    def as_json(self) -> dict[str, Any]:
        return {"fleets": [row.as_json() for row in self.rows]}

    @property
    def version(self) -> str:
        text = json.dumps(self.as_json(), sort_keys=True, default=str)
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def status_counts(workers: Any) -> dict[str, int]:
    return dict(Counter(w.status for w in workers.workers))


def fleets_page(*, farm_id: str, with_counts: bool = True) -> FleetsPage:
    """Every fleet of the farm with the queues it serves; worker counts by status read for
    every fleet at once (ListWorkers, every page, cached a minute)."""
    got = read_concurrently(
        {
            "fleets": lambda: reads.list_fleets(farm_id=farm_id),
            "associations": lambda: reads.list_associations(farm_id=farm_id),
            "queues": lambda: browse.list_queues(farm_id=farm_id),
        },
        optional=frozenset({"associations", "queues"}),
    )
    notes = []
    if got["associations"] is None:
        notes.append("Which queues each fleet serves could not be read.")
    names = {q.queue_id: q.display_name for q in (got["queues"].queues if got["queues"] else ())}
    served: dict[str, list[ServedQueue]] = {}
    for a in got["associations"].associations if got["associations"] else ():
        served.setdefault(a.fleet_id, []).append(
            ServedQueue(a.queue_id, names.get(a.queue_id, a.queue_id), a.status)
        )
    fleets = sorted(got["fleets"].fleets, key=lambda f: (f.display_name.lower(), f.fleet_id))
    counts: dict[str, Any] = {}
    if with_counts and fleets:
        failures: dict[str, DeadlineError] = {}
        counts = read_concurrently(
            {
                f.fleet_id: lambda f=f: reads.list_fleet_workers(
                    farm_id=farm_id, fleet_id=f.fleet_id
                )
                for f in fleets
            },
            optional=frozenset(f.fleet_id for f in fleets),
            failures=failures,
        )
        if failures:
            notes.append(
                "The workers of some fleets could not be listed: their counts are left out."
            )
    rows = tuple(
        FleetRow(
            fleet=f,
            queues=tuple(sorted(served.get(f.fleet_id, ()), key=lambda q: q.name.lower())),
            status_counts=status_counts(counts[f.fleet_id]) if counts.get(f.fleet_id) else None,
        )
        for f in fleets
    )
    return FleetsPage(farm_id=farm_id, rows=rows, notes=tuple(notes))
