"""Triage reads: a task's attempts, their workers and the log tail, through boto3 and the
emulator."""

from __future__ import annotations

import pytest
from django.conf import LazySettings

from deadline_emulator import Emulator
from deadline_emulator.transport import in_process_client
from tasks_app.deadline import logs as deadline_logs
from tasks_app.deadline import session_types
from tasks_app.deadline.errors import AccessDenied, Unavailable
from tasks_app.deadline.logs import LogNotFound
from tasks_app.deadline.session_types import ActionStatus
from tasks_app.selectors import triage
from tests.triage_demo import (
    attempts_of,
    clustered_failed_task,
    host_name,
    long_log_task,
    long_running_task,
    tail_of,
)


@pytest.fixture
def no_cache(settings: LazySettings) -> None:
    settings.DEADLINE_CACHE_SECONDS = 0


# --- Attempts ----------------------------------------------------------------------------------


def test_attempts_are_newest_first_with_their_sessions_and_workers(emulator: Emulator) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]

    attempts = attempts_of(ids)

    assert [a.number for a in attempts.attempts] == [3, 2, 1]
    started = [a.action.started_at for a in attempts.attempts]
    assert started == sorted(started, reverse=True)
    assert all(a.status is ActionStatus.FAILED for a in attempts.attempts)
    latest = attempts.latest
    assert latest is not None
    assert latest.action.process_exit_code not in (None, 0)
    assert latest.action.progress_message
    assert latest.session_id == session_types.session_id_of(latest.session_action_id)
    # Every attempt names the worker that ran it, as GetWorker tells it.
    for attempt in attempts.attempts:
        assert attempt.worker is not None and attempt.worker_id == attempt.worker.worker_id
        assert attempt.worker_label == host_name(emulator, ids, attempt.worker.worker_id)
        assert attempt.ip_addresses and attempt.fleet is not None
    assert attempts.problems == ()


def test_attempts_cost_one_call_per_distinct_resource_then_nothing(emulator: Emulator) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]

    attempts = attempts_of(ids)
    cold = emulator.calls.snapshot()
    emulator.calls.reset()
    assert attempts_of(ids) == attempts

    workers = {a.worker_id for a in attempts.attempts}
    assert cold == {
        "ListSessionActions": 1,
        "GetSessionAction": 3,
        "GetSession": 3,
        "GetWorker": len(workers),
        "GetFleet": 1,
    }
    assert emulator.calls.total() == 0


def test_the_verdict_is_the_latest_failed_attempt_and_how_many_failed(
    emulator: Emulator,
) -> None:
    ids, _, _, failed = clustered_failed_task(emulator)
    attempts = attempts_of(ids)

    verdict = attempts.verdict

    assert verdict is not None and verdict.failed == failed == len(attempts.failed)
    assert verdict.attempt == attempts.failed[0]  # newest first
    assert verdict.times == f"{failed} times"
    assert verdict.exit_code == attempts.failed[0].cause.process_exit_code
    assert verdict.message == attempts.failed[0].cause.progress_message


def test_a_task_never_run_has_no_attempts(emulator: Emulator) -> None:
    step = emulator.backend.landmarks()["pending_step"]
    kwargs = {k.removesuffix("Id") + "_id": v for k, v in step.items()}
    task = emulator.backend.list_tasks(**kwargs, max_results=1)["tasks"][0]

    attempts = attempts_of({**step, "taskId": task["taskId"]})

    assert attempts.attempts == () and attempts.latest is None


# --- Log tail ----------------------------------------------------------------------------------


def test_log_tail_is_the_last_lines_of_the_attempts_window(emulator: Emulator) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    latest = attempts_of(ids).latest
    assert latest is not None and latest.log_start and latest.log_end

    page = tail_of(ids, latest)

    assert 0 < len(page.lines) <= triage.LOG_PAGE_LINES
    assert all(latest.log_start <= line.timestamp < latest.log_end for line in page.lines)
    code = latest.action.process_exit_code
    errors = [line.message for line in page.lines if line.level == "error"]
    assert f"Process exited with exit code: {code}" in errors
    assert any(latest.action.progress_message in message for message in errors)
    assert page.forward_token and page.backward_token


