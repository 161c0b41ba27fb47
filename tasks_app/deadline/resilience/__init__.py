"""Surviving a sick API: stale-while-error, request coalescing and circuit breakers. This
package's modules each hold one part; the names other code uses are re-exported here.

``read_through`` (``read_through.py``) is what ``cache.cached_read`` delegates to:

1. A fresh entry (younger than its TTL) is served from the cache. With a shared cache (Redis),
   each process keeps what it read there for at most ``DEADLINE_NEAR_CACHE_SECONDS`` (the near
   cache, ``near.py``): a hot key costs one Redis round trip per process per bound.
2. Otherwise one caller per key and process refreshes it (single-flight, ``coalescing.py``);
   the others wait for that answer (bounded). With a shared cache, one caller per key across
   every process refreshes it, holding a short redis-py lock (``locks.py``); the others serve
   the previous value meanwhile, or wait for the lock and look again.
3. When the refresh fails because the API is throttling, failing, slow or unreachable (or the
   circuit breaker for that kind of call is open, ``breakers.py``), the last good answer is
   served for up to ``DEADLINE_STALE_SECONDS`` and the request is marked stale (``staleness``:
   the page shows a banner). Only with no good answer at all does the error reach the view
   (503 with Retry-After).

Clocks are injectable (``clocks.set_clock``) so tests never sleep. Reads made concurrently
for one page share ``pool.read_pool()``, whose tasks run in the submitter's context.
"""

from __future__ import annotations

from .api_log import log_api_call
from .breakers import (
    MAX_RESOURCE_BREAKERS,
    TRANSIENT_REASONS,
    CallBreakers,
    CircuitBreaker,
    CircuitOpen,
    breaker_for,
    breakers_for,
    reset_breakers,
)
from .clocks import Clock, clock, set_clock
from .coalescing import coalesced_waiters
from .entries import peek
from .locks import HeldLock, lock
from .near import NearCache, near_cache
from .pool import ContextThreadPoolExecutor, drain_reads, read_pool
from .prefetch import prefetched
from .read_through import invalidate, read_through
from .staleness import StaleReport, current_report, request_scope
from .store import CACHE_PAUSE_SECONDS, delete, get_many, reset_pause, set_many, shared_cache

__all__ = [
    "CACHE_PAUSE_SECONDS",
    "MAX_RESOURCE_BREAKERS",
    "TRANSIENT_REASONS",
    "CallBreakers",
    "CircuitBreaker",
    "CircuitOpen",
    "Clock",
    "ContextThreadPoolExecutor",
    "HeldLock",
    "NearCache",
    "StaleReport",
    "breaker_for",
    "breakers_for",
    "clock",
    "coalesced_waiters",
    "current_report",
    "delete",
    "drain_reads",
    "get_many",
    "invalidate",
    "lock",
    "log_api_call",
    "near_cache",
    "peek",
    "prefetched",
    "read_pool",
    "read_through",
    "request_scope",
    "reset",
    "set_clock",
    "set_many",
    "shared_cache",
]


def reset() -> None:
    """Forget breakers, near copies and a paused cache (tests; settings changed at run time)."""
    reset_breakers()
    near_cache().forget()
    reset_pause()
