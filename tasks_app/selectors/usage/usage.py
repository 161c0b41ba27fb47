"""Worker-hours and estimated cost of a farm over a window, per group, from the sessions
statistics aggregation (StartSessionsStatisticsAggregation, then GetSessionsStatisticsAggregation
polled until it is COMPLETED, every page).

The aggregation takes at most 10 queues, so a farm's queues are asked in chunks of 10, all at
once, and the chunks' rows added up. A page asks three aggregations (its groups over the window, the
same per day or hour for the chart, and the jobs for "top jobs"; two when grouping by job).
Each finished answer is cached for the window (``cached_read``: one refresh across processes):
an open window ("the last 7 days") ends at the last whole ``OPEN_WINDOW_SECONDS``, so every
viewer shares one answer and it refreshes at most that often; a closed window is kept for
``CLOSED_WINDOW_SECONDS``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings

from ...deadline.cache import cached_read
from ...deadline.calls import call, list_every
from ...deadline.errors import DeadlineError, Unavailable
from ...deadline.farm_types import FleetList
from ...deadline.types import Cacheable, QueueList, format_datetime, parse_datetime
from .. import resources

#: The page's groups and the aggregation field of each.
GROUPS = {
    "queue": "QUEUE_ID",
    "job": "JOB_ID",
    "user": "USER_ID",
    "fleet": "FLEET_ID",
    "instance_type": "INSTANCE_TYPE",
    "usage_type": "USAGE_TYPE",
}
_MEMBER = {
    "QUEUE_ID": "queueId",
    "JOB_ID": "jobId",
    "USER_ID": "userId",
    "FLEET_ID": "fleetId",
    "INSTANCE_TYPE": "instanceType",
    "USAGE_TYPE": "usageType",
}
#: Queues per aggregation (the model's SessionsStatisticsResourcesQueueIdsList maximum).
QUEUES_PER_AGGREGATION = 10
#: An open window ends at the last whole multiple of this: how often its answer refreshes.
OPEN_WINDOW_SECONDS = 300
#: How long a closed window's answer is kept.
CLOSED_WINDOW_SECONDS = 6 * 3600
#: How long a page waits for an aggregation to finish before answering 503 (Retry-After).
WAIT_SECONDS = 30.0
#: Windows up to this long are charted per hour, longer ones per day.
HOURLY_UP_TO = timedelta(days=2)
TOP_JOBS = 10


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    open: bool  # ends "now" (rounded down): refreshed every OPEN_WINDOW_SECONDS

    @property
    def period(self) -> str:
        return "HOURLY" if self.end - self.start <= HOURLY_UP_TO else "DAILY"


def open_window(days: int, now: datetime) -> Window:
    """The last ``days`` days, ending at the last whole OPEN_WINDOW_SECONDS."""
    end_epoch = int(now.timestamp()) // OPEN_WINDOW_SECONDS * OPEN_WINDOW_SECONDS
    end = datetime.fromtimestamp(end_epoch, tz=UTC)
    return Window(start=end - timedelta(days=days), end=end, open=True)


@dataclass(frozen=True)
class Stat:
    """One row of an aggregation: its group member, when, count, runtime and cost sums."""

    key: str
    name: str
    count: int
    seconds: float
    cost: float
    start: datetime | None
    end: datetime | None
    queue_id: str = ""  # rows by job: the job's queue


@dataclass(frozen=True)
class Aggregation(Cacheable):
    """A finished aggregation's rows (every chunk, every page), by one group field."""

    stats: tuple[Stat, ...]

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> Aggregation:
        member = _MEMBER[answer["field"]]
        stats = []
        for row in answer.get("statistics") or ():
            key = str(row.get(member) or "")
            stats.append(
                Stat(
                    key=key,
                    name=str(row.get("jobName") or key) if member == "jobId" else key,
                    count=int(row.get("count") or 0),
                    seconds=float((row.get("runtimeInSeconds") or {}).get("sum") or 0.0),
                    cost=float((row.get("costInUsd") or {}).get("sum") or 0.0),
                    start=parse_datetime(row.get("aggregationStartTime")),
                    end=parse_datetime(row.get("aggregationEndTime")),
                    queue_id=str(row.get("queueId") or ""),
                )
            )
        return cls(stats=tuple(stats))

    def to_cache(self) -> dict[str, Any]:
        return {
            "s": [
                [
                    s.key,
                    s.name,
                    s.count,
                    s.seconds,
                    s.cost,
                    format_datetime(s.start),
                    format_datetime(s.end),
                    s.queue_id,
                ]
                for s in self.stats
            ]
        }

    @classmethod
    def from_cache(cls, data: Mapping[str, Any]) -> Aggregation:
        return cls(
            stats=tuple(
                Stat(k, n, c, s, u, parse_datetime(a), parse_datetime(b), q)
                for k, n, c, s, u, a, b, q in data["s"]
            )
        )


