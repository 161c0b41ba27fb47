"""What the shared cache holds for one read: the entry (compact JSON ``{"at", "data"}``,
"at" being when the answer was fetched) and, beside it, a transient failure recorded for it
(which holds further API calls off until its hold ends)."""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..errors import Unavailable
from . import clocks
from .store import cache_op

T = TypeVar("T")

logger = logging.getLogger("tasks_app.cache")


@dataclass(frozen=True)
class Entry(Generic[T]):
    at: float
    value: T
    # An action changed what this answer describes after it was fetched (``invalidate``):
    # never fresh again, though it may still stand in while the API is sick.
    invalidated: bool = False


@dataclass(frozen=True)
class Failure:
    at: float
    reason: str
    retry_after: int
    message: str
    hold: float

    @property
    def remaining(self) -> float:
        return self.at + self.hold - clocks.clock().time()

    def as_error(self) -> Unavailable:
        return Unavailable(
            self.message, reason=self.reason, retry_after=max(1, math.ceil(self.remaining))
        )


def failure_key(key: str) -> str:
    return f"{key}:failed"


def load(
    key: str, decode: Callable[[Any], T], marker: str | None = None
) -> tuple[Entry[T] | None, Failure | None]:
    """The entry at ``key`` and the failure recorded for it, in one round trip; with
    ``marker`` (read in the same trip) the entry is marked invalidated when that marker (see
    ``invalidate``) is newer than it."""
    keys = [key, failure_key(key), *([marker] if marker else [])]
    found = cache_op("get_many", keys, default={})
    entry = decode_entry(key, found.get(key), decode, found.get(marker) if marker else None)
    return entry, decode_failure(found.get(failure_key(key)))


def decode_entry(
    key: str, raw: Any, decode: Callable[[Any], T], changed_at: Any = None
) -> Entry[T] | None:
    if raw is None:
        return None
    try:
        payload = json.loads(raw)
        at = float(payload["at"])
        invalidated = changed_at is not None and float(changed_at) >= at
        return Entry(at=at, value=decode(payload["data"]), invalidated=invalidated)
    except (ValueError, KeyError, TypeError):
        logger.warning("cache=unreadable key=%s: dropped", key)
        return None


def encode_entry(at: float, data: Any) -> str:
    return json.dumps({"at": at, "data": data}, separators=(",", ":"))


def peek(key: str, decode: Callable[[Any], T]) -> tuple[T, float] | None:
    """The cached value for ``key`` and when it was fetched, whatever its age, without calling
    the API (None when nothing usable is cached)."""
    entry, _ = load(key, decode)
    return None if entry is None else (entry.value, entry.at)


def decode_failure(raw: Any) -> Failure | None:
    """A transient failure recorded for a key recently (by any thread or process): until its
    hold ends nobody calls the API for this key again, which keeps a throttled API's load flat."""
    if raw is None:
        return None
    try:
        failure = Failure(**json.loads(raw))
    except (ValueError, TypeError):
        return None
    return failure if failure.remaining > 0 else None


def store_failure(key: str, exc: Unavailable, ttl: float) -> None:
    hold = max(1.0, min(float(exc.retry_after), ttl)) if ttl > 0 else 1.0
    failure = {
        "at": clocks.clock().time(),
        "reason": exc.reason,
        "retry_after": exc.retry_after,
        "message": exc.message,
        "hold": hold,
    }
    cache_op("set", failure_key(key), json.dumps(failure), timeout=math.ceil(hold) + 1)
