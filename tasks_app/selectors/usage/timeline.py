"""A job's timeline: its sessions per worker, each split into its actions, and where the
workers' time went (the overhead summary ``deadline job trace-schedule`` prints).

Read from ListSessions and ListSessionActions of the job (every page of both, read at once)
and GetWorker for each worker's host name, for a job small enough to read whole (a big one is
read as ``job_overview`` says); the two lists are cached together for
``TIMELINE_CACHE_SECONDS``. The summary sums as the official CLI
does: a session's time is its start to its end (now while open); set-up is its environment
enter and exit actions, sync its attachment syncs, tasks its task runs, and the gap what the
session held beyond its actions ("within-session overhead").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from ...deadline.cache import cached_read
from ...deadline.calls import list_every
from ...deadline.errors import DeadlineError, InvalidRequest
from ...deadline.resilience import read_pool
from ...deadline.session_types import session_id_of
from ...deadline.types import Cacheable, parse_datetime
from .. import resources, triage

#: How long a job's sessions and actions are served from the cache.
TIMELINE_CACHE_SECONDS = 300.0
#: The session action kinds, as the API's ``definition`` names them.
TASK_RUN = "taskRun"
ENV_ENTER = "envEnter"
ENV_EXIT = "envExit"
SYNC = "syncInputJobAttachments"


def epoch_of(value: Any) -> float | None:
    moment = parse_datetime(value)
    return None if moment is None else moment.timestamp()


@dataclass(frozen=True)
class ActivityAction:
    session_action_id: str
    kind: str
    status: str
    start: float | None
    end: float | None
    task_id: str | None = None
    step_id: str | None = None

    def row(self) -> list[Any]:
        """The cache's positional form (``ActivityAction(*row)`` rebuilds it)."""
        return [
            self.session_action_id,
            self.kind,
            self.status,
            self.start,
            self.end,
            self.task_id,
            self.step_id,
        ]

    @cached_property
    def session_id(self) -> str:
        return session_id_of(self.session_action_id)


@dataclass(frozen=True)
class ActivitySession:
    session_id: str
    fleet_id: str
    worker_id: str
    start: float | None
    end: float | None
    lifecycle: str


@dataclass(frozen=True)
class JobActivity(Cacheable):
    """Every session of a job and every action of them, as the two lists answered."""

    sessions: tuple[ActivitySession, ...]
    actions: tuple[ActivityAction, ...]

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> JobActivity:
        sessions = tuple(
            ActivitySession(
                session_id=s["sessionId"],
                fleet_id=s.get("fleetId", ""),
                worker_id=s.get("workerId", ""),
                start=epoch_of(s.get("startedAt")),
                end=epoch_of(s.get("endedAt")),
                lifecycle=s.get("lifecycleStatus", ""),
            )
            for s in answer.get("sessions") or []
        )
        return cls(sessions=sessions, actions=tuple(map(action_of, answer.get("actions") or [])))

    # The cache form is positional: a 10,000-task job has tens of thousands of actions.
    def to_cache(self) -> dict[str, Any]:
        return {
            "s": [
                [s.session_id, s.fleet_id, s.worker_id, s.start, s.end, s.lifecycle]
                for s in self.sessions
            ],
            "a": [a.row() for a in self.actions],
        }

    @classmethod
    def from_cache(cls, data: Mapping[str, Any]) -> JobActivity:
        return cls(
            sessions=tuple(ActivitySession(*row) for row in data["s"]),
            actions=tuple(ActivityAction(*row) for row in data["a"]),
        )


def action_of(item: Mapping[str, Any]) -> ActivityAction:
    definition = item.get("definition") or {}
    kind = next(iter(definition), "unknown")
    body = definition.get(kind) or {}
    return ActivityAction(
        session_action_id=item["sessionActionId"],
        kind=kind,
        status=item.get("status", ""),
        start=epoch_of(item.get("startedAt")),
        end=epoch_of(item.get("endedAt")),
        task_id=body.get("taskId") if kind == TASK_RUN else None,
        step_id=body.get("stepId") if kind == TASK_RUN else None,
    )


def job_activity(*, farm_id: str, queue_id: str, job_id: str) -> JobActivity:
    """The job's sessions and session actions (both lists, every page), cached."""
    ids = {"farmId": farm_id, "queueId": queue_id, "jobId": job_id}

    def fetch() -> dict[str, Any]:
        sessions = read_pool().submit(list_every, "ListSessions", "sessions", **ids)
        actions = list_every("ListSessionActions", "sessionActions", **ids)
        return {"sessions": sessions.result(), "actions": actions}

    return cached_read(
        kind="job-activity",
        ids=(farm_id, queue_id, job_id),
        ttl=TIMELINE_CACHE_SECONDS,
        fetch=fetch,
        parse=JobActivity,
    )


@dataclass(frozen=True)
class Overhead:
    """Where the sessions' time went, in seconds (as ``deadline job trace-schedule`` sums)."""

    session_seconds: float
    setup_seconds: float
    sync_seconds: float
    task_seconds: float
    gap_seconds: float
    sessions: int
    task_runs: int
    sampled: int = 0  # estimated from this many sessions' actions (0: summed from every one)

    def share(self, seconds: float) -> float:
        return seconds / self.session_seconds if self.session_seconds else 0.0


@dataclass(frozen=True)
class WorkerActivity:
    worker_id: str
    fleet_id: str
    host_name: str | None
    sessions: tuple[ActivitySession, ...]
    actions: Mapping[str, tuple[ActivityAction, ...]]  # by session ID, in start order

    @property
    def label(self) -> str:
        return (self.host_name or self.worker_id).split(".")[0]