def aggregate(
    *, farm_id: str, queue_ids: tuple[str, ...], window: Window, field: str, period: str | None
) -> Aggregation:
    """One aggregation of up to 10 queues over the window, cached for the window."""
    ttl = OPEN_WINDOW_SECONDS if window.open else CLOSED_WINDOW_SECONDS
    return cached_read(
        kind="usage",
        ids=(
            farm_id,
            field,
            period or "",
            format_datetime(window.start) or "",
            format_datetime(window.end) or "",
            ",".join(queue_ids),
        ),
        ttl=ttl,
        fetch=lambda: {
            "field": field,
            "statistics": _run_one(farm_id, queue_ids, window, field, period),
        },
        parse=Aggregation,
    )


def aggregate_all(
    *, farm_id: str, queue_ids: tuple[str, ...], window: Window, asks: Mapping[str, Any]
) -> dict[str, Aggregation]:
    """Several aggregations (name -> (field, period)) of any number of queues: every chunk
    of 10 queues of every one at once (from the caller's thread: pool threads never wait on
    the pool), each chunk's answer cached, the chunks' rows joined."""
    chunks = [
        queue_ids[i : i + QUEUES_PER_AGGREGATION]
        for i in range(0, len(queue_ids), QUEUES_PER_AGGREGATION)
    ]
    reads = {
        f"{name}:{n}": (
            lambda chunk=chunk, field=field, period=period: aggregate(
                farm_id=farm_id, queue_ids=chunk, window=window, field=field, period=period
            )
        )
        for name, (field, period) in asks.items()
        for n, chunk in enumerate(chunks)
    }
    got = resources.read_concurrently(reads)
    return {
        name: Aggregation(
            stats=tuple(s for n in range(len(chunks)) for s in got[f"{name}:{n}"].stats)
        )
        for name in asks
    }


def _run_one(
    farm_id: str, queue_ids: tuple[str, ...], window: Window, field: str, period: str | None
) -> list[dict[str, Any]]:
    """Start one aggregation, poll it until it finishes, and read every page of it."""
    request: dict[str, Any] = {
        "farmId": farm_id,
        "resourceIds": {"queueIds": list(queue_ids)},
        "startTime": window.start,
        "endTime": window.end,
        # Jobs with their queue: the page links each job.
        "groupBy": [field, "QUEUE_ID"] if field == "JOB_ID" else [field],
        "statistics": ["SUM"],
    }
    if period:
        request.update(period=period, timezone="UTC+00:00")
    aggregation_id = call("StartSessionsStatisticsAggregation", **request)["aggregationId"]
    rows: list[dict[str, Any]] = []
    token: str | None = None
    give_up = time.monotonic() + WAIT_SECONDS
    pause = 0.25
    while True:
        more = {"nextToken": token} if token else {}
        answer = call(
            "GetSessionsStatisticsAggregation",
            farmId=farm_id,
            aggregationId=aggregation_id,
            maxResults=100,
            **more,
        )
        status = answer.get("status")
        if status == "COMPLETED":
            rows.extend(answer.get("statistics") or ())
            token = answer.get("nextToken")
            if not token:
                return rows
            continue
        if status != "IN_PROGRESS":
            raise Unavailable(
                f"The usage aggregation ended {status}: {answer.get('statusMessage') or ''}",
                reason="server-error",
            )
        if time.monotonic() >= give_up:
            raise Unavailable(
                f"Deadline Cloud is still adding up the usage after {WAIT_SECONDS:g} s.",
                reason="timeout",
                retry_after=10,
            )
        time.sleep(pause)  # the API has no notification: poll, backing off
        pause = min(pause * 2, 2.0)


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
