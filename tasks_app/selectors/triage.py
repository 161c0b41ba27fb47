"""Triage reads for the task page: a task's attempts (session actions) with their sessions,
workers and fleets, read in stages so the log tail starts as soon as its window is known.

Deadline Cloud answers the attempts (ListSessionActions filtered by taskId, GetSessionAction,
GetSession, GetWorker, GetFleet); every read goes through ``deadline.cache.cached_read``. The
attempt view models are in ``task_attempts``, the log reads in ``task_logs``; both are
re-exported here, the one import the task page's views need.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import replace
from functools import partial
from typing import Any

from django.conf import settings

from ..deadline.cache import cached_read
from ..deadline.calls import call
from ..deadline.errors import DeadlineError
from ..deadline.fanout import gather
from ..deadline.resilience import read_pool
from ..deadline.session_types import (
    SETUP_ACTIONS,
    Fleet,
    LogPage,
    Session,
    SessionAction,
    SessionActionList,
    Worker,
)
from .session_reads import (
    WORKER_CACHE_SECONDS,
    get_fleet,
    get_session,
    get_session_action,
    get_worker,
)
from .task_attempts import (
    LATEST,
    LOG_WINDOW_SLACK,
    Attempt,
    TaskAttempts,
    choose_attempt,
    chronological,
    is_session_action_id,
)
from .task_logs import (
    LOG_PAGE_LINES,
    aws_logs_command,
    deadline_logs_command,
    get_log_since,
    get_log_tail,
    log_location,
)

__all__ = [
    "LATEST",
    "LOG_PAGE_LINES",
    "LOG_WINDOW_SLACK",
    "WORKER_CACHE_SECONDS",
    "Attempt",
    "AttemptReads",
    "TaskAttempts",
    "aws_logs_command",
    "choose_attempt",
    "deadline_logs_command",
    "get_fleet",
    "get_log_since",
    "get_log_tail",
    "get_session",
    "get_session_action",
    "get_worker",
    "is_session_action_id",
    "list_session_actions",
    "list_task_attempts",
    "log_location",
]

logger = logging.getLogger(__name__)

# --- Reads -------------------------------------------------------------------------------------


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


def _results(futures: Mapping[str, Future[Any]], what: str, problems: list[str]) -> dict[str, Any]:
    """Each future's value; a failed read becomes a problem line, not a failed page."""
    results: dict[str, Any] = {}
    for key, future in futures.items():
        try:
            results[key] = future.result()
        except DeadlineError as exc:
            problems.append(f"{what} {key}: {exc.message}")
    return results


# --- Attempts, read in stages ------------------------------------------------------------------


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
                key=lambda a: chronological(a, setups.get(a.session_id)),
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
        action_futures = self._action_futures(summaries)
        session_futures = {
            session_id: self._pool.submit(get_session, **self._ids, session_id=session_id)
            for session_id in dict.fromkeys(a.session_id for a in reversed(summaries))
        }
        self._start_log(session_futures, wait_for_session=False)
        details = _results(action_futures, "Session action", problems)
        sessions = _results(session_futures, "Session", problems)
        self._start_log(session_futures, wait_for_session=True)
        machines = self._machines(sessions.values(), workers=workers, problems=problems)
        attempts = tuple(
            _attempt(summary, details, sessions.get(summary.session_id), *machines)
            for summary in summaries
        )
        result = TaskAttempts(attempts=attempts, problems=tuple(problems))
        if workers:
            self._attempts = result
        return result

    def _action_futures(self, summaries: Sequence[Attempt]) -> dict[str, Future[SessionAction]]:
        """GetSessionAction of every attempt (oldest first), and of each setup that failed (its
        message and exit code)."""
        futures = {
            a.session_action_id: self._pool.submit(
                get_session_action,
                **self._ids,
                session_action_id=a.session_action_id,
                ended=a.action.ended_at is not None and not a.status.is_live,
            )
            for a in reversed(summaries)
        }
        for a in summaries:
            if a.setup is not None:
                futures[a.setup.session_action_id] = self._pool.submit(
                    get_session_action,
                    **self._ids,
                    session_action_id=a.setup.session_action_id,
                    ended=a.setup.ended_at is not None,
                )
        return futures

    def _machines(
        self, sessions: Iterable[Session], *, workers: bool, problems: list[str]
    ) -> tuple[dict[str, Worker], dict[str, Fleet]]:
        """The sessions' workers and fleets, by ID, read together (``workers=False``: only for
        sessions that do not carry their host's name)."""
        farm_id = self._ids["farm_id"]
        wanted = {(s.fleet_id, s.worker_id) for s in sessions if workers or not s.host_name}
        reads: dict[tuple[str, str], Callable[[], Worker | Fleet]] = {
            ("Worker", worker_id): partial(
                get_worker, farm_id=farm_id, fleet_id=fleet_id, worker_id=worker_id
            )
            for fleet_id, worker_id in sorted(wanted)
        }
        for fleet_id in sorted({fleet_id for fleet_id, _ in wanted}):
            reads["Fleet", fleet_id] = partial(get_fleet, farm_id=farm_id, fleet_id=fleet_id)
        answers, failures = gather(reads, pool=self._pool)
        problems.extend(f"{kind} {key}: {exc.message}" for (kind, key), exc in failures.items())
        found_workers = {key: a for (kind, key), a in answers.items() if isinstance(a, Worker)}
        fleets = {key: a for (kind, key), a in answers.items() if isinstance(a, Fleet)}
        return found_workers, fleets

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


def _attempt(
    summary: Attempt,
    details: Mapping[str, SessionAction],
    session: Session | None,
    workers: Mapping[str, Worker],
    fleets: Mapping[str, Fleet],
) -> Attempt:
    """``summary`` (as listed) completed with what the detail reads found."""
    setup = summary.setup
    return Attempt(
        number=summary.number,
        action=details.get(summary.session_action_id, summary.action),
        setup=details.get(setup.session_action_id, setup) if setup else None,
        session=session,
        worker=workers.get(session.worker_id) if session else None,
        fleet=fleets.get(session.fleet_id) if session else None,
    )


def list_task_attempts(
    *, farm_id: str, queue_id: str, job_id: str, step_id: str, task_id: str
) -> TaskAttempts:
    """The task's attempts, newest first, each with its session, worker and fleet
    (see ``AttemptReads`` for the order of the reads). Raises only when the list read fails."""
    del step_id  # the API locates session actions by job; kept for a uniform signature
    reads = AttemptReads(farm_id=farm_id, queue_id=queue_id, job_id=job_id, task_id=task_id)
    return reads.attempts()
