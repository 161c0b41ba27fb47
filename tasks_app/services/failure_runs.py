"""Failure analyses on the task engine (docs/architecture.md), and requests that wait for them.

A page asks for the failure groups of a scope (``report``): what the shared cache holds is
grouped at once; when something is missing an analysis is queued for a worker, unless one is
queued or running anywhere (a lease per scope in the database: the same analysis never runs
twice at once). A request may wait for it, polling the lease a few times a second, but only
``DASHBOARD_FAILURES_WAITERS`` requests of a process at a time: one more that must wait
(``?wait=``) is told 503 with Retry-After, so waiting viewers never hold every thread.
``?logs=more`` reads more logs at most once per ``DASHBOARD_FAILURES_MORE_LOGS_SECONDS`` per
scope; the attempts already analysed are reused.

Without a broker (tests, a bare runserver) the analysis runs on this process's threads
(``failure_analysis.runner.start``) and waiting is on its progress instead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.core.cache import cache

from ..deadline.errors import Unavailable
from ..selectors import failures
from ..selectors.failures.records import FailureScope
from . import background
from .failure_analysis import reporting, runner
from .failure_analysis.state import Progress

logger = logging.getLogger(__name__)

#: How often a waiting request looks whether the analysis has finished.
POLL_SECONDS = 0.25
#: What a request told to come back later is told (seconds).
RETRY_AFTER = 2
TASK = "tasks_app.analyse_failures"


def lease_name(scope: FailureScope) -> str:
    return "failure-analysis:" + "/".join(scope.ids)


def lease_seconds() -> float:
    return float(settings.DASHBOARD_FAILURES_LEASE_SECONDS)


def report(
    scope: FailureScope,
    *,
    worker_id: str = "",
    wait_seconds: float | None = None,
    more_logs: bool = False,
    must_wait: bool = False,
) -> failures.FailureReport:
    """The failure groups of ``scope`` as far as they are known, after starting the analysis
    when something is missing and waiting up to ``wait_seconds`` (default
    DASHBOARD_FAILURES_FIRST_PAINT_SECONDS) for it. With ``must_wait``, Unavailable (503)
    when this process has no waiting slot left. Raises NotFound and other DeadlineErrors of
    the scope's own reads (the job, the step, the queue's jobs)."""
    if wait_seconds is None:
        wait_seconds = float(settings.DASHBOARD_FAILURES_FIRST_PAINT_SECONDS)
    runs = reporting.Runs(
        running=running,
        start=start,
        wait=lambda scope, progress, seconds: _wait(scope, progress, seconds, must_wait=must_wait),
        more_logs_allowed=_more_logs_allowed,
    )
    return reporting.report(
        scope, runs, worker_id=worker_id, wait_seconds=wait_seconds, more_logs=more_logs
    )


def _more_logs_allowed(scope: FailureScope) -> bool:
    """The first ask for more logs of a scope in a window starts a deeper analysis; the others
    read what it found (each would cost the API hundreds of calls)."""
    key = "failure-more-logs:" + "/".join(scope.ids)
    return bool(cache.add(key, 1, timeout=settings.DASHBOARD_FAILURES_MORE_LOGS_SECONDS))


# --- Starting, and knowing it runs ----------------------------------------------------------


def running(scope: FailureScope) -> Progress | None:
    """The analysis of ``scope`` under way: this process's, or (with a broker) anywhere's."""
    if background.in_process():
        return runner.running(scope)
    return Progress() if background.held(lease_name(scope)) else None


def start(scope: FailureScope, *, more_logs: bool = False) -> Progress | None:
    """Queue an analysis of ``scope`` unless one is queued or running; its progress (here, or
    a stand-in for one elsewhere), or None when it could not be queued."""
    if background.in_process():
        return runner.start(scope, more_logs=more_logs)
    name = lease_name(scope)
    ticket = background.new_owner()
    if not background.acquire(name, seconds=lease_seconds(), owner=ticket):
        return Progress()  # queued or running elsewhere
    try:
        background.enqueue(TASK, scope=asdict(scope), ticket=ticket, more_logs=more_logs)
    except Exception:  # the broker is down: say nothing runs, the next view tries again
        logger.warning("failure analysis of %s not queued", name, exc_info=True)
        background.release(name, owner=ticket)
        return None
    return Progress()


def run_queued(scope: Mapping[str, Any], *, ticket: str, more_logs: bool) -> str:
    """A worker's task: run the analysis if ``ticket`` still holds its lease or the lease
    lapsed (its worker was killed); TAKEN, BUSY (a live worker runs it) or GONE (done)."""
    failure_scope = FailureScope(**scope)
    name = lease_name(failure_scope)
    state, owner = background.take_over(name, ticket=ticket, seconds=lease_seconds())
    if state != background.TAKEN:
        return state
    try:
        with background.Heartbeat(name, owner=owner, seconds=lease_seconds()):
            runner.run_here(failure_scope, more_logs=more_logs)
    finally:
        background.release(name, owner=owner)
    return state


# --- Waiting ---------------------------------------------------------------------------------


class _Slots:
    """How many requests of this process wait at once, at most DASHBOARD_FAILURES_WAITERS."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.taken = 0

    def take(self) -> bool:
        with self._lock:
            if self.taken >= int(settings.DASHBOARD_FAILURES_WAITERS):
                return False
            self.taken += 1
            return True

    def give_back(self) -> None:
        with self._lock:
            self.taken -= 1


_slots = _Slots()


def waiting() -> int:
    """Requests of this process waiting for an analysis now."""
    return _slots.taken


def _wait(scope: FailureScope, progress: Progress, seconds: float, *, must_wait: bool) -> None:
    """Wait up to ``seconds`` for the analysis to end, polling, if a waiting slot is free."""
    if not _slots.take():
        if must_wait:
            raise Unavailable(
                "Too many requests of this process are waiting for failure analyses: ask "
                "again shortly, or without ?wait= for what is known now.",
                reason="busy",
                retry_after=RETRY_AFTER,
            )
        return
    try:
        deadline = time.monotonic() + seconds
        name = lease_name(scope)
        while (left := deadline - time.monotonic()) > 0:
            if background.in_process():
                if progress.done.wait(min(POLL_SECONDS, left)):
                    return
            elif not background.held(name):
                progress.done.set()
                return
            else:
                # A short poll of the lease: the analysis runs in a worker, maybe elsewhere.
                time.sleep(min(POLL_SECONDS, left))
    finally:
        _slots.give_back()
