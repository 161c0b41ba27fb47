"""StartSessionsStatisticsAggregation and GetSessionsStatisticsAggregation, answered from the
emulator's own sessions (mixed into ``DeadlineBackend``).

The aggregation is computed when it is started (the sessions as ListSessions answers them at
that instant) and kept for an hour, as the service keeps it ("statistics are available for 1
hour"); Get answers it ``COMPLETED`` with its rows paged by ``maxResults``/``nextToken`` (after
``aggregation_polls`` answers ``IN_PROGRESS`` first: 0 unless a test sets it, to make clients
poll).

- Runtime is exact: each session's start to its end (now while it is open), clipped to the
  window and, with a ``period``, split across the periods it spans (period edges in the
  request's ``timezone``). ``count`` is the sessions that overlap the row's window.
- Cost is the emulator's own estimate: runtime hours times ``COST_PER_HOUR`` for the worker's
  EC2 instance type (``CUSTOMER_MANAGED_COST_PER_HOUR`` for a worker without one), times the
  farm's ``costScaleFactor``. Usage type is always ``COMPUTE``; no license rows.
- Group by QUEUE_ID, FLEET_ID, JOB_ID (with ``jobName``), USER_ID (the job's ``createdBy``),
  USAGE_TYPE, INSTANCE_TYPE (absent for customer-managed workers) or LICENSE_PRODUCT (no rows).
"""

from __future__ import annotations

import calendar
import math
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from deadline_emulator.exceptions import ResourceNotFoundException, ValidationException
from deadline_emulator.memos import kept
from deadline_emulator.pagination import paginate, query_hash
from deadline_emulator.seed import digest

#: USD per worker-hour by EC2 instance type (rounded on-demand Linux prices, us-west-2).
COST_PER_HOUR = {
    "c5.4xlarge": 0.68,
    "c6i.8xlarge": 1.36,
    "m6i.8xlarge": 1.536,
    "r6i.4xlarge": 1.008,
}
#: USD per worker-hour for a customer-managed worker (no instance type): a usage-based fee.
CUSTOMER_MANAGED_COST_PER_HOUR = 0.10
#: Rate for an instance type the table does not know.
DEFAULT_COST_PER_HOUR = 1.0
#: How long an aggregation's answer can be read after it was started.
AGGREGATION_SECONDS = 3600.0
_GROUP_MEMBERS = {
    "QUEUE_ID": "queueId",
    "FLEET_ID": "fleetId",
    "JOB_ID": "jobId",
    "USER_ID": "userId",
    "USAGE_TYPE": "usageType",
    "INSTANCE_TYPE": "instanceType",
    "LICENSE_PRODUCT": "licenseProduct",
}
_STAT_MEMBERS = {"SUM": "sum", "MIN": "min", "MAX": "max", "AVG": "avg"}


def hourly_rate(instance_type: str | None) -> float:
    """The emulator's USD per worker-hour for a worker of ``instance_type``."""
    if not instance_type:
        return CUSTOMER_MANAGED_COST_PER_HOUR
    return COST_PER_HOUR.get(instance_type, DEFAULT_COST_PER_HOUR)


def epoch_seconds(value: Any) -> float:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, str):
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return float(value)


def _offset(timezone: str | None) -> timedelta:
    """``UTC+05:30`` -> +5 h 30 min (the model's pattern; UTC when absent)."""
    if not timezone:
        return timedelta(0)
    sign = -1 if timezone[3] == "-" else 1
    hours, minutes = int(timezone[4:6]), int(timezone[7:9])
    return sign * timedelta(hours=hours, minutes=minutes)


