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


def test_the_combined_operations_of_a_shared_refresh() -> None:
    with redis_server() as url:
        cache = RedisCache(url, {"KEY_PREFIX": "dtd"})
        cache.set("entry", "old", 30)

        taken, found = cache.add_and_get_many("lock", "mine", 30, ["entry", "failed"])
        again, _ = cache.add_and_get_many("lock", "theirs", 30, ["entry"])
        assert taken and not again and found == {"entry": "old"}
        assert cache.get("lock") == "mine"

        # The store lands and the lock goes, both in one round trip.
        cache.set_and_release("entry", "new", 30, "lock", "mine")
        assert cache.get("entry") == "new" and cache.get("lock") is None

        # A lock that is no longer ours (it expired, another process took it) stays.
        cache.add("lock", "theirs", 30)
        cache.set_and_release("entry", "newer", 30, "lock", "mine")
        assert not cache.release("lock", "mine")
        assert cache.get("entry") == "newer" and cache.get("lock") == "theirs"
        assert cache.release("lock", "theirs") and cache.get("lock") is None
