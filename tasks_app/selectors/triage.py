"""Triage reads for the task page: its attempts (session actions), their workers and logs.

Deadline Cloud answers the attempts (ListSessionActions filtered by taskId, GetSessionAction,
GetSession, GetWorker, GetFleet) and CloudWatch Logs the session log (GetLogEvents on
``/aws/deadline/<farmId>/<queueId>``, stream ``<sessionId>``), always a page at a time with
its forward/backward tokens: a whole stream is never loaded. Every read goes through the
public read helper ``deadline.cache.cached_read``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from django.conf import settings

from ..deadline.cache import cached_read
from ..deadline.calls import call
from ..deadline.errors import DeadlineError
from ..deadline.farm_types import DEAD_WORKER_STATUSES
from ..deadline.ids import ID_PATTERNS
from ..deadline.logs import epoch_ms, get_log_events, log_group_name
from ..deadline.resilience import read_pool
from ..deadline.session_types import (
    SETUP_ACTIONS,
    ActionStatus,
    Fleet,
    LogPage,
    Session,
    SessionAction,
    SessionActionList,
    Worker,
)
from .resources import now

logger = logging.getLogger(__name__)

#: ``?attempt=latest``: the newest attempt, whatever its ID (a bookmark that stays current).
LATEST = "latest"
#: Lines one log read returns (the tail, and each "load more" page).
LOG_PAGE_LINES = 200
#: The attempt's window is widened by this on both sides: the agent's own lines (exit code,
#: the failure) are stamped at the very instant the action ends, and clocks differ slightly.
LOG_WINDOW_SLACK = timedelta(seconds=1)
#: CloudWatch ingests with a delay: keep following this long after the attempt ended.
FOLLOW_GRACE = timedelta(seconds=15)
#: Workers change status (RUNNING -> NOT_RESPONDING): cached shorter than names.
WORKER_CACHE_SECONDS = 60.0


# --- Attempts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """One attempt at the task: its task-run action, session, worker and fleet.

    ``session``/``worker``/``fleet`` are None when their read failed (the page says so).
    ``setup`` is the session's input sync or environment enter that failed before the task
    could run (the task run is then NEVER_ATTEMPTED): the attempt failed there.
    """

    number: int  # 1 = the first attempt
    action: SessionAction
    session: Session | None = None
    worker: Worker | None = None
    fleet: Fleet | None = None
    setup: SessionAction | None = None

    @property
    def session_action_id(self) -> str:
        return self.action.session_action_id

    @property
    def session_id(self) -> str:
        return self.action.session_id

    @property
    def status(self) -> ActionStatus:
        if self.failed_in is not None:
            return ActionStatus.FAILED
        return self.action.status

    @property
    def failed_in(self) -> str | None:
        """What failed instead of the task run ("environment enter", "job attachments input
        sync"), or None."""
        if self.setup is None or self.action.status is not ActionStatus.NEVER_ATTEMPTED:
            return None
        return SETUP_ACTIONS.get(self.setup.kind, self.setup.kind)

    @property
    def cause(self) -> SessionAction:
        """The action whose output explains the attempt: the failed setup action, else the
        task run."""
        return self.setup if self.failed_in is not None and self.setup else self.action

    @property
    def worker_id(self) -> str | None:
        return self.session.worker_id if self.session else None

    @property
    def fleet_id(self) -> str | None:
        return self.session.fleet_id if self.session else None

    @property
    def host_name(self) -> str | None:
        if self.worker and self.worker.host_name:
            return self.worker.host_name
        return self.session.host_name if self.session else None

    @property
    def worker_label(self) -> str:
        """Short host name (``render-a-017``), else the worker ID."""
        if self.host_name:
            return self.host_name.split(".")[0]
        return self.worker_id or "an unknown worker"

    @property
    def worker_activity(self) -> tuple[str, bool]:
        """What the worker is doing for this task, and whether that is trouble: the attempt's
        own state first, so a worker running it never reads "Idle" (its status says what it
        does overall, not for this task); a dead worker holding a live attempt is trouble."""
        status = self.worker.status if self.worker else ""
        state = status.replace("_", " ").lower()
        if self.status.is_live:
            doing = _LIVE_ACTIVITY.get(self.status, "holding this task")
            if status in DEAD_WORKER_STATUSES:
                return f"{state.capitalize()} while {doing}", True
            if self.session is not None and self.session.ended_at is not None:
                return f"No longer {doing}: its session ended", True
            return doing.capitalize(), False
        if self.worker is None:
            return "", False
        return f"Done with this attempt; now {state}", self.worker.is_unhealthy

    @property
    def ip_addresses(self) -> tuple[str, ...]:
        if self.worker and self.worker.ip_addresses:
            return self.worker.ip_addresses
        return self.session.ip_addresses if self.session else ()

    @property
    def progress_value(self) -> str | None:
        """The ``<progress value>`` attribute (a plain decimal, never localized)."""
        percent = self.action.progress_percent
        return None if percent is None else f"{min(max(percent, 0.0), 100.0):g}"

    @property
    def log_start(self) -> datetime | None:
        """The window of the attempt's own action (its task run, or the setup action that
        failed instead): in a session shared with other tasks, theirs are left out."""
        start = self.cause.started_at or (self.session.started_at if self.session else None)
        return None if start is None else start - LOG_WINDOW_SLACK

    @property
    def log_end(self) -> datetime | None:
        end = self.cause.ended_at
        return None if end is None else end + LOG_WINDOW_SLACK

    def duration(self, now: datetime) -> timedelta | None:
        if self.action.started_at is None:
            return None
        return max((self.action.ended_at or now) - self.action.started_at, timedelta(0))

    def is_following(self, now: datetime) -> bool:
        """Its log may still grow: live, or ended so recently that lines are still arriving."""
        if self.action.ended_at is None:
            return self.status.is_live or self.status is ActionStatus.UNKNOWN
        return now < self.action.ended_at + FOLLOW_GRACE


_LIVE_ACTIVITY = {
    ActionStatus.ASSIGNED: "assigned this task",
    ActionStatus.SCHEDULED: "about to run this task",
    ActionStatus.RUNNING: "running this task",
    ActionStatus.CANCELING: "canceling this task",
    ActionStatus.RECLAIMING: "giving this task back",
}


@dataclass(frozen=True)
class FailureCluster:
    """Several failed attempts ran on one worker: "3 of 4 failed attempts ran on X"."""

    worker_label: str
    worker_id: str
    on_worker: int
    failed: int

    @property
    def summary(self) -> str:
        return (
            f"{self.on_worker} of {self.failed} failed attempts ran on worker {self.worker_label}"
        )


@dataclass(frozen=True)
class TaskAttempts:
    """A task's attempts, newest first, plus what could not be read about them."""

    attempts: tuple[Attempt, ...]
    problems: tuple[str, ...] = ()

    @property
    def latest(self) -> Attempt | None:
        return self.attempts[0] if self.attempts else None

    def find(self, session_action_id: str) -> Attempt | None:
        return next((a for a in self.attempts if a.session_action_id == session_action_id), None)

    @property
    def any_live(self) -> bool:
        return any(a.status.is_live for a in self.attempts)

    @property
    def failed(self) -> tuple[Attempt, ...]:
        return tuple(a for a in self.attempts if a.status is ActionStatus.FAILED)

    @cached_property
    def failure_cluster(self) -> FailureCluster | None:
        """The worker that ran at least two of the failed attempts (the most of them)."""
        failed = self.failed
        counts = Counter(a.worker_id for a in failed if a.worker_id)
        if not counts:
            return None
        (worker_id, on_worker), *rest = counts.most_common()
        if on_worker < 2 or (rest and rest[0][1] == on_worker):
            return None
        label = next(a.worker_label for a in failed if a.worker_id == worker_id)
        return FailureCluster(label, worker_id, on_worker, len(failed))

    @cached_property
    def version(self) -> str:
        """Digest of everything shown: equal versions render identically."""
        parts = [
            [
                a.action.to_cache(),
                a.setup.to_cache() if a.setup else None,
                a.session.to_cache() if a.session else None,
                a.worker.to_cache() if a.worker else None,
                a.fleet.to_cache() if a.fleet else None,
            ]
            for a in self.attempts
        ]
        text = json.dumps([parts, list(self.problems)], sort_keys=True, separators=(",", ":"))
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


# --- Attempts ----------------------------------------------------------------------------------


def _list_task_run_actions(
    *, farm_id: str, queue_id: str, job_id: str, task_id: str
) -> dict[str, Any]:
    """Every page of ListSessionActions(taskId), keeping only this task's task runs."""
    actions: list[dict[str, Any]] = []
    params: dict[str, Any] = {
        "farmId": farm_id,
        "queueId": queue_id,
        "jobId": job_id,
        "taskId": task_id,
        "maxResults": 100,
    }
    while True:  # to the last page: a task's attempts are shown whole
        answer = call("ListSessionActions", **params)
        for item in answer.get("sessionActions") or ():
            definition = item.get("definition") or {}
            task_run = definition.get("taskRun")
            # envEnter/envExit of the same sessions carry no taskRun: not attempts; an input
            # sync or environment enter that failed is kept as the cause of its session's run.
            if task_run is not None and task_run.get("taskId", task_id) == task_id:
                actions.append(item)
            elif item.get("status") == "FAILED" and set(definition) & set(SETUP_ACTIONS):
                actions.append(item)
        token = answer.get("nextToken")
        if not token or token == params.get("nextToken"):
            return {"sessionActions": actions}
        params["nextToken"] = token


def list_session_actions(
    *, farm_id: str, queue_id: str, job_id: str, task_id: str
) -> SessionActionList:
    """The task-run actions of a task, cached for DEADLINE_CACHE_SECONDS."""
    return cached_read(
        kind="task-actions",
        ids=(farm_id, queue_id, job_id, task_id),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: _list_task_run_actions(
            farm_id=farm_id, queue_id=queue_id, job_id=job_id, task_id=task_id
        ),
        parse=SessionActionList,
    )


def get_session_action(
    *, farm_id: str, queue_id: str, job_id: str, session_action_id: str, ended: bool = False
) -> SessionAction:
    """GetSessionAction; an ended action never changes, so it is cached like a name.

    ``ended`` is what the caller knows (from the list): it picks the cache entry, so an
    action that ends is read afresh rather than served from its live entry.
    """
    return cached_read(
        kind="session-action",
        ids=(farm_id, queue_id, job_id, session_action_id, "ended" if ended else "live"),
        ttl=settings.DEADLINE_NAME_CACHE_SECONDS if ended else settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: call(
            "GetSessionAction",
            farmId=farm_id,
            queueId=queue_id,
            jobId=job_id,
            sessionActionId=session_action_id,
        ),
        parse=SessionAction,
    )


def get_session(*, farm_id: str, queue_id: str, job_id: str, session_id: str) -> Session:
    """GetSession (its worker, fleet and log never change): cached like a name."""
    return cached_read(
        kind="session",
        ids=(farm_id, queue_id, job_id, session_id),
        ttl=settings.DEADLINE_NAME_CACHE_SECONDS,
        fetch=lambda: call(
            "GetSession", farmId=farm_id, queueId=queue_id, jobId=job_id, sessionId=session_id
        ),
        parse=Session,
    )


def get_worker(*, farm_id: str, fleet_id: str, worker_id: str) -> Worker:
    """GetWorker, cached for a minute (its status matters while triaging)."""
    return cached_read(
        kind="worker",
        ids=(farm_id, fleet_id, worker_id),
        ttl=min(WORKER_CACHE_SECONDS, settings.DEADLINE_NAME_CACHE_SECONDS),
        fetch=lambda: call("GetWorker", farmId=farm_id, fleetId=fleet_id, workerId=worker_id),
        parse=Worker,
    )


def get_fleet(*, farm_id: str, fleet_id: str) -> Fleet:
    """GetFleet (for its name), cached for DEADLINE_NAME_CACHE_SECONDS."""
    return cached_read(
        kind="fleet",
        ids=(farm_id, fleet_id),
        ttl=settings.DEADLINE_NAME_CACHE_SECONDS,
        fetch=lambda: call("GetFleet", farmId=farm_id, fleetId=fleet_id),
        parse=Fleet,
    )


def _results(futures: Mapping[str, Future[Any]], what: str, problems: list[str]) -> dict[str, Any]:
    """Each future's value; a failed read becomes a problem line, not a failed page."""
    results: dict[str, Any] = {}
    for key, future in futures.items():
        try:
            results[key] = future.result()
        except DeadlineError as exc:
            problems.append(f"{what} {key}: {exc.message}")
    return results


def choose_attempt(attempts: Sequence[Attempt], wanted: str) -> tuple[Attempt | None, bool]:
    """The attempt ``?attempt=`` names among ``attempts`` (newest first): ``""`` or
    ``"latest"`` mean the latest. False when ``wanted`` names none of them (the latest
    stands in)."""
    latest = attempts[0] if attempts else None
    if wanted in ("", LATEST):
        return latest, True
    if is_session_action_id(wanted):
        found = next((a for a in attempts if a.session_action_id == wanted), None)
        if found is not None:
            return found, True
    return latest, False


class AttemptReads:
    """A task's attempt reads in flight and, optionally, one attempt's log tail.

    Construction submits ListSessionActions to the pool and returns, so a page can start it
    before its own reads and wait for both together. ``attempts()``/``log_tail()`` then run the
    later stages from the calling thread, each as soon as what it needs is known:
    GetSessionAction and GetSession together (the session ID is in the session action ID),
    GetLogEvents beside them (the window is in the list's summary), GetWorker and GetFleet once
    the sessions name them. Pool threads never wait on the pool (that can deadlock under load).
    """

    def __init__(
        self,
        *,
        farm_id: str,
        queue_id: str,
        job_id: str,
        task_id: str,
        log_of: str | None = None,
        log_before: str | None = None,
    ) -> None:
        self._ids = {"farm_id": farm_id, "queue_id": queue_id, "job_id": job_id}
        self._log_of = log_of
        self._log_before = log_before or None
        self._pool = read_pool()
        self._listed = self._pool.submit(list_session_actions, **self._ids, task_id=task_id)
        self._summaries: tuple[Attempt, ...] | None = None
        self._log: Future[LogPage] | None = None
        self._log_attempt: Attempt | None = None
        self._log_place: tuple[str, str] | None = None
        self._attempts: TaskAttempts | None = None

    def summaries(self) -> tuple[Attempt, ...]:
        """The attempts as ListSessionActions tells them (no session or worker), newest first.

        Enough for an attempt's log window and whether it is still live. Raises DeadlineError.
        """
        if self._summaries is None:
            listed = self._listed.result().actions
            setups = {a.session_id: a for a in listed if a.is_setup}
            ordered = sorted(
                (a for a in listed if not a.is_setup),
                key=lambda a: _chronological(a, setups.get(a.session_id)),
            )
            numbered = (
                Attempt(number=n, action=a, setup=setups.get(a.session_id))
                for n, a in enumerate(ordered, start=1)
            )
            self._summaries = tuple(reversed(tuple(numbered)))
        return self._summaries

    def attempts(self, *, workers: bool = True) -> TaskAttempts:
        """Every attempt with its session, worker and fleet.

        ``workers=False`` (the log panel, which names the host alone) skips GetWorker and
        GetFleet for sessions that carry their host's name: one round trip fewer.
        Only the list read raises: a failed detail read leaves that detail out and is reported
        in ``problems``.
        """
        if self._attempts is not None:
            return self._attempts
        summaries = self.summaries()
        problems: list[str] = []
        action_futures = {
            a.session_action_id: self._pool.submit(
                get_session_action,
                **self._ids,
                session_action_id=a.session_action_id,
                ended=a.action.ended_at is not None and not a.status.is_live,
            )
            for a in reversed(summaries)
        }
        for a in summaries:  # a setup that failed: its message and exit code
            if a.setup is not None:
                action_futures[a.setup.session_action_id] = self._pool.submit(
                    get_session_action,
                    **self._ids,
                    session_action_id=a.setup.session_action_id,
                    ended=a.setup.ended_at is not None,
                )
        session_futures = {
            session_id: self._pool.submit(get_session, **self._ids, session_id=session_id)
            for session_id in dict.fromkeys(a.session_id for a in reversed(summaries))
        }
        self._start_log(session_futures, wait_for_session=False)
        details = _results(action_futures, "Session action", problems)
        sessions = _results(session_futures, "Session", problems)
        self._start_log(session_futures, wait_for_session=True)

        farm_id = self._ids["farm_id"]
        workers_wanted = {
            (s.fleet_id, s.worker_id) for s in sessions.values() if workers or not s.host_name
        }
        worker_futures = {
            worker_id: self._pool.submit(
                get_worker, farm_id=farm_id, fleet_id=fleet_id, worker_id=worker_id
            )
            for fleet_id, worker_id in sorted(workers_wanted)
        }
        fleet_futures = {
            fleet_id: self._pool.submit(get_fleet, farm_id=farm_id, fleet_id=fleet_id)
            for fleet_id in sorted({fleet_id for fleet_id, _ in workers_wanted})
        }
        found_workers = _results(worker_futures, "Worker", problems)
        fleets = _results(fleet_futures, "Fleet", problems)

        attempts = []
        for summary in summaries:
            session = sessions.get(summary.session_id)
            attempts.append(
                Attempt(
                    number=summary.number,
                    action=details.get(summary.session_action_id, summary.action),
                    setup=(
                        details.get(summary.setup.session_action_id, summary.setup)
                        if summary.setup
                        else None
                    ),
                    session=session,
                    worker=found_workers.get(session.worker_id) if session else None,
                    fleet=fleets.get(session.fleet_id) if session else None,
                )
            )
        result = TaskAttempts(attempts=tuple(attempts), problems=tuple(problems))
        if workers:
            self._attempts = result
        return result

    def _start_log(
        self, sessions: Mapping[str, Future[Session]], *, wait_for_session: bool
    ) -> None:
        """Submit the log read of the attempt ``log_of`` chooses once its window is known:
        from the summary, or (an attempt not started yet) from its session's start.

        The read starts where the convention puts the log, beside GetSession; once the
        session is known, a log its ``log.options`` place elsewhere is read there instead."""
        if self._log_of is None:
            return
        chosen, found = choose_attempt(self.summaries(), self._log_of)
        if chosen is None:
            return
        session: Session | None = None
        future = sessions.get(chosen.session_id)
        if future is not None and (wait_for_session or future.done()):
            try:
                session = future.result()
            except DeadlineError:
                pass  # read where the convention says, over the whole stream up to now
        if self._log is not None:
            if session is None or self._log_attempt is None:
                return
            if log_location(**self._location_ids(chosen), session=session) == self._log_place:
                return  # already reading where the session says
        if chosen.log_start is None and not wait_for_session:
            return
        if session is not None and chosen.session is None:
            chosen = replace(chosen, session=session)
        self._log_attempt = chosen
        group, stream = log_location(**self._location_ids(chosen), session=chosen.session)
        self._log_place = (group, stream)
        self._log = self._pool.submit(
            get_log_tail,
            farm_id=self._ids["farm_id"],
            queue_id=self._ids["queue_id"],
            session_id=chosen.session_id,
            start=chosen.log_start,
            end=chosen.log_end,
            before_token=self._log_before if found else None,
            group=group,
            stream=stream,
        )

    def _location_ids(self, attempt: Attempt) -> dict[str, str]:
        return {
            "farm_id": self._ids["farm_id"],
            "queue_id": self._ids["queue_id"],
            "session_id": attempt.session_id,
        }

    def log_tail(self) -> tuple[Attempt, LogPage | DeadlineError] | None:
        """The chosen attempt (as listed) and its log page, or the error reading it; None
        when no log was asked for or the task has no attempt. Raises DeadlineError only when
        the list itself failed."""
        if self._log_of is None:
            return None
        self._start_log({}, wait_for_session=True)
        if self._log is None or self._log_attempt is None:
            return None
        try:
            return self._log_attempt, self._log.result()
        except DeadlineError as exc:
            return self._log_attempt, exc


def list_task_attempts(
    *, farm_id: str, queue_id: str, job_id: str, step_id: str, task_id: str
) -> TaskAttempts:
    """The task's attempts, newest first, each with its session, worker and fleet
    (see ``AttemptReads`` for the order of the reads). Raises only when the list read fails."""
    del step_id  # the API locates session actions by job; kept for a uniform signature
    reads = AttemptReads(farm_id=farm_id, queue_id=queue_id, job_id=job_id, task_id=task_id)
    return reads.attempts()


def _chronological(action: SessionAction, setup: SessionAction | None = None) -> tuple[float, str]:
    # Not yet started (ASSIGNED) sorts last: it is the newest attempt. A run never attempted
    # (its session's setup failed) sorts by when that setup started.
    when = action.started_at or (setup.started_at if setup else None)
    started = when.timestamp() if when else float("inf")
    return (started, action.session_action_id)


# --- Logs --------------------------------------------------------------------------------------


def _window_key(start: datetime | None, end: datetime | None) -> str:
    return f"{epoch_ms(start) if start else ''}-{epoch_ms(end) if end else ''}"


def log_location(
    *, farm_id: str, queue_id: str, session_id: str, session: Session | None = None
) -> tuple[str, str]:
    """(log group, log stream) of a session's log: where GetSession's ``log.options`` say
    (the worker agent writes there), else the convention the ``deadline`` CLI uses."""
    group = session.log_group if session is not None else None
    stream = session.log_stream if session is not None else None
    return (
        group or log_group_name(farm_id=farm_id, queue_id=queue_id),
        stream or session_id,
    )


def get_log_tail(
    *,
    farm_id: str,
    queue_id: str,
    session_id: str,
    start: datetime | None,
    end: datetime | None,
    limit: int = LOG_PAGE_LINES,
    before_token: str | None = None,
    group: str | None = None,
    stream: str | None = None,
) -> LogPage:
    """The last ``limit`` lines of a session log inside [start, end) (end None: still open),
    or with ``before_token`` the ``limit`` lines before an earlier page.

    Reads ``group``/``stream`` (see ``log_location``; default: the convention). Raises
    LogNotFound when the group or stream does not exist, AccessDenied naming
    ``logs:GetLogEvents``. Earlier pages never change and are cached like names; the tail is
    cached for DEADLINE_CACHE_SECONDS while the window is open.
    """
    group = group or log_group_name(farm_id=farm_id, queue_id=queue_id)
    stream = stream or session_id
    settled = end is not None and now() > end + FOLLOW_GRACE
    ttl = (
        settings.DEADLINE_NAME_CACHE_SECONDS
        if settled or before_token
        else settings.DEADLINE_CACHE_SECONDS
    )
    return cached_read(
        kind="log-page",
        ids=(group, stream, _window_key(start, end), str(limit), "b", before_token or ""),
        ttl=ttl,
        fetch=lambda: get_log_events(
            group=group,
            stream=stream,
            start=start,
            end=end,
            limit=limit,
            token=before_token,
            from_head=False,
        ),
        parse=LogPage,
    )


def get_log_since(
    *,
    farm_id: str,
    queue_id: str,
    session_id: str,
    start: datetime | None,
    end: datetime | None,
    after_token: str,
    limit: int = LOG_PAGE_LINES,
    group: str | None = None,
    stream: str | None = None,
) -> LogPage:
    """Lines written after an earlier page (follow mode): GetLogEvents with its
    ``nextForwardToken``; no lines and the same token when nothing new arrived."""
    group = group or log_group_name(farm_id=farm_id, queue_id=queue_id)
    stream = stream or session_id
    return cached_read(
        kind="log-page",
        ids=(group, stream, _window_key(start, end), str(limit), "f", after_token),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: get_log_events(
            group=group,
            stream=stream,
            start=start,
            end=end,
            limit=limit,
            token=after_token,
            from_head=True,
        ),
        parse=LogPage,
    )


# --- Commands ----------------------------------------------------------------------------------


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def deadline_logs_command(
    *, farm_id: str, queue_id: str, job_id: str, attempt: Attempt, limit: int = LOG_PAGE_LINES
) -> str:
    """The ``deadline job logs`` command line for the same lines (the `deadline` CLI)."""
    parts = [
        "deadline job logs",
        f"--farm-id {farm_id}",
        f"--queue-id {queue_id}",
        f"--job-id {job_id}",
        f"--session-id {attempt.session_id}",
    ]
    if attempt.log_start is not None:
        parts.append(f"--start-time {_iso(attempt.log_start)}")
    if attempt.log_end is not None:
        # The CLI takes whole seconds: round the end up so the last lines stay inside.
        parts.append(f"--end-time {_iso(attempt.log_end + timedelta(seconds=1))}")
    parts.append(f"--limit {limit}")
    return " ".join(parts)


def aws_logs_command(
    *, farm_id: str, queue_id: str, attempt: Attempt, limit: int = LOG_PAGE_LINES
) -> str:
    """The ``aws logs get-log-events`` command line for the same lines."""
    group, stream = log_location(
        farm_id=farm_id, queue_id=queue_id, session_id=attempt.session_id, session=attempt.session
    )
    parts = [
        "aws logs get-log-events",
        f"--log-group-name {group}",
        f"--log-stream-name {stream}",
    ]
    if attempt.log_start is not None:
        parts.append(f"--start-time {epoch_ms(attempt.log_start)}")
    if attempt.log_end is not None:
        parts.append(f"--end-time {epoch_ms(attempt.log_end)}")
    parts.append(f"--limit {limit}")
    return " ".join(parts)


def is_session_action_id(value: str) -> bool:
    return ID_PATTERNS["session_action_id"].fullmatch(value) is not None
