"""One worker (``/farms/<farm>/fleets/<fleet>/workers/<worker>/``): its host, its sessions
and their task runs newest first, its record against its fleet's, its worker log and the
resource series of the log's system-metrics events over a chosen window."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ...deadline.errors import DeadlineError
from ...deadline.farm_types import ActionOutcome, WorkerSession
from ...deadline.fleet_types import FleetInfo, LogEvents, WorkerInfo
from ...deadline.types import format_datetime
from ...deadline.worker_logs import worker_log_group
from ..resources import now, read_concurrently
from . import reads
from .activity import FleetActivity, Tally, fleet_activity
from .fleet import served_queues
from .metrics import Series, series_from_events

#: Chart windows a reader can pick, by query value.
WINDOWS = {"1h": timedelta(hours=1), "6h": timedelta(hours=6), "24h": timedelta(hours=24)}
DEFAULT_WINDOW = "6h"
#: Window ends are rounded up to this (the agent logs its metrics once a minute).
WINDOW_STEP = timedelta(seconds=15)
#: Newest sessions shown with their task runs (one ListSessionActions call each).
SESSIONS_SHOWN = 20
#: Log lines shown (the newest of the window; search reaches the whole window).
LOG_LINES = 200


@dataclass(frozen=True)
class SessionRow:
    session: WorkerSession
    actions: tuple[ActionOutcome, ...]

    def as_json(self) -> dict[str, Any]:
        s = self.session
        return {
            "session_id": s.session_id,
            "queue_id": s.queue_id,
            "job_id": s.job_id,
            "lifecycle_status": s.lifecycle_status,
            "started_at": format_datetime(s.started_at),
            "ended_at": format_datetime(s.ended_at),
            "actions": [
                {
                    "session_action_id": a.session_action_id,
                    "step_id": a.step_id,
                    "task_id": a.task_id,
                    "status": a.status.value,
                    "started_at": format_datetime(a.started_at),
                    "ended_at": format_datetime(a.ended_at),
                }
                for a in self.actions
            ],
        }


@dataclass(frozen=True)
class WorkerPage:
    worker: WorkerInfo
    fleet: FleetInfo | None
    sessions: tuple[SessionRow, ...]
    session_count: int
    tally: Tally
    fleet_tally: Tally
    jobs_sampled: int
    window: str
    start: datetime
    end: datetime
    series: tuple[Series, ...]
    log: LogEvents | None
    log_group: str
    log_stream: str
    search: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def log_lines(self) -> tuple[tuple[int, str], ...]:
        if self.log is None:
            return ()
        return self.log.events if self.search else self.log.events[-LOG_LINES:]

    def as_json(self) -> dict[str, Any]:
        w = self.worker
        return {
            "worker": {
                "worker_id": w.worker_id,
                "fleet_id": w.fleet_id,
                "status": w.status,
                "host_name": w.host_name,
                "ip_addresses": list(w.ip_addresses),
                "instance_type": w.instance_type,
                "instance_arn": w.instance_arn,
                "log_group": self.log_group,
                "log_stream": self.log_stream,
                "recent_attempts": self.tally.attempts,
                "recent_failures": self.tally.failures,
                "fleet_recent_attempts": self.fleet_tally.attempts,
                "fleet_recent_failures": self.fleet_tally.failures,
            },
            "sessions": [row.as_json() for row in self.sessions],
            "session_count": self.session_count,
            "window": {
                "name": self.window,
                "start": format_datetime(self.start),
                "end": format_datetime(self.end),
            },
            "metrics": {
                s.name: [[format_datetime(at), round(value, 3)] for at, value in s.points]
                for s in self.series
            },
        }


def _sessions(farm_id: str, fleet_id: str, worker_id: str) -> tuple[tuple[SessionRow, ...], int]:
    listed = reads.worker_sessions(farm_id=farm_id, fleet_id=fleet_id, worker_id=worker_id)
    newest = sorted(
        listed.sessions,
        key=lambda s: (s.started_at.timestamp() if s.started_at else 0.0, s.session_id),
        reverse=True,
    )[:SESSIONS_SHOWN]
    got = read_concurrently(
        {
            s.session_id: lambda s=s: reads.session_actions(
                farm_id=farm_id,
                queue_id=str(s.queue_id),
                job_id=str(s.job_id),
                session_id=s.session_id,
            )
            for s in newest
            if s.queue_id and s.job_id
        },
        optional=frozenset(s.session_id for s in newest),
    )
    rows = []
    for s in newest:
        found = got.get(s.session_id)
        actions = sorted(
            found.actions if found else (),
            key=lambda a: a.started_at.timestamp() if a.started_at else 0.0,
            reverse=True,
        )
        rows.append(SessionRow(s, tuple(actions)))
    return tuple(rows), len(listed.sessions)


def window_bounds(window: str, end: datetime | None = None) -> tuple[datetime, datetime]:
    """The chart window ending at ``end`` (default now, rounded up to WINDOW_STEP so that
    requests a few seconds apart share one cached read of the log)."""
    if end is None:
        current = now()
        step = WINDOW_STEP.total_seconds()
        end = datetime.fromtimestamp(-(-current.timestamp() // step) * step, tz=current.tzinfo)
    return end - WINDOWS.get(window, WINDOWS[DEFAULT_WINDOW]), end


def worker_page(
    *, farm_id: str, fleet_id: str, worker_id: str, window: str = DEFAULT_WINDOW, search: str = ""
) -> WorkerPage:
    """Everything the worker page shows; the log, the sessions and the record each degrade
    to a note when their reads fail (the worker itself must be read)."""
    window = window if window in WINDOWS else DEFAULT_WINDOW
    start, end = window_bounds(window)
    worker = reads.get_worker(farm_id=farm_id, fleet_id=fleet_id, worker_id=worker_id)
    group = worker.log_group or worker_log_group(farm_id=farm_id, fleet_id=fleet_id)
    stream = worker.log_stream or worker_id
    failures: dict[str, DeadlineError] = {}
    reads_wanted = {
        "fleet": lambda: reads.get_fleet(farm_id=farm_id, fleet_id=fleet_id),
        "sessions": lambda: _sessions(farm_id, fleet_id, worker_id),
        "log": lambda: reads.log_window(
            group=group, stream=stream, start=start, end=end, closed=False
        ),
        "activity": lambda: fleet_activity(
            farm_id=farm_id,
            fleet_id=fleet_id,
            queue_ids=tuple(q.queue_id for q in served_queues(farm_id, fleet_id)),
        ),
    }
    if search:
        reads_wanted["search"] = lambda: reads.log_search(
            group=group, stream=stream, pattern=search, start=start, end=end, limit=LOG_LINES
        )
    got = read_concurrently(reads_wanted, optional=frozenset(reads_wanted), failures=failures)
    notes = [f"The {kind} could not be read: {exc.message}" for kind, exc in failures.items()]
    activity: FleetActivity = got["activity"] or FleetActivity(current={}, tallies={})
    sessions, count = got["sessions"] or ((), 0)
    log: LogEvents | None = got["log"]
    return WorkerPage(
        worker=worker,
        fleet=got["fleet"].fleets[0] if got["fleet"] else None,
        sessions=sessions,
        session_count=count,
        tally=activity.tallies.get(worker_id, Tally()),
        fleet_tally=activity.fleet_tally,
        jobs_sampled=activity.jobs_sampled,
        window=window,
        start=start,
        end=end,
        series=series_from_events(log.events) if log else (),
        log=got.get("search") if search else log,
        log_group=group,
        log_stream=stream,
        search=search,
        notes=tuple(notes),
    )


def attempt_worker_log(
    *, farm_id: str, fleet_id: str, worker_id: str, start: datetime, end: datetime | None
) -> tuple[str, str, LogEvents]:
    """The worker's log (where Deadline Cloud conventionally writes it) over one attempt's
    window: (group, stream, events). A window that ended more than a minute ago is final."""
    group = worker_log_group(farm_id=farm_id, fleet_id=fleet_id)
    current = now()
    final = end is not None and end < current - timedelta(minutes=1)
    events = reads.log_window(
        group=group, stream=worker_id, start=start, end=end or current, closed=final
    )
    return group, worker_id, events
