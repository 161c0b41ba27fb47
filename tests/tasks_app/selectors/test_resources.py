"""The service layer through a real boto3 client: errors mapped once, caching, concurrency."""

from __future__ import annotations

import json
import threading

import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber
from django.conf import LazySettings
from django.core.cache import cache

from deadline_emulator.faults import FaultInjector
from tasks_app.deadline import cache as read_cache
from tasks_app.deadline import client as deadline_client
from tasks_app.deadline import resilience
from tasks_app.deadline.errors import AccessDenied, InvalidRequest, NotFound, Unavailable
from tasks_app.deadline.types import Task, TaskPath, TaskRunStatus
from tasks_app.selectors import resources, task_page
from tests.conftest import Tiny
from tests.manual_clock import ManualClock
from tests.tasks_app.tiny_world import FARM_ID, JOB_ID, STEP_ID, Ids, hex_id


@pytest.fixture
def one_try(settings: LazySettings) -> None:
    """No botocore retries: one fault, one answer (retries are tested on their own)."""
    settings.DEADLINE_MAX_ATTEMPTS = 1


def test_get_task_returns_a_typed_task(tiny: Tiny) -> None:
    ids = tiny.world.add_task(4, runStatus="FAILED", failureRetryCount=3)

    task = resources.get_task(**ids.kwargs())

    assert isinstance(task, Task)
    assert task.run_status is TaskRunStatus.FAILED
    assert task.failure_retry_count == 3


def test_names_of_the_ancestors(tiny: Tiny) -> None:
    assert resources.get_farm(farm_id=FARM_ID).display_name == "Paris render farm"
    assert resources.get_job(farm_id=FARM_ID, queue_id=Ids().queue_id, job_id=JOB_ID).name == (
        "shot_042_v3"
    )
    step = resources.get_step(
        farm_id=FARM_ID, queue_id=Ids().queue_id, job_id=JOB_ID, step_id=STEP_ID
    )
    assert step.name == "Render"


# --- Errors ------------------------------------------------------------------------------------


def test_missing_task_is_not_found_naming_the_task(tiny: Tiny) -> None:
    ids = Ids(task_id=f"task-{STEP_ID.removeprefix('step-')}-99")

    with pytest.raises(NotFound) as caught:
        resources.get_task(**ids.kwargs())

    assert caught.value.resource_type == "task"
    assert caught.value.resource_id == ids.task_id
    assert ids.task_id in caught.value.message


def test_missing_step_is_reported_as_the_step(tiny: Tiny) -> None:
    ids = Ids(step_id=hex_id("step", 0xEE))

    with pytest.raises(NotFound) as caught:
        resources.get_task(**ids.kwargs())

    assert caught.value.resource_type == "step"
    assert caught.value.resource_id == ids.step_id


def test_access_denied_names_the_iam_action(tiny: Tiny) -> None:
    ids = tiny.world.add_task(0)
    tiny.emulator.faults.set("GetTask", deny=True)

    with pytest.raises(AccessDenied) as caught:
        resources.get_task(**ids.kwargs())

    assert caught.value.action == "deadline:GetTask"
    assert "deadline:GetTask" in caught.value.message


def test_throttling_is_unavailable_with_retry_after(tiny: Tiny, one_try: None) -> None:
    ids = tiny.world.add_task(0)
    tiny.emulator.faults.set("GetTask", throttle_rate=1.0, retry_after_seconds=7)

    with pytest.raises(Unavailable) as caught:
        resources.get_task(**ids.kwargs())

    assert caught.value.reason == "throttled"
    assert caught.value.retry_after == 7
    assert "throttling" in caught.value.message
    assert isinstance(caught.value.__cause__, Exception)  # raised ``from`` the botocore error


def test_server_errors_are_unavailable(tiny: Tiny, one_try: None) -> None:
    ids = tiny.world.add_task(0)
    tiny.emulator.faults.set("*", error_rate=1.0)

    with pytest.raises(Unavailable) as caught:
        resources.get_task(**ids.kwargs())

    assert caught.value.reason == "server-error"
    assert "InternalServerErrorException" in caught.value.message


def test_unreachable_endpoint_is_unavailable(tiny: Tiny, one_try: None) -> None:
    ids = tiny.world.add_task(0)
    tiny.emulator.faults.set("*", down=True)

    with pytest.raises(Unavailable) as caught:
        resources.get_task(**ids.kwargs())

    assert caught.value.reason == "unreachable"
    assert "AWS_ENDPOINT_URL_DEADLINE" in caught.value.message


