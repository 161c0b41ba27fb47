"""Every page and fragment, enumerated from the project's URL patterns (pages added later are
covered, or fail here until they say what their subject is): HEAD answers like GET, and each
survives any single read failing, answering 503 only when its own subject is unavailable."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import LazySettings
from django.core.cache import cache
from django.test import Client

from deadline_emulator import Emulator
from tasks_app.deadline import resilience
from tests.conftest import await_background_work
from tests.htmx_headers import HTMX as HX
from tests.security.routes import DATABASE_PAGES, Route, all_routes

# Its tests only read (with faults): one world for the module, its reads' answers remembered.
pytestmark = pytest.mark.read_only_world

#: Per route name: the reads whose failure leaves the page nothing to show (its subject),
#: so it answers 503 with Retry-After. Any other read failing must leave a 200 that shows
#: what it has. A route missing here fails the tests below: add it, with its subject.
SUBJECTS: dict[str, frozenset[str]] = {
    "home": frozenset(),
    "go": frozenset(),
    "healthz": frozenset(),
    "readyz": frozenset({"ListFarms"}),
    "login": frozenset(),
    "logout": frozenset(),
    "farm_list": frozenset({"ListFarms"}),
    "farm_detail": frozenset({"ListQueues"}),
    "queue_detail": frozenset({"SearchJobs"}),
    "job_detail": frozenset({"GetJob"}),
    # Usage, budgets, render times, a job's timeline (selectors/usage).
    "step_durations": frozenset({"GetStep", "ListTasks"}),
    "job_timeline": frozenset({"GetJob", "ListSessions", "ListSessionActions"}),
    "farm_usage": frozenset(
        {"ListQueues", "StartSessionsStatisticsAggregation", "GetSessionsStatisticsAggregation"}
    ),
    "job_usage": frozenset(
        {"GetJob", "StartSessionsStatisticsAggregation", "GetSessionsStatisticsAggregation"}
    ),
    "farm_budgets": frozenset({"ListBudgets", "GetBudget"}),
    "step_detail": frozenset({"GetStep"}),
    "task_detail": frozenset({"GetTask"}),
    "task_attempts": frozenset({"ListSessionActions"}),
    "task_log": frozenset({"GetLogEvents"}),
    # Failures views: the scope itself; the analysis's own reads fail inside the page.
    "queue_failures": frozenset({"SearchJobs"}),
    "job_failures": frozenset({"GetJob"}),
    "step_failures": frozenset({"GetStep"}),
    "step_task_details": frozenset({"GetStep", "SearchTasks"}),
    # Actions are POSTed; a GET of their URL goes back to the page (302), reading nothing.
    # The cascading farm-to-task form: a failed read is shown next to its field (200).
    "browse": frozenset(),
    "job_actions": frozenset(),
    "step_actions": frozenset(),
    "task_actions": frozenset(),
    "job_failure_actions": frozenset(),
    "step_failure_actions": frozenset(),
    # The farm side: the fleets, the fleet and its workers' page, the worker, a job's workers
    # (failed tasks per worker from the failures analysis, sessions from ListSessions).
    "fleet_list": frozenset({"ListFleets"}),
    "fleet_detail": frozenset({"GetFleet", "SearchWorkers"}),
    "worker_detail": frozenset({"GetWorker"}),
    "job_workers": frozenset({"GetJob"}),
    "fleet_actions": frozenset(),
    "worker_actions": frozenset(),
    # Why work waits: the job (or step), its steps and its queue's status are what it is
    # about; fleets, limits, budgets, dependencies and other queues' jobs degrade to a note.
    "job_blockers": frozenset({"GetJob", "ListSteps", "GetQueue"}),
    "step_blockers": frozenset({"GetJob", "ListSteps", "GetQueue"}),
    "farm_limits": frozenset({"ListLimits", "ListQueueLimitAssociations", "ListQueues"}),
    "queue_settings": frozenset(
        {"GetQueue", "ListQueueFleetAssociations", "ListQueueLimitAssociations", "ListLimits"}
        | {"ListBudgets", "GetBudget"}
    ),
}


@pytest.fixture
def demo_ids(emulator: Emulator) -> dict[str, str]:
    """IDs down to a task that failed and was retried: every section has something."""
    task = emulator.backend.landmarks()["failed_with_retries_task"]
    ids = {f"{key.removesuffix('Id')}_id": value for key, value in task.items()}
    worker = next(w for w in emulator.backend.world.workers if w.farm_id == ids["farm_id"])
    return {**ids, "fleet_id": worker.fleet_id, "worker_id": worker.worker_id}


def _urls(demo_ids: dict[str, str]) -> dict[str, str]:
    urls = {}
    for route in all_routes():
        name = str(route)
        if name in DATABASE_PAGES:
            continue
        assert name in SUBJECTS, f"{name}: new page? say what its subject is in SUBJECTS"
        query = "?q=farm-" if name == "go" else ""
        urls[name] = _build(route, demo_ids) + query
    return urls


def _build(route: Route, ids: dict[str, str]) -> str:
    missing = set(route.parameters) - set(ids)
    assert not missing, f"{route}: teach this test to fill {missing}"
    return route.build(ids)


def test_every_route_has_a_declared_subject(demo_ids: dict[str, str]) -> None:
    assert set(_urls(demo_ids)) == set(SUBJECTS)


def test_head_answers_every_page_that_get_serves(client: Client, demo_ids: dict[str, str]) -> None:
    served = 0
    for name, url in _urls(demo_ids).items():
        for headers in ({}, HX):
            get = client.get(url, headers=headers)
            head = client.head(url, headers=headers)
            assert head.status_code == get.status_code, (name, headers)
            assert head.content == b"", name
            if get.status_code == 200:
                assert head["Content-Type"] == get["Content-Type"], name
                served += 1
    assert served >= 2 * 10  # the browse, task and triage pages, full and as fragments


def _cold() -> None:
    """Nothing cached, breakers closed, and no background work of the previous load still
    calling the API: its calls would be counted as this load's, and a throttled one of them
    would count against this load's breakers."""
    await_background_work()
    cache.clear()
    resilience.reset()


