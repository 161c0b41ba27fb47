"""The clock freshness, stale windows and breaker cool-downs are measured with: the system's,
or one a test moves by hand (``set_clock``), so no test sleeps."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def time(self) -> float: ...  # wall clock (epoch seconds): cache entries' "at"

    def monotonic(self) -> float: ...  # breaker cool-downs, near copies, pauses


class SystemClock:
    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


_clock: Clock = SystemClock()


def clock() -> Clock:
    """The clock in use (system, or a test's)."""
    return _clock


def set_clock(clock: Clock | None) -> Clock:
    """Use ``clock`` for freshness and cool-downs (tests); None restores the system clock.
    Returns the previous clock."""
    global _clock  # one clock per process, swapped only by tests
    previous = _clock
    _clock = clock if clock is not None else SystemClock()
    return previous
