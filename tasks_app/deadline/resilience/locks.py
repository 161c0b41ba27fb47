"""Locks and leases held in the shared cache, released only by their holder.

On Redis, redis-py's ``Lock``: taken with SET NX and a timeout under a random token; release
is a script that deletes the key only while it still holds that token, so a holder whose lock
expired (and was taken by someone else) cannot release the new holder's. Waiting for a lock
is the library's own bounded retry. With any other Django cache (the local-memory cache in
development), ``cache.add`` of a token of our own and a compare-before-delete, both under one
process-wide mutex: atomic for the local-memory cache, whose entries live in this process.
"""

from __future__ import annotations

import logging
import math
import threading
import uuid
from typing import Protocol

from redis.exceptions import LockError

from .store import guarded, process_cache, redis_client, shared_cache

logger = logging.getLogger("tasks_app.cache")

#: How often a caller waiting for a Redis lock tries it again (seconds).
RETRY_SECONDS = 0.01


class HeldLock(Protocol):
    def acquire(self, *, wait: float = 0.0) -> bool: ...

    def release(self) -> bool: ...


class RedisLock:
    """redis-py's ``Lock`` on the cache's Redis, under the cache's key for ``key``.

    With Redis down or hung, ``acquire`` answers True: the work then happens once per process
    rather than never (the cache is an optimisation)."""

    def __init__(self, key: str, seconds: float) -> None:
        self.key = key
        self._lock = redis_client().lock(
            process_cache().make_and_validate_key(key),
            timeout=max(seconds, 0.001),  # never 0: that would be a lock without expiry
            sleep=RETRY_SECONDS,
            blocking=False,
            thread_local=False,  # a lease may be released by another thread of its holder
        )

    def acquire(self, *, wait: float = 0.0) -> bool:
        """Take the lock, waiting up to ``wait`` seconds for its holder to release it (or for
        its timeout to free it); False if it is still held then."""
        return guarded(
            "lock", lambda: self._lock.acquire(blocking=wait > 0, blocking_timeout=wait), True
        )

    def release(self) -> bool:
        """Release the lock if this holder still has it; False when it had lapsed."""
        try:
            return guarded("unlock", self._release, False)
        except LockError:  # it lapsed (and may be another's by now), or was never taken
            logger.info("lock=%s not held at its release: left alone", self.key)
            return False

    def _release(self) -> bool:
        self._lock.release()
        return True


_local_mutex = threading.Lock()


class CacheLock:
    """A lock in any Django cache: an owner token stored with ``add``, deleted only while it
    is still the stored one. Cannot be waited on (nothing in Django's cache notifies)."""

    def __init__(self, key: str, seconds: float) -> None:
        self.key = key
        self.seconds = seconds
        self.token = uuid.uuid4().hex
        self._held = False

    def acquire(self, *, wait: float = 0.0) -> bool:
        if wait:
            raise ValueError("only locks in Redis can be waited for")
        cache = process_cache()
        timeout = math.ceil(self.seconds)
        with _local_mutex:
            self._held = guarded("add", lambda: cache.add(self.key, self.token, timeout), True)
        return self._held

    def release(self) -> bool:
        if not self._held:
            return False
        self._held = False
        cache = process_cache()
        with _local_mutex:
            if guarded("get", lambda: cache.get(self.key), None) != self.token:
                return False
            return guarded("delete", lambda: bool(cache.delete(self.key)), False)


def lock(key: str, seconds: float) -> HeldLock:
    """A lock (not yet taken) on ``key`` that lapses ``seconds`` after it is taken."""
    return RedisLock(key, seconds) if shared_cache() else CacheLock(key, seconds)
