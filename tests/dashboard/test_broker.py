"""The broker's transport options, through kombu's own Redis transport against a real Redis:
the lock workers take turns under to hand out a killed worker's tasks again must lapse within
the visibility timeout when its holder is killed, not after kombu's default five minutes."""

from __future__ import annotations

import pytest
import redis
from django.conf import LazySettings
from kombu import Connection

from tests.redis_server import redis_server


@pytest.mark.redis
def test_a_killed_workers_restore_lock_lapses_within_the_visibility_timeout(
    settings: LazySettings,
) -> None:
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    with redis_server() as url, Connection(url, transport_options=options) as connection:
        qos = connection.default_channel.qos
        client = redis.Redis.from_url(url)
        # Taken as a worker takes it to look for unacknowledged tasks (kombu's Mutex: a redis-py
        # lock with the channel's key and expiry), never given back: its holder was killed.
        lock = client.lock(qos.unacked_mutex_key, timeout=qos.unacked_mutex_expire)
        assert lock.acquire(blocking=False)
        lapses_in = client.pttl(qos.unacked_mutex_key)
        assert 0 < lapses_in <= options["visibility_timeout"] * 1000
