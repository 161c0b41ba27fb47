"""CloudWatch Logs emulation: a real boto3 ``logs`` client, in-process and over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import botocore.config
import pytest

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.seed import DEMO_EPOCH
from deadline_emulator.server import serve_in_thread
from deadline_emulator.service_model import load_service_model
from deadline_emulator.validation import validate
from tests.deadline_emulator.fakes import local_client
from tests.deadline_emulator.fakes import test_session as boto_session

PINNED_AT = DEMO_EPOCH + timedelta(days=3).total_seconds()
MISSING_FARM = "farm-" + "0" * 32
MISSING_QUEUE = "queue-" + "0" * 32
MISSING_SESSION = "session-" + "0" * 32


@pytest.fixture(scope="module")
def world() -> Emulator:
    """One emulator for the read-only tests (building the world takes a moment)."""
    return Emulator(seed=0, clock=Clock(pinned_at=PINNED_AT))


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(seed=0, clock=Clock(pinned_at=PINNED_AT))


def _http_logs_client(url: str) -> Any:
    return boto_session().client(
        "logs",
        endpoint_url=url,
        config=botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


@pytest.fixture(params=["in-process", "http"])
def logs(request: pytest.FixtureRequest, emulator: Emulator) -> Iterator[Any]:
    if request.param == "in-process":
        yield local_client(emulator, "logs")
        return
    server, url = serve_in_thread(emulator)
    try:
        yield _http_logs_client(url)
    finally:
        server.shutdown()


def _sessions(backend: Any, task: dict[str, str]) -> list[str]:
    """The task's session IDs, oldest attempt first."""
    answer = backend.list_session_actions(
        farm_id=task["farmId"],
        queue_id=task["queueId"],
        job_id=task["jobId"],
        task_id=task["taskId"],
    )
    found: list[str] = []
    for action in answer["sessionActions"]:
        session = "session-" + action["sessionActionId"].split("-")[1]
        if session not in found:
            found.append(session)
    return found


def _stream(backend: Any, task: dict[str, str], attempt: int = -1) -> dict[str, str]:
    session = _sessions(backend, task)[attempt]
    return {
        "logGroupName": f"/aws/deadline/{task['farmId']}/{task['queueId']}",
        "logStreamName": session,
    }


def _failed_stream(backend: Any) -> tuple[dict[str, str], int]:
    """A failed attempt's stream and its taskRun action's processExitCode."""
    task = backend.landmarks()["failed_with_retries_task"]
    stream = _stream(backend, task)
    action = backend.get_session_action(
        farm_id=task["farmId"], queue_id=task["queueId"], job_id=task["jobId"],
        session_action_id=f"sessionaction-{stream['logStreamName'][8:]}-1",
    )  # fmt: skip
    assert action["status"] == "FAILED"
    return stream, action["processExitCode"]


def _long_stream(backend: Any) -> dict[str, str]:
    """The 100-frame chunk task: thousands of lines."""
    return _stream(backend, backend.landmarks()["one_task"])


def _page_all(logs: Any, stream: dict[str, str], **kwargs: Any) -> tuple[list[dict], int]:
    """Every event, paging forwards from the head; returns (events, calls)."""
    events: list[dict] = []
    answer = logs.get_log_events(**stream, startFromHead=True, **kwargs)
    calls = 1
    while True:
        events.extend(answer["events"])
        token = answer["nextForwardToken"]
        answer = logs.get_log_events(**stream, nextToken=token, **kwargs)
        calls += 1
        if answer["nextForwardToken"] == token:
            assert answer["events"] == []
            return events, calls


def test_tail_of_a_failed_attempt_has_the_error_and_the_exit_code(
    logs: Any, emulator: Emulator
) -> None:
    stream, exit_code = _failed_stream(emulator.backend)
    answer = logs.get_log_events(**stream, limit=30)  # newest first: the tail
    messages = [event["message"] for event in answer["events"]]
    assert len(messages) == 30
    exit_line = messages.index(f"Process exited with exit code: {exit_code}")
    assert exit_code != 0
    assert any("ERROR" in line for line in messages[:exit_line])
    assert messages[-1].endswith("ended: task FAILED")
    assert emulator.calls["GetLogEvents"] == 1


