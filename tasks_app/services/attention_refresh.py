"""Keeping the attention report ready without a request waiting for it: the first page (or
the header's count) of a process with no report starts one build in the background, and a
stale report is rebuilt behind the one served. One build at a time per process; builds in
other processes coalesce through the shared cache (``deadline.cache.cached_read``)."""

from __future__ import annotations

import logging
import threading
import time

from ..deadline.errors import DeadlineError
from ..selectors import attention
from ..selectors.attention.rules import refresh_seconds

logger = logging.getLogger(__name__)

#: After a failed build, the next starts no sooner than this (the count asks every minute).
RETRY_SECONDS = 60.0

_lock = threading.Lock()
_running: threading.Thread | None = None
_failed_at: float | None = None


def _build() -> None:
    global _failed_at
    try:
        attention.get_report()
    except DeadlineError as exc:
        logger.warning("the attention report could not be built: %s", exc.message)
        _failed_at = time.monotonic()
    except Exception:  # a background thread has nobody else to tell
        logger.exception("the attention report could not be built")
        _failed_at = time.monotonic()
    else:
        _failed_at = None


def failed_recently() -> bool:
    """The last build in this process failed less than RETRY_SECONDS ago."""
    return _failed_at is not None and time.monotonic() - _failed_at < RETRY_SECONDS


def start_building() -> bool:
    """Start a build in the background unless one runs in this process; True if started.
    ``get_report`` serves the cached report when it is fresh, so this is cheap then."""
    global _running
    with _lock:
        if (_running is not None and _running.is_alive()) or failed_recently():
            return False
        _running = threading.Thread(target=_build, name="attention-report", daemon=True)
        _running.start()
        return True


def reset() -> None:
    """Forget a failed build (tests; a process that was told the API is back)."""
    global _failed_at
    _failed_at = None


def wait(timeout: float) -> bool:
    """Wait up to ``timeout`` seconds for this process's build; True when none runs."""
    with _lock:
        running = _running
    if running is not None:
        running.join(timeout)
        return not running.is_alive()
    return True


def ready_report() -> attention.AttentionReport | None:
    """The report as last built, at once (None before the first build, which this starts);
    a stale one is served while its successor builds."""
    report = attention.last_report()
    if report is None or _stale(report):
        start_building()
    return report


def _stale(report: attention.AttentionReport) -> bool:
    age = (attention.now() - report.checked_at).total_seconds()
    return age >= refresh_seconds()
