"""Upstream faults: stale-while-error, coalescing, the circuit breaker, probes and API logs.

Everything goes through the emulator and real boto3; time moves by ``ManualClock.advance``.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import Counter
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.retries.standard import ExponentialBackoff
from django.conf import LazySettings
from django.test import Client

from deadline_emulator.faults import FaultInjector
from tasks_app.deadline import cache as read_cache
from tasks_app.deadline import resilience
from tasks_app.deadline.errors import AccessDenied, NotFound, Unavailable
from tasks_app.deadline.resilience import CircuitBreaker, CircuitOpen
from tasks_app.deadline.types import Cacheable
from tasks_app.selectors import resources
from tests.conftest import Tiny
from tests.htmx_headers import HTMX
from tests.manual_clock import ManualClock
from tests.tasks_app.tiny_world import Ids

BANNER = re.compile(r"Showing data from (\d\d:\d\d:\d\d) UTC</strong> — the Deadline Cloud API is")


def html_of(response: object) -> str:
    return response.content.decode()  # type: ignore[attr-defined]


@pytest.fixture
def wall() -> ManualClock:
    manual = ManualClock()
    resilience.set_clock(manual)
    return manual


@pytest.fixture
def one_try(settings: LazySettings) -> None:
    settings.DEADLINE_MAX_ATTEMPTS = 1


# --- Stale-while-error ---------------------------------------------------------------------------


def test_stale_page_and_fragment_show_old_data_with_a_banner_then_503(
    client: Client, tiny: Tiny, wall: ManualClock, settings: LazySettings, one_try: None
) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    fresh = client.get(ids.url())
    assert fresh.status_code == 200
    assert not BANNER.search(html_of(fresh))
    version = re.search(r'data-version="(\w+)"', html_of(fresh)).group(1)

    tiny.world.tasks[ids.task_id]["runStatus"] = "SUCCEEDED"  # what a fresh read would show
    tiny.emulator.faults.set("*", error_rate=1.0)
    wall.advance(settings.DEADLINE_CACHE_SECONDS + 1)
    page = client.get(ids.url())
    poll = client.get(ids.url(), {"v": "0" * 16}, headers=HTMX)
    unchanged = client.get(ids.url(), {"v": version}, headers=HTMX)

    assert page.status_code == 200
    banner = BANNER.search(html_of(page))
    assert banner is not None and "unavailable" in html_of(page)
    assert "Running" in html_of(page) and "Succeeded" not in html_of(page)
    assert poll.status_code == 200
    assert 'id="stale-banner" class="poll-warning stale-banner" role="status" hx-swap-oob' in (
        html_of(poll)
    )
    assert BANNER.search(html_of(poll)) and 'id="task-panel"' in html_of(poll)
    # Unchanged data, but the browser must learn it is stale: only the banner is swapped.
    assert unchanged.status_code == 200 and unchanged["HX-Reswap"] == "none"
    assert BANNER.search(html_of(unchanged)) and 'id="task-panel"' not in html_of(unchanged)

    wall.advance(settings.DEADLINE_STALE_SECONDS)
    gone = client.get(ids.url())

    assert gone.status_code == 503
    assert int(gone["Retry-After"]) >= 1


def test_fresh_answer_clears_a_banner_the_browser_shows(
    client: Client, tiny: Tiny, wall: ManualClock, settings: LazySettings
) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    version = re.search(r'data-version="(\w+)"', html_of(client.get(ids.url()))).group(1)
    wall.advance(settings.DEADLINE_CACHE_SECONDS + 1)
    shown = {**HTMX, "X-Dashboard-Stale-Shown": "1"}

    changed = client.get(ids.url(), {"v": "0" * 16}, headers=shown)
    unchanged = client.get(ids.url(), {"v": version}, headers=shown)
    quiet = client.get(ids.url(), {"v": "0" * 16}, headers=HTMX)

    assert changed.status_code == 200 and 'id="task-panel"' in html_of(changed)
    assert (
        '<div id="stale-banner" class="poll-warning stale-banner" role="status" '
        'hx-swap-oob="true"></div>'
    ) in html_of(changed)
    assert unchanged.status_code == 204  # fresh: stale.js clears the banner on a 204
    assert "stale-banner" not in html_of(quiet)  # no banner shown, none sent


def test_api_down_after_warm_up_serves_stale_pages_for_the_whole_window(
    client: Client, tiny: Tiny, wall: ManualClock, settings: LazySettings, one_try: None
) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    assert client.get(ids.url()).status_code == 200
    warmed_at = wall.time()
    tiny.emulator.faults.set("*", down=True)

    served = 0
    while wall.time() - warmed_at < settings.DEADLINE_CACHE_SECONDS + 600 - 30:
        wall.advance(30)
        page = client.get(ids.url())
        poll = client.get(ids.url(), {"v": "0" * 16}, headers=HTMX)
        assert page.status_code == 200, wall.time() - warmed_at
        assert BANNER.search(html_of(page)) and "unavailable" in html_of(page)
        assert poll.status_code == 200 and BANNER.search(html_of(poll))
        served += 1
    wall.advance(60)
    after = client.get(ids.url())

    assert served >= 19
    assert after.status_code == 503 and after["Retry-After"]


def test_not_found_and_access_denied_are_never_masked_by_stale_data(
    tiny: Tiny, wall: ManualClock, settings: LazySettings
) -> None:
    ids = tiny.world.add_task(0)
    resources.get_task(**ids.kwargs())
    wall.advance(settings.DEADLINE_CACHE_SECONDS + 1)
    tiny.emulator.faults.set("GetTask", deny=True)
    with pytest.raises(AccessDenied):
        resources.get_task(**ids.kwargs())
    tiny.emulator.faults.clear()
    del tiny.world.tasks[ids.task_id]

    with pytest.raises(NotFound):
        resources.get_task(**ids.kwargs())


def test_the_whole_stale_report_is_per_request(
    tiny: Tiny, wall: ManualClock, settings: LazySettings, one_try: None
) -> None:
    ids = tiny.world.add_task(0)
    resources.get_task(**ids.kwargs())
    wall.advance(settings.DEADLINE_CACHE_SECONDS + 1)
    tiny.emulator.faults.set("GetTask", throttle_rate=1.0)

    with resilience.request_scope() as report:
        resources.get_task(**ids.kwargs())
    with resilience.request_scope() as other:
        pass

    assert report.stale and report.cause == "throttling"
    assert report.since is not None and report.since.timestamp() == pytest.approx(
        wall.time() - settings.DEADLINE_CACHE_SECONDS - 1
    )
    assert not other.stale


# --- The fault test ------------------------------------------------------------------------------


def test_a_thousand_loads_at_30pc_throttling_10pc_errors_never_500(
    client: Client,
    tiny: Tiny,
    wall: ManualClock,
    settings: LazySettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """30% throttling + 10% 5xx + latency: every answer is fresh, stale with the banner, or a
    503 with Retry-After before the page was ever read; API calls stay bounded per TTL."""
    # botocore's retries as configured (DEADLINE_MAX_ATTEMPTS), without their backoff sleeps.
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)
    tasks = [tiny.world.add_task(i, runStatus="RUNNING") for i in range(5)]
    ttl = settings.DEADLINE_CACHE_SECONDS
    tiny.emulator.faults.set(
        "*", throttle_rate=0.3, error_rate=0.1, latency_ms=1, retry_after_seconds=int(ttl)
    )
    step = 0.1  # seconds between loads
    statuses: Counter[str] = Counter()
    ever_read: set[str] = set()
    versions: dict[str, str] = {}

    for n in range(1000):
        ids = tasks[n % len(tasks)]
        kind = ("page", "fragment", "poll")[n // len(tasks) % 3]
        if kind == "page":
            response = client.get(ids.url())
        else:
            version = versions.get(ids.task_id, "0" * 16) if kind == "poll" else "0" * 16
            response = client.get(ids.url(), {"v": version}, headers=HTMX)
        html = html_of(response)
        stale = bool(BANNER.search(html))
        if response.status_code == 503:
            assert response["Retry-After"] and ids.task_id not in ever_read
            statuses["503"] += 1
        elif response.status_code == 204:
            statuses["unchanged"] += 1
        else:
            assert response.status_code == 200, (n, response.status_code)
            served_task = 'id="task-panel"' in html
            if response.get("HX-Reswap") == "none" and not served_task:
                # A poll that kept the panel: stale-but-unchanged, or no data yet + warning.
                assert stale or ids.task_id not in ever_read
            else:
                assert served_task
                ever_read.add(ids.task_id)
                versions[ids.task_id] = re.search(r'data-version="(\w+)"', html).group(1)
            statuses["stale" if stale else "fresh"] += 1
        wall.advance(step)

    elapsed = 1000 * step
    attempts = settings.DEADLINE_MAX_ATTEMPTS
    # Per cache key: one refresh per TTL (a failure holds the key for min(Retry-After, TTL)).
    windows = int(elapsed // ttl) + 1
    name_windows = int(elapsed // settings.DEADLINE_NAME_CACHE_SECONDS) + 1
    calls = tiny.emulator.calls
    assert statuses["fresh"] > 500 and statuses["stale"] > 0, statuses
    assert calls["GetTask"] <= len(tasks) * windows * attempts
    for operation in ("GetFarm", "GetQueue", "GetJob", "GetStep"):
        assert calls[operation] <= name_windows * attempts, operation


# --- Coalescing ----------------------------------------------------------------------------------


def _release_when_coalesced(tiny: Tiny, waiters: int) -> threading.Event:
    """Hold the emulator's (single) call until ``waiters`` callers queue behind it."""
    release = threading.Event()

    def hold(_seconds: float) -> None:
        deadline = threading.Event()
        for _ in range(1000):  # bounded: ~10 s
            if resilience.coalesced_waiters() >= waiters:
                break
            deadline.wait(0.01)
        release.set()

    tiny.emulator.faults = FaultInjector(sleep=hold)
    tiny.emulator.faults.set("GetTask", latency_ms=1)
    return release


