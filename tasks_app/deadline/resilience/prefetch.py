"""Prefetching: a page about to start several cached reads at once reads their entries,
failures and markers in one round trip up front; each read then starts from that."""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .entries import failure_key
from .near import near_cache, near_seconds
from .store import get_many, shared_cache


@dataclass(frozen=True)
class Prefetched:
    """What ``prefetched`` read for one key, raw as stored."""

    entry: Any
    failure: Any
    marker: Any


_prefetch: contextvars.ContextVar[dict[str, Prefetched] | None] = contextvars.ContextVar(
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
    near = near_seconds()
    wanted = [(key, marker) for key, marker in reads if not (near and near_cache().get(key))]
    if not wanted or not shared_cache():
        yield
        return
    names = [*(key for key, _ in wanted), *(failure_key(key) for key, _ in wanted)]
    names += [marker for _, marker in wanted if marker]
    found = get_many(list(dict.fromkeys(names)))
    entries = {
        key: Prefetched(
            entry=found.get(key),
            failure=found.get(failure_key(key)),
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


def take_prefetched(key: str) -> Prefetched | None:
    """What ``prefetched`` read for ``key`` in this context, handed out once."""
    entries = _prefetch.get()
    return None if entries is None else entries.pop(key, None)
