"""A big job's timeline, read at once instead of page after page.

ListSessions and ListSessionActions of a job are paged by token, one page after the other: a
10,000-task job has a hundred pages of sessions and hundreds of actions. The overview instead
reads each task's latest run from SearchTasks (pages reached by offset, all at once; no
filter, no sort) and the session that ran it from BatchGetSession (100 at a time, at once):
its lanes show each task's latest run, not earlier attempts, and the overhead summary is
estimated from the actions of a sample of sessions. A narrow window is read exactly: the
job's sessions (every page, cached; the overview starts that read in the background) and the
actions of each session in it, all at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from concurrent.futures import Future, as_completed
from dataclasses import dataclass, replace
from itertools import chain
from typing import Any

from ...deadline.cache import cached_only, cached_read
from ...deadline.calls import call, list_every
from ...deadline.resilience import read_pool
from ...deadline.session_types import session_id_of
from ...deadline.types import Cacheable
from .. import resources
from .timeline import (
    ENV_ENTER,
    ENV_EXIT,
    SYNC,
    TASK_RUN,
    TIMELINE_CACHE_SECONDS,
    ActivityAction,
    ActivitySession,
    JobActivity,
    Overhead,
    Timeline,
    Window,
    action_of,
    build_timeline,
    duration,
    epoch_of,
    host_names,
    job_timeline,
    window_of,
)

#: SearchTasks reaches items 0..10,000 by offset, at most 100 a page.
SEARCH_PAGE = 100
SEARCH_WINDOW = 10_000
#: BatchGetSession reads up to 100 sessions a call.
BATCH = 100
#: Sessions whose actions estimate the overview's overhead summary.
SAMPLE_SESSIONS = 32
#: Sessions read one by one for an exact window; a wider window stays aggregated.
MAX_WINDOW_SESSIONS = 300


@dataclass(frozen=True)
class JobRuns(Cacheable):
    """Each task's latest run on the session that ran it, as SearchTasks and BatchGetSession
    answered; ``tasks_total`` is the search's total (``tasks_read`` stop at its window)."""

    activity: JobActivity
    tasks_total: int
    tasks_read: int
    sessions_unread: int

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> JobRuns:
        tasks = answer.get("tasks") or []
        activity = JobActivity.from_api({"sessions": answer.get("sessions") or [], "actions": []})
        runs = tuple(_latest_run(t) for t in tasks if t.get("latestSessionActionId"))
        return cls(
            activity=JobActivity(sessions=activity.sessions, actions=runs),
            tasks_total=int(answer.get("total") or 0),
            tasks_read=len(tasks),
            sessions_unread=int(answer.get("unread") or 0),
        )

    def to_cache(self) -> dict[str, Any]:
        return {
            **self.activity.to_cache(),
            "n": [self.tasks_total, self.tasks_read, self.sessions_unread],
        }

    @classmethod
    def from_cache(cls, data: Mapping[str, Any]) -> JobRuns:
        total, read, unread = data["n"]
        return cls(JobActivity.from_cache(data), total, read, unread)

    @property
    def complete(self) -> bool:
        return self.tasks_read >= self.tasks_total and not self.sessions_unread


def _latest_run(task: Mapping[str, Any]) -> ActivityAction:
    """A task's latest run as a task-run action (times and status from the task summary)."""
    return ActivityAction(
        session_action_id=task["latestSessionActionId"],
        kind=TASK_RUN,
        status=task.get("runStatus", ""),
        start=epoch_of(task.get("startedAt")),
        end=epoch_of(task.get("endedAt")),
        task_id=task.get("taskId"),
        step_id=task.get("stepId"),
    )


def job_runs(*, farm_id: str, queue_id: str, job_id: str, tasks: int = 0) -> JobRuns:
    """Every task's latest run (up to the search window) and its session, cached. ``tasks``,
    the job's task count if known, lets every page be asked at once."""
    return cached_read(
        kind="job-runs",
        ids=(farm_id, queue_id, job_id),
        ttl=TIMELINE_CACHE_SECONDS,
        fetch=lambda: _read_runs(farm_id, queue_id, job_id, tasks),
        parse=JobRuns,
    )