def test_concurrent_misses_in_one_process_make_one_call(tiny: Tiny) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    threads = 8
    released = _release_when_coalesced(tiny, waiters=threads - 1)
    start = threading.Barrier(threads)

    def read() -> object:
        start.wait(timeout=10)
        return resources.get_task(**ids.kwargs())

    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda _: read(), range(threads)))

    assert released.is_set()
    assert tiny.emulator.calls["GetTask"] == 1
    assert len({task.version for task in results}) == 1


def test_coalesced_callers_share_the_error(tiny: Tiny, one_try: None) -> None:
    ids = tiny.world.add_task(0)
    threads = 4
    _release_when_coalesced(tiny, waiters=threads - 1)
    tiny.emulator.faults.set("GetTask", latency_ms=1, throttle_rate=1.0)
    start = threading.Barrier(threads)

    def read() -> str:
        start.wait(timeout=10)
        try:
            resources.get_task(**ids.kwargs())
        except Unavailable as exc:
            return exc.reason
        return "ok"

    with ThreadPoolExecutor(threads) as pool:
        reasons = list(pool.map(lambda _: read(), range(threads)))

    assert reasons == ["throttled"] * threads
    assert tiny.emulator.calls["GetTask"] == 1


# --- Circuit breaker -----------------------------------------------------------------------------


