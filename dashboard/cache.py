"""The cache backend DASHBOARD_CACHE_URL selects: Django's own ``RedisCache``, unchanged.

What Django's cache API cannot do (redis-py's ``Lock``, with its owner-checked release) goes
through a plain redis-py client on the same server, built from the same settings
(``tasks_app.deadline.resilience.store.redis_client``). This name is kept for settings that
spell it; ``django.core.cache.backends.redis.RedisCache`` is the same class.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache

__all__ = ["RedisCache"]
