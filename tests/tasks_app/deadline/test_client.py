"""The client factory: backend selection, timeouts, retries, one client per process."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest
from botocore.utils import parse_timestamp as botocores
from django.conf import LazySettings

from tasks_app.deadline import client as deadline_client
from tests.conftest import Tiny


def test_demo_client_is_configured_and_cached(settings: LazySettings, tiny: Tiny) -> None:
    settings.DEADLINE_CONNECT_TIMEOUT = 2.5
    settings.DEADLINE_READ_TIMEOUT = 4.0
    settings.DEADLINE_MAX_ATTEMPTS = 4
    settings.DEADLINE_RETRY_MODE = "adaptive"

    client = deadline_client.get_client()
    config = client.meta.config

    assert deadline_client.get_client() is client
    assert client.meta.region_name == "us-west-2"
    assert config.connect_timeout == 2.5
    assert config.read_timeout == 4.0
    assert config.retries == {"mode": "adaptive", "total_max_attempts": 4}
    assert config.user_agent_appid == "deadline-task-dashboard"
    assert config.inject_host_prefix is False
    assert deadline_client.backend_identity().backend == "demo"


def test_demo_client_answers_from_the_default_emulator(tiny: Tiny) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING")

    answer = deadline_client.get_client().get_task(
        farmId=ids.farm_id,
        queueId=ids.queue_id,
        jobId=ids.job_id,
        stepId=ids.step_id,
        taskId=ids.task_id,
    )

    assert answer["runStatus"] == "RUNNING"
    assert tiny.emulator.calls["GetTask"] == 1


def test_aws_backend_uses_the_standard_configuration_chain(
    settings: LazySettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEADLINE_BACKEND = "aws"
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DEADLINE", "http://127.0.0.1:8001")

    client = deadline_client.get_client()

    assert client.meta.region_name == "eu-west-1"
    assert client.meta.endpoint_url == "http://127.0.0.1:8001"
    assert client.meta.config.user_agent_appid == "deadline-task-dashboard"
    assert deadline_client.backend_identity() == deadline_client.BackendIdentity(
        backend="aws", region="eu-west-1", endpoint="http://127.0.0.1:8001"
    )
    assert not deadline_client.is_demo()


def test_settings_change_gives_a_new_client(settings: LazySettings, tiny: Tiny) -> None:
    first = deadline_client.get_client()
    settings.DEADLINE_READ_TIMEOUT = 9.0

    assert deadline_client.get_client() is not first


def test_clear_client_cache_forgets_the_client(tiny: Tiny) -> None:
    first = deadline_client.get_client()
    deadline_client.clear_client_cache()

    assert deadline_client.get_client() is not first


def test_backend_now_is_the_emulator_clock_in_demo_mode(tiny: Tiny) -> None:
    before = deadline_client.backend_now()
    tiny.emulator.clock.advance(3600)

    assert (deadline_client.backend_now() - before).total_seconds() == 3600


def test_only_the_client_factory_knows_the_emulator() -> None:
    app = Path(deadline_client.__file__).parent.parent
    # The runemulator command serves the emulator itself; no request path goes through it.
    allowed = {app / "deadline" / "client.py", app / "management" / "commands" / "runemulator.py"}
    importers = sorted(
        str(path.relative_to(app))
        for path in app.rglob("*.py")
        if "deadline_emulator" in path.read_text() and path not in allowed
    )

    assert importers == []


@pytest.mark.parametrize(
    "wire",
    [
        "2026-11-20T10:05:00.123Z",
        "2026-11-20T10:05:00Z",
        "2026-11-20T10:05:00.123456+02:00",
        "2026-11-20T10:05:00",  # no offset: botocore's reading (a naive datetime) stands
        "2026-11-20 10:05:00Z",
        "Fri, 20 Nov 2026 10:05:00 GMT",
        "1795169100",
        1795169100.5,
    ],
)
def test_timestamps_parse_as_botocore_parses_them(wire: str | float) -> None:
    ours, theirs = deadline_client.parse_timestamp(wire), botocores(wire)
    assert ours == theirs and (ours.tzinfo is None) == (theirs.tzinfo is None)


def test_answers_timestamps_come_from_the_standard_library_parser(tiny: Tiny) -> None:
    ids = tiny.world.add_task(0, runStatus="RUNNING")
    params = {f"{name.removesuffix('_id')}Id": value for name, value in ids.kwargs().items()}

    created = deadline_client.get_client().get_task(**params)["createdAt"]

    assert created.tzinfo is UTC  # dateutil's parser would have given its own tzutc/tzlocal