def test_paging_backwards_reaches_the_beginning_without_gaps_or_duplicates(
    logs: Any, emulator: Emulator
) -> None:
    stream = _long_stream(emulator.backend)
    forwards, _ = _page_all(logs, stream, limit=500)
    assert len(forwards) > 1500  # a long render gives a long log

    pages: list[list[dict]] = []
    answer = logs.get_log_events(**stream, limit=250)
    while True:
        pages.append(answer["events"])
        token = answer["nextBackwardToken"]
        answer = logs.get_log_events(**stream, nextToken=token, limit=250)
        if answer["nextBackwardToken"] == token:  # the beginning: the same token comes back
            assert answer["events"] == []
            break
    assert len(pages) == -(-len(forwards) // 250)
    backwards = [event for page in reversed(pages) for event in page]
    assert backwards == forwards  # same lines, same order, none twice
    timestamps = [event["timestamp"] for event in backwards]
    assert timestamps == sorted(timestamps)
    assert backwards[0]["message"].startswith("=====")
    assert backwards[-1]["message"].endswith("ended: task SUCCEEDED")


def test_paging_forwards_ends_when_the_token_repeats(logs: Any, emulator: Emulator) -> None:
    stream, _ = _failed_stream(emulator.backend)
    events, calls = _page_all(logs, stream, limit=40)
    assert calls == -(-len(events) // 40) + 1  # the last call returns nothing
    timestamps = [event["timestamp"] for event in events]
    assert timestamps == sorted(timestamps)
    assert all(e["ingestionTime"] >= e["timestamp"] for e in events)
    whole = logs.get_log_events(**stream, startFromHead=True)["events"]
    assert whole == events


def test_time_window_narrows_the_events(logs: Any, emulator: Emulator) -> None:
    stream = _long_stream(emulator.backend)
    everything = logs.get_log_events(**stream, startFromHead=True)["events"]
    start = everything[400]["timestamp"]
    end = everything[900]["timestamp"]
    window = logs.get_log_events(**stream, startFromHead=True, startTime=start, endTime=end)
    events = window["events"]
    assert 0 < len(events) < len(everything)
    assert all(start <= e["timestamp"] < end for e in events)
    inside = [e for e in everything if start <= e["timestamp"] < end]
    assert events == inside
    tail = logs.get_log_events(**stream, startTime=start, endTime=end, limit=5)["events"]
    assert tail == inside[-5:]


def test_a_running_attempts_stream_grows_with_the_clock(logs: Any, emulator: Emulator) -> None:
    task = emulator.backend.find_tasks("RUNNING", include_landmarks=False, limit=1)[0]
    stream = _stream(emulator.backend, task)
    before = logs.get_log_events(**stream, startFromHead=True)["events"]
    now_ms = emulator.clock.now() * 1000
    assert before and all(e["ingestionTime"] <= now_ms for e in before)
    token = logs.get_log_events(**stream)["nextForwardToken"]

    emulator.clock.advance(60)
    after = logs.get_log_events(**stream, startFromHead=True)["events"]
    assert len(after) > len(before)
    assert after[: len(before)] == before  # nothing already written changes
    follow = logs.get_log_events(**stream, nextToken=token)["events"]
    assert follow == after[len(before) :]  # a follower's forward token picks up the new lines


def test_a_session_has_no_stream_before_it_starts() -> None:
    emulator = Emulator(seed=0, clock=Clock(pinned_at=PINNED_AT))
    stream, _ = _failed_stream(emulator.backend)
    timeline = emulator.backend.attempt_timeline(stream["logStreamName"])
    emulator.clock.pin(timeline["assignedAt"].timestamp() - 1)
    logs = local_client(emulator, "logs")
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.get_log_events(**stream)


@pytest.mark.parametrize(
    ("group", "stream", "message"),
    [
        (f"/aws/deadline/{MISSING_FARM}/{MISSING_QUEUE}", MISSING_SESSION, "log group"),
        ("/aws/lambda/not-deadline", MISSING_SESSION, "log group"),
        (None, MISSING_SESSION, "log stream"),
        (None, "worker-" + "0" * 32, "log stream"),
    ],
)
def test_missing_group_or_stream_is_resource_not_found(
    logs: Any, emulator: Emulator, group: str | None, stream: str, message: str
) -> None:
    real, _ = _failed_stream(emulator.backend)
    with pytest.raises(logs.exceptions.ResourceNotFoundException) as caught:
        logs.get_log_events(logGroupName=group or real["logGroupName"], logStreamName=stream)
    assert caught.value.response["Error"]["Message"] == f"The specified {message} does not exist."
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_stream_of_another_queue_is_not_found(logs: Any, emulator: Emulator) -> None:
    stream, _ = _failed_stream(emulator.backend)
    other = next(
        q for q in emulator.backend.landmarks()["queues"].values()
        if q["queueId"] not in stream["logGroupName"]
    )  # fmt: skip
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.get_log_events(
            logGroupName=f"/aws/deadline/{other['farmId']}/{other['queueId']}",
            logStreamName=stream["logStreamName"],
        )


def test_denied_access_names_the_logs_action(logs: Any, emulator: Emulator) -> None:
    stream, _ = _failed_stream(emulator.backend)
    emulator.faults.set("GetLogEvents", deny=True)
    with pytest.raises(logs.exceptions.AccessDeniedException) as caught:
        logs.get_log_events(**stream)
    assert "logs:GetLogEvents" in caught.value.response["Error"]["Message"]
    assert "deadline:" not in caught.value.response["Error"]["Message"]
    assert emulator.calls["GetLogEvents"] == 1


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ({"throttle_rate": 1.0}, "ThrottlingException"),
        ({"error_rate": 1.0}, "ServiceUnavailableException"),
    ],
)
def test_injected_faults_use_cloudwatch_error_codes(
    logs: Any, emulator: Emulator, fault: dict[str, float], error: str
) -> None:
    stream, _ = _failed_stream(emulator.backend)
    emulator.faults.set("GetLogEvents", **fault)
    with pytest.raises(getattr(logs.exceptions, error)) as caught:
        logs.get_log_events(**stream)
    assert caught.value.response["Error"]["Code"] == error