def test_botocore_retries_throttling_up_to_the_configured_attempts(
    tiny: Tiny, settings: LazySettings
) -> None:
    settings.DEADLINE_MAX_ATTEMPTS = 2
    ids = tiny.world.add_task(0)
    tiny.emulator.faults.set("GetTask", throttle_rate=1.0)

    with pytest.raises(Unavailable):
        resources.get_task(**ids.kwargs())

    assert tiny.emulator.calls["GetTask"] == 2


def test_read_timeout_is_unavailable(tiny: Tiny, one_try: None) -> None:
    ids = tiny.world.add_task(0)

    def time_out(**_: object) -> None:
        raise ReadTimeoutError(endpoint_url=deadline_client.DEMO_ENDPOINT)

    # The in-process transport never times out: raise what urllib3 would, inside botocore.
    deadline_client.get_client().meta.events.register("before-call.deadline.GetTask", time_out)

    with pytest.raises(Unavailable) as caught:
        resources.get_task(**ids.kwargs())

    assert caught.value.reason == "timeout"
    assert "DEADLINE_READ_TIMEOUT" in caught.value.message


def test_malformed_id_refused_by_the_api_is_invalid_request(tiny: Tiny) -> None:
    # Views never send this (the URL converters refuse it); the service still maps the answer.
    ids = Ids(task_id="task-123")

    with pytest.raises(InvalidRequest) as caught:
        resources.get_task(**ids.kwargs())

    assert "ValidationException" in caught.value.message


def test_validation_exception_via_stubber(tiny: Tiny) -> None:
    ids = tiny.world.add_task(0)
    client = deadline_client.get_client()
    with Stubber(client) as stubber:
        stubber.add_client_error(
            "get_task",
            service_error_code="ValidationException",
            service_message="Value at 'taskId' failed to satisfy constraint",
            http_status_code=400,
        )
        with pytest.raises(InvalidRequest) as caught:
            resources.get_task(**ids.kwargs())

    assert "taskId" in caught.value.message