@pytest.mark.parametrize("ragged", [False, True], ids=["full pages", "ragged pages"])
def test_load_more_pages_backwards_through_a_long_log_to_its_start(
    emulator: Emulator, no_cache: None, ragged: bool
) -> None:
    ids = long_log_task(emulator)
    latest = attempts_of(ids).latest
    assert latest is not None
    logs = in_process_client(emulator, "logs")
    window = {
        "logGroupName": deadline_logs.log_group_name(
            farm_id=ids["farmId"], queue_id=ids["queueId"]
        ),
        "logStreamName": latest.session_id,
        "startTime": int(latest.log_start.timestamp() * 1000),
        "endTime": int(latest.log_end.timestamp() * 1000),
        "startFromHead": True,
    }
    emulator.calls.reset()
    expected = [e["message"] for e in logs.get_log_events(**window, limit=10_000)["events"]]
    assert len(expected) > 400  # ten pages of 40 and more
    # CloudWatch may answer short or empty pages before the start: only its backward token
    # (handed back unchanged at the start) says whether earlier lines exist.
    emulator.logs_backend.ragged_pages = ragged

    pages = [tail_of(ids, latest, limit=40)]
    while pages[-1].has_earlier:
        pages.append(tail_of(ids, latest, limit=40, before_token=pages[-1].backward_token))
        assert len(pages) < 100

    read = [line.message for page in reversed(pages) for line in page.lines]
    assert read == expected  # every line once, in order, back to the window's first
    assert all(len(page.lines) <= 40 for page in pages)
    if not ragged:
        # Full pages until the last, whose start one more read (the same token back) confirms.
        assert all(len(page.lines) == 40 for page in pages[:-1])
        assert emulator.calls["GetLogEvents"] == 1 + len(pages) + 1


def test_follow_returns_the_lines_written_after_the_clock_advances(
    emulator: Emulator, no_cache: None
) -> None:
    ids = long_running_task(emulator)
    latest = attempts_of(ids).latest
    assert latest is not None and latest.status is ActionStatus.RUNNING
    read = {
        "farm_id": ids["farmId"],
        "queue_id": ids["queueId"],
        "session_id": latest.session_id,
        "start": latest.log_start,
        "end": latest.log_end,
    }
    tail = triage.get_log_tail(**read)
    assert tail.forward_token

    idle = triage.get_log_since(**read, after_token=tail.forward_token)
    assert idle.lines == () and idle.forward_token == tail.forward_token

    emulator.clock.advance(30)
    grown = triage.get_log_since(**read, after_token=tail.forward_token)

    assert grown.lines
    assert grown.lines[0].timestamp >= tail.lines[-1].timestamp
    assert grown.forward_token != tail.forward_token


def test_a_missing_stream_is_a_clear_log_not_found(emulator: Emulator) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    session_id = "session-" + "0" * 32

    with pytest.raises(LogNotFound) as raised:
        triage.get_log_tail(
            farm_id=ids["farmId"],
            queue_id=ids["queueId"],
            session_id=session_id,
            start=None,
            end=None,
        )

    assert raised.value.missing == "stream"
    assert session_id in raised.value.message and "No log yet" in raised.value.message


def test_a_missing_group_is_a_clear_log_not_found(emulator: Emulator) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    queue_id = "queue-" + "f" * 32

    with pytest.raises(LogNotFound) as raised:
        triage.get_log_tail(
            farm_id=ids["farmId"],
            queue_id=queue_id,
            session_id="session-" + "0" * 32,
            start=None,
            end=None,
        )

    assert raised.value.missing == "group"
    assert f"/aws/deadline/{ids['farmId']}/{queue_id}" in raised.value.message


def test_access_denied_on_get_log_events_names_the_logs_action(emulator: Emulator) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    latest = attempts_of(ids).latest
    assert latest is not None
    emulator.faults.set(operation="GetLogEvents", deny=True)

    with pytest.raises(AccessDenied) as raised:
        tail_of(ids, latest)

    assert raised.value.action == "logs:GetLogEvents"


def test_throttled_log_reads_open_the_logs_breaker(
    emulator: Emulator, settings: LazySettings
) -> None:
    settings.DEADLINE_MAX_ATTEMPTS = 1
    settings.DEADLINE_BREAKER_FAILURES = 2
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    attempts = attempts_of(ids).attempts
    emulator.faults.set(operation="GetLogEvents", throttle_rate=1.0)
    for attempt in attempts[:2]:  # distinct streams: no key is held back by an earlier failure
        with pytest.raises(Unavailable):
            tail_of(ids, attempt)
    assert emulator.calls["GetLogEvents"] == 2

    with pytest.raises(Unavailable) as refused:
        tail_of(ids, attempts[2])

    assert emulator.calls["GetLogEvents"] == 2  # the open breaker made no call
    assert refused.value.reason == "circuit-open"


def test_log_pages_are_cached_and_earlier_pages_never_refetched(emulator: Emulator) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    latest = attempts_of(ids).latest
    assert latest is not None
    tail = tail_of(ids, latest, limit=20)
    earlier = tail_of(ids, latest, limit=20, before_token=tail.backward_token)
    emulator.calls.reset()

    assert tail_of(ids, latest, limit=20) == tail
    assert tail_of(ids, latest, limit=20, before_token=tail.backward_token) == earlier
    assert emulator.calls.total() == 0
