"""The near cache: this process's copies of entries it read from (or stored in) the shared
cache, each served for at most DEADLINE_NEAR_CACHE_SECONDS after that. A hot key then costs one
Redis round trip per process per bound, not one per request."""

from __future__ import annotations

import threading
from typing import Any

from cachetools import TLRUCache
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

from . import clocks
from .entries import Entry
from .store import shared_cache


def _monotonic() -> float:
    return clocks.clock().monotonic()


def _until(_key: str, kept: tuple[float, Entry[Any]], now: float) -> float:
    return now + kept[0]


class NearCache:
    """Copies served for at most their ``bound`` seconds after being kept, and only while
    fresh by their own TTL (the reader judges that).

    The bound is what another process's change (a refresh, an invalidation) may take to be
    seen here; freshness is unchanged (an entry's age still counts from its fetch), and a miss
    or an expired copy goes to the shared cache as before, so refreshes stay coalesced across
    processes. Past ``max_entries``, the least recently used copy goes first.
    """

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()  # cachetools' caches are not thread-safe on their own
        self._entries: TLRUCache[str, tuple[float, Entry[Any]]] = TLRUCache(
            maxsize=max_entries, ttu=_until, timer=_monotonic
        )

    def get(self, key: str) -> Entry[Any] | None:
        """The copy kept for ``key`` if its bound has not passed."""
        with self._lock:
            kept = self._entries.get(key)
        return None if kept is None else kept[1]

    def put(self, key: str, entry: Entry[Any], bound: float) -> None:
        """Keep ``entry`` for ``bound`` seconds from now."""
        with self._lock:
            self._entries[key] = (bound, entry)

    def forget(self, key: str | None = None) -> None:
        """Drop one key's copy, or every copy (tests; settings changed)."""
        with self._lock:
            if key is None:
                self._entries.clear()
            else:
                self._entries.pop(key, None)

    def __len__(self) -> int:
        with self._lock:
            self._entries.expire()
            return len(self._entries)


_near = NearCache()


def near_cache() -> NearCache:
    """The process's near cache (tests inspect and clear it)."""
    return _near


def near_seconds() -> float:
    """How long a copy of a shared entry is served here; 0 without a shared cache (the
    per-process cache is near already) or when DEADLINE_NEAR_CACHE_SECONDS is 0."""
    bound = float(settings.DEADLINE_NEAR_CACHE_SECONDS)
    return bound if bound > 0 and shared_cache() else 0.0


@receiver(setting_changed)
def _forget_copies(**_: Any) -> None:
    _near.forget()  # keys and entries depend on settings (backend, allow-list, TTLs)