def _read_runs(farm_id: str, queue_id: str, job_id: str, expected: int) -> dict[str, Any]:
    """SearchTasks pages by offset, all at once: those the job's task count calls for with
    the first, any more the first page's total shows after it; each page's sessions asked of
    BatchGetSession as soon as a hundred are known (queued behind the pages not yet sent).
    From the caller's thread: pool threads never wait on the pool."""
    ids = {"farmId": farm_id, "queueId": queue_id, "jobId": job_id}

    def page(offset: int) -> dict[str, Any]:
        return call(
            "SearchTasks",
            farmId=farm_id,
            queueIds=[queue_id],
            jobId=job_id,
            itemOffset=offset,
            pageSize=SEARCH_PAGE,
        )

    def batch(chunk: list[str]) -> dict[str, Any]:
        return call("BatchGetSession", identifiers=[{**ids, "sessionId": s} for s in chunk])

    pool = read_pool()
    early = [pool.submit(page, n) for n in range(0, min(expected, SEARCH_WINDOW), SEARCH_PAGE)]
    first = early[0].result() if early else page(0)
    total = int(first.get("totalResults") or 0)
    sent = max(len(early), 1) * SEARCH_PAGE
    pages = early[1:] + [
        pool.submit(page, n) for n in range(sent, min(total, SEARCH_WINDOW), SEARCH_PAGE)
    ]
    tasks: dict[str, Mapping[str, Any]] = {}
    asked: set[str] = set()
    waiting: list[str] = []
    batches = []
    for read, answer in enumerate(chain([first], (f.result() for f in as_completed(pages))), 1):
        last = read == len(pages) + 1
        for task in answer.get("tasks") or ():
            tasks[task.get("taskId", "")] = task
            action = task.get("latestSessionActionId")
            if action and session_id_of(action) not in asked:
                asked.add(session_id_of(action))
                waiting.append(session_id_of(action))
        while len(waiting) >= BATCH or (waiting and last):
            batches.append(pool.submit(batch, waiting[:BATCH]))
            waiting = waiting[BATCH:]
    sessions: list[dict[str, Any]] = []
    unread = 0
    for done in batches:
        answer = done.result()
        sessions.extend(answer.get("sessions") or [])
        unread += len(answer.get("errors") or [])
    tasks.pop("", None)
    return {"tasks": list(tasks.values()), "total": total, "sessions": sessions, "unread": unread}


@dataclass(frozen=True)
class SessionActions(Cacheable):
    actions: tuple[ActivityAction, ...]

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> SessionActions:
        return cls(tuple(map(action_of, answer.get("actions") or [])))

    def to_cache(self) -> dict[str, Any]:
        return {"a": [a.row() for a in self.actions]}

    @classmethod
    def from_cache(cls, data: Mapping[str, Any]) -> SessionActions:
        return cls(tuple(ActivityAction(*row) for row in data["a"]))


def session_actions(
    *, farm_id: str, queue_id: str, job_id: str, session_id: str
) -> tuple[ActivityAction, ...]:
    """One session's actions (ListSessionActions by ``sessionId``, every page), cached."""
    ids = {"farmId": farm_id, "queueId": queue_id, "jobId": job_id, "sessionId": session_id}
    return cached_read(
        kind="session-actions",
        ids=(farm_id, queue_id, job_id, session_id),
        ttl=TIMELINE_CACHE_SECONDS,
        fetch=lambda: {"actions": list_every("ListSessionActions", "sessionActions", **ids)},
        parse=SessionActions,
    ).actions


ActionReads = list[Future[tuple[ActivityAction, ...]]]


def _start_actions(
    farm_id: str, queue_id: str, job_id: str, sessions: Iterable[ActivitySession]
) -> ActionReads:
    """The sessions' actions, all asked at once on the read pool (not waited for)."""
    pool = read_pool()
    return [
        pool.submit(
            session_actions,
            farm_id=farm_id,
            queue_id=queue_id,
            job_id=job_id,
            session_id=session.session_id,
        )
        for session in sessions
    ]