def test_no_credentials_is_unavailable_with_advice(
    settings: LazySettings, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    settings.DEADLINE_BACKEND = "aws"
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", f"{tmp_path}/missing-credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", f"{tmp_path}/missing-config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_WEB_IDENTITY_TOKEN_FILE", raising=False)
    monkeypatch.setenv("AWS_REGION", "us-west-2")

    with pytest.raises(Unavailable) as caught:
        resources.get_task(**Ids().kwargs())

    assert caught.value.reason == "credentials"
    assert "AWS_PROFILE" in caught.value.message


def test_no_region_is_unavailable_with_advice(
    settings: LazySettings, monkeypatch: pytest.MonkeyPatch, tmp_path: object
) -> None:
    settings.DEADLINE_BACKEND = "aws"
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", f"{tmp_path}/missing-config")

    with pytest.raises(Unavailable) as caught:
        resources.get_task(**Ids().kwargs())

    assert caught.value.reason == "configuration"
    assert "AWS_REGION" in caught.value.message


# --- Caching -----------------------------------------------------------------------------------


def test_many_reads_inside_the_ttl_cost_one_get_task(tiny: Tiny) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING")

    tasks = [resources.get_task(**ids.kwargs()) for _ in range(25)]

    assert tiny.emulator.calls["GetTask"] == 1
    assert {task.version for task in tasks} == {tasks[0].version}


def test_task_reads_expire_sooner_than_names(tiny: Tiny, settings: LazySettings) -> None:
    settings.DEADLINE_CACHE_SECONDS = 0  # Django: 0 means "do not keep"
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    path = TaskPath(**ids.kwargs())

    for _ in range(3):
        task_page.get_task_page(path=path)

    assert tiny.emulator.calls["GetTask"] == 3
    assert tiny.emulator.calls["GetFarm"] == 1
    assert tiny.emulator.calls["GetStep"] == 1


def test_cached_value_is_compact_json_not_a_pickled_object(tiny: Tiny) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING", parameters={"Frame": {"int": "7"}})
    task = resources.get_task(**ids.kwargs())

    raw = cache.get(read_cache.cache_key("task", *ids.kwargs().values()))

    assert isinstance(raw, str)
    entry = json.loads(raw)
    assert Task.from_cache(entry["data"]) == task
    assert entry["data"]["parameters"] == {"Frame": {"int": "7"}}
    assert len(raw) < 400


def test_cache_keys_include_backend_region_and_endpoint(
    tiny: Tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    demo_key = read_cache.cache_key("task", *Ids().kwargs().values())
    monkeypatch.setattr(
        deadline_client,
        "backend_identity",
        lambda: deadline_client.BackendIdentity(
            "aws", "eu-west-1", "https://deadline.eu-west-1.aws"
        ),
    )
    aws_key = read_cache.cache_key("task", *Ids().kwargs().values())
    monkeypatch.setattr(
        deadline_client,
        "backend_identity",
        lambda: deadline_client.BackendIdentity(
            "aws", "us-east-1", "https://deadline.us-east-1.aws"
        ),
    )
    other_region_key = read_cache.cache_key("task", *Ids().kwargs().values())

    assert len({demo_key, aws_key, other_region_key}) == 3
    assert demo_key.startswith("dtd:v1:task:")
    assert len(demo_key) < 64  # hashed: short and safe for any cache backend


def test_reads_after_the_clients_change_never_share_entries(
    tiny: Tiny, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Keys are remembered per read (cache.py): forgetting the clients (a new endpoint or
    # region, say) must make them again, or the new backend would be served the old answers.
    ids = tiny.world.add_task(0)
    resources.get_task(**ids.kwargs())
    monkeypatch.setattr(
        deadline_client,
        "backend_identity",
        lambda: deadline_client.BackendIdentity("aws", "eu-west-1", "https://deadline.eu.aws"),
    )
    deadline_client.clear_client_cache()

    resources.get_task(**ids.kwargs())

    assert tiny.emulator.calls["GetTask"] == 2


def test_a_different_demo_seed_never_shares_entries(tiny: Tiny, settings: LazySettings) -> None:
    ids = tiny.world.add_task(0)
    resources.get_task(**ids.kwargs())
    settings.DEADLINE_DEMO_SEED = 1
    from deadline_emulator import set_default_emulator

    set_default_emulator(tiny.emulator, seed=1)
    try:
        resources.get_task(**ids.kwargs())
    finally:
        set_default_emulator(None, seed=1)

    assert tiny.emulator.calls["GetTask"] == 2


def test_unreadable_cache_entry_is_a_miss(tiny: Tiny) -> None:
    ids = tiny.world.add_task(0, runStatus="READY")
    cache.set(read_cache.cache_key("task", *ids.kwargs().values()), "{not json", 60)

    task = resources.get_task(**ids.kwargs())

    assert task.run_status is TaskRunStatus.READY
    assert tiny.emulator.calls["GetTask"] == 1


def test_errors_are_not_cached_past_retry_after(tiny: Tiny, one_try: None) -> None:
    clock = ManualClock()
    resilience.set_clock(clock)
    ids = tiny.world.add_task(0, runStatus="READY")
    tiny.emulator.faults.set("GetTask", error_rate=1.0, retry_after_seconds=2)
    with pytest.raises(Unavailable):
        resources.get_task(**ids.kwargs())
    tiny.emulator.faults.clear()
    # Inside the Retry-After the API is not asked again; then it is.
    with pytest.raises(Unavailable):
        resources.get_task(**ids.kwargs())
    clock.advance(2)

    assert resources.get_task(**ids.kwargs()).run_status is TaskRunStatus.READY
    assert tiny.emulator.calls["GetTask"] == 2


# --- The task page's reads -----------------------------------------------------------------------


def test_cold_page_reads_run_concurrently(tiny: Tiny) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    # Each of the five reads waits inside the emulator until all five are in flight at once:
    # made one after another, the first would wait alone and the barrier would break.
    in_flight = threading.Barrier(5)
    tiny.emulator.faults = FaultInjector(sleep=lambda _seconds: in_flight.wait(timeout=10))
    tiny.emulator.faults.set("*", latency_ms=1)

    page = task_page.get_task_page(path=TaskPath(**ids.kwargs()))

    assert not in_flight.broken
    assert page.farm is not None and page.step is not None
    assert tiny.emulator.calls.total() == 5


def test_page_names_degrade_to_ids_when_only_a_name_read_fails(tiny: Tiny) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    tiny.emulator.faults.set("GetFarm", deny=True)

    page = task_page.get_task_page(path=TaskPath(**ids.kwargs()))

    assert page.farm is None
    assert page.queue is not None and page.queue.display_name == "Lighting"


def test_page_reports_the_highest_missing_level(tiny: Tiny) -> None:
    ids = Ids(job_id=hex_id("job", 0xFF))

    with pytest.raises(NotFound) as caught:
        task_page.get_task_page(path=TaskPath(**ids.kwargs()))

    assert caught.value.resource_type == "job"
