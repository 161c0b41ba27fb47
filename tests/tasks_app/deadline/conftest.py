"""A real Redis for the cache tests of the deadline boundary: one redis-server per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import LazySettings
from django.core.cache import cache

from tasks_app.deadline import resilience
from tests.redis_server import redis_server


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


@pytest.fixture
def redis_cache(redis_url: str, settings: LazySettings) -> Iterator[None]:
    """Django's own Redis cache on the real Redis for this test (the production backend)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": "dtd",
        }
    }
    cache.clear()
    assert resilience.shared_cache()
    yield
    cache.clear()