def period_edges(start: float, end: float, period: str | None, timezone: str | None) -> list[float]:
    """The window cut at the period's edges in ``timezone``: [start, edge, ..., end]."""
    if period is None:
        return [start, end]
    shift = _offset(timezone)
    local = datetime.fromtimestamp(start, tz=UTC) + shift
    if period == "HOURLY":
        edge = local.replace(minute=0, second=0, microsecond=0)
    elif period == "WEEKLY":  # weeks begin on Monday
        edge = (local - timedelta(days=local.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
    elif period == "MONTHLY":
        edge = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    else:
        edge = local.replace(hour=0, minute=0, second=0, microsecond=0)
    edges = [start]
    while True:
        edge = _next_edge(edge, period)
        moment = (edge - shift).timestamp()
        if moment >= end:
            break
        edges.append(moment)
    edges.append(end)
    return edges


def _next_edge(edge: datetime, period: str) -> datetime:
    if period == "HOURLY":
        return edge + timedelta(hours=1)
    if period == "WEEKLY":
        return edge + timedelta(days=7)
    if period == "MONTHLY":
        days = calendar.monthrange(edge.year, edge.month)[1]
        return edge + timedelta(days=days)
    return edge + timedelta(days=1)


class SessionsStatistics:
    """Mixed into ``DeadlineBackend``: the sessions statistics aggregation."""

    def start_sessions_statistics_aggregation(
        self,
        farm_id: str,
        resource_ids: dict[str, Any],
        start_time: Any,
        end_time: Any,
        group_by: list[str],
        statistics: list[str],
        timezone: str | None = None,
        period: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        farm = self._farm(farm_id)  # type: ignore[attr-defined]
        start, end = epoch_seconds(start_time), epoch_seconds(end_time)
        if end <= start:
            raise ValidationException(
                "endTime must be after startTime.",
                reason="FIELD_VALIDATION_FAILED",
                field_list=[{"name": "endTime", "message": "must be after startTime"}],
            )
        queue_ids = resource_ids.get("queueIds")
        fleet_ids = resource_ids.get("fleetIds")
        if bool(queue_ids) == bool(fleet_ids):
            raise ValidationException(
                "resourceIds takes exactly one of queueIds and fleetIds.",
                reason="FIELD_VALIDATION_FAILED",
                field_list=[{"name": "resourceIds", "message": "one of queueIds, fleetIds"}],
            )
        for queue_id in queue_ids or ():
            self._queue(farm_id, queue_id)  # type: ignore[attr-defined]
        for fleet_id in fleet_ids or ():
            self._fleet(farm_id, fleet_id)  # type: ignore[attr-defined]
        # Worked out once per request, instant and state of the world: a usage view loaded
        # again starts the same aggregations (read-only once made).
        t = self.clock.now()  # type: ignore[attr-defined]
        key = (
            farm_id, tuple(queue_ids or ()), tuple(fleet_ids or ()), start, end, period,
            timezone, tuple(group_by), tuple(statistics), t, self.world_state(),  # type: ignore[attr-defined]
        )  # fmt: skip

        def aggregated() -> list[dict[str, Any]]:
            sessions = self._farm_sessions(farm_id, set(queue_ids or ()), set(fleet_ids or ()))
            edges = period_edges(start, end, period, timezone)
            return _aggregate(sessions, edges, group_by, statistics, farm.cost_scale_factor)

        rows = kept(self, "_aggregated_memo", key, aggregated, limit=64)
        with self._lock:  # type: ignore[attr-defined]
            store = self._aggregation_store()
            number = len(store)
            aggregation_id = digest(self.seed, "aggregation", farm_id, number, size=16).hex()  # type: ignore[attr-defined]
            store[aggregation_id] = {
                "farmId": farm_id,
                "at": self.clock.now(),  # type: ignore[attr-defined]
                "rows": rows,
            }
        return {"aggregationId": aggregation_id}

    def get_sessions_statistics_aggregation(
        self,
        farm_id: str,
        aggregation_id: str,
        next_token: str | None = None,
        max_results: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        self._farm(farm_id)  # type: ignore[attr-defined]
        with self._lock:  # type: ignore[attr-defined]
            found = self._aggregation_store().get(aggregation_id)
        now = self.clock.now()  # type: ignore[attr-defined]
        if found is None or found["farmId"] != farm_id or now - found["at"] > AGGREGATION_SECONDS:
            raise ResourceNotFoundException(
                f"Aggregation {aggregation_id} not found in farm {farm_id}",
                resource_id=aggregation_id,
                resource_type="aggregation",
            )
        with self._lock:  # type: ignore[attr-defined]
            found["polls"] = found.get("polls", 0) + 1
            if found["polls"] <= getattr(self, "aggregation_polls", 0):
                return {"status": "IN_PROGRESS"}
        rows = found["rows"]
        page, token = paginate(
            range(len(rows)),
            lambda i: [i],
            query=query_hash("GetSessionsStatisticsAggregation", farm_id, aggregation_id),
            next_token=next_token,
            max_results=max_results,
        )
        answer: dict[str, Any] = {"status": "COMPLETED", "statistics": [rows[i] for i in page]}
        if token:
            answer["nextToken"] = token
        return answer

    def _aggregation_store(self) -> dict[str, dict[str, Any]]:
        store = getattr(self, "_statistics_aggregations", None)
        if store is None:
            store = {}
            self._statistics_aggregations = store
        return store

    def _farm_sessions(
        self, farm_id: str, queue_ids: set[str], fleet_ids: set[str]
    ) -> list[dict[str, Any]]:
        """Every session of the farm's jobs in those queues (or on those fleets), as
        ListSessions answers it, with what the rows are grouped by."""
        return [
            s
            for s in self._every_farm_session(farm_id)
            if (not queue_ids or s["queueId"] in queue_ids)
            and (not fleet_ids or s["fleetId"] in fleet_ids)
        ]

    def _every_farm_session(self, farm_id: str) -> list[dict[str, Any]]:
        """Every session of the farm's jobs, once per instant and state of the farm: a usage
        view starts several aggregations (one per grouping and chunk of queues) at one instant,
        and each walked every job's sessions again. Read-only once made."""
        t = self.clock.now()  # type: ignore[attr-defined]
        key = (farm_id, t, self.world_state())  # type: ignore[attr-defined]
        return kept(
            self, "_farm_sessions_memo", key, lambda: self._walk_farm_sessions(farm_id, t), limit=8
        )

    def _walk_farm_sessions(self, farm_id: str, t: float) -> list[dict[str, Any]]:
        found = []
        for job in self._all_jobs(t):  # type: ignore[attr-defined]
            if job.farm_id != farm_id:
                continue
            answer = self.list_sessions(  # type: ignore[attr-defined]
                farm_id=farm_id, queue_id=job.queue_id, job_id=job.job_id, max_results=10**9
            )
            for session in answer["sessions"]:
                worker = self._workers.get(session["workerId"])  # type: ignore[attr-defined]
                instance = getattr(worker, "instance_type", None)
                ended = session.get("endedAt")
                found.append(
                    {
                        "start": session["startedAt"].timestamp(),
                        "end": ended.timestamp() if ended is not None else t,
                        "rate": hourly_rate(instance),
                        "queueId": job.queue_id,
                        "fleetId": session["fleetId"],
                        "jobId": job.job_id,
                        "jobName": self._job_name(job),
                        "userId": job.created_by,
                        "usageType": "COMPUTE",
                        "instanceType": instance,
                    }
                )
        return found

    def _job_name(self, job: Any) -> str:
        edits = getattr(self, "_job_edits", {}).get(job.job_id, {})
        return str(edits.get("name") or job.name)


def _aggregate(
    sessions: list[dict[str, Any]],
    edges: list[float],
    group_by: list[str],
    statistics: list[str],
    scale: float,
) -> list[dict[str, Any]]:
    """One row per (period, group): count, and the statistics of runtime and cost."""
    if "LICENSE_PRODUCT" in group_by:
        return []  # the emulator's sessions use no licenses
    members = [_GROUP_MEMBERS[field] for field in group_by]
    cells: dict[tuple[int, tuple[Any, ...]], list[tuple[float, float]]] = defaultdict(list)
    for session in sessions:
        key = tuple(session[m] for m in members)
        for n in _periods_of(edges, session["start"], session["end"]):
            low = max(session["start"], edges[n])
            high = min(session["end"], edges[n + 1])
            runtime = max(high - low, 0.0)
            cells[n, key].append((runtime, runtime / 3600.0 * session["rate"] * scale))
    names = {s["jobId"]: s["jobName"] for s in sessions}
    rows = []
    for (n, key), values in sorted(cells.items(), key=lambda item: (item[0][0], str(item[0][1]))):
        row: dict[str, Any] = {}
        for member, value in zip(members, key, strict=True):
            if value is not None:
                row[member] = value
        if "jobId" in row:
            row["jobName"] = names[row["jobId"]]
        row["count"] = len(values)
        row["runtimeInSeconds"] = _stats([v[0] for v in values], statistics)
        row["costInUsd"] = _stats([v[1] for v in values], statistics)
        row["aggregationStartTime"] = datetime.fromtimestamp(edges[n], tz=UTC)
        row["aggregationEndTime"] = datetime.fromtimestamp(edges[n + 1], tz=UTC)
        rows.append(row)
    return rows


def _periods_of(edges: list[float], start: float, end: float) -> range:
    """The indices of the periods ``[start, end)`` overlaps (none when outside the window)."""
    if end <= edges[0] or start >= edges[-1]:
        return range(0)
    first = max(_index(edges, start), 0)
    last = min(_index(edges, max(end - 1e-9, start)), len(edges) - 2)
    return range(first, last + 1)


def _index(edges: list[float], moment: float) -> int:
    low, high = 0, len(edges) - 1
    while high - low > 1:
        middle = (low + high) // 2
        if edges[middle] <= moment:
            low = middle
        else:
            high = middle
    return low


def _stats(values: list[float], statistics: list[str]) -> dict[str, float]:
    total = math.fsum(values)
    every = {
        "sum": total,
        "min": min(values),
        "max": max(values),
        "avg": total / len(values),
    }
    return {_STAT_MEMBERS[s]: round(every[_STAT_MEMBERS[s]], 6) for s in statistics}
