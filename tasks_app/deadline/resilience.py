"""Surviving a sick API: stale-while-error, request coalescing and a circuit breaker.

``read_through`` is what ``cache.cached_read`` delegates to:

1. A fresh entry (younger than its TTL) is served from the cache. With a shared cache (Redis),
   each process keeps what it read there for at most ``DEADLINE_NEAR_CACHE_SECONDS`` (the near
   cache): a hot key costs one Redis round trip per process per bound, not one per request.
2. Otherwise one caller per key and process refreshes it (single-flight); the others wait for
   that answer (bounded). With a shared cache (Redis), one caller per key across every process
   refreshes it, holding a short lock; the others serve the previous value meanwhile, or wait
   for the new one to land.
3. When the refresh fails because the API is throttling, failing, slow or unreachable (or the
   circuit breaker for that kind of call is open), the last good answer is served for up to
   ``DEADLINE_STALE_SECONDS`` and the request is marked stale (the page shows a banner). Only
   with no good answer at all does the error reach the view (503 with Retry-After).

The circuit breakers (per process: one per family of operations, and one per resource the call
names, such as a log stream or a task) are checked by ``calls.call_api`` before every API
call: one broken resource pauses calls for it alone, a sick service pauses its family.
Clocks are injectable (``set_clock``) so tests never sleep. Reads made concurrently for one
page share ``read_pool()``, whose tasks run in the submitter's context.
"""

from __future__ import annotations

import contextvars
import json
import logging
import math
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.signals import setting_changed
from django.dispatch import receiver
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .errors import Unavailable

T = TypeVar("T")

logger = logging.getLogger("tasks_app.cache")
api_logger = logging.getLogger("tasks_app.api")

#: Unavailable reasons that mean "the API is sick right now": stale data may stand in, and
#: they count towards opening the circuit breaker. Credentials/configuration problems need an
#: operator, so they are shown, not masked.
TRANSIENT_REASONS = frozenset({"throttled", "server-error", "timeout", "unreachable"})


# --- Clock -------------------------------------------------------------------------------------


class Clock(Protocol):
    def time(self) -> float: ...  # wall clock (epoch seconds): cache entries' "at"

    def monotonic(self) -> float: ...  # breaker cool-downs


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


# --- Per-request staleness ---------------------------------------------------------------------


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


def _record_stale(at: float, reason: str) -> None:
    report = _report.get()
    if report is not None:
        report.record(at, reason)


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


# --- Circuit breaker ---------------------------------------------------------------------------

#: Operation -> family; a family's calls share one breaker (one throttled quota or one sick
#: backend rarely affects only one operation of it).
_FAMILIES = {
    "tasks": ("GetTask", "BatchGetTask", "SearchTasks", "ListTasks"),
    "names": ("GetFarm", "GetQueue", "GetJob", "GetStep", "BatchGetJob", "BatchGetStep"),
    "lists": ("ListFarms", "ListQueues", "ListJobs", "ListSteps", "SearchJobs", "SearchSteps"),
    "sessions": (
        "GetSession",
        "GetSessionAction",
        "BatchGetSession",
        "BatchGetSessionAction",
        "ListSessions",
        "ListSessionActions",
        "ListSessionsForWorker",
        "GetWorker",
        "GetFleet",
    ),
    "logs": ("GetLogEvents", "FilterLogEvents"),
    "farm": ("ListFleets", "ListWorkers", "SearchWorkers", "BatchGetWorker"),
    "scheduling": (
        "ListQueueFleetAssociations",
        "ListQueueLimitAssociations",
        "ListLimits",
        "ListBudgets",
        "GetBudget",
        "ListStepDependencies",
        "ListStepConsumers",
    ),
    "usage": ("StartSessionsStatisticsAggregation", "GetSessionsStatisticsAggregation"),
}
_FAMILY_OF = {operation: family for family, ops in _FAMILIES.items() for operation in ops}


