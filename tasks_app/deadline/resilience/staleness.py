"""What one request served from stale data (the page's banner): recorded by reads that stood
in a last good answer for a failed refresh, from any thread of the read pool."""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass
class StaleReport:
    """What one request served from stale data: the oldest answer's time and why."""

    oldest_at: float | None = None
    reasons: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, at: float, reason: str) -> None:
        with self._lock:  # concurrent reads of one page record from pool threads
            if self.oldest_at is None or at < self.oldest_at:
                self.oldest_at = at
            self.reasons.add(reason)

    @property
    def stale(self) -> bool:
        return self.oldest_at is not None

    @property
    def since(self) -> datetime | None:
        return None if self.oldest_at is None else datetime.fromtimestamp(self.oldest_at, UTC)

    @property
    def cause(self) -> str:
        """Banner wording: "throttling" or "unavailable"."""
        return "throttling" if "throttled" in self.reasons else "unavailable"


_report: contextvars.ContextVar[StaleReport | None] = contextvars.ContextVar(
    "dashboard_stale_report", default=None
)


def current_report() -> StaleReport:
    """This request's staleness (an empty report outside a request)."""
    return _report.get() or StaleReport()


@contextmanager
def request_scope() -> Iterator[StaleReport]:
    """A fresh StaleReport for the duration of one request (the middleware; tests)."""
    report = StaleReport()
    token = _report.set(report)
    try:
        yield report
    finally:
        _report.reset(token)


def record_stale(at: float, reason: str) -> None:
    """Note in this request's report that an answer fetched at ``at`` stood in (``reason``)."""
    report = _report.get()
    if report is not None:
        report.record(at, reason)