def test_breaker_opens_half_opens_and_closes(wall: ManualClock) -> None:
    breaker = CircuitBreaker("tasks", threshold=3, cooldown=10)
    for _ in range(2):
        breaker.before_call()
        breaker.record_failure("throttled")
    assert breaker.state == "closed"
    breaker.record_failure("throttled")

    assert breaker.state == "open"
    with pytest.raises(CircuitOpen) as refused:
        breaker.before_call()
    assert refused.value.retry_after == 10 and refused.value.cause == "throttled"
    wall.advance(4)
    with pytest.raises(CircuitOpen) as later:
        breaker.before_call()
    assert later.value.retry_after == 6

    wall.advance(6)
    assert breaker.state == "half-open"
    breaker.before_call()  # the probe
    with pytest.raises(CircuitOpen):
        breaker.before_call()  # only one probe at a time
    breaker.record_failure("server-error")  # a failed probe re-opens at once
    assert breaker.state == "open"

    wall.advance(10)
    breaker.before_call()
    breaker.record_success()
    assert breaker.state == "closed"
    breaker.before_call()


def test_open_breaker_stops_calls_and_serves_stale_then_probes(
    tiny: Tiny, wall: ManualClock, settings: LazySettings, one_try: None
) -> None:
    settings.DEADLINE_BREAKER_FAILURES = 2
    settings.DEADLINE_BREAKER_COOLDOWN_SECONDS = 15
    warm = tiny.world.add_task(0, runStatus="RUNNING")
    resources.get_task(**warm.kwargs())
    tiny.emulator.faults.set("GetTask", throttle_rate=1.0)
    for index in (1, 2):  # distinct tasks: no key is held back by a previous failure
        with pytest.raises(Unavailable):
            resources.get_task(**tiny.world.add_task(index).kwargs())
    assert tiny.emulator.calls["GetTask"] == 3

    wall.advance(settings.DEADLINE_CACHE_SECONDS + 1)
    with resilience.request_scope() as report:
        stale = resources.get_task(**warm.kwargs())
    with pytest.raises(Unavailable) as refused:
        resources.get_task(**tiny.world.add_task(3).kwargs())

    assert tiny.emulator.calls["GetTask"] == 3  # the breaker made no call
    assert stale.task_id == warm.task_id and report.stale and report.cause == "throttling"
    assert refused.value.reason == "circuit-open"
    assert refused.value.retry_after == 15 - settings.DEADLINE_CACHE_SECONDS - 1

    tiny.emulator.faults.clear()
    wall.advance(15)
    assert resources.get_task(**tiny.world.add_task(4).kwargs()).task_id  # the probe
    assert resilience.breaker_for("GetTask").state == "closed"
    assert tiny.emulator.calls["GetTask"] == 4


