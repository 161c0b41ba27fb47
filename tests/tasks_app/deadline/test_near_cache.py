"""The near cache: each process's short-lived copies of what it read from the shared cache.

On a real Redis, with time moved by hand: a copy is served inside its bound and never past it,
never past the entry's own TTL, and a change to Redis (another process's refresh, a forget)
shows once the bound has passed.
"""

from __future__ import annotations

import json

import pytest
from django.conf import LazySettings
from django.core.cache import cache

from tasks_app.deadline import cache as read_cache
from tasks_app.deadline import resilience
from tasks_app.deadline.resilience import NearCache
from tasks_app.selectors import resources
from tests.conftest import Tiny
from tests.manual_clock import ManualClock

pytestmark = pytest.mark.redis

NEAR = 1.0


@pytest.fixture(autouse=True)
def default_bound(settings: LazySettings) -> None:
    settings.DEADLINE_NEAR_CACHE_SECONDS = NEAR


@pytest.fixture
def wall() -> ManualClock:
    manual = ManualClock()
    resilience.set_clock(manual)
    return manual


def _rewrite_in_redis(key: str, **changes: str) -> None:
    """What another process's refresh leaves in Redis: the same entry, other data."""
    payload = json.loads(cache.get(key))
    payload["data"].update(changes)
    cache.set(key, json.dumps(payload), timeout=600)


def test_a_copy_is_served_inside_its_bound_and_never_past_it(
    redis_cache: None, tiny: Tiny, wall: ManualClock
) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    key = read_cache.cache_key("task", *ids.kwargs().values())
    assert resources.get_task(**ids.kwargs()).run_status == "RUNNING"
    _rewrite_in_redis(key, runStatus="SUCCEEDED")

    wall.advance(NEAR - 0.01)
    inside = resources.get_task(**ids.kwargs())
    wall.advance(0.01)
    past = resources.get_task(**ids.kwargs())

    assert inside.run_status == "RUNNING"  # this process's copy, Redis not asked
    assert past.run_status == "SUCCEEDED"  # the bound is over: what Redis holds now
    assert tiny.emulator.calls["GetTask"] == 1


def test_a_copy_is_never_served_past_the_entry_ttl(
    redis_cache: None, tiny: Tiny, wall: ManualClock, settings: LazySettings
) -> None:
    settings.DEADLINE_NEAR_CACHE_SECONDS = 10 * settings.DEADLINE_CACHE_SECONDS
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    resources.get_task(**ids.kwargs())
    tiny.world.tasks[ids.task_id]["runStatus"] = "SUCCEEDED"

    wall.advance(settings.DEADLINE_CACHE_SECONDS)
    task = resources.get_task(**ids.kwargs())

    assert task.run_status == "SUCCEEDED"
    assert tiny.emulator.calls["GetTask"] == 2


def test_a_refresh_lands_in_the_near_cache_too(
    redis_cache: None, tiny: Tiny, wall: ManualClock, settings: LazySettings
) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    resources.get_task(**ids.kwargs())
    wall.advance(settings.DEADLINE_CACHE_SECONDS)
    resources.get_task(**ids.kwargs())  # refreshed: fetched, stored in Redis and kept here
    key = read_cache.cache_key("task", *ids.kwargs().values())
    _rewrite_in_redis(key, runStatus="SUCCEEDED")

    assert resources.get_task(**ids.kwargs()).run_status == "RUNNING"
    assert tiny.emulator.calls["GetTask"] == 2


def test_forget_drops_this_process_copy_at_once(
    redis_cache: None, tiny: Tiny, wall: ManualClock
) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    resources.get_task(**ids.kwargs())
    tiny.world.tasks[ids.task_id]["runStatus"] = "SUCCEEDED"

    read_cache.forget("task", *ids.kwargs().values())

    assert resources.get_task(**ids.kwargs()).run_status == "SUCCEEDED"
    assert tiny.emulator.calls["GetTask"] == 2


def test_stale_copies_stand_in_only_through_the_shared_path(
    redis_cache: None, tiny: Tiny, wall: ManualClock, settings: LazySettings
) -> None:
    """Past the TTL the near copy is not served as fresh: the API is asked, and when it fails
    the last good answer stands in, marked stale, as without a near cache."""
    settings.DEADLINE_MAX_ATTEMPTS = 1
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    resources.get_task(**ids.kwargs())
    tiny.emulator.faults.set("*", error_rate=1.0)
    wall.advance(settings.DEADLINE_CACHE_SECONDS + 0.5)

    with resilience.request_scope() as report:
        task = resources.get_task(**ids.kwargs())

    assert task.run_status == "RUNNING" and report.stale
    assert tiny.emulator.calls["GetTask"] == 2


def test_zero_turns_it_off(
    redis_cache: None, tiny: Tiny, wall: ManualClock, settings: LazySettings
) -> None:
    settings.DEADLINE_NEAR_CACHE_SECONDS = 0
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    resources.get_task(**ids.kwargs())
    _rewrite_in_redis(read_cache.cache_key("task", *ids.kwargs().values()), runStatus="FAILED")

    assert resources.get_task(**ids.kwargs()).run_status == "FAILED"
    assert len(resilience.near_cache()) == 0


def test_no_near_cache_in_front_of_the_per_process_cache(tiny: Tiny) -> None:
    assert not resilience.shared_cache()
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    resources.get_task(**ids.kwargs())
    assert len(resilience.near_cache()) == 0


def test_the_near_cache_is_bounded_in_size_and_time(wall: ManualClock) -> None:
    near = NearCache(max_entries=3)
    for n in range(5):
        near.put(f"k{n}", object(), bound=NEAR)  # type: ignore[arg-type]
    assert len(near) == 3 and near.get("k0") is None and near.get("k4") is not None

    wall.advance(NEAR)
    near.put("fresh", object(), bound=NEAR)  # type: ignore[arg-type]
    assert len(near) == 1  # the older copies had outlived the bound: dropped
    assert near.get("k4") is None
