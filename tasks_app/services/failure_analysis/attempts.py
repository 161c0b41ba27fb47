"""Reading failing attempts: up to 100 at a time, their session actions and sessions at once,
then the tail of each log window where it tells something new (GetLogEvents, the very page the
task page shows, so a click on an example costs nothing).

Logs are read, for each exit code and progress message, for the first LOG_SAMPLES_PER_EXIT
failing attempts; the others with that exit code and message join the cause those logs showed
unless the samples disagree, when the rest of them are read too, at most
``DASHBOARD_FAILURES_MAX_LOGS`` per analysis."""

from __future__ import annotations

import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import replace
from datetime import timedelta
from typing import Any

from ...deadline.errors import DeadlineError
from ...deadline.logs import LogNotFound
from ...deadline.session_types import ActionStatus, LogPage, Session, SessionAction, session_id_of
from ...selectors.failures import signatures
from ...selectors.failures.reads import batch_get, failed_setup
from ...selectors.failures.records import (
    AttemptFailure,
    FailedTask,
    FailureScope,
    attempt_entry,
    unreadable_entry,
    with_signature,
)
from ...selectors.failures.store import (
    RETRY_SECONDS,
    entry_ttl,
    load_attempt,
    load_attempts,
    max_logs,
    store_attempts,
)
from ...selectors.resources import now
from ...selectors.triage import Attempt, get_log_tail, log_location
from .state import Pools, Progress

logger = logging.getLogger(__name__)

#: Logs read per exit code and progress message before the rest are grouped by them.
LOG_SAMPLES_PER_EXIT = 8


class LogBudget:
    def __init__(self, allowed: int) -> None:
        self._left = allowed
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self._left <= 0:
                return False
            self._left -= 1
            return True