#: Failure reasons that speak for the whole service (a throttled quota, an unreachable
#: endpoint); a 5xx or a timeout may be one resource's own trouble (one stream that cannot be
#: served), so those pause a family only once they come from more than one resource.
SERVICE_WIDE_REASONS = frozenset({"throttled", "unreachable"})
#: Request members naming the resource a call reads, outermost first.
_RESOURCE_MEMBERS = (
    "farmId",
    "queueId",
    "fleetId",
    "workerId",
    "jobId",
    "stepId",
    "taskId",
    "sessionId",
    "sessionActionId",
    "logGroupName",
    "logGroupIdentifier",
    "logStreamName",
)
#: Resource breakers kept per process (least recently used forgotten first).
MAX_RESOURCE_BREAKERS = 1024


def family_of(operation: str) -> str:
    """The breaker family of an operation; writes and unknown reads get their own."""
    if operation in _FAMILY_OF:
        return _FAMILY_OF[operation]
    if operation.startswith(("Update", "Create", "Delete", "Put", "BatchUpdate")):
        return "writes"
    return operation


class CircuitOpen(Unavailable):
    """The breaker refused the call: no API call was made. ``cause`` is the last failure's
    reason (e.g. ``throttled``)."""

    def __init__(
        self, family: str, cause: str, retry_after: float, failures: int, resource: str = ""
    ) -> None:
        self.family = family
        self.cause = cause
        self.resource = resource
        # The most specific ID names it (a session's log stream, a task): the rest is its path.
        what = f"its {family} calls"
        if resource:
            what += f" for {resource.rsplit('/', 1)[-1]}"
        super().__init__(
            f"Deadline Cloud failed {failures} times in a row ({cause}); the dashboard pauses "
            f"{what} for {math.ceil(retry_after)} s to let it recover.",
            reason="circuit-open",
            retry_after=math.ceil(retry_after),
        )


class CircuitBreaker:
    """Closed -> open after ``threshold`` consecutive transient failures -> after ``cooldown``
    seconds half-open (one probe call goes through) -> closed on success, open on failure.

    ``spread``: how many distinct resources those failures must come from before it opens (a
    family's breaker asks two, so one broken resource cannot pause the whole family); a
    service-wide failure (``resource=None``) counts as spread on its own.
    """

    def __init__(
        self,
        family: str,
        *,
        threshold: int,
        cooldown: float,
        clock: Callable[[], Clock] = lambda: _clock,
        spread: int = 1,
        resource: str = "",
    ) -> None:
        self.family = family
        self.resource = resource
        self.threshold = max(1, threshold)
        self.cooldown = cooldown
        self.spread = max(1, spread)
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._sources: set[str] = set()
        self._service_wide = False
        self._opened_at: float | None = None
        self._probing = False
        self._cause = ""

    @property
    def state(self) -> str:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            if self._probing or self._remaining() <= 0:
                return "half-open"
            return "open"

    def _remaining(self) -> float:
        assert self._opened_at is not None
        return self._opened_at + self.cooldown - self._clock().monotonic()

    def before_call(self) -> bool:
        """Raise CircuitOpen unless a call may go out now (closed, or the half-open probe);
        True when this call is the probe."""
        with self._lock:
            if self._opened_at is None:
                return False
            if self._probing:
                # One probe at a time; the others come back shortly.
                raise self._refusal(1)
            remaining = self._remaining()
            if remaining > 0:
                raise self._refusal(remaining)
            self._probing = True
            return True

    def _refusal(self, retry_after: float) -> CircuitOpen:
        return CircuitOpen(self.family, self._cause, retry_after, self._failures, self.resource)

    def record_success(self) -> None:
        """The API answered (errors such as NotFound included): close."""
        with self._lock:
            if self._opened_at is not None:
                logger.info("breaker=%s resource=%s state=closed", self.family, self._name())
            self._failures = 0
            self._sources.clear()
            self._service_wide = False
            self._opened_at = None
            self._probing = False

    def record_failure(self, reason: str, resource: str | None = None) -> None:
        """A transient failure (throttled, 5xx, timeout, unreachable) of a call naming
        ``resource`` (None: a failure of the whole service)."""
        with self._lock:
            self._cause = reason
            self._failures += 1
            if resource is None:
                self._service_wide = True
            elif len(self._sources) < self.spread:
                self._sources.add(resource)
            spread = self._service_wide or len(self._sources) >= self.spread
            if self._probing or (
                self._opened_at is None and self._failures >= self.threshold and spread
            ):
                self._opened_at = self._clock().monotonic()
                self._probing = False
                logger.warning(
                    "breaker=%s resource=%s state=open failures=%d cause=%s cooldown_s=%g",
                    self.family,
                    self._name(),
                    self._failures,
                    reason,
                    self.cooldown,
                )

    def _name(self) -> str:
        return self.resource or "-"

    def release_probe(self) -> None:
        """The probe ended without an answer either way (an unexpected error): allow another."""
        with self._lock:
            self._probing = False


