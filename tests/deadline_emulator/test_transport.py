"""A real boto3 client against the emulator, through both transports (in-process and HTTP)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import botocore.exceptions
import pytest
from botocore.awsrequest import AWSResponse
from botocore.utils import parse_timestamp

from deadline_emulator import Emulator
from deadline_emulator.exceptions import (
    AccessDeniedException,
    InternalServerErrorException,
    ResourceNotFoundException,
    ThrottlingException,
    ValidationException,
)
from deadline_emulator.responses import Answer, Request, WireProtocol
from deadline_emulator.server import serve_in_thread
from deadline_emulator.transport import RawBody, attach, detach, in_process_client
from tests.deadline_emulator.fakes import (
    FARM_ID,
    MISSING_TASK_ID,
    QUEUE_ID,
    TASK_ID,
    FakeBackend,
    http_client,
    local_client,
    task_id,
    task_kwargs,
)


@pytest.fixture(params=["in-process", "http"])
def emulator_and_client(request: pytest.FixtureRequest) -> Iterator[tuple[Emulator, Any]]:
    emulator = Emulator(backend=FakeBackend(task_count=250))
    if request.param == "in-process":
        yield emulator, local_client(emulator)
        return
    server, url = serve_in_thread(emulator)
    try:
        yield emulator, http_client(url)
    finally:
        server.shutdown()


def test_get_task_round_trip(emulator_and_client: tuple[Emulator, Any]) -> None:
    emulator, client = emulator_and_client
    task = client.get_task(**task_kwargs())
    assert task["taskId"] == TASK_ID
    assert task["runStatus"] == "READY"
    assert isinstance(task["createdAt"], datetime) and task["createdAt"].tzinfo is not None
    assert task["parameters"] == {"Frame": {"int": "1"}}
    assert task["ResponseMetadata"]["RequestId"]
    assert emulator.calls["GetTask"] == 1


def test_paginator_walks_every_page(emulator_and_client: tuple[Emulator, Any]) -> None:
    emulator, client = emulator_and_client
    kwargs = task_kwargs()
    del kwargs["taskId"]
    pages = list(
        client.get_paginator("list_tasks").paginate(**kwargs, PaginationConfig={"PageSize": 100})
    )
    assert [len(page["tasks"]) for page in pages] == [100, 100, 50]
    assert pages[-1]["tasks"][-1]["taskId"] == task_id(249)
    assert emulator.calls["ListTasks"] == 3


def test_update_task_sends_the_idempotency_token(
    emulator_and_client: tuple[Emulator, Any],
) -> None:
    emulator, client = emulator_and_client
    client.update_task(**task_kwargs(), targetRunStatus="CANCELED")
    _, kwargs = emulator.backend.received[-1]
    assert kwargs["target_run_status"] == "CANCELED"
    assert kwargs["client_token"]  # botocore generates it
    assert client.get_task(**task_kwargs())["targetRunStatus"] == "CANCELED"


def test_batch_get_task_reports_item_errors(emulator_and_client: tuple[Emulator, Any]) -> None:
    _, client = emulator_and_client
    answer = client.batch_get_task(identifiers=[task_kwargs(), task_kwargs(MISSING_TASK_ID)])
    assert [task["taskId"] for task in answer["tasks"]] == [TASK_ID]
    assert answer["errors"][0]["code"] == "ResourceNotFoundException"


def test_search_tasks_pages_by_offset(emulator_and_client: tuple[Emulator, Any]) -> None:
    _, client = emulator_and_client
    answer = client.search_tasks(farmId=FARM_ID, queueIds=[QUEUE_ID], itemOffset=0, pageSize=10)
    assert len(answer["tasks"]) == 10
    assert (answer["nextItemOffset"], answer["totalResults"]) == (10, 250)


def test_not_found_has_resource_members(emulator_and_client: tuple[Emulator, Any]) -> None:
    _, client = emulator_and_client
    with pytest.raises(client.exceptions.ResourceNotFoundException) as caught:
        client.get_task(**task_kwargs(MISSING_TASK_ID))
    assert caught.value.response["resourceId"] == MISSING_TASK_ID
    assert caught.value.response["resourceType"] == "task"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_max_results_above_100_is_a_validation_exception(
    emulator_and_client: tuple[Emulator, Any],
) -> None:
    _, client = emulator_and_client
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.list_farms(maxResults=101)  # botocore checks only the minimum
    response = caught.value.response
    assert response["reason"] == "FIELD_VALIDATION_FAILED"
    assert response["fieldList"][0]["name"] == "maxResults"


def test_malformed_task_id_is_a_validation_exception(
    emulator_and_client: tuple[Emulator, Any],
) -> None:
    emulator, client = emulator_and_client
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.get_task(**task_kwargs("task-<script>"))
    assert caught.value.response["fieldList"][0]["name"] == "taskId"
    assert emulator.backend.received == []


@pytest.mark.parametrize(
    ("error", "extra"),
    [
        (AccessDeniedException("User: demo is not authorized"), {}),
        (ThrottlingException(retry_after_seconds=3), {"retryAfterSeconds": 3}),
        (InternalServerErrorException(retry_after_seconds=2), {"retryAfterSeconds": 2}),
        (ValidationException("bad", reason="OTHER"), {"reason": "OTHER"}),
        (
            ResourceNotFoundException("gone", resource_id=FARM_ID, resource_type="farm"),
            {"resourceId": FARM_ID, "resourceType": "farm"},
        ),
    ],
)
def test_every_error_type_raises_its_client_exception(
    emulator_and_client: tuple[Emulator, Any], error: Exception, extra: dict[str, Any]
) -> None:
    emulator, client = emulator_and_client
    emulator.backend.raise_next = error
    exception_class = getattr(client.exceptions, type(error).__name__)
    with pytest.raises(exception_class) as caught:
        client.get_farm(farmId=FARM_ID)
    response = caught.value.response
    assert response["Error"]["Code"] == type(error).__name__
    assert response["Error"]["Message"] == str(error)
    for key, value in extra.items():
        assert response[key] == value


def test_exploding_backend_is_internal_server_error(
    emulator_and_client: tuple[Emulator, Any],
) -> None:
    emulator, client = emulator_and_client
    emulator.backend.get_task = lambda **_: 1 / 0
    with pytest.raises(client.exceptions.InternalServerErrorException) as caught:
        client.get_task(**task_kwargs())
    assert "division" not in caught.value.response["Error"]["Message"]


def test_down_fault_looks_like_an_unreachable_endpoint(
    emulator_and_client: tuple[Emulator, Any],
) -> None:
    emulator, client = emulator_and_client
    emulator.faults.set("GetFarm", down=True)
    with pytest.raises(
        (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectionClosedError)
    ):
        client.get_farm(farmId=FARM_ID)
    assert emulator.calls["GetFarm"] == 1
    assert client.list_farms()["farms"]  # other operations still answer


def test_attach_replaces_and_detach_removes_the_handler() -> None:
    first, second = Emulator(backend=FakeBackend()), Emulator(backend=FakeBackend())
    client = local_client(first)
    attach(client, second)
    client.list_farms()
    assert (first.calls.total(), second.calls.total()) == (0, 1)
    detach(client)
    canned = AWSResponse("https://x", 200, {}, RawBody(b'{"farms": []}'))
    client.meta.events.register("before-send.deadline", lambda **_: canned)
    assert client.list_farms()["farms"] == []
    assert second.calls.total() == 1  # the emulator no longer sees the client's calls


class _FakeLogsProtocol(WireProtocol):
    """Shows how a json-1.1 protocol (CloudWatch Logs) plugs in beside rest-json."""

    service_name = "logs"

    def claims(self, request: Request) -> bool:
        return request.headers.get("x-amz-target", "").startswith("Logs_20140328.")

    def route(self, request: Request) -> tuple[str, Any]:
        return request.headers["x-amz-target"].split(".", 1)[1], None

    def call(self, backend: Any, operation: str, route_data: Any, request: Request) -> Answer:
        params = json.loads(request.body)
        body = {"events": [{"timestamp": 0, "message": params["logStreamName"]}]}
        return 200, {"Content-Type": "application/x-amz-json-1.1"}, json.dumps(body).encode()

    def error_answer(self, error: Any) -> Answer:
        return error.status, {}, json.dumps({"__type": error.code}).encode()


def test_a_second_protocol_can_serve_another_service_in_process() -> None:
    emulator = Emulator(backend=FakeBackend())
    emulator.add_protocol(_FakeLogsProtocol())
    logs = local_client(emulator, "logs")
    answer = logs.get_log_events(logGroupName="/aws/deadline/x", logStreamName="session-1")
    assert answer["events"][0]["message"] == "session-1"
    assert emulator.calls["GetLogEvents"] == 1
    deadline = local_client(emulator)
    assert deadline.list_farms()["farms"]  # rest-json still answers


def test_an_in_process_clients_timestamps_are_read_by_the_standard_library() -> None:
    """The emulator's ISO 8601 timestamps become the instants botocore's own parser gives,
    read by ``datetime.fromisoformat`` (dateutil's parser gives its own tzutc)."""
    emulator = Emulator(seed=0)
    farm = in_process_client(emulator).list_farms()["farms"][0]
    raw = json.loads(emulator.handle("GET", "/2023-10-12/farms", "", {}, None)[2])["farms"][0]
    assert farm["createdAt"].tzinfo is UTC
    assert farm["createdAt"] == parse_timestamp(raw["createdAt"])
