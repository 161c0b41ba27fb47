"""The model validator: inputs (stricter than botocore) and outputs (wire format)."""

from __future__ import annotations

from datetime import UTC, datetime

from deadline_emulator.service_model import ServiceModel
from deadline_emulator.validation import (
    compiled_pattern,
    parse_timestamp,
    validate,
    validate_input,
    validate_output,
)
from tests.deadline_emulator.fakes import FARM_ID, QUEUE_ID, TASK_ID, task_kwargs

GET_TASK = {k[0].lower() + k[1:]: v for k, v in task_kwargs().items()}


def paths(problems: list[tuple[str, str]]) -> list[str]:
    return [path for path, _ in problems]


def test_well_formed_get_task_input_is_valid() -> None:
    assert validate_input("GetTask", GET_TASK) == []


def test_id_patterns_are_enforced() -> None:
    bad = {**GET_TASK, "taskId": "task-XYZ", "farmId": "farm-" + "0" * 31}
    problems = validate_input("GetTask", bad)
    assert sorted(paths(problems)) == ["farmId", "taskId"]
    assert "regular expression" in dict(problems)["taskId"]


def test_task_id_suffix_must_be_a_canonical_number() -> None:
    assert validate("task-" + "0" * 32 + "-01", "TaskId")
    assert validate("task-" + "0" * 32 + "-10", "TaskId") == []


def test_max_results_range() -> None:
    base = {"farmId": FARM_ID, "queueId": QUEUE_ID}
    assert validate_input("ListJobs", {**base, "maxResults": 100}) == []
    assert paths(validate_input("ListJobs", {**base, "maxResults": 101})) == ["maxResults"]
    assert paths(validate_input("ListJobs", {**base, "maxResults": 0})) == ["maxResults"]
    assert paths(validate_input("ListJobs", {**base, "maxResults": "5"})) == ["maxResults"]
    assert paths(validate_input("ListJobs", {**base, "maxResults": True})) == ["maxResults"]


def test_required_and_unknown_members() -> None:
    problems = validate_input("GetTask", {"farmId": FARM_ID, "colour": "red"})
    assert set(paths(problems)) == {"queueId", "jobId", "stepId", "taskId", "colour"}


def test_list_bounds_and_nested_paths() -> None:
    assert paths(validate_input("BatchGetTask", {"identifiers": []})) == ["identifiers"]
    item = {**GET_TASK}
    assert validate_input("BatchGetTask", {"identifiers": [item] * 100}) == []
    assert paths(validate_input("BatchGetTask", {"identifiers": [item] * 101})) == ["identifiers"]
    broken = {**item, "stepId": "step-nothex" + "g" * 24}
    assert paths(validate_input("BatchGetTask", {"identifiers": [item, broken]})) == [
        "identifiers[1].stepId"
    ]


def test_enum_is_enforced() -> None:
    assert validate("READY", "TaskTargetRunStatus") == []
    assert validate("RUNNING", "TaskTargetRunStatus")  # a run status, not a target


def test_union_needs_exactly_one_member() -> None:
    assert validate({"int": "1"}, "TaskParameterValue", output=True) == []
    assert validate({}, "TaskParameterValue", output=True)
    assert validate({"int": "1", "string": "x"}, "TaskParameterValue", output=True)
    assert validate({"int": "1.5"}, "TaskParameterValue", output=True)  # IntString pattern


def test_map_keys_and_values_are_checked() -> None:
    assert validate({"Frame": {"int": "1"}}, "TaskParameters", output=True) == []
    assert validate({"Frame": {"float": "fast"}}, "TaskParameters", output=True)


def test_input_timestamps_accept_iso_and_epoch() -> None:
    assert parse_timestamp("2026-11-20T10:05:00Z") == datetime(2026, 11, 20, 10, 5, tzinfo=UTC)
    assert parse_timestamp(0) == datetime(1970, 1, 1, tzinfo=UTC)
    assert parse_timestamp("1700000000.5") is not None
    assert parse_timestamp("yesterday") is None
    assert validate("2026-11-20T10:05:00+02:00", "CreatedAt") == []
    assert validate("soon", "CreatedAt")


def test_output_timestamps_must_be_aware_or_wire_format() -> None:
    assert validate(datetime(2026, 1, 1, tzinfo=UTC), "CreatedAt", output=True) == []
    assert validate(datetime(2026, 1, 1), "CreatedAt", output=True)  # naive
    assert validate("2026-11-20T10:05:00.000Z", "CreatedAt", output=True) == []
    assert validate("2026-11-20T10:05:00Z", "CreatedAt", output=True)  # not the emulator's format


def test_output_shape_of_get_task() -> None:
    answer = {
        "taskId": TASK_ID,
        "createdAt": "2026-11-20T10:05:00.000Z",
        "createdBy": "ana",
        "runStatus": "READY",
        "failureRetryCount": 2,
    }
    assert validate_output("GetTask", answer) == []
    assert paths(validate_output("GetTask", {**answer, "failureRetryCount": -1})) == [
        "failureRetryCount"
    ]
    assert paths(validate_output("GetTask", {**answer, "extra": 1})) == ["extra"]


def test_strings_numbers_booleans_documents() -> None:
    assert validate("x" * 101, "ResourceName")
    assert validate("", "ResourceName")
    assert validate(12, "ResourceName")
    assert validate(1.5, "CostScaleFactor") == []
    assert validate(101.0, "CostScaleFactor")
    assert validate(float("nan"), "CostScaleFactor")
    assert validate({"any": ["thing"]}, "Document") == []


def test_patterns_python_cannot_compile_are_skipped() -> None:
    assert compiled_pattern("(?<!unclosed") is None
    model = ServiceModel(
        {
            "metadata": {"serviceId": "x", "protocol": "rest-json"},
            "operations": {},
            "shapes": {"Odd": {"type": "string", "pattern": "(?<!unclosed"}},
        }
    )
    assert validate("anything", "Odd", model=model) == []
