"""A log line holding text no UTF-8 encoder accepts (a lone UTF-16 surrogate, from a job name
a submitter chose) is served with 200, as CloudWatch stores it: the surrogate replaced by
U+FFFD. Over the HTTP server and in-process, through a real boto3 ``logs`` client."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import botocore.config
import pytest

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.logs import stored_text
from deadline_emulator.seed import DEMO_EPOCH
from deadline_emulator.server import serve_in_thread
from tests.deadline_emulator.fakes import local_client
from tests.deadline_emulator.fakes import test_session as boto_session

PINNED_AT = DEMO_EPOCH + timedelta(days=3).total_seconds()
HOSTILE_NAME = "shot_\ud800_v3 \u202eexe.txt"


@pytest.fixture(scope="module")
def world() -> tuple[Emulator, dict[str, str]]:
    """One emulator holding a finished job whose name has a lone surrogate, and its failed
    task's last session log (the job name is in the log's first lines)."""
    emulator = Emulator(seed=0, clock=Clock(pinned_at=PINNED_AT))
    made = emulator.add_failed_job(name=HOSTILE_NAME, failed_tasks=1, steps=1)
    actions = emulator.backend.list_session_actions(
        farm_id=made["farmId"],
        queue_id=made["queueId"],
        job_id=made["jobId"],
        task_id=made["failedTasks"][0]["taskId"],
    )["sessionActions"]
    session = "session-" + actions[-1]["sessionActionId"].split("-")[1]
    stream = {
        "logGroupName": f"/aws/deadline/{made['farmId']}/{made['queueId']}",
        "logStreamName": session,
    }
    return emulator, stream


@pytest.fixture(scope="module", params=["in-process", "http"])
def logs(request: pytest.FixtureRequest, world: tuple[Emulator, dict[str, str]]) -> Iterator[Any]:
    emulator, _ = world
    if request.param == "in-process":
        yield local_client(emulator, "logs")
        return
    server, url = serve_in_thread(emulator)
    try:
        yield boto_session().client(
            "logs",
            endpoint_url=url,
            config=botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1}),
        )
    finally:
        server.shutdown()


def _job_line(events: list[dict[str, Any]]) -> str:
    lines = [event["message"] for event in events if "shot_" in event["message"]]
    assert lines, "the job name is in the log's first lines"
    return lines[0]


def test_a_surrogate_line_is_served_with_the_replacement_character(
    logs: Any, world: tuple[Emulator, dict[str, str]]
) -> None:
    _, stream = world
    answer = logs.get_log_events(**stream, startFromHead=True, limit=40)

    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    line = _job_line(answer["events"])
    assert "shot_\ufffd_v3 \u202eexe.txt" in line  # the bidi control is kept: it is valid text
    assert not any("\ud800" in event["message"] for event in answer["events"])


def test_backward_pages_and_filters_count_the_stored_text(
    logs: Any, world: tuple[Emulator, dict[str, str]]
) -> None:
    _, stream = world
    newest = logs.get_log_events(**stream, limit=10_000)  # backwards, sized in bytes
    found = logs.filter_log_events(
        logGroupName=stream["logGroupName"],
        logStreamNames=[stream["logStreamName"]],
        filterPattern='"shot_"',
    )

    assert "shot_\ufffd_v3" in _job_line(newest["events"])
    assert "shot_\ufffd_v3" in _job_line(found["events"])


def test_the_http_server_answers_200_with_json_any_parser_takes(
    world: tuple[Emulator, dict[str, str]],
) -> None:
    emulator, stream = world
    server, url = serve_in_thread(emulator)
    try:
        address = urlsplit(url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        connection.request(
            "POST",
            "/",
            body=json.dumps({**stream, "startFromHead": True, "limit": 40}),
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": "Logs_20140328.GetLogEvents",
            },
        )
        response = connection.getresponse()
        status, body = response.status, response.read()
        connection.close()
    finally:
        server.shutdown()

    assert status == 200
    decoded = json.loads(body.decode("utf-8"))
    assert "shot_\ufffd_v3" in _job_line(decoded["events"])
    # Every string in it encodes as UTF-8: no lone surrogate escaped into the JSON either.
    json.dumps(decoded, ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("plain", "plain"),
        ("a \ud800 b", "a \ufffd b"),
        ("\udfff\ud83d", "\ufffd\ufffd"),
        ("\U0001f30a wave \u202e", "\U0001f30a wave \u202e"),  # a real pair and a bidi control
    ],
)
def test_stored_text_replaces_only_lone_surrogates(given: str, stored: str) -> None:
    assert stored_text(given) == stored
