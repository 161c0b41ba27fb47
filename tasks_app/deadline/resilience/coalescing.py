"""Single-flight: concurrent reads of one key in one process make one call; the others wait
for its answer (or its error), bounded."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class SingleFlight:
    """Concurrent calls for one key in one process: the first runs, the others wait for its
    result (or its error), at most ``timeout`` seconds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: dict[str, Future[Any]] = {}
        self._waiting = 0

    def run(self, key: str, fn: Callable[[], T], timeout: float) -> tuple[T, bool]:
        """``(result, coalesced)``; raises the leader's error, or TimeoutError."""
        with self._lock:
            future = self._calls.get(key)
            leader = future is None
            if leader:
                future = self._calls[key] = Future()
        assert future is not None
        if not leader:
            with self._lock:
                self._waiting += 1
            try:
                return future.result(timeout=timeout), True
            finally:
                with self._lock:
                    self._waiting -= 1
        try:
            result = fn()
        except BaseException as exc:
            future.set_exception(exc)
            raise
        else:
            future.set_result(result)
            return result, False
        finally:
            with self._lock:
                self._calls.pop(key, None)

    def waiters(self) -> int:
        """Callers waiting for another's result (tests await coalescing with it)."""
        with self._lock:
            return self._waiting


_flights = SingleFlight()


def flights() -> SingleFlight:
    """The process's single-flight table for cached reads."""
    return _flights


def coalesced_waiters() -> int:
    """Callers in this process waiting for another's read of the same key (tests await it)."""
    return _flights.waiters()
