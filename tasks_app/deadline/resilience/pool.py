"""The process's pool for the reads one page makes concurrently: its tasks run in the
submitter's context (so they record staleness into that page's request), and it knows its
unfinished tasks (so tests can wait until none is left)."""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from typing import Any, TypeVar

T = TypeVar("T")


class ContextThreadPoolExecutor(ThreadPoolExecutor):
    """A pool whose tasks run in the submitter's context, so reads made concurrently for one
    page record staleness into that page's request (contextvars don't cross threads alone).

    It knows its unfinished tasks, so a caller can wait until none is left (``wait_idle``): a
    read whose page gave up on it (an error elsewhere) still runs to its end.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pending: set[Future[Any]] = set()
        self._pending_lock = threading.Lock()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        context = contextvars.copy_context()
        future = super().submit(context.run, fn, *args, **kwargs)
        with self._pending_lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[Any]) -> None:
        with self._pending_lock:
            self._pending.discard(future)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every task submitted so far, and any they submit, has ended; False if
        some is still running after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            with self._pending_lock:
                pending = list(self._pending)
            if not pending:
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            futures_wait(pending, timeout=left)


_read_pool: ContextThreadPoolExecutor | None = None
_read_pool_lock = threading.Lock()


def read_pool() -> ContextThreadPoolExecutor:
    """The process's pool for reads one page makes concurrently (created on first use).

    Pool threads must never wait on the pool themselves: that can deadlock under load.
    """
    global _read_pool  # one lazily created pool per process
    if _read_pool is None:
        with _read_pool_lock:
            if _read_pool is None:
                _read_pool = ContextThreadPoolExecutor(
                    max_workers=16, thread_name_prefix="deadline-read"
                )
    return _read_pool


def drain_reads(timeout: float = 60.0) -> bool:
    """Wait until no read of ``read_pool()`` is running (tests: nothing a test started
    outlives it); False if one still is after ``timeout`` seconds."""
    pool = _read_pool
    return pool is None or pool.wait_idle(timeout)