@dataclass(frozen=True)
class CallBreakers:
    """The two breakers one call answers to: its family's, and its resource's (if it names
    one). Both must let it through; both hear how it went."""

    family: CircuitBreaker
    resource: CircuitBreaker | None

    def before_call(self) -> None:
        probing = self.family.before_call()
        if self.resource is not None:
            try:
                self.resource.before_call()
            except CircuitOpen:
                if probing:
                    self.family.release_probe()
                raise

    def record_success(self) -> None:
        self.family.record_success()
        if self.resource is not None:
            self.resource.record_success()

    def record_failure(self, reason: str) -> None:
        resource = self.resource
        wide = resource is None or reason in SERVICE_WIDE_REASONS
        self.family.record_failure(reason, None if wide else resource.resource)
        if resource is not None:
            resource.record_failure(reason)

    def release_probe(self) -> None:
        self.family.release_probe()
        if self.resource is not None:
            self.resource.release_probe()


_breakers: dict[str, CircuitBreaker] = {}
_resource_breakers: OrderedDict[tuple[str, str], CircuitBreaker] = OrderedDict()
_breakers_lock = threading.Lock()


def resource_of(params: Mapping[str, Any]) -> str:
    """The resource a call names (``farm-…/queue-…/job-…``, a log group and stream), or ""
    for calls naming none on their own (BatchGet*, ListFarms)."""
    return "/".join(
        str(params[member])
        for member in _RESOURCE_MEMBERS
        if isinstance(params.get(member), str) and params[member]
    )


def breaker_for(operation: str, resource: str = "") -> CircuitBreaker:
    """This process's breaker for the operation's family, or for one resource of it (created
    on first use)."""
    family = family_of(operation)
    if resource:
        return _resource_breaker(family, resource)
    breaker = _breakers.get(family)
    if breaker is None:
        with _breakers_lock:
            breaker = _breakers.get(family)
            if breaker is None:
                breaker = _breakers[family] = CircuitBreaker(
                    family,
                    threshold=settings.DEADLINE_BREAKER_FAILURES,
                    cooldown=settings.DEADLINE_BREAKER_COOLDOWN_SECONDS,
                    spread=min(2, settings.DEADLINE_BREAKER_FAILURES),
                )
    return breaker


def _resource_breaker(family: str, resource: str) -> CircuitBreaker:
    key = (family, resource)
    with _breakers_lock:
        breaker = _resource_breakers.get(key)
        if breaker is None:
            breaker = _resource_breakers[key] = CircuitBreaker(
                family,
                threshold=settings.DEADLINE_BREAKER_FAILURES,
                cooldown=settings.DEADLINE_BREAKER_COOLDOWN_SECONDS,
                resource=resource,
            )
            if len(_resource_breakers) > MAX_RESOURCE_BREAKERS:
                _resource_breakers.popitem(last=False)
        else:
            _resource_breakers.move_to_end(key)
    return breaker


def breakers_for(operation: str, params: Mapping[str, Any]) -> CallBreakers:
    """The breakers of one call: its family's, and the resource's it names."""
    resource = resource_of(params)
    return CallBreakers(
        family=breaker_for(operation),
        resource=breaker_for(operation, resource) if resource else None,
    )


def reset() -> None:
    """Forget breakers, near copies, in-flight state and a paused cache (tests; settings
    changed at run time)."""
    global _cache_paused_until  # see _cache_op
    with _breakers_lock:
        _breakers.clear()
        _resource_breakers.clear()
    _near.forget()
    _cache_paused_until = 0.0


# --- Logging -----------------------------------------------------------------------------------

