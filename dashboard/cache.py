"""Django's Redis cache backend, keeping one redis-py client per connection pool, plus the two
combined operations a shared refresh needs (one round trip each instead of two or three).

Django builds a new ``redis.Redis`` for every cache operation, and redis-py's constructor fills
a table of some 170 response callbacks each time: on an unchanged poll, whose one real job is a
single GET, that cost as much as the round trip. A redis-py client is thread-safe and holds no
state beyond its pool, so keeping it is safe.

A cold page reads several resources at once, each refresh taking a lock, checking the cache
again and, after the API call, storing the answer and releasing the lock. Under load every
round trip also costs a wake-up of the thread waiting for it, so ``add_and_get_many`` and
``set_and_release`` send what belongs together in one pipeline.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.cache.backends import redis as django_redis

#: Delete KEYS[1] only while it holds ARGV[1]: a lock is released by its holder alone (one that
#: expired and was taken by another process stays).
_DELETE_IF_HOLDS = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)


class RedisCacheClient(django_redis.RedisCacheClient):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))  # pools live as long as this object
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client

    @property
    def serializer(self) -> Any:
        """How values are stored (Django's pickling serializer unless configured)."""
        return self._serializer


class RedisCache(django_redis.RedisCache):
    """``django.core.cache.backends.redis.RedisCache`` with a kept client (see above)."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = RedisCacheClient

    def add_and_get_many(
        self, key: str, value: Any, timeout: float, keys: Iterable[str]
    ) -> tuple[bool, dict[str, Any]]:
        """``add(key, value, timeout)`` then ``get_many(keys)``, in one round trip (in that
        order; not one transaction)."""
        seconds = self.get_backend_timeout(timeout)
        if not seconds:  # 0 or None: Django's own semantics, two round trips
            return self.add(key, value, timeout), self.get_many(list(keys))
        client, serializer, lock = self._raw(key)
        wanted = {self.make_and_validate_key(name): name for name in keys}
        pipeline = client.pipeline(transaction=False)
        pipeline.set(lock, serializer.dumps(value), ex=seconds, nx=True)
        pipeline.mget(list(wanted))
        added, values = pipeline.execute()
        found = {
            wanted[made]: serializer.loads(raw)
            for made, raw in zip(wanted, values, strict=True)
            if raw is not None
        }
        return bool(added), found

    def set_and_release(
        self, key: str, value: Any, timeout: float, lock_key: str, token: Any
    ) -> None:
        """``set(key, value, timeout)``, then delete ``lock_key`` if it still holds ``token``
        (as stored by ``add``), in one round trip."""
        seconds = self.get_backend_timeout(timeout)
        if not seconds:
            self.set(key, value, timeout)
            self.release(lock_key, token)
            return
        client, serializer, made = self._raw(key)
        pipeline = client.pipeline(transaction=False)
        pipeline.set(made, serializer.dumps(value), ex=seconds)
        pipeline.eval(
            _DELETE_IF_HOLDS, 1, self.make_and_validate_key(lock_key), serializer.dumps(token)
        )
        pipeline.execute()

    def release(self, lock_key: str, token: Any) -> bool:
        """Delete ``lock_key`` if it still holds ``token``, atomically: one round trip."""
        client, serializer, made = self._raw(lock_key)
        return bool(client.eval(_DELETE_IF_HOLDS, 1, made, serializer.dumps(token)))

    def _raw(self, key: str) -> tuple[Any, Any, str]:
        """The write client, the value serializer and the stored form of ``key``, as Django's
        own operations use them."""
        made = self.make_and_validate_key(key)
        return self._cache.get_client(made, write=True), self._cache.serializer, made
