"""The cache on a real Redis: compact values, stale-while-error, and coalescing across
processes (two real gunicorn processes, one redis-server, calls counted at the emulator)."""

from __future__ import annotations

import json
import math
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import redis
from django.conf import LazySettings
from django.conf import settings as django_settings
from django.core.cache import cache

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.server import serve_in_thread
from tasks_app.deadline import cache as read_cache
from tasks_app.deadline import calls, resilience, types
from tasks_app.deadline.types import TaskPath
from tasks_app.selectors import resources, task_page
from tests.conftest import Tiny
from tests.dashboard_processes import emulator_environment, environment, gunicorn_processes
from tests.htmx_headers import HTMX
from tests.manual_clock import ManualClock
from tests.tasks_app.tiny_world import NOW, Ids, TinyWorld

pytestmark = pytest.mark.redis


# --- One process on Redis ------------------------------------------------------------------------


def test_values_in_redis_are_compact_json_and_serve_stale(
    redis_cache: None, tiny: Tiny, settings: LazySettings
) -> None:
    settings.DEADLINE_MAX_ATTEMPTS = 1
    wall = ManualClock()
    resilience.set_clock(wall)
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    resources.get_task(**ids.kwargs())
    raw = cache.get(read_cache.cache_key("task", *ids.kwargs().values()))
    assert isinstance(raw, str) and raw.startswith('{"at":') and "RUNNING" in raw

    tiny.emulator.faults.set("*", throttle_rate=1.0)
    wall.advance(settings.DEADLINE_CACHE_SECONDS + 1)
    with resilience.request_scope() as report:
        task = resources.get_task(**ids.kwargs())

    assert task.task_id == ids.task_id and report.stale and report.cause == "throttling"


def _locked_elsewhere(ids: Ids, timeout: float = 30) -> tuple[str, redis.lock.Lock]:
    """Take the task's refresh lock as another process would (redis-py's Lock under the
    cache's key); returns the task's cache key and the lock."""
    key = read_cache.cache_key("task", *ids.kwargs().values())
    client = redis.Redis.from_url(django_settings.CACHES["default"]["LOCATION"])
    held = client.lock(cache.make_key(f"{key}:lock"), timeout=timeout, thread_local=False)
    assert held.acquire(blocking=False)
    return key, held


def _fetch_and_store_elsewhere(ids: Ids, key: str, held: redis.lock.Lock) -> None:
    """What the lock holder does, as a refresh would: the one call, the store, the release."""
    params = {f"{name.removesuffix('_id')}Id": value for name, value in ids.kwargs().items()}
    answer = calls.call("GetTask", **params)
    payload = types.Task.from_api(answer).to_cache()
    cache.set(key, json.dumps({"at": time.time(), "data": payload}), timeout=60)
    held.release()


def test_a_refresh_held_by_another_process_serves_the_previous_value(
    redis_cache: None, tiny: Tiny, settings: LazySettings
) -> None:
    wall = ManualClock()
    resilience.set_clock(wall)
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    resources.get_task(**ids.kwargs())
    _locked_elsewhere(ids)
    wall.advance(settings.DEADLINE_CACHE_SECONDS + 1)

    with resilience.request_scope() as report:
        task = resources.get_task(**ids.kwargs())

    assert task.task_id == ids.task_id and not report.stale
    assert tiny.emulator.calls["GetTask"] == 1  # the lock holder refreshes, not us


def test_a_miss_waits_for_the_value_another_process_stores(redis_cache: None, tiny: Tiny) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    key, held = _locked_elsewhere(ids)
    result: dict[str, object] = {}
    waiter = threading.Thread(target=lambda: result.update(task=resources.get_task(**ids.kwargs())))
    waiter.start()
    _fetch_and_store_elsewhere(ids, key, held)
    waiter.join(timeout=10)

    assert not waiter.is_alive()
    assert result["task"].task_id == ids.task_id  # type: ignore[attr-defined]
    assert tiny.emulator.calls["GetTask"] == 1


def test_a_dead_lock_holder_is_taken_over_when_its_lock_expires(
    redis_cache: None, tiny: Tiny
) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    _locked_elsewhere(ids, timeout=1)  # a process that died holding it

    task = resources.get_task(**ids.kwargs())

    assert task.task_id == ids.task_id
    assert tiny.emulator.calls["GetTask"] == 1


def test_round_trips_of_a_cold_read_a_redis_hit_and_a_near_hit(
    redis_cache: None, tiny: Tiny, settings: LazySettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under load every round trip also waits for its thread to be scheduled again: a cold
    read is five (entry and failure; the lock; a second look; the store; the release)."""
    sent: list[bytes] = []
    send = redis.connection.AbstractConnection.send_packed_command

    def counting(self: object, command: object, *args: object, **kwargs: object) -> None:
        sent.append(command)  # type: ignore[arg-type]
        send(self, command, *args, **kwargs)  # type: ignore[arg-type]

    ids = tiny.world.add_task(0, runStatus="RUNNING")
    # The connections' own handshakes and the lock's release script are loaded once per
    # process: a read of another task first, not counted.
    resources.get_task(**tiny.world.add_task(1, runStatus="RUNNING").kwargs())
    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)

    resources.get_task(**ids.kwargs())
    cold = len(sent)
    resources.get_task(**ids.kwargs())
    near_hit = len(sent) - cold
    resilience.near_cache().forget()
    resources.get_task(**ids.kwargs())
    redis_hit = len(sent) - cold - near_hit

    assert (cold, near_hit, redis_hit) == (5, 0, 1)
    assert tiny.emulator.calls["GetTask"] == 2


def _counting_redis_commands(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every command sent to Redis from now on (the connection's handshake already done)."""
    sent: list[bytes] = []
    send = redis.connection.AbstractConnection.send_packed_command

    def counting(self: object, command: object, *args: object, **kwargs: object) -> None:
        sent.append(command)  # type: ignore[arg-type]
        send(self, command, *args, **kwargs)  # type: ignore[arg-type]

    resilience.get_many(["connected"])
    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)
    return sent