def _actions_read(reads: ActionReads) -> list[ActivityAction]:
    return [action for read in reads for action in read.result()]


def job_sessions(*, farm_id: str, queue_id: str, job_id: str) -> JobActivity:
    """Every session of the job (ListSessions, every page), cached."""
    ids = {"farmId": farm_id, "queueId": queue_id, "jobId": job_id}
    return cached_read(
        kind="job-sessions",
        ids=(farm_id, queue_id, job_id),
        ttl=TIMELINE_CACHE_SECONDS,
        fetch=lambda: {"sessions": list_every("ListSessions", "sessions", **ids)},
        parse=JobActivity,
    )


def _warm_sessions(farm_id: str, queue_id: str, job_id: str) -> None:
    """Start reading the job's sessions in the background (no viewer waits on it), so that
    the first zoom into a window finds them cached."""
    ids = (farm_id, queue_id, job_id)
    if cached_only(kind="job-sessions", ids=ids, parse=JobActivity) is None:
        read_pool().submit(job_sessions, farm_id=farm_id, queue_id=queue_id, job_id=job_id)


def overlapping(
    sessions: Iterable[ActivitySession], start: float, end: float, now: float
) -> list[ActivitySession]:
    """The sessions that overlap ``start``..``end`` (an open one ends now)."""
    return [
        s
        for s in sessions
        if s.start is not None and s.start < end and (s.end if s.end is not None else now) > start
    ]


def window_activity(
    *, farm_id: str, queue_id: str, job_id: str, start: float, end: float, now: float
) -> JobActivity | None:
    """Every session of the job overlapping the window and all its actions (exact), or
    nothing when more than ``MAX_WINDOW_SESSIONS`` overlap it."""
    every = job_sessions(farm_id=farm_id, queue_id=queue_id, job_id=job_id)
    inside = overlapping(every.sessions, start, end, now)
    if len(inside) > MAX_WINDOW_SESSIONS:
        return None
    actions = _actions_read(_start_actions(farm_id, queue_id, job_id, inside))
    return JobActivity(sessions=tuple(inside), actions=tuple(actions))


def sample(
    sessions: Iterable[ActivitySession], size: int = SAMPLE_SESSIONS
) -> list[ActivitySession]:
    """``size`` sessions spread evenly over the job's time (every one when fewer)."""
    started = sorted(
        (s for s in sessions if s.start is not None), key=lambda s: (s.start, s.session_id)
    )
    if len(started) <= size:
        return started
    step = len(started) / size
    return [started[int(n * step)] for n in range(size)]


#: The sampled sessions and their actions' reads, under way on the read pool.
SampleReads = tuple[list[ActivitySession], ActionReads]


def start_sample(*, farm_id: str, queue_id: str, job_id: str, runs: JobRuns) -> SampleReads:
    """Start reading the actions of the sessions the overhead is estimated from (not waiting
    for them: the caller reads the lanes' host names meanwhile)."""
    chosen = sample(runs.activity.sessions)
    return chosen, _start_actions(farm_id, queue_id, job_id, chosen)


def estimated_overhead(
    *, farm_id: str, queue_id: str, job_id: str, runs: JobRuns, now: float,
    started: SampleReads | None = None,
) -> Overhead:  # fmt: skip
    """The overview's summary: the read sessions' whole time, shared out as the actions of an
    even sample of them share their own time (``sampled`` says how many); ``started``, the
    sample's reads if ``start_sample`` began them."""
    ids = {"farm_id": farm_id, "queue_id": queue_id, "job_id": job_id}
    chosen, reads = started or start_sample(**ids, runs=runs)
    actions = _actions_read(reads)
    sampled_seconds = sum(duration(s.start, s.end, now) for s in chosen)
    by_kind: dict[str, float] = {}
    for action in actions:
        by_kind[action.kind] = by_kind.get(action.kind, 0.0) + duration(
            action.start, action.end, now
        )
    total = sum(duration(s.start, s.end, now) for s in runs.activity.sessions)
    scale = total / sampled_seconds if sampled_seconds else 0.0
    kinds = {name: by_kind.get(name, 0.0) * scale for name in (ENV_ENTER, ENV_EXIT, SYNC, TASK_RUN)}
    return Overhead(
        session_seconds=total,
        setup_seconds=kinds[ENV_ENTER] + kinds[ENV_EXIT],
        sync_seconds=kinds[SYNC],
        task_seconds=kinds[TASK_RUN],
        gap_seconds=total - sum(by_kind.values()) * scale,
        sessions=len(runs.activity.sessions),
        task_runs=len(runs.activity.actions),
        sampled=len(chosen),
    )