@dataclass(frozen=True)
class Timeline:
    """The view model of the timeline page and its JSON."""

    workers: tuple[WorkerActivity, ...]
    overhead: Overhead
    start: float | None  # the first session's start
    end: float | None  # the last session's end (now while one is open)
    now: float
    #: Drawn as aggregate bars whatever the zoom: the lanes hold each task's latest run only.
    aggregate: bool = False
    #: What was read and how (each a sentence the page and the JSON show).
    notes: tuple[str, ...] = ()

    @property
    def action_count(self) -> int:
        return sum(len(a) for w in self.workers for a in w.actions.values())


def job_timeline(*, farm_id: str, queue_id: str, job_id: str) -> Timeline:
    """The job's timeline: lanes per worker (host names read at once) and the summary."""
    activity = job_activity(farm_id=farm_id, queue_id=queue_id, job_id=job_id)
    now = resources.now().timestamp()
    hosts = host_names(farm_id, {(s.fleet_id, s.worker_id) for s in activity.sessions})
    return build_timeline(activity, hosts, now)


def build_timeline(activity: JobActivity, hosts: Mapping[str, str | None], now: float) -> Timeline:
    by_session: dict[str, list[ActivityAction]] = defaultdict(list)
    for action in activity.actions:
        by_session[action.session_id].append(action)
    by_worker: dict[str, list[ActivitySession]] = defaultdict(list)
    for session in activity.sessions:
        if session.start is not None:
            by_worker[session.worker_id].append(session)
    workers = []
    for worker_id, sessions in by_worker.items():
        sessions.sort(key=lambda s: (s.start or 0, s.session_id))
        actions = {s.session_id: _in_order(by_session.get(s.session_id, ())) for s in sessions}
        workers.append(
            WorkerActivity(
                worker_id=worker_id,
                fleet_id=sessions[0].fleet_id,
                host_name=hosts.get(worker_id),
                sessions=tuple(sessions),
                actions=actions,
            )
        )
    workers.sort(key=lambda w: (w.label, w.worker_id))
    started = [s.start for s in activity.sessions if s.start is not None]
    ends = [s.end if s.end is not None else now for s in activity.sessions if s.start is not None]
    return Timeline(
        workers=tuple(workers),
        overhead=overhead(activity, now),
        start=min(started) if started else None,
        end=max(ends) if ends else None,
        now=now,
    )


@dataclass(frozen=True)
class Window:
    """The time range in view, in epoch seconds."""

    start: float
    end: float

    @property
    def seconds(self) -> float:
        return max(self.end - self.start, 1.0)

    def holds(self, start: float | None, end: float | None, now: float) -> bool:
        if start is None:
            return False
        return start < self.end and (end if end is not None else now) > self.start


def window_of(timeline: Timeline, start: float | None, end: float | None) -> Window | None:
    """The zoom asked for, inside the job's own span (nothing before a session started)."""
    if timeline.start is None or timeline.end is None:
        return None
    low = max(start if start is not None else timeline.start, timeline.start)
    high = min(end if end is not None else timeline.end, timeline.end)
    if high <= low:
        raise InvalidRequest("The time range is empty: end must come after start.")
    return Window(low, high)


def _in_order(actions: list[ActivityAction] | tuple[()]) -> tuple[ActivityAction, ...]:
    return tuple(sorted(actions, key=_action_order)) if len(actions) > 1 else tuple(actions)


def _action_order(action: ActivityAction) -> tuple[float, int]:
    number = action.session_action_id.rpartition("-")[2]
    return (action.start if action.start is not None else float("inf"), int(number or 0))


def duration(start: float | None, end: float | None, now: float) -> float:
    """Seconds from start to end (now while open); nothing for what never started."""
    if start is None:
        return 0.0
    return max((end if end is not None else now) - start, 0.0)


def overhead(activity: JobActivity, now: float) -> Overhead:
    """The shares ``trace-schedule`` prints, from the same sums."""
    started = {s.session_id for s in activity.sessions if s.start is not None}
    session_seconds = sum(duration(s.start, s.end, now) for s in activity.sessions)
    totals: dict[str, float] = defaultdict(float)
    task_runs = 0
    for action in activity.actions:
        if action.session_id not in started:
            continue
        seconds = duration(action.start, action.end, now)
        totals["all"] += seconds
        totals[action.kind] += seconds
        task_runs += action.kind == TASK_RUN
    return Overhead(
        session_seconds=session_seconds,
        setup_seconds=totals[ENV_ENTER] + totals[ENV_EXIT],
        sync_seconds=totals[SYNC],
        task_seconds=totals[TASK_RUN],
        gap_seconds=session_seconds - totals["all"],
        sessions=len(started),
        task_runs=task_runs,
    )


def host_names(farm_id: str, workers: set[tuple[str, str]]) -> dict[str, str | None]:
    """Each worker's host name (GetWorker, cached; read at once); a worker that cannot be
    read keeps its ID."""
    reads = {
        worker_id: (
            lambda fleet_id=fleet_id, worker_id=worker_id: triage.get_worker(
                farm_id=farm_id, fleet_id=fleet_id, worker_id=worker_id
            )
        )
        for fleet_id, worker_id in workers
        if fleet_id and worker_id
    }
    try:
        got = resources.read_concurrently(reads, optional=frozenset(reads))
    except DeadlineError:  # a worker that is gone: the lanes still show its ID
        return {}
    return {worker_id: (w.host_name if w is not None else None) for worker_id, w in got.items()}


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    moment = datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="milliseconds")
    return moment.replace("+00:00", "Z")