def test_a_task_page_reads_its_five_entries_in_one_round_trip(
    redis_cache: None, tiny: Tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    path = TaskPath(**ids.kwargs())
    cold = task_page.get_task_page(path=path)  # stored in Redis, kept near
    resilience.near_cache().forget()  # another process's view: all in Redis, nothing near
    sent = _counting_redis_commands(monkeypatch)

    warm = task_page.get_task_page(path=path)

    assert len(sent) == 1  # not one per read
    assert warm == cold
    assert warm.task == resources.get_task(**ids.kwargs())
    assert tiny.emulator.calls["GetTask"] == 1 and tiny.emulator.calls["GetFarm"] == 1


def test_a_task_page_read_of_what_another_process_is_fetching_waits_for_it(
    redis_cache: None, tiny: Tiny
) -> None:
    # The page's reads start from one shared look at Redis; a miss still takes the refresh
    # lock before calling the API, so a read another process holds is not made twice.
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    key, held = _locked_elsewhere(ids)
    result: dict[str, task_page.TaskPage] = {}
    reader = threading.Thread(
        target=lambda: result.update(page=task_page.get_task_page(path=TaskPath(**ids.kwargs())))
    )
    reader.start()
    _fetch_and_store_elsewhere(ids, key, held)
    reader.join(timeout=10)

    assert not reader.is_alive()
    assert result["page"].task.task_id == ids.task_id
    assert tiny.emulator.calls["GetTask"] == 1


def test_a_crowd_opening_one_cold_task_page_makes_each_read_once(
    redis_cache: None, tiny: Tiny, settings: LazySettings
) -> None:
    # More pages at once than the read pool has threads: no page may hold up another's reads
    # (a refresh lock is taken only by a read that is running), and each read is made once.
    settings.DEADLINE_COALESCE_WAIT_SECONDS = 3
    tiny.emulator.faults.set("*", latency_ms=50)
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    path = TaskPath(**ids.kwargs())
    with ThreadPoolExecutor(max_workers=24) as crowd:
        pages = list(crowd.map(lambda _: task_page.get_task_page(path=path), range(24)))

    assert all(page.task.task_id == ids.task_id and page.job is not None for page in pages)
    assert tiny.emulator.calls["GetTask"] == 1 and tiny.emulator.calls["GetJob"] == 1


# --- Two real processes --------------------------------------------------------------------------


def _get(url: str, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture
def two_dashboards(redis_url: str) -> Iterator[tuple[Emulator, TinyWorld, list[str]]]:
    """The emulator over HTTP (80 ms per call), and two gunicorn processes sharing Redis."""
    world = TinyWorld()
    emulator = Emulator(clock=Clock(pinned_at=NOW.timestamp()), backend=world)
    emulator.faults.set("*", latency_ms=80)
    server, emulator_url = serve_in_thread(emulator)
    with tempfile.TemporaryDirectory(prefix="dtd-two-") as workdir:
        env = environment(
            **emulator_environment(emulator_url),
            DASHBOARD_CACHE_URL=redis_url,
            DEADLINE_CACHE_SECONDS="1",
            DASHBOARD_AUTH="none",
            DASHBOARD_ATTENTION_AT_START="off",  # its calls are counted here: none of the list's
            DJANGO_DB_PATH=str(Path(workdir) / "db.sqlite3"),
        )
        try:
            with gunicorn_processes(2, env, threads=16) as bases:
                yield emulator, world, bases
        finally:
            server.shutdown()


def test_cross_process_coalescing_with_two_real_processes_and_one_redis(
    two_dashboards: tuple[Emulator, TinyWorld, list[str]],
) -> None:
    emulator, world, bases = two_dashboards
    ids = world.add_task(0, runStatus="RUNNING")
    urls = [f"{base}{ids.url()}" for base in bases]
    viewers = 32
    cold = threading.Barrier(viewers)

    def cold_poll(n: int) -> int:
        cold.wait(timeout=10)
        return _get(urls[n % 2], HTMX)

    with ThreadPoolExecutor(viewers) as pool:
        cold_statuses = list(pool.map(cold_poll, range(viewers)))

    # 32 concurrent cold misses over two processes: one GetTask.
    assert cold_statuses == [200] * viewers
    assert emulator.calls["GetTask"] == 1

    # Then steady polling from both processes for a few TTL windows (TTL = 1 s).
    emulator.calls.reset()
    ttl = 1.0
    statuses: list[int] = []
    lock = threading.Lock()
    started = time.monotonic()
    stop_at = started + 3.5

    def keep_polling(n: int) -> None:
        while time.monotonic() < stop_at:
            status = _get(urls[n % 2], HTMX)
            with lock:
                statuses.append(status)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(keep_polling, range(16)))
    elapsed = time.monotonic() - started

    assert statuses and set(statuses) <= {200}
    assert len(statuses) > 50  # many viewers polled
    # At most one GetTask per TTL window across both processes, and the TTL does expire.
    assert 1 <= emulator.calls["GetTask"] <= math.ceil(elapsed / ttl) + 1, emulator.calls["GetTask"]
