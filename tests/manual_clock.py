"""A clock tests move by hand (``resilience.set_clock``): TTLs, stale windows and breaker
cool-downs pass without sleeping."""

from __future__ import annotations

import threading
import time


class ManualClock:
    """Wall and monotonic time that only ``advance`` moves (thread-safe)."""

    def __init__(self, start: float | None = None) -> None:
        self._lock = threading.Lock()
        self._now = time.time() if start is None else start

    def time(self) -> float:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        return self.time()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds
