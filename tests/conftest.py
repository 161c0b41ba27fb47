"""Fixtures shared by every dashboard test: a fresh emulator with a pinned clock, and clean
client and Django caches, per test."""

from __future__ import annotations

import gc
import logging
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import LazySettings
from django.core.cache import cache

from deadline_emulator import Emulator, set_default_emulator
from deadline_emulator.clock import Clock
from deadline_emulator.search import SearchPolicy
from deadline_emulator.seed import DEMO_EPOCH
from tasks_app.deadline import client as deadline_client
from tasks_app.deadline import resilience
from tasks_app.services import attention_refresh
from tasks_app.services.failure_analysis import runner as failure_analysis
from tasks_app.views import health
from tests import postgres_plugin, postgres_server
from tests.manual_clock import ManualClock
from tests.tasks_app.tiny_world import NOW, TinyWorld

# The action tests' fixtures (acting, operator_client, viewer_client), for every directory.
pytest_plugins = ["tests.action_world"]


def pytest_configure(config: pytest.Config) -> None:
    # The test processes hold a large heap for long (the demo world's states, Django, botocore's
    # models) and allocate fast: Python's default thresholds (700, 10, 10) walked that heap
    # over and over. Measured alone: the attention tests 33-41 s of CPU before, 25 s after; the
    # status board and every-page tests unchanged. No test depends on when a cycle is freed.
    gc.set_threshold(50_000, 20, 100)


#: The files that take a worker longest (``pytest -n 3 --dist loadfile --durations=0``), over
#: half a minute each, heaviest first. xdist hands out files in collection order (``make test``
#: turns off its own order, by test count): started first, no worker ends the run alone on one.
#: Order only: an out-of-date list costs balance, never a test.
HEAVIEST_FIRST = (
    "tasks_app/views/test_every_page.py",
    "browser/test_look_browser.py",
    "browser/test_status_board_browser.py",
    "tasks_app/services/test_background_workers.py",
    "browser/test_accessibility_browser.py",
    "tasks_app/views/test_attention.py",
    "tasks_app/views/test_job_timeline_big.py",
    "tasks_app/services/test_actions_big.py",
    "browser/test_usage_browser.py",
    "security/test_hostile_input.py",
    "tasks_app/views/test_search_modes.py",
    "browser/test_attention_browser.py",
    "tasks_app/services/test_actions_processes.py",
    "deadline_emulator/test_model_conformance.py",
    "browser/test_failures_browser.py",
    "browser/test_actions_browser.py",
    "tasks_app/views/farm/test_farm_pages.py",
    "browser/test_screenshots_browser.py",
    "browser/test_farm_browser.py",
    "tasks_app/views/test_attention_acks.py",
    "tasks_app/views/test_browse_big_step.py",
    "security/test_deploy.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    missing = [name for name in HEAVIEST_FIRST if not (here / name).exists()]
    assert not missing, f"HEAVIEST_FIRST names files that are gone: {missing}"
    rank = {name: place for place, name in enumerate(HEAVIEST_FIRST)}

    def place(item: pytest.Item) -> int:
        name = item.path.relative_to(here).as_posix() if item.path.is_relative_to(here) else ""
        return rank.get(name, len(rank))

    items.sort(key=place)  # stable: the rest keep their order


# Pinned a few days after the demo world's epoch: work is running, failing and finished.
PINNED_AT = DEMO_EPOCH + timedelta(days=3).total_seconds()


@pytest.fixture
def clock() -> Clock:
    return Clock(pinned_at=PINNED_AT)


@pytest.fixture(scope="module")
def _module_worlds() -> dict[int, Emulator]:
    """The emulators a ``read_only_world`` module's tests share, by seed (dropped with it)."""
    return {}


@pytest.fixture
def emulator(
    request: pytest.FixtureRequest, clock: Clock, settings: LazySettings
) -> Iterator[Emulator]:
    """A fresh emulator of the demo world (seed from settings), installed as the default.

    In a module marked ``read_only_world`` its tests share one (but a test marked
    ``fresh_world``, which writes, gets its own): what the emulator works out
    (a step's rows, a farm's sessions, a read's whole answer) is then worked out once for the
    module: a read asked again is answered from memory (still counted and faulted), not worked
    out again (``Emulator.remember_answers``). Each test starts with no faults and no calls
    counted, at the pinned instant, in the default search mode, and must leave the world as it
    found it: a write, an added job or a moved clock fails the test."""
    seed = settings.DEADLINE_DEMO_SEED
    shared = (
        request.node.get_closest_marker("read_only_world") is not None
        and request.node.get_closest_marker("fresh_world") is None
    )
    if shared:
        worlds = request.getfixturevalue("_module_worlds")
        if seed not in worlds:
            worlds[seed] = Emulator(seed=seed, clock=clock)
            worlds[seed].remember_answers()
        emulator = worlds[seed]
        emulator.faults.clear()
        emulator.calls.reset()
        emulator.clock.pin(PINNED_AT)
        emulator.search.set(SearchPolicy().mode)  # as a fresh emulator's
        before = emulator.backend.world_state()
    else:
        emulator = Emulator(seed=seed, clock=clock)
    set_default_emulator(emulator, seed=seed)
    yield emulator
    set_default_emulator(None, seed=seed)
    if shared:
        assert emulator.backend.world_state() == before, "a read_only_world test wrote"
        assert emulator.clock.now() == PINNED_AT, "a read_only_world test moved the clock"


def _reset_resilience() -> None:
    """Circuit breakers, the readiness verdict and the clock are per process: reset them."""
    resilience.reset()
    resilience.set_clock(None)
    health.reset()


def await_background_work() -> None:
    """Wait until nothing a request started in this process still calls the API."""
    # Failure analyses run in the background: none may outlive the test that started it.
    assert failure_analysis.drain(), "a failure analysis was still running after 60 s"
    # Nor may a read a page gave up on: it would call the next test's emulator.
    assert resilience.drain_reads(), "a read was still running after 60 s"
    # Nor the attention report the header's count builds in the background.
    assert attention_refresh.wait(60), "an attention build was still running after 60 s"


@pytest.fixture(scope="session", autouse=True)
def _api_lines_at_warning() -> None:
    """The line per API call at WARNING (failed calls), as ``make run`` has it: at INFO, each
    of the suite's API calls was formatted for the console and for pytest's capture (a few
    percent of the test processes' CPU). Tests of the lines set the level they read."""
    logging.getLogger("tasks_app.api").setLevel(logging.WARNING)


@pytest.fixture(autouse=True)
def _fresh_caches(settings: LazySettings) -> Iterator[None]:
    """Every test starts in demo mode with no cached client, an empty Django cache and closed
    circuit breakers."""
    settings.DEADLINE_BACKEND = "demo"
    # Serve static files from the finders: tests never run collectstatic.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    deadline_client.clear_client_cache()
    cache.clear()
    _reset_resilience()
    yield
    await_background_work()
    attention_refresh.reset()
    deadline_client.clear_client_cache()
    cache.clear()
    _reset_resilience()


#: What ``cache_on`` returns: point Django's cache at a Redis URL, with the backend's options.
UseCache = Callable[..., None]


@pytest.fixture
def cache_on(settings: LazySettings) -> Iterator[UseCache]:
    """Point Django's cache at a Redis URL for this test (``use(url, backend=..., **options)``);
    the test's own cache comes back before ``_fresh_caches`` clears it (that Redis may be
    stopped, or hung, by then)."""
    original = settings.CACHES

    def use(
        url: str, backend: str = "django.core.cache.backends.redis.RedisCache", **options: object
    ) -> None:
        settings.CACHES = {
            "default": {
                "BACKEND": backend,
                "LOCATION": url,
                "KEY_PREFIX": "dtd",
                "OPTIONS": options,
            }
        }

    yield use
    settings.CACHES = original


@pytest.fixture
def held_clock() -> ManualClock:
    """Hold the cache's clock still for the test: a test that counts API calls across several
    requests must not see an entry expire because a loaded machine took seconds to serve them
    (``_fresh_caches`` restores the real clock afterwards)."""
    clock = ManualClock()
    resilience.set_clock(clock)
    return clock


@dataclass
class Tiny:
    world: TinyWorld
    emulator: Emulator


@pytest.fixture
def tiny(settings: LazySettings) -> Iterator[Tiny]:
    """An emulator answering from a TinyWorld (clock pinned at tiny_world.NOW), as the default.

    Reads still go through boto3 and the emulator's wire layer (validation, faults, counts).
    """
    world = TinyWorld()
    emulator = Emulator(
        seed=settings.DEADLINE_DEMO_SEED, clock=Clock(pinned_at=NOW.timestamp()), backend=world
    )
    set_default_emulator(emulator, seed=settings.DEADLINE_DEMO_SEED)
    yield Tiny(world=world, emulator=emulator)
    set_default_emulator(None, seed=settings.DEADLINE_DEMO_SEED)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(
    django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The SQLite test database in a file, not in memory: actions execute in background
    threads, and connections to one in-memory database lock each other's tables (SQLITE_LOCKED,
    which no busy timeout waits out)."""
    from django.conf import settings as django_settings

    database = django_settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3"):
        path = tmp_path_factory.mktemp("database") / "test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(path)


@pytest.fixture(scope="module")
def shared_database_url() -> Iterator[str]:
    """DATABASE_URL of a new database for processes the test starts itself (``database``
    marker): a SQLite file, or under ``pytest --postgres`` a database on its cluster."""
    server = os.environ.get(postgres_plugin.SERVER_URL_VARIABLE)
    if server:
        with postgres_server.scratch_database(server, f"dtd_{uuid.uuid4().hex[:12]}") as url:
            yield url
        return
    with tempfile.TemporaryDirectory(prefix="dtd-sqlite-") as workdir:
        yield f"sqlite:///{workdir}/db.sqlite3"
