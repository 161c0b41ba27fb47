"""The emulator's clock: wall-clock time by default, pinnable and advanceable for tests.

The demo world's state is a pure function of (seed, clock) plus explicit UpdateTask calls,
so every process that reads the same clock agrees on what the farm is doing.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime


def parse_instant(value: str) -> float:
    """Parse an ISO 8601 instant (``2026-11-29T10:00:00Z``) into epoch seconds."""
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


class Clock:
    """Epoch-seconds clock. ``pin`` freezes it, ``advance`` moves it, ``unpin`` lets it run."""

    def __init__(self, pinned_at: float | None = None) -> None:
        self._lock = threading.Lock()
        self._pinned: float | None = pinned_at
        self._offset = 0.0

    def now(self) -> float:
        pinned = self._pinned
        if pinned is not None:
            return pinned
        return time.time() + self._offset

    def now_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.now(), tz=UTC)

    def pin(self, at: float | datetime | str | None = None) -> float:
        """Freeze the clock at ``at`` (default: now) and return the pinned instant."""
        if isinstance(at, str):
            at = parse_instant(at)
        elif isinstance(at, datetime):
            at = at.timestamp()
        with self._lock:
            self._pinned = self.now() if at is None else float(at)
            return self._pinned

    def advance(self, seconds: float) -> float:
        """Move the clock forward (pinned or running) and return the new now."""
        with self._lock:
            if self._pinned is not None:
                self._pinned += seconds
            else:
                self._offset += seconds
            return self.now()

    def unpin(self) -> None:
        with self._lock:
            if self._pinned is not None:
                self._offset = self._pinned - time.time()
            self._pinned = None

    @property
    def is_pinned(self) -> bool:
        return self._pinned is not None