#: Jobs of up to this many tasks are read whole (both job-wide lists, page after page).
EXACT_TASKS = 500


def read_timeline(
    *,
    farm_id: str,
    queue_id: str,
    job_id: str,
    tasks: int,
    start: float | None = None,
    end: float | None = None,
) -> tuple[Timeline, Window | None]:
    """The timeline to draw and the window in view: a small job exactly; a big one as the
    overview, or exactly when the window asked for holds few enough sessions."""
    ids = {"farm_id": farm_id, "queue_id": queue_id, "job_id": job_id}
    if tasks <= EXACT_TASKS:
        whole = job_timeline(**ids)
        return whole, window_of(whole, start, end)
    runs = job_runs(**ids, tasks=tasks)
    now = resources.now().timestamp()
    lanes = runs.activity.sessions
    # The whole job in view: the overhead's sampled actions are read while the lanes' host
    # names are, not after them (a round trip less on the viewer's wait).
    started = start_sample(**ids, runs=runs) if start is None and end is None else None
    overview = build_timeline(runs.activity, host_names(farm_id, _workers(lanes)), now)
    window = window_of(overview, start, end)
    zoomed = window is not None and (window.start, window.end) != (overview.start, overview.end)
    if window is not None and zoomed:
        seen = overlapping(lanes, window.start, window.end, now)
        exact = None
        if len(seen) <= MAX_WINDOW_SESSIONS:
            exact = window_activity(**ids, start=window.start, end=window.end, now=now)
        if exact is not None:
            drawn = build_timeline(exact, host_names(farm_id, _workers(exact.sessions)), now)
            note = (
                f"Exact: every session of the job in this window ({len(exact.sessions):,}, "
                "from ListSessions) and every action of each (ListSessionActions); the summary "
                "sums these sessions only."
            )
            return replace(drawn, start=overview.start, end=overview.end, notes=(note,)), window
    _warm_sessions(farm_id, queue_id, job_id)
    overhead = estimated_overhead(**ids, runs=runs, now=now, started=started)
    return replace(
        overview, overhead=overhead, aggregate=True, notes=_overview_notes(runs, overhead)
    ), window


def _workers(sessions: Iterable[ActivitySession]) -> set[tuple[str, str]]:
    return {(s.fleet_id, s.worker_id) for s in sessions}


def _overview_notes(runs: JobRuns, overhead: Overhead) -> tuple[str, ...]:
    notes = [
        f"Aggregated: each task's latest run (SearchTasks) on the lane of the session that ran "
        f"it (BatchGetSession); earlier attempts are not drawn. Zoom into a window of at most "
        f"{MAX_WINDOW_SESSIONS:,} sessions for every session and action.",
        f"Estimated: the summary shares out the time of {overhead.sessions:,} sessions as the "
        f"actions of {overhead.sampled:,} of them, spread evenly over the job, share theirs.",
    ]
    if runs.tasks_read < runs.tasks_total:
        notes.append(
            f"Cut: the search reaches {runs.tasks_read:,} of the job's {runs.tasks_total:,} tasks; "
            "the rest are not drawn."
        )
    if runs.sessions_unread:
        notes.append(f"Cut: {runs.sessions_unread:,} sessions could not be read.")
    return tuple(notes)
