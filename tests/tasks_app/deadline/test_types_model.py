"""Every type reads the least the model promises: an answer holding only the members botocore's
model marks required (search summaries: none at all) parses, and survives the cache form."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from deadline_emulator.service_model import deadline_model, load_service_model
from tasks_app.deadline.session_types import Fleet, LogPage, Session, SessionAction, Worker
from tasks_app.deadline.types import (
    Cacheable,
    Farm,
    FarmList,
    Job,
    JobSearchPage,
    Queue,
    QueueList,
    Step,
    StepDetail,
    StepList,
    Task,
    TaskRunStatus,
    TaskSearchPage,
    TaskSummary,
)

# Example values for the model's patterned strings (IDs), by shape name.
EXAMPLES = {
    "FarmId": "farm-" + "1" * 32,
    "QueueId": "queue-" + "2" * 32,
    "JobId": "job-" + "3" * 32,
    "StepId": "step-" + "4" * 32,
    "TaskId": "task-" + "4" * 32 + "-7",
    "SessionId": "session-" + "5" * 32,
    "SessionActionId": "sessionaction-" + "5" * 32 + "-1",
    "WorkerId": "worker-" + "6" * 32,
    "FleetId": "fleet-" + "7" * 32,
}

# Each type, and the answers (model shapes) it is built from.
BUILT_FROM: list[tuple[type[Cacheable], str, str]] = [
    (Task, "deadline", "GetTaskResponse"),
    (TaskSummary, "deadline", "TaskSearchSummary"),
    (TaskSummary, "deadline", "TaskSummary"),
    (Job, "deadline", "GetJobResponse"),
    (Job, "deadline", "JobSearchSummary"),
    (Job, "deadline", "JobSummary"),
    (Step, "deadline", "StepSummary"),
    (Step, "deadline", "StepSearchSummary"),
    (StepDetail, "deadline", "GetStepResponse"),
    (Farm, "deadline", "GetFarmResponse"),
    (Farm, "deadline", "FarmSummary"),
    (Queue, "deadline", "GetQueueResponse"),
    (Queue, "deadline", "QueueSummary"),
    (SessionAction, "deadline", "SessionActionSummary"),
    (SessionAction, "deadline", "GetSessionActionResponse"),
    (Session, "deadline", "GetSessionResponse"),
    (Worker, "deadline", "GetWorkerResponse"),
    (Fleet, "deadline", "GetFleetResponse"),
    (FarmList, "deadline", "ListFarmsResponse"),
    (QueueList, "deadline", "ListQueuesResponse"),
    (StepList, "deadline", "ListStepsResponse"),
    (JobSearchPage, "deadline", "SearchJobsResponse"),
    (TaskSearchPage, "deadline", "SearchTasksResponse"),
    (LogPage, "logs", "GetLogEventsResponse"),
]


def _model(service: str) -> Any:
    return deadline_model() if service == "deadline" else load_service_model("logs")


def least(model: Any, shape_name: str, *, lists_have_one: bool = True) -> Any:
    """A value of ``shape_name`` with only its required members (lists hold one item)."""
    shape = model.shapes[shape_name]
    kind = shape["type"]
    if kind == "structure":
        members = shape["members"]
        if shape.get("union"):
            first = next(iter(members))
            return {first: least(model, members[first]["shape"])}
        return {
            name: least(model, members[name]["shape"])
            for name in shape.get("required", ())
            if members[name].get("location") is None
        }
    if kind == "list":
        return [least(model, shape["member"]["shape"])] if lists_have_one else []
    if kind == "map":
        return {}
    if kind == "string":
        if shape_name in EXAMPLES:
            return EXAMPLES[shape_name]
        if shape.get("enum"):
            return shape["enum"][0]
        return "x" * max(1, shape.get("min", 1))
    if kind == "timestamp":
        return datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    if kind in ("integer", "long"):
        return int(shape.get("min", 0))
    if kind in ("float", "double"):
        return float(shape.get("min", 0))
    if kind == "boolean":
        return False
    return None


@pytest.mark.parametrize(
    ("parse", "service", "shape"), BUILT_FROM, ids=[f"{t.__name__}-{s}" for t, _, s in BUILT_FROM]
)
def test_only_the_required_members_are_needed(
    parse: type[Cacheable], service: str, shape: str
) -> None:
    answer = least(_model(service), shape)
    value = parse.from_api(answer)
    assert parse.from_cache(value.to_cache()) == value


def test_search_summaries_without_their_ids_are_left_out() -> None:
    page = JobSearchPage.from_api({"jobs": [{}, {"jobId": EXAMPLES["JobId"]}], "totalResults": 2})
    assert [job.job_id for job in page.jobs] == [EXAMPLES["JobId"]]
    assert page.jobs[0].name == EXAMPLES["JobId"]  # no name: the ID stands in
    tasks = TaskSearchPage.from_api({"tasks": [{"runStatus": "FAILED"}], "totalResults": 1})
    assert tasks.tasks == () and tasks.window.total == 1


def test_status_count_keys_are_read_case_insensitively() -> None:
    job = Job.from_api(
        {
            "jobId": EXAMPLES["JobId"],
            "taskRunStatusCounts": {"failed": 2, "FAILED": 1, "Succeeded": 4, "WIBBLE": 9},
        }
    )
    assert job.status_counts == {TaskRunStatus.FAILED: 3, TaskRunStatus.SUCCEEDED: 4}