@pytest.fixture
def one_try(settings: LazySettings) -> Iterator[None]:
    settings.DEADLINE_MAX_ATTEMPTS = 1  # a failing read fails at once, without backoff
    yield


#: What a cold load of each page reads, found once for both faults (the world and the clock are
#: the same for each test's emulator).
_READS: dict[tuple[str, tuple[tuple[str, str], ...]], frozenset[str]] = {}


def _operations(
    emulator: Emulator, client: Client, url: str, headers: dict[str, str]
) -> frozenset[str]:
    """The API operations one cold load of ``url`` makes."""
    key = (url, tuple(sorted(headers.items())))
    if key not in _READS:
        _cold()
        emulator.calls.reset()
        client.get(url, headers=headers)
        _READS[key] = frozenset(op for op, count in emulator.calls.snapshot().items() if count)
    return _READS[key]


@pytest.mark.parametrize("fault", ["error_rate", "throttle_rate"])
def test_every_page_survives_any_single_read_failing(
    emulator: Emulator, demo_ids: dict[str, str], one_try: None, fault: str
) -> None:
    client = Client(raise_request_exception=False)
    problems = []
    for name, url in _urls(demo_ids).items():
        for headers in ({}, HX):
            for operation in sorted(_operations(emulator, client, url, headers)):
                _cold()
                emulator.faults.set(operation, **{fault: 1.0})
                try:
                    response = client.get(url, headers=headers)
                finally:
                    emulator.faults.clear()
                where = f"{name}{' (htmx)' if headers else ''} with {operation} failing"
                if response.status_code == 503:
                    if operation not in SUBJECTS[name]:
                        said = response.content.decode(errors="replace")[:300]
                        problems.append(f"{where}: 503, but {operation} is not its subject: {said}")
                    elif "Retry-After" not in response:
                        problems.append(f"{where}: 503 without Retry-After")
                elif response.status_code not in {200, 204, 302}:
                    problems.append(f"{where}: {response.status_code}")
    assert not problems, "\n".join(problems)


def test_job_page_shows_the_job_when_its_steps_cannot_be_read(
    client: Client, emulator: Emulator, demo_ids: dict[str, str], one_try: None
) -> None:
    url = _urls(demo_ids)["job_detail"]
    emulator.faults.set("ListSteps", error_rate=1.0)
    for headers in ({}, {**HX, "HX-Current-URL": f"http://testserver{url}"}):
        _cold()
        response = client.get(url, headers=headers)
        assert response.status_code == 200
        html = response.content.decode()
        assert 'data-section-error="steps"' in html and "Steps not available" in html
        assert "This job has no steps" not in html
    # The steps come back: the next poll's version differs, so it re-renders them.
    version = response.context["version"]
    emulator.faults.clear()
    _cold()
    response = client.get(f"{url}?v={version}", headers=HX)
    assert response.status_code == 200 and b'data-section-error="steps"' not in response.content


def test_job_page_answers_503_when_the_job_cannot_be_read_although_its_steps_can(
    client: Client, emulator: Emulator, demo_ids: dict[str, str], one_try: None
) -> None:
    url = _urls(demo_ids)["job_detail"]
    emulator.faults.set("GetJob", throttle_rate=1.0)
    for headers in ({}, HX):
        _cold()
        response = client.get(url, headers=headers)
        assert response.status_code == 503 or (headers and response.status_code == 200)
        if response.status_code == 503:
            assert int(response["Retry-After"]) >= 1
    assert emulator.calls["ListSteps"] >= 1


def test_step_page_shows_the_step_when_its_tasks_cannot_be_read(
    client: Client, emulator: Emulator, demo_ids: dict[str, str], one_try: None
) -> None:
    url = _urls(demo_ids)["step_detail"]
    emulator.faults.set("SearchTasks", error_rate=1.0)
    for query in ("", "?q=beauty"):  # a free-text search reads the step first, then its tasks
        _cold()
        response = client.get(url + query)
        assert response.status_code == 200
        assert b'data-section-error="tasks"' in response.content


def test_a_thousand_mixed_loads_under_throttling_and_server_errors_give_no_500(
    emulator: Emulator, demo_ids: dict[str, str], one_try: None
) -> None:
    client = Client(raise_request_exception=False)
    urls = [url for name, url in _urls(demo_ids).items() if name not in {"login", "logout"}]
    emulator.faults.set("*", throttle_rate=0.3, error_rate=0.1)
    statuses: dict[int, int] = {}
    for n in range(1000):
        url = urls[n % len(urls)]
        headers = HX if (n // len(urls)) % 2 else {}
        response = client.get(url, headers=headers)
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        assert response.status_code != 500, (url, headers)
        if response.status_code == 503:
            assert "Retry-After" in response, url
    assert statuses.get(503, 0) > 0 and statuses.get(200, 0) > 0  # the faults did bite
