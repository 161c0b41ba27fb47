"""Circuit breakers, per process: one per family of operations, and one per resource a call
names (a log stream, a task). ``calls.call_api`` asks both before every API call: one broken
resource pauses calls for it alone, a sick service pauses its family.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from django.conf import settings

from ..errors import Unavailable
from . import clocks

logger = logging.getLogger("tasks_app.cache")

#: Unavailable reasons that mean "the API is sick right now": stale data may stand in, and
#: they count towards opening the circuit breaker. Credentials/configuration problems need an
#: operator, so they are shown, not masked.
TRANSIENT_REASONS = frozenset({"throttled", "server-error", "timeout", "unreachable"})


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
        clock: Callable[[], clocks.Clock] = clocks.clock,
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
_resource_breakers: LRUCache[tuple[str, str], CircuitBreaker] = LRUCache(MAX_RESOURCE_BREAKERS)
_breakers_lock = threading.Lock()  # cachetools' caches are not thread-safe on their own


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
        breaker = _resource_breakers.get(key)  # a hit counts as a use (least recently used)
        if breaker is None:
            breaker = _resource_breakers[key] = CircuitBreaker(
                family,
                threshold=settings.DEADLINE_BREAKER_FAILURES,
                cooldown=settings.DEADLINE_BREAKER_COOLDOWN_SECONDS,
                resource=resource,
            )
    return breaker


def breakers_for(operation: str, params: Mapping[str, Any]) -> CallBreakers:
    """The breakers of one call: its family's, and the resource's it names."""
    resource = resource_of(params)
    return CallBreakers(
        family=breaker_for(operation),
        resource=breaker_for(operation, resource) if resource else None,
    )


def reset_breakers() -> None:
    """Forget every breaker (tests; settings changed at run time)."""
    global _resource_breakers  # rebuilt: its size may have changed
    with _breakers_lock:
        _breakers.clear()
        _resource_breakers = LRUCache(MAX_RESOURCE_BREAKERS)