def test_bad_tokens_are_invalid_parameters(logs: Any, emulator: Emulator) -> None:
    stream, _ = _failed_stream(emulator.backend)
    other = _long_stream(emulator.backend)
    foreign = logs.get_log_events(**other, limit=1)["nextBackwardToken"]
    for token in ("f/123", "not-a-token", foreign):
        with pytest.raises(logs.exceptions.InvalidParameterException) as caught:
            logs.get_log_events(**stream, nextToken=token)
        assert caught.value.response["Error"]["Message"] == "The specified nextToken is invalid."


def test_inputs_are_validated_against_the_model(logs: Any, emulator: Emulator) -> None:
    stream, _ = _failed_stream(emulator.backend)
    with pytest.raises(logs.exceptions.InvalidParameterException) as caught:
        logs.get_log_events(**stream, limit=10_001)  # botocore checks only the minimum
    assert "limit" in caught.value.response["Error"]["Message"]
    with pytest.raises(logs.exceptions.InvalidParameterException):
        logs.get_log_events(**stream, logGroupIdentifier=stream["logGroupName"])


def test_group_arn_identifier_is_accepted(logs: Any, emulator: Emulator) -> None:
    stream, _ = _failed_stream(emulator.backend)
    arn = f"arn:aws:logs:us-west-2:123456789012:log-group:{stream['logGroupName']}"
    by_arn = logs.get_log_events(logGroupIdentifier=arn, logStreamName=stream["logStreamName"])
    assert by_arn["events"] == logs.get_log_events(**stream)["events"]


def test_filter_log_events_finds_the_error_and_pages(logs: Any, emulator: Emulator) -> None:
    stream, exit_code = _failed_stream(emulator.backend)
    found = logs.filter_log_events(
        logGroupName=stream["logGroupName"],
        logStreamNames=[stream["logStreamName"]],
        filterPattern='?ERROR ?"exit code"',
    )
    messages = [event["message"] for event in found["events"]]
    assert f"Process exited with exit code: {exit_code}" in messages
    assert any("ERROR" in line for line in messages)
    assert all(e["logStreamName"] == stream["logStreamName"] for e in found["events"])
    assert "nextToken" not in found

    paged: list[str] = []
    token = None
    while True:
        extra = {"nextToken": token} if token else {}
        page = logs.filter_log_events(
            logGroupName=stream["logGroupName"], logStreamNames=[stream["logStreamName"]],
            filterPattern='?ERROR ?"exit code"', limit=1, **extra,
        )  # fmt: skip
        paged.extend(event["message"] for event in page["events"])
        token = page.get("nextToken")
        if token is None:
            break
    assert paged == messages
    assert emulator.calls["FilterLogEvents"] == 1 + len(messages)  # no empty last page