_cache_state: contextvars.ContextVar[str] = contextvars.ContextVar(
    "dashboard_cache_state", default="none"
)


def log_api_call(
    operation: str, params: Mapping[str, Any], ms: float, outcome: str, retries: int | None
) -> None:
    """One line per API call: operation, resource IDs, latency, outcome, retries and why the
    call was made (cache miss, refresh of an expired entry, or uncached). Only *Id members of
    the request are logged: never tokens, credentials or headers."""
    ids = ",".join(str(v) for k, v in params.items() if k.endswith("Id") and isinstance(v, str))
    api_logger.log(
        logging.INFO if outcome == "ok" else logging.WARNING,
        "api op=%s ids=%s ms=%.1f outcome=%s retries=%s cache=%s",
        operation,
        ids or "-",
        ms,
        outcome,
        "-" if retries is None else retries,
        _cache_state.get(),
    )


def _log_cache(state: str, kind: str, ids: tuple[str, ...], at: float | None, **extra: Any) -> None:
    level = logging.WARNING if state == "stale" else logging.DEBUG
    if not logger.isEnabledFor(level):  # every cached read passes here: format nothing
        return
    age = "-" if at is None else f"{max(0.0, _clock.time() - at):.1f}"
    details = "".join(f" {k}={v}" for k, v in extra.items())
    logger.log(
        level, "cache=%s kind=%s ids=%s age_s=%s%s", state, kind, ",".join(ids), age, details
    )


# --- Read-through with stale-while-error and coalescing ----------------------------------------


@dataclass(frozen=True)
class _Entry(Generic[T]):
    at: float
    value: T
    # An action changed what this answer describes after it was fetched (``invalidate``):
    # never fresh again, though it may still stand in while the API is sick.
    invalidated: bool = False


@dataclass(frozen=True)
class _Outcome(Generic[T]):
    """A refresh's result, shared by coalesced callers; ``stale_reason`` set when the value
    is the last good one standing in for a failed refresh."""

    value: T
    at: float
    stale_reason: str | None = None


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


class NearCache:
    """This process's copies of entries it read from (or stored in) the shared cache, each
    served for at most ``bound`` seconds after that, and only while fresh by its own TTL.

    The bound is what another process's change (a refresh, an invalidation) may take to be
    seen here; freshness is unchanged (an entry's age still counts from its fetch), and a miss
    or an expired entry goes to the shared cache as before, so refreshes stay coalesced across
    processes. Entries are dropped oldest first: each is (re)inserted when read or stored.
    """

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, _Entry[Any]]] = OrderedDict()

    def get(self, key: str, bound: float) -> _Entry[Any] | None:
        """The entry kept for ``key`` if it was read less than ``bound`` seconds ago."""
        found = self._entries.get(key)
        if found is None or _clock.monotonic() - found[0] >= bound:
            return None
        return found[1]

    def put(self, key: str, entry: _Entry[Any], bound: float) -> None:
        now = _clock.monotonic()
        with self._lock:
            self._entries.pop(key, None)
            self._entries[key] = (now, entry)
            # Oldest first: drop what has outlived the bound, and anything over the size.
            while self._entries:
                oldest_key, (kept_at, _) = next(iter(self._entries.items()))
                if now - kept_at < bound and len(self._entries) <= self.max_entries:
                    break
                del self._entries[oldest_key]

    def forget(self, key: str | None = None) -> None:
        """Drop one key's copy, or every copy (tests; settings changed)."""
        with self._lock:
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)


_near = NearCache()


def near_cache() -> NearCache:
    """The process's near cache (tests inspect and clear it)."""
    return _near


def _near_seconds() -> float:
    """How long a copy of a shared entry is served here; 0 without a shared cache (the
    per-process cache is near already) or when DEADLINE_NEAR_CACHE_SECONDS is 0."""
    bound = float(settings.DEADLINE_NEAR_CACHE_SECONDS)
    return bound if bound > 0 and shared_cache() else 0.0


def coalesced_waiters() -> int:
    """Callers in this process waiting for another's read of the same key (tests await it)."""
    return _flights.waiters()


_process_cache: Any = None
_process_cache_lock = threading.Lock()


