"""Locks on the Redis cache (DASHBOARD_CACHE_URL, Django's own backend) use a plain redis-py
client on the same server, with the cache's key names and connection timeouts."""

from __future__ import annotations

import pytest

from tasks_app.deadline import resilience
from tasks_app.deadline.resilience import store
from tests.conftest import UseCache
from tests.redis_server import redis_server


@pytest.mark.redis
def test_locks_go_to_the_caches_redis_with_its_names_and_timeouts(cache_on: UseCache) -> None:
    with redis_server() as url:
        cache_on(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        assert resilience.shared_cache()
        options = store.redis_client().connection_pool.connection_kwargs
        assert (options["socket_timeout"], options["socket_connect_timeout"]) == (0.5, 0.5)

        held = resilience.lock("some-work", 30)
        assert held.acquire()
        assert store.process_cache().has_key("some-work")  # Django sees the same key
        assert not resilience.lock("some-work", 30).acquire()
        assert held.release()
        assert not store.process_cache().has_key("some-work")
