"""The sessions statistics aggregation: start one (up to 10 queues), poll it until it is
COMPLETED, read every page; several at once for any number of queues (chunks of 10, joined).
Each finished answer is cached for its window: an open window ("the last 7 days") ends at the
last whole ``OPEN_WINDOW_SECONDS``, so every viewer shares one answer and it refreshes at most
that often; a closed window is kept for ``CLOSED_WINDOW_SECONDS``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ...deadline.cache import cached_read
from ...deadline.calls import call
from ...deadline.errors import Unavailable
from ...deadline.types import Cacheable, format_datetime, parse_datetime
from .. import resources

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
