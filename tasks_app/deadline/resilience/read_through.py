"""Read-through: a fresh entry from the cache, else one refresh per key (per process, and
across processes with a shared cache), with the last good answer standing in while the API
is sick. The whole policy is in the package's docstring."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.conf import settings

from ..errors import Unavailable
from . import clocks
from .api_log import cache_state, log_cache
from .breakers import TRANSIENT_REASONS, CircuitOpen
from .coalescing import flights
from .entries import Entry, Failure, decode_entry, decode_failure, encode_entry, load, store_failure
from .locks import RedisLock
from .near import near_cache, near_seconds
from .prefetch import take_prefetched
from .staleness import record_stale
from .store import cache_op, shared_cache

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """A refresh's result, shared by coalesced callers; ``stale_reason`` set when the value
    is the last good one standing in for a failed refresh."""

    value: T
    at: float
    stale_reason: str | None = None


def stale_seconds() -> float:
    return float(settings.DEADLINE_STALE_SECONDS)


def wait_seconds() -> float:
    return float(settings.DEADLINE_COALESCE_WAIT_SECONDS)


def read_through(
    *,
    key: str,
    kind: str,
    ids: tuple[str, ...],
    ttl: float,
    fetch: Callable[[], T],
    encode: Callable[[T], Any],
    decode: Callable[[Any], T],
    marker: str | None = None,
) -> T:
    """The cached value for ``key`` (see the package docstring for the whole policy).

    ``marker`` names the invalidation marker of what the entry describes (``invalidate``).
    """
    near = near_seconds()
    if near:
        entry = near_cache().get(key)
        if fresh(entry, ttl):
            assert entry is not None
            log_cache("hit", kind, ids, entry.at, near=True)
            return entry.value  # the most frequent read of all: nothing more is built
    read = Read(key, kind, ids, ttl, fetch, encode, decode, marker)
    entry, failure = read.load()
    if near and entry is not None:
        near_cache().put(key, entry, near)
    if read.fresh(entry):
        assert entry is not None
        log_cache("hit", kind, ids, entry.at)
        return entry.value
    try:
        outcome, coalesced = flights().run(
            key, lambda: read.refresh(entry, failure), wait_seconds()
        )
    except TimeoutError:
        outcome = read.fallback(entry, read.timeout("Deadline Cloud did not answer"))
        coalesced = False
    if coalesced:
        log_cache("coalesced", kind, ids, outcome.at)
    if outcome.stale_reason is not None:
        record_stale(outcome.at, outcome.stale_reason)
    return outcome.value


def fresh(entry: Entry[Any] | None, ttl: float) -> bool:
    """Young enough to serve without asking the API, and not invalidated by an action."""
    return entry is not None and not entry.invalidated and clocks.clock().time() - entry.at < ttl


@dataclass(frozen=True)
class Read(Generic[T]):
    key: str
    kind: str
    ids: tuple[str, ...]
    ttl: float
    fetch: Callable[[], T]
    encode: Callable[[T], Any]
    decode: Callable[[Any], T]
    marker: str | None = None

    def load(self) -> tuple[Entry[T] | None, Failure | None]:
        """The entry and its failure: as prefetched with the others of its page (one round
        trip for all), else read now."""
        loaded = take_prefetched(self.key)
        if loaded is None:
            return load(self.key, self.decode, self.marker)
        entry = decode_entry(self.key, loaded.entry, self.decode, loaded.marker)
        return entry, decode_failure(loaded.failure)

    def usable(self, entry: Entry[T] | None) -> bool:
        """Good enough to stand in for a failed refresh (inside TTL + stale window)."""
        return entry is not None and clocks.clock().time() - entry.at <= self.ttl + stale_seconds()

    def fresh(self, entry: Entry[T] | None) -> bool:
        return fresh(entry, self.ttl)

    def timeout(self, who: str) -> Unavailable:
        return Unavailable(
            f"{who} a {self.kind} read within {wait_seconds():g} s "
            "(DEADLINE_COALESCE_WAIT_SECONDS).",
            reason="timeout",
        )

    def refresh(self, entry: Entry[T] | None, failure: Failure | None) -> Outcome[T]:
        """A new answer for an entry that is missing or past its TTL; ``failure`` is the one
        recorded for the key when the entry was read (it holds further calls off)."""
        if failure is not None:
            return self.fallback(entry, failure.as_error())
        if shared_cache():
            return self._refresh_shared(entry)
        return self._fetch_and_store(entry)

    def fallback(self, entry: Entry[T] | None, exc: Unavailable) -> Outcome[T]:
        """Serve the last good value for a transient failure, else raise it."""
        reason = exc.cause if isinstance(exc, CircuitOpen) else exc.reason
        if entry is None or reason not in TRANSIENT_REASONS or not self.usable(entry):
            raise exc
        log_cache("stale", self.kind, self.ids, entry.at, reason=reason)
        return Outcome(entry.value, entry.at, stale_reason=reason)

    def _fetch_and_store(self, entry: Entry[T] | None) -> Outcome[T]:
        token = cache_state.set("refresh" if entry is not None else "miss")
        # An answer is as old as its question: an action's invalidation made while the call
        # was under way must find this answer older than itself (``invalidate``).
        at = clocks.clock().time()
        try:
            value = self.fetch()
        except Unavailable as exc:
            if not isinstance(exc, CircuitOpen) and exc.reason in TRANSIENT_REASONS:
                store_failure(self.key, exc, self.ttl)
            return self.fallback(entry, exc)
        finally:
            cache_state.reset(token)
        # Kept past the TTL for the stale window; freshness is judged by "at", not by expiry.
        timeout = self.ttl + stale_seconds()
        cache_op("set", self.key, encode_entry(at, self.encode(value)), timeout=math.ceil(timeout))
        if near := near_seconds():
            near_cache().put(self.key, Entry(at=at, value=value), near)
        return Outcome(value, at)

    def _refresh_shared(self, entry: Entry[T] | None) -> Outcome[T]:
        """One refresh per key across processes, under a short Redis lock (``locks``). Without
        the lock, the previous answer stands in meanwhile if it can, else a value stored
        meanwhile is served, else the caller waits (bounded) for the holder to release the
        lock, or for it to expire if the holder died, and looks again."""
        wait = wait_seconds()
        lock = RedisLock(f"{self.key}:lock", wait)
        if not lock.acquire():
            if self.usable(entry):
                assert entry is not None
                return Outcome(entry.value, entry.at)
            latest, failure = load(self.key, self.decode, self.marker)
            if self.fresh(latest):
                assert latest is not None
                return Outcome(latest.value, latest.at)
            if failure is not None:
                raise failure.as_error()
            if not lock.acquire(wait=wait):
                raise self.timeout("Another dashboard process did not finish")
        try:
            # A second look: the previous holder may have just stored a fresh value.
            latest, failure = load(self.key, self.decode, self.marker)
            if self.fresh(latest):
                assert latest is not None
                return Outcome(latest.value, latest.at)
            if failure is not None:
                return self.fallback(latest or entry, failure.as_error())
            return self._fetch_and_store(latest or entry)
        finally:
            lock.release()


def invalidate(markers: list[str], *, keep_seconds: float) -> None:
    """Make every entry read with one of ``markers`` stale-but-not-fresh from now on, in every
    process sharing the cache: after an action, the next read of what it changed asks the
    API again instead of serving the cached answer for the rest of its TTL (other processes'
    near copies, within DEADLINE_NEAR_CACHE_SECONDS; this process's at once)."""
    now = repr(clocks.clock().time())
    cache_op("set_many", dict.fromkeys(markers, now), timeout=math.ceil(keep_seconds))
    near_cache().forget()