def test_describe_log_streams_by_session_prefix(logs: Any, emulator: Emulator) -> None:
    stream, _ = _failed_stream(emulator.backend)
    answer = logs.describe_log_streams(
        logGroupName=stream["logGroupName"], logStreamNamePrefix=stream["logStreamName"]
    )
    (entry,) = answer["logStreams"]
    tail = logs.get_log_events(**stream, limit=1)["events"][0]
    assert entry["logStreamName"] == stream["logStreamName"]
    assert entry["lastEventTimestamp"] == tail["timestamp"]
    assert entry["arn"].endswith(f":log-stream:{stream['logStreamName']}")


def _wire(emulator: Emulator, operation: str, body: dict[str, Any]) -> tuple[int, dict]:
    status, headers, payload = emulator.handle(
        "POST",
        "/",
        "",
        {
            "X-Amz-Target": f"Logs_20140328.{operation}",
            "Content-Type": "application/x-amz-json-1.1",
        },
        json.dumps(body),
    )
    return status, json.loads(payload) | {"_headers": headers}


def test_answers_validate_against_the_logs_model(world: Emulator) -> None:
    model = load_service_model("logs")
    stream, _ = _failed_stream(world.backend)
    for operation, body in [
        ("GetLogEvents", {**stream, "limit": 50}),
        ("GetLogEvents", {**stream, "startFromHead": True}),
        ("FilterLogEvents", {"logGroupName": stream["logGroupName"],
                             "logStreamNames": [stream["logStreamName"]], "limit": 20}),
        ("DescribeLogStreams", {"logGroupName": stream["logGroupName"],
                                "logStreamNamePrefix": stream["logStreamName"]}),
    ]:  # fmt: skip
        status, answer = _wire(world, operation, body)
        headers = answer.pop("_headers")
        assert status == 200
        assert headers["Content-Type"] == "application/x-amz-json-1.1"
        assert answer.get("events") or answer.get("logStreams")
        assert validate(answer, f"{operation}Response", output=True, model=model) == []


def test_errors_are_json_1_1_shaped(world: Emulator) -> None:
    status, answer = _wire(world, "GetLogEvents", {"logGroupName": "/x", "logStreamName": "s"})
    headers = answer.pop("_headers")
    assert status == 400
    assert answer == {
        "__type": "ResourceNotFoundException",
        "message": "The specified log group does not exist.",
    }
    assert headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    status, answer = _wire(world, "PutLogEvents", {})
    assert (status, answer["__type"]) == (400, "UnknownOperationException")


def test_same_seed_and_clock_give_the_same_lines(world: Emulator) -> None:
    twin = Emulator(seed=0, clock=Clock(pinned_at=PINNED_AT))
    stream, _ = _failed_stream(world.backend)
    first = local_client(world, "logs").get_log_events(**stream)
    second = local_client(twin, "logs").get_log_events(**stream)
    assert first["events"] == second["events"]
    assert first["nextForwardToken"] == second["nextForwardToken"]


def test_the_deadline_api_still_answers_beside_logs(world: Emulator) -> None:
    deadline = local_client(world)
    assert deadline.list_farms()["farms"]


def test_ragged_pages_are_short_or_empty_yet_the_tokens_reach_every_line(
    logs: Any, emulator: Emulator
) -> None:
    stream, _ = _failed_stream(emulator.backend)
    whole, _ = _page_all(logs, stream, limit=10_000)
    emulator.logs_backend.ragged_pages = True

    pages: list[list[dict]] = []
    answer = logs.get_log_events(**stream, limit=40)
    while True:
        pages.append(answer["events"])
        token = answer["nextBackwardToken"]
        answer = logs.get_log_events(**stream, nextToken=token, limit=40)
        if answer["nextBackwardToken"] == token:  # the beginning, as CloudWatch says it
            assert answer["events"] == []
            break
    sizes = [len(page) for page in pages]
    assert 0 in sizes[1:] and any(0 < size < 40 for size in sizes)  # empty and short pages
    assert [event for page in reversed(pages) for event in page] == whole
    forwards, _ = _page_all(logs, stream, limit=40)
    assert forwards == whole