class AttemptReader:
    """The failing attempts of one analysis: which logs to read, the reads under way."""

    def __init__(
        self, scope: FailureScope, progress: Progress, pools: Pools, *, more_logs: bool
    ) -> None:
        self.scope = scope
        self.progress = progress
        self.more_logs = more_logs
        self.pool = pools.meta
        self.log_pool = pools.logs
        self.budget = LogBudget(max_logs())
        self.batches: list[Future[Any]] = []
        self.batches_lock = threading.Lock()
        self.samples_lock = threading.Lock()
        self.sampled: Counter[str] = Counter()  # exit signature -> logs asked for
        self.seen: dict[str, set[str]] = defaultdict(set)  # exit signature -> log signatures
        self.skipped: dict[str, list[tuple[FailedTask, SessionAction]]] = defaultdict(list)
        self.sessions: dict[str, Session] = {}  # the batches' sessions: where their logs are

    def submit(self, fn: Callable[..., Any], *args: Any, log: bool = False) -> None:
        """Run ``fn`` on a pool (the log reads' with ``log``); ``wait`` waits for it (and for
        what it submits in turn)."""
        future = (self.log_pool if log else self.pool).submit(fn, *args)
        with self.batches_lock:
            self.batches.append(future)

    def wait(self) -> None:
        """Until every read submitted (and every read those submitted) has ended."""
        while True:
            with self.batches_lock:
                pending = [b for b in self.batches if not b.done()]
            if not pending:
                return
            for batch in pending:
                batch.result()

    def analyse(self, rows: list[FailedTask]) -> None:
        """Read the failing attempts of up to 100 failed tasks: their session actions and
        their sessions at once, then (actions known) their logs."""
        cached = load_attempts(self.scope, rows)
        todo = [
            r
            for r in rows
            if r.action_id
            and (
                r.action_id not in cached
                or (self.more_logs and cached[r.action_id].source == signatures.FROM_NOT_READ)
            )
        ]
        if len(todo) < len(rows):
            self.progress.first.set()  # some are known already (cached, or never attempted)
        if todo:
            Batch(self, todo).start()

    def sessions_known(self, sessions: Mapping[str, Session]) -> None:
        """A batch's sessions, for the logs read after it (where the samples disagreed)."""
        with self.samples_lock:
            self.sessions.update(sessions)

    def decide(self, row: FailedTask, action: SessionAction) -> bool:
        """Read this failing attempt's log? (Else it is grouped by exit code and message.)"""
        key = signatures.exit_key(action.process_exit_code, action.progress_message)
        with self.samples_lock:
            wanted = self.more_logs or self.sampled[key] < LOG_SAMPLES_PER_EXIT
            if wanted and self.budget.take():
                self.sampled[key] += 1
                return True
            self.skipped[key].append((row, action))
            return False

    def learned(self, action: SessionAction, signature: str) -> None:
        key = signatures.exit_key(action.process_exit_code, action.progress_message)
        with self.samples_lock:
            self.seen[key].add(signature)

    def read_where_samples_disagree(self) -> None:
        """Exit codes and messages whose sampled logs showed different causes: read the logs
        of the rest of those attempts too (within the cap)."""
        with self.samples_lock:
            ambiguous = [key for key, found in self.seen.items() if len(found) > 1]
            todo = [item for key in ambiguous for item in self.skipped.pop(key, [])]
        for row, action in todo:
            if not self.budget.take():
                break
            self.submit(self._read_one_log, row, action, log=True)

    def _read_one_log(self, row: FailedTask, action: SessionAction) -> None:
        """A log read after the batch: the attempt's entry is cached; replace its signature."""
        known = load_attempt(self.scope, row.job_id, action.session_action_id)
        with self.samples_lock:
            session = self.sessions.get(action.session_id)
        entry, ttl = self.log_entry(action, known or attempt_entry(action), session)
        store_attempts(self.scope, {(row.job_id, action.session_action_id): entry}, ttl)

    def log_entry(
        self, action: SessionAction, entry: AttemptFailure, session: Session | None = None
    ) -> tuple[AttemptFailure, float]:
        """``entry`` with the signature of its attempt's log (read now), and its lifetime."""
        page, ttl = self._log_page(action, session)
        if page is None:
            signature = signatures.signature_of(
                None,
                exit_code=action.process_exit_code,
                message=action.progress_message,
                fallback_source=signatures.FROM_NO_LOG,
            )
            return with_signature(entry, signature), ttl
        lines = [line.message for line in page.lines]
        signature = signatures.signature_of(
            lines, exit_code=action.process_exit_code, message=action.progress_message
        )
        self.learned(action, signature.key)
        entry = with_signature(entry, signature)
        if signature.line is not None:
            entry = replace(
                entry, line=signature.line + 1, line_at_ms=page.lines[signature.line].epoch_ms
            )
        return entry, ttl

    def _log_page(
        self, action: SessionAction, session: Session | None
    ) -> tuple[LogPage | None, float]:
        """The attempt's log window (None: unreadable) and how long its record is kept."""
        scope = self.scope
        attempt = Attempt(number=0, action=action)
        group, stream = log_location(
            farm_id=scope.farm_id,
            queue_id=scope.queue_id,
            session_id=action.session_id,
            session=session,
        )
        try:
            page = get_log_tail(
                farm_id=scope.farm_id,
                queue_id=scope.queue_id,
                session_id=action.session_id,
                start=attempt.log_start,
                end=attempt.log_end,
                group=group,
                stream=stream,
            )
        except LogNotFound:
            if action.ended_at is None or now() - action.ended_at < timedelta(minutes=5):
                return None, RETRY_SECONDS  # CloudWatch may still be ingesting it
            return None, entry_ttl()
        except DeadlineError as exc:
            logger.info("log of %s unreadable: %s", action.session_action_id, exc.message)
            return None, RETRY_SECONDS
        except Exception:  # one unreadable log must not stop the analysis of the others
            logger.exception("log of %s could not be read", action.session_action_id)
            return None, RETRY_SECONDS
        return page, entry_ttl()