def _cache() -> Any:
    """One cache client for the whole process.

    ``caches["default"]`` is per thread *and* per context, and the read pool copies each
    request's context, so with Redis every pooled read opened a new connection pool. Django's
    cache backends are thread-safe, so one shared client serves every thread.
    """
    global _process_cache  # one per process; reset when tests change CACHES
    if _process_cache is None:
        with _process_cache_lock:
            if _process_cache is None:
                _process_cache = caches.create_connection("default")
    return _process_cache


@receiver(setting_changed)
def _forget_process_cache(*, setting: str, **_: Any) -> None:
    global _process_cache
    if setting == "CACHES":
        _process_cache = None
    _near.forget()  # keys and entries depend on settings (backend, allow-list, TTLs)


def shared_cache() -> bool:
    """True when the cache is shared between processes (Redis): lock across processes."""
    return isinstance(_cache(), RedisCache)


def get_many(keys: list[str]) -> dict[str, Any]:
    """Raw values of many keys in one cache round trip ({} when the cache is down)."""
    if not keys:
        return {}
    found = _cache_op("get_many", keys, default={})
    return found if isinstance(found, dict) else {}


def set_many(values: Mapping[str, Any], timeout: float) -> None:
    """Store many raw values in one round trip (best effort: the cache is an optimisation)."""
    if values:
        _cache_op("set_many", dict(values), timeout=math.ceil(timeout))


def add(key: str, value: Any, timeout: float) -> bool:
    """``cache.add``: True when the key was absent and is now ours (atomic on Redis). With the
    cache down, True: work then happens once per process rather than never."""
    return bool(_cache_op("add", key, value, timeout=math.ceil(timeout), default=True))


def delete(key: str) -> None:
    _cache_op("delete", key)


def _stale_seconds() -> float:
    return float(settings.DEADLINE_STALE_SECONDS)


def _wait_seconds() -> float:
    return float(settings.DEADLINE_COALESCE_WAIT_SECONDS)


#: After the cache failed to connect or to answer in time, this process leaves it alone this
#: long: a Redis that hangs costs one request its socket timeout, not every cache operation of
#: every request.
CACHE_PAUSE_SECONDS = 5.0
_cache_paused_until = 0.0


def _cache_op(name: str, *args: Any, default: Any = None, **kwargs: Any) -> Any:
    """A cache operation that degrades to ``default`` if the cache itself fails (Redis down or
    hung): pages then read the API directly rather than answering 500 or waiting."""
    global _cache_paused_until  # one verdict per process, like the breakers
    if _cache_paused_until and _clock.monotonic() < _cache_paused_until:
        return default
    try:
        return getattr(_cache(), name)(*args, **kwargs)
    except Exception as exc:  # any backend's connection error; the cache is an optimisation
        unreachable = isinstance(exc, (RedisConnectionError, RedisTimeoutError, OSError))
        if unreachable:
            _cache_paused_until = _clock.monotonic() + CACHE_PAUSE_SECONDS
        logger.warning(
            "cache_error op=%s error=%s%s",
            name,
            type(exc).__name__,
            f" (cache skipped for {CACHE_PAUSE_SECONDS:g} s)" if unreachable else "",
        )
        return default


def _failure_key(key: str) -> str:
    return f"{key}:failed"


def _load(
    key: str, decode: Callable[[Any], T], marker: str | None = None
) -> tuple[_Entry[T] | None, _Failure | None]:
    """The entry at ``key`` and the failure recorded for it, in one round trip; with
    ``marker`` (read in the same trip) the entry is marked invalidated when that marker (see
    ``invalidate``) is newer than it."""
    keys = [key, _failure_key(key), *([marker] if marker else [])]
    found = _cache_op("get_many", keys, default={})
    entry = _decode_entry(key, found.get(key), decode, found.get(marker) if marker else None)
    return entry, _decode_failure(found.get(_failure_key(key)))


def _decode_entry(
    key: str, raw: Any, decode: Callable[[Any], T], changed_at: Any = None
) -> _Entry[T] | None:
    if raw is None:
        return None
    try:
        payload = json.loads(raw)
        at = float(payload["at"])
        invalidated = changed_at is not None and float(changed_at) >= at
        return _Entry(at=at, value=decode(payload["data"]), invalidated=invalidated)
    except (ValueError, KeyError, TypeError):
        logger.warning("cache=unreadable key=%s: dropped", key)
        return None