def test_breakers_are_per_family(tiny: Tiny, settings: LazySettings, one_try: None) -> None:
    settings.DEADLINE_BREAKER_FAILURES = 1
    ids = tiny.world.add_task(0)
    tiny.emulator.faults.set("GetTask", error_rate=1.0)
    with pytest.raises(Unavailable):
        resources.get_task(**ids.kwargs())

    assert resilience.breaker_for("SearchTasks").state == "open"
    assert resilience.breaker_for("GetFarm").state == "closed"
    assert resources.get_farm(farm_id=ids.farm_id).name


# --- Probes --------------------------------------------------------------------------------------


def test_healthz_answers_without_calling_the_api(client: Client, tiny: Tiny) -> None:
    tiny.emulator.faults.set("*", down=True)

    response = client.get("/healthz")

    assert response.status_code == 200 and response.content == b"ok"
    # Load balancers often probe with HEAD.
    assert client.head("/healthz").status_code == 200
    assert tiny.emulator.calls.total() == 0


def test_readyz_calls_list_farms_once_per_few_seconds(
    client: Client, tiny: Tiny, wall: ManualClock
) -> None:
    tiny.world.list_farms = lambda **_: {"farms": []}  # type: ignore[attr-defined]
    first = client.get("/readyz")
    second = client.get("/readyz")

    assert first.status_code == 200 and first.json()["status"] == "ready"
    assert second.json() == first.json()
    assert tiny.emulator.calls["ListFarms"] == 1

    tiny.emulator.faults.set("*", down=True)
    wall.advance(5)
    down = client.get("/readyz")

    assert down.status_code == 503 and down["Retry-After"]
    assert down.json()["status"] == "unavailable" and down.json()["reason"] == "unreachable"


def test_readyz_is_503_when_access_is_denied(client: Client, tiny: Tiny) -> None:
    tiny.emulator.faults.set("ListFarms", deny=True)

    response = client.get("/readyz/")

    assert response.status_code == 503
    assert response.json()["reason"] == "AccessDenied"


# --- Logs ----------------------------------------------------------------------------------------