class Batch:
    """Up to 100 failing attempts: BatchGetSessionAction and BatchGetSession run at once; each
    log read starts as soon as its action is known; an attempt's entry is stored once its
    signature and its worker are both known. Pool threads never wait on each other."""

    def __init__(self, reader: AttemptReader, rows: list[FailedTask]) -> None:
        self.reader = reader
        self.scope = reader.scope
        self.rows = {r.action_id: r for r in rows if r.action_id}
        self.lock = threading.Lock()
        self.sessions: dict[str, Session] | None = None
        self.pending: list[tuple[AttemptFailure, float, str]] = []  # entry, ttl, job ID
        # Log reads waiting for the sessions: GetSession's ``log.options`` say where to read.
        self.deferred: list[tuple[FailedTask, SessionAction, AttemptFailure]] = []

    def start(self) -> None:
        self.reader.submit(self._read_actions)
        self.reader.submit(self._read_sessions)

    def _wanted(self) -> dict[str, str]:
        return {action_id: row.job_id for action_id, row in self.rows.items()}

    def _read_sessions(self) -> None:
        wanted = {session_id_of(a): job for a, job in self._wanted().items()}
        try:
            found = batch_get(
                "BatchGetSession",
                "GetSession",
                "sessions",
                "sessionId",
                self.scope,
                wanted,
                Session,
            )
        except DeadlineError as exc:
            logger.info("sessions unreadable: %s", exc.message)
            found = {}  # workers stay unknown; the signatures still count
        self.reader.sessions_known(found)
        with self.lock:
            self.sessions = found
            deferred, self.deferred = self.deferred, []
        for args in deferred:
            self.reader.submit(self._read_log, *args, log=True)
        self._flush()

    def _read_actions(self) -> None:
        actions = batch_get(
            "BatchGetSessionAction",
            "GetSessionAction",
            "sessionActions",
            "sessionActionId",
            self.scope,
            self._wanted(),
            SessionAction,
        )
        ready = []
        for action_id, row in self.rows.items():
            action = actions.get(action_id)
            if action is None:
                # Unreadable now (expired, or an error): counted as such, retried soon.
                entries = {(row.job_id, action_id): unreadable_entry(action_id)}
                store_attempts(self.scope, entries, RETRY_SECONDS)
                self.reader.progress.first.set()
                continue
            done = self._attempt(row, action)
            if done is not None:
                ready.append((done, entry_ttl(), row.job_id))
        with self.lock:
            self.pending += ready
        self._flush()

    def _attempt(self, row: FailedTask, action: SessionAction) -> AttemptFailure | None:
        """The attempt's record when it is known without its log; else its log read is
        submitted (or deferred until the sessions say where it is) and None."""
        entry = attempt_entry(action)
        setup = failed_setup(self.scope, row.job_id, action)
        if setup is not None:  # the cause is in the sync or environment that failed
            entry = replace(attempt_entry(setup), session_action_id=action.session_action_id)
            entry = replace(entry, failed_in=setup.kind)
            action = setup
        if action.status is not ActionStatus.FAILED:
            signature = signatures.status_signature(action.status.value, action.progress_message)
            return with_signature(entry, signature)
        if not self.reader.decide(row, action):
            signature = signatures.signature_of(
                None,
                exit_code=action.process_exit_code,
                message=action.progress_message,
                fallback_source=signatures.FROM_NOT_READ,
            )
            return with_signature(entry, signature)
        with self.lock:
            wait = self.sessions is None
            if wait:
                self.deferred.append((row, action, entry))
        if not wait:
            self.reader.submit(self._read_log, row, action, entry, log=True)
        return None

    def _read_log(self, row: FailedTask, action: SessionAction, entry: AttemptFailure) -> None:
        with self.lock:
            session = (self.sessions or {}).get(action.session_id)
        # Where GetSession says the log is (the sessions are in: reads wait for them); where
        # the convention puts it when a session has no log options or could not be read.
        entry, ttl = self.reader.log_entry(action, entry, session)
        with self.lock:
            self.pending.append((entry, ttl, row.job_id))
        self._flush()

    def _flush(self) -> None:
        """Store the entries whose worker is known (the sessions have been read)."""
        with self.lock:
            if self.sessions is None or not self.pending:
                return
            pending, self.pending = self.pending, []
            sessions = self.sessions
        by_ttl: dict[float, dict[tuple[str, str], AttemptFailure]] = defaultdict(dict)
        for entry, ttl, job_id in pending:
            session = sessions.get(entry.session_id)
            if session is not None:
                entry = replace(entry, worker_id=session.worker_id, host_name=session.host_name)
            by_ttl[ttl][(job_id, entry.session_action_id)] = entry
        for ttl, entries in by_ttl.items():
            store_attempts(self.scope, entries, ttl)
        self.reader.progress.first.set()