def peek(key: str, decode: Callable[[Any], T]) -> tuple[T, float] | None:
    """The cached value for ``key`` and when it was fetched, whatever its age, without calling
    the API (None when nothing usable is cached)."""
    entry, _ = _load(key, decode)
    return None if entry is None else (entry.value, entry.at)


def invalidate(markers: list[str], *, keep_seconds: float) -> None:
    """Make every entry read with one of ``markers`` stale-but-not-fresh from now on, in every
    process sharing the cache: after an action, the next read of what it changed asks the
    API again instead of serving the cached answer for the rest of its TTL (other processes'
    near copies, within DEADLINE_NEAR_CACHE_SECONDS; this process's at once)."""
    now = repr(_clock.time())
    _cache_op("set_many", dict.fromkeys(markers, now), timeout=math.ceil(keep_seconds))
    _near.forget()


@dataclass(frozen=True)
class _Failure:
    at: float
    reason: str
    retry_after: int
    message: str
    hold: float

    @property
    def remaining(self) -> float:
        return self.at + self.hold - _clock.time()

    def as_error(self) -> Unavailable:
        return Unavailable(
            self.message, reason=self.reason, retry_after=max(1, math.ceil(self.remaining))
        )


def _decode_failure(raw: Any) -> _Failure | None:
    """A transient failure recorded for a key recently (by any thread or process): until its
    hold ends nobody calls the API for this key again, which keeps a throttled API's load flat."""
    if raw is None:
        return None
    try:
        failure = _Failure(**json.loads(raw))
    except (ValueError, TypeError):
        return None
    return failure if failure.remaining > 0 else None


def _store_failure(key: str, exc: Unavailable, ttl: float) -> None:
    hold = max(1.0, min(float(exc.retry_after), ttl)) if ttl > 0 else 1.0
    failure = {
        "at": _clock.time(),
        "reason": exc.reason,
        "retry_after": exc.retry_after,
        "message": exc.message,
        "hold": hold,
    }
    _cache_op("set", _failure_key(key), json.dumps(failure), timeout=math.ceil(hold) + 1)


@dataclass
class _Lock:
    """A refresh lock this caller holds in the shared cache (released once)."""

    key: str
    token: str
    released: bool = False

    def release(self) -> None:
        if self.released:
            return
        self.released = True
        if hasattr(_cache(), "release"):  # compare-and-delete in one round trip
            _cache_op("release", self.key, self.token)
        # Best effort compare-and-delete: a lock that expired meanwhile may belong to someone
        # else by now; deleting it costs at most one extra call.
        elif _cache_op("get", self.key) == self.token:
            _cache_op("delete", self.key)


def _lock_and_load(
    lock: _Lock, timeout: float, key: str, decode: Callable[[Any], T], marker: str | None = None
) -> tuple[bool, _Entry[T] | None, _Failure | None]:
    """Try to take ``lock``, and read the entry and its failure (and ``marker``, as ``_load``):
    one round trip with the dashboard's Redis backend (dashboard/cache.py), three with another."""
    keys = [key, _failure_key(key), *([marker] if marker else [])]
    if hasattr(_cache(), "add_and_get_many"):
        taken, found = _cache_op(
            "add_and_get_many", lock.key, lock.token, math.ceil(timeout), keys, default=(True, {})
        )
    else:
        taken = _cache_op("add", lock.key, lock.token, timeout=math.ceil(timeout), default=True)
        found = _cache_op("get_many", keys, default={})
    entry = _decode_entry(key, found.get(key), decode, found.get(marker) if marker else None)
    return bool(taken), entry, _decode_failure(found.get(_failure_key(key)))


def _store(key: str, payload: str, timeout: float, lock: _Lock | None) -> None:
    """Store an answer, then release ``lock`` (one round trip with the dashboard's backend)."""
    if lock is not None and hasattr(_cache(), "set_and_release"):
        lock.released = True
        _cache_op("set_and_release", key, payload, math.ceil(timeout), lock.key, lock.token)
        return
    _cache_op("set", key, payload, timeout=math.ceil(timeout))
    if lock is not None:
        lock.release()


