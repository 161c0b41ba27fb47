"""Circuit breakers per family and per resource: one log stream the service cannot serve
pauses reads of that stream alone, while failures spread over several resources (a sick
service) still pause the whole family. Through boto3 and the emulator's wire layer."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import LazySettings
from django.test import Client

from deadline_emulator import Emulator
from deadline_emulator.exceptions import InternalServerErrorException
from deadline_emulator.logs import LogsBackend, logs_protocol
from tasks_app.deadline import resilience
from tasks_app.deadline.errors import Unavailable
from tasks_app.deadline.resilience import breakers
from tests.demo import task_url
from tests.manual_clock import ManualClock
from tests.triage_demo import attempts_of, tail_of


class OneBrokenStream(LogsBackend):
    """The demo world's logs, except one stream, which answers a 5xx on every read."""

    broken = ""

    def get_log_events(self, **kwargs: Any) -> dict[str, Any]:
        if kwargs["log_stream_name"] == self.broken:
            raise InternalServerErrorException("emulated broken stream")
        return super().get_log_events(**kwargs)


@pytest.fixture
def strict(settings: LazySettings) -> None:
    """One try per read, nothing cached, and a breaker that opens after two failures and
    stays open for a minute."""
    settings.DEADLINE_MAX_ATTEMPTS = 1
    settings.DEADLINE_CACHE_SECONDS = 0
    settings.DEADLINE_BREAKER_FAILURES = 2
    settings.DEADLINE_BREAKER_COOLDOWN_SECONDS = 60


@pytest.fixture
def wall() -> ManualClock:
    """The cache's and breakers' clock, moved by hand (the conftest restores the real one)."""
    manual = ManualClock()
    resilience.set_clock(manual)
    return manual


def two_jobs_of_one_queue(emulator: Emulator) -> tuple[dict[str, str], dict[str, str]]:
    """A failed task of the demo world and a failed task of another job in its queue (one log
    group: only the stream tells their logs apart)."""
    first = emulator.backend.landmarks()["failed_with_retries_task"]
    made = emulator.add_failed_job(queue_id=first["queueId"], failed_tasks=1, steps=1)
    failed = made["failedTasks"][0]
    second = {
        "farmId": made["farmId"],
        "queueId": made["queueId"],
        "jobId": made["jobId"],
        "stepId": failed["stepId"],
        "taskId": failed["taskId"],
    }
    return first, second


def break_stream(emulator: Emulator, session_id: str) -> None:
    """From now on the emulator answers a 5xx to every read of ``session_id``'s log."""
    OneBrokenStream.broken = session_id
    emulator.add_protocol(
        logs_protocol(),
        get_backend=lambda: OneBrokenStream(
            lambda: emulator.backend, emulator.clock, emulator.seed
        ),
    )


def test_a_broken_stream_leaves_another_jobs_log_readable(
    emulator: Emulator, settings: LazySettings, strict: None, wall: ManualClock
) -> None:
    broken_ids, other_ids = two_jobs_of_one_queue(emulator)
    broken = attempts_of(broken_ids).latest
    other = attempts_of(other_ids).latest
    assert broken is not None and other is not None
    break_stream(emulator, broken.session_id)

    for _ in range(8):  # eight reads of it, far past the threshold
        with pytest.raises(Unavailable):
            tail_of(broken_ids, broken)
        wall.advance(2)  # past the failure's hold: the next read asks again
    calls_while_broken = emulator.calls["GetLogEvents"]
    page = tail_of(other_ids, other)

    assert page.lines and any("Process exited" in line.message for line in page.lines)
    assert calls_while_broken == settings.DEADLINE_BREAKER_FAILURES  # its own breaker opened
    assert resilience.breaker_for("GetLogEvents").state == "closed"
    with pytest.raises(Unavailable) as refused:
        tail_of(broken_ids, broken)
    assert refused.value.reason == "circuit-open"
    assert broken.session_id in refused.value.message  # it says which log is paused


def _log_fragment(client: Client, ids: dict[str, str]) -> str:
    """The task page's log panel (its htmx fragment), latest attempt."""
    response = client.get(
        task_url(ids) + "log/", {"attempt": "latest"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    return response.content.decode()


def test_on_the_task_page_a_broken_log_leaves_another_jobs_log_shown(
    client: Client, emulator: Emulator, strict: None, wall: ManualClock
) -> None:
    broken_ids, other_ids = two_jobs_of_one_queue(emulator)
    broken = attempts_of(broken_ids).latest
    assert broken is not None
    break_stream(emulator, broken.session_id)

    for _ in range(8):
        assert "Process exited with exit code" not in _log_fragment(client, broken_ids)
        wall.advance(2)
    assert emulator.calls["GetLogEvents"] >= 2  # the broken log was read, and failed

    assert "Process exited with exit code" in _log_fragment(client, other_ids)


def test_failures_of_several_streams_still_pause_every_log_read(
    emulator: Emulator, strict: None
) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    attempts = attempts_of(ids).attempts
    emulator.faults.set(operation="GetLogEvents", error_rate=1.0)  # the service itself is sick
    for attempt in attempts[:2]:
        with pytest.raises(Unavailable):
            tail_of(ids, attempt)
    assert emulator.calls["GetLogEvents"] == 2

    with pytest.raises(Unavailable) as refused:
        tail_of(ids, attempts[2])

    assert emulator.calls["GetLogEvents"] == 2  # the family's breaker made no call
    assert refused.value.reason == "circuit-open"
    assert resilience.breaker_for("GetLogEvents").state == "open"


def test_one_resource_repeating_a_failure_opens_only_its_own_breaker(
    settings: LazySettings,
) -> None:
    settings.DEADLINE_BREAKER_FAILURES = 3
    params = {"logGroupName": "/aws/deadline/farm-1/queue-1", "logStreamName": "session-1"}
    breakers = resilience.breakers_for("GetLogEvents", params)
    for _ in range(3):
        breakers.before_call()
        breakers.record_failure("server-error")

    other = resilience.breakers_for("FilterLogEvents", {**params, "logStreamName": "session-2"})
    other.before_call()  # the family let it through
    assert breakers.resource is not None and breakers.resource.state == "open"
    assert breakers.family is other.family and other.family.state == "closed"


def test_throttling_is_service_wide_even_from_one_resource(settings: LazySettings) -> None:
    settings.DEADLINE_BREAKER_FAILURES = 2
    params = {"farmId": "farm-" + "1" * 32, "queueId": "queue-" + "2" * 32}
    breakers = resilience.breakers_for("SearchTasks", params)
    for _ in range(2):
        breakers.before_call()
        breakers.record_failure("throttled")

    assert resilience.breaker_for("GetTask").state == "open"  # one quota, one family
    assert resilience.breaker_for("GetFarm").state == "closed"


def test_resource_breakers_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(breakers, "MAX_RESOURCE_BREAKERS", 3)
    resilience.reset()  # the breakers' LRU cache is made with its size
    first = resilience.breaker_for("GetTask", "farm-a/task-0")
    for index in range(1, 5):
        resilience.breaker_for("GetTask", f"farm-a/task-{index}")

    assert resilience.breaker_for("GetTask", "farm-a/task-0") is not first  # forgotten
