"""Leases on work in the shared cache (``cache.lease``; ``claim``/``release`` on top): one
holder at a time, released only by its holder, taken by another once it lapses. On a real
Redis (redis-py's Lock) and on the local-memory cache of development (an owner token)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from django.conf import LazySettings

from tasks_app.deadline import cache as read_cache
from tasks_app.deadline import resilience
from tasks_app.deadline.resilience.locks import CacheLock, HeldLock, RedisLock

WORK = ("farm-" + "1" * 32, "queue-" + "2" * 32)


@pytest.fixture(params=[pytest.param("redis", marks=pytest.mark.redis), "local-memory"])
def backend(request: pytest.FixtureRequest, settings: LazySettings) -> Iterator[str]:
    if request.param == "redis":
        request.getfixturevalue("redis_cache")
        assert resilience.shared_cache()
    else:
        assert not resilience.shared_cache()  # the tests' default cache
    yield request.param


def _take_when_lapsed(seconds: float) -> HeldLock:
    """Await the lease's lapse: the second holder's take, retried until it succeeds."""
    give_up = time.monotonic() + seconds + 10
    while time.monotonic() < give_up:
        taken = read_cache.lease("analysis", WORK, 30)
        if taken is not None:
            return taken
        time.sleep(0.05)
    raise AssertionError("the first holder's lease never lapsed")


def test_the_lock_is_the_one_of_the_cache(backend: str) -> None:
    held = resilience.lock("some:key", 5)
    assert isinstance(held, RedisLock if backend == "redis" else CacheLock)


def test_a_lease_is_released_only_by_its_holder(backend: str) -> None:
    first = read_cache.lease("analysis", WORK, 30)
    assert first is not None
    assert read_cache.lease("analysis", WORK, 30) is None  # one holder at a time

    stranger = resilience.lock(read_cache.cache_key("analysis", *WORK) + ":lease", 30)
    assert not stranger.release()  # never held: releases nothing
    assert read_cache.lease("analysis", WORK, 30) is None  # the first holder still has it

    assert first.release()
    second = read_cache.lease("analysis", WORK, 30)
    assert second is not None and not first.release()  # released once; the second's stays
    assert read_cache.lease("analysis", WORK, 30) is None
    assert second.release()


def test_a_lapsed_lease_goes_to_the_next_holder_and_the_first_cannot_release_it(
    backend: str,
) -> None:
    first = read_cache.lease("analysis", WORK, 1)
    assert first is not None

    second = _take_when_lapsed(1)

    assert not first.release()  # it woke up late: the lease is the second's now
    assert read_cache.lease("analysis", WORK, 30) is None
    assert second.release()
    assert read_cache.lease("analysis", WORK, 30) is not None


def test_claim_and_release_give_up_only_the_lease_this_process_took(backend: str) -> None:
    assert read_cache.claim("analysis", WORK, 1)
    assert not read_cache.claim("analysis", WORK, 30)

    other_process = _take_when_lapsed(1)  # this process's claim lapsed meanwhile

    assert not read_cache.release("analysis", WORK)
    assert read_cache.lease("analysis", WORK, 30) is None  # still the other holder's
    assert other_process.release()
    assert not read_cache.release("analysis", WORK)  # nothing of ours left to release