@dataclass(frozen=True)
class _Prefetched:
    """What ``prefetched`` read for one key, raw as stored."""

    entry: Any
    failure: Any
    marker: Any


_prefetch: contextvars.ContextVar[dict[str, _Prefetched] | None] = contextvars.ContextVar(
    "dashboard_prefetch", default=None
)


@contextmanager
def prefetched(reads: list[tuple[str, str | None]]) -> Iterator[None]:
    """Before a page starts several reads at once: read their entries, failures and markers
    (``reads`` are ``(key, marker)`` pairs) in one round trip. Each ``read_through`` of one of
    those keys in this context (the read pool's threads included) then starts from what was
    read here, once, instead of its own round trip; the rest of the policy is unchanged (a
    miss still takes the refresh lock with a second look, so it is still coalesced).

    The locks are not taken here: a lock must be held only by a thread that is running, and
    the page's reads may wait for a thread of the pool. Without a shared cache, or when
    every key has a near copy, nothing is read.
    """
    near = _near_seconds()
    wanted = [(key, marker) for key, marker in reads if not _near.get(key, near)]
    if not wanted or not shared_cache():
        yield
        return
    names = [*(key for key, _ in wanted), *(_failure_key(key) for key, _ in wanted)]
    names += [marker for _, marker in wanted if marker]
    found = get_many(list(dict.fromkeys(names)))
    entries = {
        key: _Prefetched(
            entry=found.get(key),
            failure=found.get(_failure_key(key)),
            marker=found.get(marker) if marker else None,
        )
        for key, marker in wanted
    }
    token = _prefetch.set(entries)
    try:
        yield
    finally:
        _prefetch.reset(token)
        entries.clear()


def _claim_prefetched(key: str) -> _Prefetched | None:
    """What ``prefetched`` read for ``key`` in this context, handed out once."""
    entries = _prefetch.get()
    return None if entries is None else entries.pop(key, None)


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
    """The cached value for ``key`` (see the module docstring for the whole policy).

    ``marker`` names the invalidation marker of what the entry describes (``invalidate``).
    """
    near = _near_seconds()
    if near:
        entry = _near.get(key, near)
        if _fresh(entry, ttl):
            assert entry is not None
            _log_cache("hit", kind, ids, entry.at, near=True)
            return entry.value  # the most frequent read of all: nothing more is built
    read = _Read(
        key=key,
        kind=kind,
        ids=ids,
        ttl=ttl,
        fetch=fetch,
        encode=encode,
        decode=decode,
        marker=marker,
    )
    loaded = _claim_prefetched(key)
    if loaded is None:
        entry, failure = _load(key, decode, marker)
    else:  # read with the others of its page, in one round trip
        entry = _decode_entry(key, loaded.entry, decode, loaded.marker)
        failure = _decode_failure(loaded.failure)
    if near and entry is not None:
        _near.put(key, entry, near)
    if read.fresh(entry):
        assert entry is not None
        _log_cache("hit", kind, ids, entry.at)
        return entry.value

    try:
        outcome, coalesced = _flights.run(
            key, lambda: read.refresh(entry, failure), _wait_seconds()
        )
    except TimeoutError:
        outcome = read.fallback(
            entry,
            Unavailable(
                f"Deadline Cloud did not answer a {kind} read within "
                f"{_wait_seconds():g} s (DEADLINE_COALESCE_WAIT_SECONDS).",
                reason="timeout",
            ),
        )
        coalesced = False
    if coalesced:
        _log_cache("coalesced", kind, ids, outcome.at)
    if outcome.stale_reason is not None:
        _record_stale(outcome.at, outcome.stale_reason)
    return outcome.value


def _fresh(entry: _Entry[Any] | None, ttl: float) -> bool:
    """Young enough to serve without asking the API, and not invalidated by an action."""
    return entry is not None and not entry.invalidated and _clock.time() - entry.at < ttl