def test_one_log_line_per_api_call_without_secrets(
    tiny: Tiny, wall: ManualClock, settings: LazySettings, caplog: pytest.LogCaptureFixture
) -> None:
    ids = tiny.world.add_task(0)
    caplog.set_level(logging.INFO, logger="tasks_app.api")  # the suite has it at WARNING
    caplog.set_level(logging.DEBUG, logger="tasks_app")  # last: it sets the capture's level too
    resources.get_task(**ids.kwargs())
    resources.get_task(**ids.kwargs())
    wall.advance(settings.DEADLINE_CACHE_SECONDS + 1)
    tiny.emulator.faults.set("GetTask", throttle_rate=1.0)
    resources.get_task(**ids.kwargs())

    api = [r.getMessage() for r in caplog.records if r.name == "tasks_app.api"]
    cache_lines = [r.getMessage() for r in caplog.records if r.name == "tasks_app.cache"]
    assert len(api) == 2
    ok, throttled = api
    assert ok.startswith("api op=GetTask ids=") and ids.task_id in ok
    assert re.search(r" ms=\d+\.\d outcome=ok retries=0 cache=miss$", ok)
    assert re.search(
        rf" outcome=ThrottlingException retries={settings.DEADLINE_MAX_ATTEMPTS - 1} "
        r"cache=refresh$",
        throttled,
    )
    assert any(line.startswith("cache=hit kind=task") for line in cache_lines)
    assert any(
        line.startswith("cache=stale kind=task") and "reason=throttled" in line
        for line in cache_lines
    )
    text = caplog.text.lower()
    for secret in ("demo", "authorization", "signature", "credential", "x-amz"):
        assert secret not in text.replace("demo world", ""), secret


def test_cache_values_are_compact_json(tiny: Tiny) -> None:
    from django.core.cache import cache

    ids = tiny.world.add_task(0, runStatus="RUNNING")
    resources.get_task(**ids.kwargs())
    raw = cache.get(read_cache.cache_key("task", *Ids(task_id=ids.task_id).kwargs().values()))

    assert isinstance(raw, str) and raw.startswith('{"at":') and '"runStatus":"RUNNING"' in raw


# --- Invalidation by an action -------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer(Cacheable):
    n: int

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> _Answer:
        return cls(n=answer["n"])

    def to_cache(self) -> dict[str, Any]:
        return {"n": self.n}


def test_an_action_finished_while_a_read_was_under_way_leaves_that_answer_not_fresh(
    wall: ManualClock,
) -> None:
    """The read asked before the action changed the queue: its answer may predate the change,
    so the next read asks again instead of serving it for the rest of its TTL."""
    farm_id, queue_id = "farm-" + "a" * 32, "queue-" + "b" * 32
    calls: list[int] = []

    def fetch() -> dict[str, int]:
        calls.append(1)
        if len(calls) == 1:  # the API answers slowly; an action ends meanwhile
            wall.advance(1)
            read_cache.invalidate_queue(farm_id=farm_id, queue_id=queue_id)
            wall.advance(1)
        return {"n": len(calls)}

    def read() -> _Answer:
        return read_cache.cached_read(
            kind="job", ids=(farm_id, queue_id, "job-" + "c" * 32), ttl=60, fetch=fetch,
            parse=_Answer,
        )  # fmt: skip

    assert read().n == 1
    assert read().n == 2  # asked again: the first answer was older than the action
    assert read().n == 2  # and that one is fresh


def test_a_pool_knows_when_its_last_read_has_ended() -> None:
    """A read whose page stopped waiting for it still runs; ``wait_idle`` waits for it (and for
    what it submits), so a test never leaves one behind to call the next test's emulator."""
    pool = resilience.ContextThreadPoolExecutor(max_workers=2)
    release = threading.Event()
    ended: list[str] = []

    def inner() -> None:
        release.wait()
        ended.append("inner")

    def outer() -> None:
        pool.submit(inner)
        ended.append("outer")

    try:
        pool.submit(outer).result()
        assert not pool.wait_idle(timeout=0.05)  # inner still waits
        release.set()
        assert pool.wait_idle(timeout=30)
        assert ended == ["outer", "inner"]
        assert pool.wait_idle(timeout=0)  # nothing left: answers at once
    finally:
        release.set()
        pool.shutdown()
