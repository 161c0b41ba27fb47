"""The Redis cache backend (DASHBOARD_CACHE_URL) behaves as Django's, with its client kept."""

from __future__ import annotations

import pytest

from dashboard.cache import RedisCache
from tests.redis_server import redis_server

pytestmark = pytest.mark.redis


def test_the_redis_backend_keeps_one_client_and_behaves_as_djangos() -> None:
    with redis_server() as url:
        cache = RedisCache(url, {"KEY_PREFIX": "dtd"})
        client = cache._cache.get_client()
        assert cache._cache.get_client() is client  # Django would build a new one each time

        assert cache.add("k", 1, 30) and not cache.add("k", 2, 30)
        assert cache.incr("k") == 2
        cache.set_many({"a": "ü", "b": [1, 2]}, 30)
        assert cache.get_many(["a", "b", "missing"]) == {"a": "ü", "b": [1, 2]}
        cache.delete_many(["a", "b"])
        assert cache.get("a") is None and cache.get("k") == 2
        assert cache.clear() and cache.get("k") is None
