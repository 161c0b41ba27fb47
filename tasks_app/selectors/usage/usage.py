"""Worker-hours and estimated cost of a farm over a window, per group: the page's view model
built from the sessions statistics aggregation (``aggregation``). A page asks three
aggregations (its groups over the window, the same per day or hour for the chart, and the jobs
for "top jobs"; two when grouping by job), every chunk of 10 queues at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings

from ...deadline.cache import cached_read
from ...deadline.calls import list_every
from ...deadline.errors import DeadlineError
from ...deadline.farm_types import FleetList
from ...deadline.types import QueueList
from .aggregation import (
    Aggregation,
    Window,
    aggregate,
    aggregate_all,
    open_window,
)

#: The page's groups and the aggregation field of each.
GROUPS = {
    "queue": "QUEUE_ID",
    "job": "JOB_ID",
    "user": "USER_ID",
    "fleet": "FLEET_ID",
    "instance_type": "INSTANCE_TYPE",
    "usage_type": "USAGE_TYPE",
}
TOP_JOBS = 10

# --- the page's view model -----------------------------------------------------------------


@dataclass(frozen=True)
class UsageRow:
    key: str
    name: str
    worker_hours: float
    cost_usd: float
    runs: int
    queue_id: str = ""


@dataclass(frozen=True)
class UsagePeriod:
    start: datetime
    parts: tuple[tuple[str, float], ...]  # (group key, worker-hours), biggest groups first


@dataclass(frozen=True)
class Usage:
    window: Window
    group: str
    rows: tuple[UsageRow, ...]  # biggest first
    periods: tuple[UsagePeriod, ...]
    top_jobs: tuple[UsageRow, ...]

    @property
    def worker_hours(self) -> float:
        return sum(r.worker_hours for r in self.rows)

    @property
    def cost_usd(self) -> float:
        return sum(r.cost_usd for r in self.rows)


def farm_usage(
    *, farm_id: str, window: Window, group: str, queue_ids: tuple[str, ...] = ()
) -> Usage:
    """The usage page: rows per group, per-period stacks, top jobs (``queue_ids``: only
    those queues, e.g. a queue page's own; else every queue of the farm)."""
    field = GROUPS[group]
    if not queue_ids:
        queue_ids = tuple(sorted(queue_names(farm_id)))
    if not queue_ids:
        return Usage(window=window, group=group, rows=(), periods=(), top_jobs=())
    asks: dict[str, Any] = {"rows": (field, None), "periods": (field, window.period)}
    if group != "job":
        asks["jobs"] = ("JOB_ID", None)
    got: dict[str, Any] = dict(
        aggregate_all(farm_id=farm_id, queue_ids=queue_ids, window=window, asks=asks)
    )
    try:
        got["names"] = _names(farm_id, group)
    except DeadlineError:  # names are decoration: the IDs stand in
        got["names"] = None
    names = got["names"] or {}
    rows = _rows(got["rows"], names)
    jobs = rows if group == "job" else _rows(got["jobs"], {})
    return Usage(
        window=window,
        group=group,
        rows=rows,
        periods=_periods(got["periods"], window, [r.key for r in rows]),
        top_jobs=jobs[:TOP_JOBS],
    )


def _rows(aggregation: Aggregation, names: Mapping[str, str]) -> tuple[UsageRow, ...]:
    seconds: dict[str, float] = defaultdict(float)
    cost: dict[str, float] = defaultdict(float)
    runs: dict[str, int] = defaultdict(int)
    labels: dict[str, str] = {}
    queues: dict[str, str] = {}
    for stat in aggregation.stats:  # chunks of queues may repeat a fleet, a user...
        queues[stat.key] = stat.queue_id
        seconds[stat.key] += stat.seconds
        cost[stat.key] += stat.cost
        runs[stat.key] += stat.count
        labels[stat.key] = names.get(stat.key) or stat.name
    rows = [
        UsageRow(key, labels[key], seconds[key] / 3600.0, cost[key], runs[key], queues[key])
        for key in seconds
    ]
    rows.sort(key=lambda r: (-r.worker_hours, r.name, r.key))
    return tuple(rows)


def _periods(aggregation: Aggregation, window: Window, order: list[str]) -> tuple[UsagePeriod, ...]:
    """Every period of the window, in order (an idle day is an empty column, not a missing
    one), each with its groups' worker-hours, biggest groups first."""
    by_start: dict[datetime, dict[str, float]] = {
        start: defaultdict(float) for start in period_starts(window)
    }
    for stat in aggregation.stats:
        if stat.start is not None:
            hours = by_start.setdefault(stat.start, defaultdict(float))
            hours[stat.key] += stat.seconds / 3600.0
    rank = {key: n for n, key in enumerate(order)}
    return tuple(
        UsagePeriod(
            start=start,
            parts=tuple(sorted(parts.items(), key=lambda kv: rank.get(kv[0], len(rank)))),
        )
        for start, parts in sorted(by_start.items())
    )


def period_starts(window: Window) -> list[datetime]:
    """Where the aggregation's periods begin (UTC): the window's start, then each whole hour
    or midnight after it."""
    step = timedelta(hours=1) if window.period == "HOURLY" else timedelta(days=1)
    edge = window.start.replace(minute=0, second=0, microsecond=0)
    if step == timedelta(days=1):
        edge = edge.replace(hour=0)
    starts = [window.start]
    edge += step
    while edge < window.end:
        starts.append(edge)
        edge += step
    return starts


def queue_names(farm_id: str) -> dict[str, str]:
    """The farm's queues (ID -> name), kept as long as names: a warm usage page calls nothing
    (the queue list's own entry lives seconds, for its live statuses)."""
    queues = cached_read(
        kind="usage-queues",
        ids=(farm_id,),
        ttl=settings.DEADLINE_NAME_CACHE_SECONDS,
        fetch=lambda: {"queues": list_every("ListQueues", "queues", farmId=farm_id)},
        parse=QueueList,
    )
    return {q.queue_id: q.display_name for q in queues.queues}


def _names(farm_id: str, group: str) -> dict[str, str]:
    """Display names of the group's members where the API has them (queues, fleets)."""
    if group == "queue":
        return queue_names(farm_id)
    if group == "fleet":
        fleets = cached_read(
            kind="usage-fleets",
            ids=(farm_id,),
            ttl=settings.DEADLINE_NAME_CACHE_SECONDS,
            fetch=lambda: {"fleets": list_every("ListFleets", "fleets", farmId=farm_id)},
            parse=FleetList,
        )
        return {f.fleet_id: f.display_name for f in fleets.fleets}
    return {}


def job_window(created_at: datetime, ended_at: datetime | None, now: datetime) -> Window:
    """A job's whole life: from the hour it was created to its end (or now, rounded)."""
    start = created_at.replace(minute=0, second=0, microsecond=0)
    current = open_window(1, now)
    if ended_at is not None and ended_at + timedelta(hours=1) <= current.end:
        end = ended_at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        return Window(start=start, end=end, open=False)
    return Window(start=start, end=max(current.end, start + timedelta(minutes=5)), open=True)


def job_usage(*, farm_id: str, queue_id: str, job_id: str, window: Window) -> UsageRow:
    """One job's worker-hours and cost over ``window`` (its queue's aggregation by job)."""
    stats = aggregate(
        farm_id=farm_id, queue_ids=(queue_id,), window=window, field="JOB_ID", period=None
    )
    for row in _rows(stats, {}):
        if row.key == job_id:
            return row
    return UsageRow(job_id, job_id, 0.0, 0.0, 0, queue_id)
