"""Running failure analyses on this process's threads: one per scope at a time across
processes (a lease in the shared cache), on bounded pools every analysis shares, with the
progress a waiting request watches. With a broker the workers run them instead
(``services.failure_runs``), each in its own thread (``run_here``)."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings

from ...deadline.cache import claim, release
from ...deadline.errors import DeadlineError
from ...deadline.resilience import ContextThreadPoolExecutor
from ...selectors.failures.records import FailureScope
from ...selectors.failures.store import LEASE_SECONDS
from .analysis import Analysis
from .state import Pools, Progress

logger = logging.getLogger(__name__)

_RUN = "failure-run"
#: Threads per process for the listing and batch reads, apart from the log reads so they
#: never queue behind them (DASHBOARD_FAILURES_CONCURRENCY sizes the log reads' pool).
META_THREADS = 4


_pools_now: Pools | None = None
_pools_lock = threading.Lock()
_runs: dict[tuple[str, ...], Progress] = {}
_runs_lock = threading.Lock()


def pools() -> Pools:
    """The bounded pools every analysis of this process shares (created on first use, again
    if DASHBOARD_FAILURES_CONCURRENCY changed). Their tasks never wait on anything."""
    global _pools_now  # one set per process
    size = int(settings.DASHBOARD_FAILURES_CONCURRENCY)
    with _pools_lock:
        if _pools_now is None or _pools_now.size != size:
            _pools_now = Pools(
                size=size,
                logs=ContextThreadPoolExecutor(max_workers=size, thread_name_prefix="failure-log"),
                meta=ContextThreadPoolExecutor(
                    max_workers=META_THREADS, thread_name_prefix="failure-read"
                ),
                runs=ThreadPoolExecutor(max_workers=4, thread_name_prefix="failure-run"),
            )
        return _pools_now


def running(scope: FailureScope) -> Progress | None:
    """This process's analysis of ``scope`` if one is under way."""
    with _runs_lock:
        progress = _runs.get(scope.ids)
    return progress if progress is not None and not progress.done.is_set() else None


def start(scope: FailureScope, *, more_logs: bool = False) -> Progress | None:
    """Start an analysis of ``scope`` unless one runs (here: returned; in another process:
    None, its progress shows through the cache). With a broker, never here: the workers run
    analyses (services.failure_runs), under a lease this process's threads would not hold."""
    if not settings.DASHBOARD_TASKS_IN_PROCESS:
        return None
    with _runs_lock:
        progress = _runs.get(scope.ids)
        if progress is not None and not progress.done.is_set():
            return progress
        if not claim(_RUN, scope.ids, LEASE_SECONDS):
            return None
        progress = _runs[scope.ids] = Progress()
    pools().runs.submit(_run, scope, progress, more_logs)
    return progress


def run_here(scope: FailureScope, *, more_logs: bool = False) -> Progress:
    """Run an analysis of ``scope`` in the calling thread, to its end: a worker's task, which
    holds the scope's lease itself (services.failure_runs)."""
    progress = Progress()
    _run(scope, progress, more_logs, claimed=False)
    return progress


def _run(scope: FailureScope, progress: Progress, more_logs: bool, *, claimed: bool = True) -> None:
    try:
        Analysis(scope, progress, pools(), more_logs=more_logs).run()
    except DeadlineError as exc:
        progress.error = exc
        logger.warning("failure analysis of %s stopped: %s", "/".join(scope.ids), exc.message)
    except Exception:  # a bug must not leave the page polling forever
        logger.exception("failure analysis of %s failed", "/".join(scope.ids))
        progress.error = DeadlineError("The analysis stopped on an unexpected error.")
    finally:
        if claimed:
            release(_RUN, scope.ids)
        progress.listed.set()
        progress.first.set()
        progress.done.set()


def wait(progress: Progress | None, seconds: float, *, until: str = "done") -> None:
    """Wait at most ``seconds`` for ``progress`` to reach a stage ("listed", "first", "done")."""
    if progress is None or seconds <= 0:
        return
    event = {"listed": progress.listed, "first": progress.first}.get(until, progress.done)
    event.wait(seconds)


def drain(timeout: float = 60.0) -> bool:
    """Wait for every analysis of this process, and every read they started, to end, and
    forget them (tests: nothing a test started outlives it). False if one is still running
    after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    with _runs_lock:
        runs = list(_runs.values())
    for progress in runs:
        progress.done.wait(max(0.0, deadline - time.monotonic()))
    finished = all(progress.done.is_set() for progress in runs)
    current = _pools_now
    if current is not None:
        # An analysis that stopped on an error may leave reads it no longer waits for.
        for pool in (current.meta, current.logs):
            finished = pool.wait_idle(max(0.0, deadline - time.monotonic())) and finished
    with _runs_lock:
        _runs.clear()
    return finished
