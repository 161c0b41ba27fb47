"""The shared cache as the boundary uses it: one Django cache client per process, each
operation degrading to a default when the cache itself fails (a Redis down or hung costs one
request its socket timeout, then the process leaves it alone for ``CACHE_PAUSE_SECONDS``),
and, when the cache is Redis, a plain redis-py client on the same server for its locks.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import redis
from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.signals import setting_changed
from django.dispatch import receiver
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from . import clocks

T = TypeVar("T")

logger = logging.getLogger("tasks_app.cache")

#: After the cache failed to connect or to answer in time, this process leaves it alone this
#: long: a Redis that hangs costs one request its socket timeout, not every cache operation of
#: every request.
CACHE_PAUSE_SECONDS = 5.0
_paused_until = 0.0

_process_cache: Any = None
_redis: redis.Redis | None = None
_clients_lock = threading.Lock()

#: OPTIONS of Django's Redis backend that are not redis-py connection options.
_DJANGO_ONLY_OPTIONS = frozenset({"pool_class", "parser_class", "serializer"})


def process_cache() -> Any:
    """One cache client for the whole process.

    ``caches["default"]`` is per thread *and* per context, and the read pool copies each
    request's context, so with Redis every pooled read opened a new connection pool. Django's
    cache backends are thread-safe, so one shared client serves every thread.
    """
    global _process_cache  # one per process; reset when tests change CACHES
    if _process_cache is None:
        with _clients_lock:
            if _process_cache is None:
                _process_cache = caches.create_connection("default")
    return _process_cache


def shared_cache() -> bool:
    """True when the cache is shared between processes (Redis): lock across processes."""
    return isinstance(process_cache(), RedisCache)


def redis_client() -> redis.Redis:
    """A redis-py client on the cache's Redis (its first server, where Django writes), with
    the cache's connection options (timeouts): for what Django's cache API cannot do, such as
    redis-py's ``Lock``. Only when ``shared_cache()``."""
    global _redis  # one per process, like the cache client
    if _redis is None:
        with _clients_lock:
            if _redis is None:
                config = settings.CACHES["default"]
                location = config["LOCATION"]
                servers = location.split(",") if isinstance(location, str) else list(location)
                options = {
                    name: value
                    for name, value in (config.get("OPTIONS") or {}).items()
                    if name not in _DJANGO_ONLY_OPTIONS
                }
                _redis = redis.Redis.from_url(servers[0].strip(), **options)
    return _redis


@receiver(setting_changed)
def _forget_clients(*, setting: str, **_: Any) -> None:
    global _process_cache, _redis
    if setting == "CACHES":
        _process_cache = _redis = None


def guarded(name: str, operation: Callable[[], T], default: T) -> T:
    """``operation()`` on the cache, or ``default`` if the cache itself fails (Redis down or
    hung): pages then read the API directly rather than answering 500 or waiting."""
    global _paused_until  # one verdict per process, like the breakers
    if _paused_until and clocks.clock().monotonic() < _paused_until:
        return default
    try:
        return operation()
    except Exception as exc:  # any backend's connection error; the cache is an optimisation
        unreachable = isinstance(exc, (RedisConnectionError, RedisTimeoutError, OSError))
        if unreachable:
            _paused_until = clocks.clock().monotonic() + CACHE_PAUSE_SECONDS
        logger.warning(
            "cache_error op=%s error=%s%s",
            name,
            type(exc).__name__,
            f" (cache skipped for {CACHE_PAUSE_SECONDS:g} s)" if unreachable else "",
        )
        return default


def cache_op(name: str, *args: Any, default: Any = None, **kwargs: Any) -> Any:
    """The Django cache operation ``name`` (``get_many``, ``set``...), ``guarded``."""
    return guarded(name, lambda: getattr(process_cache(), name)(*args, **kwargs), default)


def reset_pause() -> None:
    """Use the cache again at once (tests; settings changed at run time)."""
    global _paused_until
    _paused_until = 0.0


def get_many(keys: list[str]) -> dict[str, Any]:
    """Raw values of many keys in one cache round trip ({} when the cache is down)."""
    if not keys:
        return {}
    found = cache_op("get_many", keys, default={})
    return found if isinstance(found, dict) else {}


def set_many(values: Mapping[str, Any], timeout: float) -> None:
    """Store many raw values in one round trip (best effort: the cache is an optimisation)."""
    if values:
        cache_op("set_many", dict(values), timeout=math.ceil(timeout))


def delete(key: str) -> None:
    cache_op("delete", key)
