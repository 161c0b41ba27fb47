"""The rest-json wire layer through ``handle``: routes, parsing, validation, errors."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from deadline_emulator import Emulator
from deadline_emulator.exceptions import (
    AccessDeniedException,
    ConflictException,
    ResourceNotFoundException,
    ThrottlingException,
)
from deadline_emulator.responses import deadline_protocol, format_timestamp, handle
from deadline_emulator.routes import SERVED_OPERATIONS, compile_template, deadline_routes
from deadline_emulator.service_model import deadline_model
from deadline_emulator.validation import validate_output
from tests.deadline_emulator.fakes import (
    FARM_ID,
    JOB_ID,
    MISSING_TASK_ID,
    QUEUE_ID,
    STEP_ID,
    TASK_ID,
    TASK_PATH,
    ExplodingBackend,
    FakeBackend,
    WrongShapeBackend,
)

SAMPLE_IDS = {
    "farmId": FARM_ID,
    "queueId": QUEUE_ID,
    "jobId": JOB_ID,
    "stepId": STEP_ID,
    "taskId": TASK_ID,
    "sessionId": "session-" + "a" * 32,
    "sessionActionId": "sessionaction-" + "a" * 32 + "-3",
    "workerId": "worker-" + "b" * 32,
    "fleetId": "fleet-" + "c" * 32,
    "budgetId": "budget-" + "d" * 32,
    "limitId": "limit-" + "e" * 32,
    "queueEnvironmentId": "queueenv-" + "f" * 32,
}


def body_of(answer: tuple[int, dict[str, str], bytes]) -> dict:
    return json.loads(answer[2])


def test_every_served_operation_routes_from_its_request_uri() -> None:
    model = deadline_model()
    routes = deadline_routes()
    assert SERVED_OPERATIONS <= set(model.operations)
    for operation in SERVED_OPERATIONS:
        http = model.operation(operation)["http"]
        labels = re.findall(r"\{(\w+)\}", http["requestUri"])
        path = re.sub(r"\{(\w+)\}", lambda m: SAMPLE_IDS[m.group(1)], http["requestUri"])
        assert routes.match(http["method"], path) == (
            operation,
            {label: SAMPLE_IDS[label] for label in labels},
        )


def test_labels_are_url_decoded_and_greedy_labels_span_slashes() -> None:
    regex, _ = compile_template("/tags/{resourceArn}")
    assert regex.fullmatch("/tags/arn%3Aaws%3Adeadline") is not None
    assert regex.fullmatch("/tags/a/b") is None
    greedy, _ = compile_template("/objects/{Key+}?x-id=GetObject")
    assert greedy.fullmatch("/objects/a/b/c") is not None
    found = deadline_routes().match("GET", "/2023-10-12/farms/farm%2Dx")
    assert found == ("GetFarm", {"farmId": "farm-x"})


def test_get_task_passes_snake_case_kwargs_and_serialises_the_answer() -> None:
    backend = FakeBackend()
    status, headers, body = handle(backend, "GET", f"{TASK_PATH}/{TASK_ID}")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert headers["x-amzn-RequestId"]
    assert backend.received == [
        (
            "get_task",
            {
                "farm_id": FARM_ID,
                "queue_id": QUEUE_ID,
                "job_id": JOB_ID,
                "step_id": STEP_ID,
                "task_id": TASK_ID,
            },
        ),
    ]
    answer = json.loads(body)
    assert answer["createdAt"] == "2026-11-20T10:05:00.123Z"
    assert validate_output("GetTask", answer) == []


def test_none_members_are_omitted_and_unknown_members_dropped() -> None:
    backend = FakeBackend()
    backend.farms[0]["notInTheModel"] = "x"
    answer = body_of(handle(backend, "GET", "/2023-10-12/farms"))
    assert "updatedAt" not in answer["farms"][0]
    assert "notInTheModel" not in answer["farms"][0]
    assert validate_output("ListFarms", answer) == []


def test_timestamps_are_utc_with_milliseconds() -> None:
    from datetime import timedelta, timezone

    paris = timezone(timedelta(hours=1))
    assert format_timestamp(datetime(2026, 1, 2, 4, 5, 6, 789999, tzinfo=paris)) == (
        "2026-01-02T03:05:06.789Z"
    )
    assert format_timestamp(0) == "1970-01-01T00:00:00.000Z"


def test_query_string_members_are_coerced() -> None:
    backend = FakeBackend()
    answer = body_of(handle(backend, "GET", "/2023-10-12/farms", "maxResults=1&nextToken=1"))
    assert backend.received[-1] == ("list_farms", {"max_results": 1, "next_token": "1"})
    assert [farm["farmId"] for farm in answer["farms"]] == ["farm-" + "0" * 31 + "2"]


@pytest.mark.parametrize("max_results", ["101", "0", "-1", "ten", "1.5", ""])
def test_bad_max_results_is_a_validation_exception(max_results: str) -> None:
    backend = FakeBackend()
    status, headers, body = handle(backend, "GET", TASK_PATH, f"maxResults={max_results}")
    assert status == 400
    assert headers["x-amzn-ErrorType"] == "ValidationException"
    answer = json.loads(body)
    assert answer["reason"] == "FIELD_VALIDATION_FAILED"
    assert [field["name"] for field in answer["fieldList"]] == ["maxResults"]
    assert backend.received == []


@pytest.mark.parametrize(
    "task_id",
    [
        "task-XYZ",
        "task-" + "0" * 32,
        "task-" + "0" * 32 + "-01",
        "TASK-" + "0" * 32 + "-1",
        "task-" + "0" * 32 + "-1%20",
        "task-" + "0" * 32 + "-12345678901",
    ],
)
def test_malformed_ids_are_validation_exceptions(task_id: str) -> None:
    backend = FakeBackend()
    status, _headers, body = handle(backend, "GET", f"{TASK_PATH}/{task_id}")
    assert status == 400
    assert json.loads(body)["fieldList"][0]["name"] == "taskId"
    assert backend.received == []


def test_well_formed_missing_id_is_not_found_naming_the_resource() -> None:
    status, headers, body = handle(FakeBackend(), "GET", f"{TASK_PATH}/{MISSING_TASK_ID}")
    assert status == 404
    assert headers["x-amzn-ErrorType"] == "ResourceNotFoundException"
    assert json.loads(body) == {
        "message": f"Task {MISSING_TASK_ID} not found",
        "resourceId": MISSING_TASK_ID,
        "resourceType": "task",
    }


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/2023-10-12/nothing"),
        ("DELETE", "/2023-10-12/farms"),
        ("GET", "/2023-10-12/farms/" + FARM_ID + "/extra/segments"),
    ],
)
def test_unknown_paths_answer_a_modelled_4xx(method: str, path: str) -> None:
    status, headers, body = handle(FakeBackend(), method, path)
    assert status == 400
    assert headers["x-amzn-ErrorType"] == "ValidationException"
    assert json.loads(body)["reason"] == "UNKNOWN_OPERATION"


def test_operation_outside_the_served_set_is_unknown() -> None:
    # CreateFarm is POST /2023-10-12/farms in the model, but not served.
    status, _, body = handle(FakeBackend(), "POST", "/2023-10-12/farms", body=b"{}")
    assert status == 400
    assert "CreateFarm" in json.loads(body)["message"]


def test_served_operation_missing_from_the_backend_is_a_4xx() -> None:
    status, _, body = handle(FakeBackend(), "GET", f"/2023-10-12/farms/{FARM_ID}/queues")
    assert status == 400
    assert json.loads(body)["reason"] == "UNKNOWN_OPERATION"


@pytest.mark.parametrize("payload", [b"{", b"not json", b"\xff\xfe", b"[1, 2]", b'"text"'])
def test_broken_json_body_cannot_parse(payload: bytes) -> None:
    backend = FakeBackend()
    status, _headers, body = handle(backend, "POST", "/2023-10-12/batch-get-task", body=payload)
    assert status == 400
    assert json.loads(body)["reason"] == "CANNOT_PARSE"
    assert backend.received == []


def test_unknown_body_member_is_rejected() -> None:
    payload = json.dumps({"identifiers": [], "sneaky": 1, "farmId": FARM_ID})
    status, _, body = handle(FakeBackend(), "POST", "/2023-10-12/batch-get-task", body=payload)
    assert status == 400
    names = {field["name"] for field in json.loads(body)["fieldList"]}
    assert names == {"sneaky", "farmId"}


def test_body_member_ids_are_validated() -> None:
    identifier = {
        "farmId": FARM_ID,
        "queueId": QUEUE_ID,
        "jobId": JOB_ID,
        "stepId": STEP_ID,
        "taskId": "task-bad",
    }
    payload = json.dumps({"identifiers": [identifier]})
    status, _, body = handle(FakeBackend(), "POST", "/2023-10-12/batch-get-task", body=payload)
    assert status == 400
    assert json.loads(body)["fieldList"][0]["name"] == "identifiers[0].taskId"


def test_header_member_and_patch_body_reach_the_backend() -> None:
    backend = FakeBackend()
    status, _, body = handle(
        backend,
        "PATCH",
        f"{TASK_PATH}/{TASK_ID}",
        headers={"X-Amz-Client-Token": "token-1", "Content-Type": "application/json"},
        body=b'{"targetRunStatus": "SUSPENDED"}',
    )
    assert (status, body) == (200, b"{}")
    operation, kwargs = backend.received[-1]
    assert operation == "update_task"
    assert kwargs["client_token"] == "token-1"
    assert kwargs["target_run_status"] == "SUSPENDED"


def test_search_body_timestamps_reach_the_backend_as_datetimes() -> None:
    backend = FakeBackend()
    payload = {
        "queueIds": [QUEUE_ID],
        "itemOffset": 0,
        "pageSize": 2,
        "filterExpressions": {
            "operator": "AND",
            "filters": [
                {
                    "dateTimeFilter": {
                        "name": "CREATED_AT",
                        "operator": "GREATER_THAN",
                        "dateTime": "2026-11-20T00:00:00Z",
                    }
                },
            ],
        },
    }
    status, _, body = handle(
        backend, "POST", f"/2023-10-12/farms/{FARM_ID}/search/tasks", body=json.dumps(payload)
    )
    assert status == 200
    kwargs = backend.received[-1][1]
    assert kwargs["queue_ids"] == [QUEUE_ID]
    assert kwargs["item_offset"] == 0
    date_filter = kwargs["filter_expressions"]["filters"][0]["dateTimeFilter"]
    assert date_filter["dateTime"] == datetime(2026, 11, 20, tzinfo=UTC)
    answer = json.loads(body)
    assert answer["nextItemOffset"] == 2 and answer["totalResults"] == 5
    assert validate_output("SearchTasks", answer) == []


def test_union_in_request_with_two_members_is_rejected() -> None:
    payload = {
        "queueIds": [QUEUE_ID],
        "itemOffset": 0,
        "filterExpressions": {
            "operator": "AND",
            "filters": [
                {
                    "stringFilter": {
                        "name": "RUN_STATUS",
                        "operator": "EQUAL",
                        "value": "READY",
                    },
                    "searchTermFilter": {"searchTerm": "x"},
                },
            ],
        },
    }
    path = f"/2023-10-12/farms/{FARM_ID}/search/tasks"
    status, _, body = handle(FakeBackend(), "POST", path, body=json.dumps(payload))
    assert status == 400
    assert json.loads(body)["fieldList"][0]["name"] == "filterExpressions.filters[0]"


def test_search_item_offset_above_ceiling_is_rejected() -> None:
    payload = json.dumps({"queueIds": [QUEUE_ID], "itemOffset": 10001})
    path = f"/2023-10-12/farms/{FARM_ID}/search/tasks"
    status, _, body = handle(FakeBackend(), "POST", path, body=payload)
    assert status == 400
    assert json.loads(body)["fieldList"][0]["name"] == "itemOffset"


@pytest.mark.parametrize(
    ("error", "status", "members"),
    [
        (AccessDeniedException("no"), 403, {}),
        (
            ResourceNotFoundException("gone", resource_id=FARM_ID, resource_type="farm"),
            404,
            {"resourceId": FARM_ID, "resourceType": "farm"},
        ),
        (
            ConflictException(
                "busy", resource_id=FARM_ID, resource_type="farm", reason="CONCURRENT_MODIFICATION"
            ),
            409,
            {"resourceId": FARM_ID, "resourceType": "farm", "reason": "CONCURRENT_MODIFICATION"},
        ),
        (
            ThrottlingException(retry_after_seconds=7),
            429,
            {"serviceCode": "deadline", "quotaCode": "L-EMULATED"},
        ),
    ],
)
def test_modelled_errors_render_status_type_header_and_members(
    error: Exception, status: int, members: dict
) -> None:
    backend = FakeBackend()
    backend.raise_next = error  # type: ignore[assignment]
    got_status, headers, body = handle(backend, "GET", f"/2023-10-12/farms/{FARM_ID}")
    assert got_status == status
    assert headers["x-amzn-ErrorType"] == type(error).__name__
    answer = json.loads(body)
    assert answer == {"message": str(error), **members}
    if isinstance(error, ThrottlingException):
        assert headers["Retry-After"] == "7"


def test_exploding_backend_is_a_generic_500_without_traceback(caplog) -> None:
    status, headers, body = handle(ExplodingBackend(), "GET", f"{TASK_PATH}/{TASK_ID}")
    assert status == 500
    assert headers["x-amzn-ErrorType"] == "InternalServerErrorException"
    assert b"secret-internal-detail" not in body
    assert b"Traceback" not in body
    assert "secret-internal-detail" in caplog.text  # logged for the operator


def test_backend_answer_of_wrong_type_is_a_500() -> None:
    status, _, body = handle(WrongShapeBackend(), "GET", f"/2023-10-12/farms/{FARM_ID}")
    assert status == 500
    assert b"list" not in body


def test_every_answer_carries_a_request_id() -> None:
    ids = {
        handle(FakeBackend(), "GET", "/nowhere")[1]["x-amzn-RequestId"],
        handle(FakeBackend(), "GET", "/2023-10-12/farms")[1]["x-amzn-RequestId"],
        handle(ExplodingBackend(), "GET", f"{TASK_PATH}/{TASK_ID}")[1]["x-amzn-RequestId"],
    }
    assert len(ids) == 3


def test_emulator_handle_counts_calls_that_reach_an_operation() -> None:
    emulator = Emulator(backend=FakeBackend())
    emulator.handle("GET", "/2023-10-12/farms")
    emulator.handle("GET", f"{TASK_PATH}/task-bad")  # reached GetTask, then rejected
    emulator.handle("GET", "/not/an/operation")
    assert emulator.calls.snapshot() == {"GetTask": 1, "ListFarms": 1}
    assert emulator.calls.total() == 2
    assert emulator.calls["GetFarm"] == 0


def test_protocol_specs_exist_for_every_served_operation() -> None:
    protocol = deadline_protocol()
    for operation in SERVED_OPERATIONS:
        spec = protocol.spec(operation)
        assert spec.method_name == re.sub(r"(?<!^)([A-Z])", r"_\1", operation).lower()