@dataclass(frozen=True)
class _Read(Generic[T]):
    key: str
    kind: str
    ids: tuple[str, ...]
    ttl: float
    fetch: Callable[[], T]
    encode: Callable[[T], Any]
    decode: Callable[[Any], T]
    marker: str | None = None

    def usable(self, entry: _Entry[T] | None) -> bool:
        """Good enough to stand in for a failed refresh (inside TTL + stale window)."""
        return entry is not None and _clock.time() - entry.at <= self.ttl + _stale_seconds()

    def fresh(self, entry: _Entry[T] | None) -> bool:
        return _fresh(entry, self.ttl)

    def refresh(self, entry: _Entry[T] | None, failure: _Failure | None) -> _Outcome[T]:
        """A new answer for an entry that is missing or past its TTL; ``failure`` is the one
        recorded for the key when the entry was read (it holds further calls off)."""
        if failure is not None:
            return self.fallback(entry, failure.as_error())
        if shared_cache():
            return self._refresh_shared(entry)
        return self._fetch_and_store(entry)

    def fallback(self, entry: _Entry[T] | None, exc: Unavailable) -> _Outcome[T]:
        """Serve the last good value for a transient failure, else raise it."""
        reason = exc.cause if isinstance(exc, CircuitOpen) else exc.reason
        if entry is None or reason not in TRANSIENT_REASONS or not self.usable(entry):
            raise exc
        _log_cache("stale", self.kind, self.ids, entry.at, reason=reason)
        return _Outcome(entry.value, entry.at, stale_reason=reason)

    def _fetch_and_store(self, entry: _Entry[T] | None, lock: _Lock | None = None) -> _Outcome[T]:
        """Fetch, store, and release ``lock`` (the shared refresh's) with the store."""
        token = _cache_state.set("refresh" if entry is not None else "miss")
        # An answer is as old as its question: an action's invalidation made while the call
        # was under way must find this answer older than itself (``invalidate``).
        at = _clock.time()
        try:
            value = self.fetch()
        except Unavailable as exc:
            if not isinstance(exc, CircuitOpen) and exc.reason in TRANSIENT_REASONS:
                _store_failure(self.key, exc, self.ttl)
            return self.fallback(entry, exc)
        finally:
            _cache_state.reset(token)
        payload = json.dumps({"at": at, "data": self.encode(value)}, separators=(",", ":"))
        # Kept past the TTL for the stale window; freshness is judged by "at", not by expiry.
        _store(self.key, payload, self.ttl + _stale_seconds(), lock)
        if near := _near_seconds():
            _near.put(self.key, _Entry(at=at, value=value), near)
        return _Outcome(value, at)

    def _refresh_shared(self, entry: _Entry[T] | None) -> _Outcome[T]:
        """One refresh per key across processes: a short lock (``cache.add`` is atomic on
        Redis), taken together with a second look at the entry. Without the lock: serve a
        value stored meanwhile or the previous one, or wait for the new one (bounded poll), or
        take over when the holder's lock expires (it died)."""
        lock = _Lock(f"{self.key}:lock", uuid.uuid4().hex)
        wait = _wait_seconds()
        give_up = time.monotonic() + wait
        interval = 0.005
        while True:
            taken, latest, failure = _lock_and_load(lock, wait, self.key, self.decode, self.marker)
            if taken:
                try:
                    # The previous holder may have just stored a fresh value.
                    if self.fresh(latest):
                        assert latest is not None
                        return _Outcome(latest.value, latest.at)
                    if failure is not None:
                        return self.fallback(latest or entry, failure.as_error())
                    return self._fetch_and_store(latest or entry, lock)
                finally:
                    lock.release()  # unless the store released it
            if self.fresh(latest):
                assert latest is not None
                return _Outcome(latest.value, latest.at)
            if self.usable(entry):
                assert entry is not None
                # Another process is refreshing: the previous answer stands in meanwhile.
                return _Outcome(entry.value, entry.at)
            if failure is not None:
                raise failure.as_error()
            if time.monotonic() >= give_up:
                raise Unavailable(
                    f"Another dashboard process is reading this {self.kind} and has not "
                    f"finished within {wait:g} s (DEADLINE_COALESCE_WAIT_SECONDS).",
                    reason="timeout",
                )
            # Bounded poll for the holder's answer (Django's cache has no notifications).
            time.sleep(interval)
            interval = min(interval * 2, 0.05)
