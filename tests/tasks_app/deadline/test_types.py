"""Dataclasses from API answers: parsing, statuses, parameters and the compact cache form."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tasks_app.deadline.types import (
    Job,
    Step,
    Task,
    TaskParameter,
    TaskRunStatus,
    chunk_frame_count,
)
from tests.tasks_app.tiny_world import JOB_ID, STEP_ID, task_id

STARTED = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)

GET_TASK_ANSWER = {
    "taskId": task_id(3),
    "createdAt": STARTED - timedelta(minutes=5),
    "createdBy": "arn:aws:sts::123456789012:assumed-role/Artist/ana",
    "runStatus": "RUNNING",
    "targetRunStatus": "SUCCEEDED",
    "failureRetryCount": 2,
    "startedAt": STARTED,
    "updatedAt": STARTED + timedelta(seconds=30),
    "updatedBy": "deadline-scheduler",
    "latestSessionActionId": "sessionaction-" + "ab" * 16 + "-4",
    "parameters": {
        "Frame": {"int": "1042"},
        "Scale": {"float": "0.5e-3"},
        "Camera": {"string": "shotCam"},
        "Scene": {"path": "/mnt/projects/shot_042/scene.ma"},
        "Frames": {"chunkInt": "1-3,5,7-20:2"},
    },
    "ResponseMetadata": {"HTTPStatusCode": 200},
}


def test_task_from_api_parses_every_member() -> None:
    task = Task.from_api(GET_TASK_ANSWER)

    assert task.task_id == task_id(3)
    assert task.run_status is TaskRunStatus.RUNNING
    assert task.target_run_status is TaskRunStatus.SUCCEEDED
    assert task.shows_target
    assert task.failure_retry_count == 2
    assert task.started_at == STARTED
    assert task.ended_at is None
    assert task.updated_by == "deadline-scheduler"
    assert task.latest_session_action_id.endswith("-4")
    assert [(p.name, p.type, p.value) for p in task.parameters] == [
        ("Camera", "string", "shotCam"),
        ("Frame", "int", "1042"),
        ("Frames", "chunkInt", "1-3,5,7-20:2"),
        ("Scale", "float", "0.5e-3"),
        ("Scene", "path", "/mnt/projects/shot_042/scene.ma"),
    ]


def test_task_cache_form_is_compact_json_and_round_trips() -> None:
    task = Task.from_api(GET_TASK_ANSWER)

    cached = task.to_cache()
    text = json.dumps(cached)

    assert Task.from_cache(json.loads(text)) == task
    assert cached["startedAt"] == "2026-11-23T10:00:00.000Z"
    assert "endedAt" not in cached  # absent members are omitted, not null
    assert "ResponseMetadata" not in cached


def test_timestamps_from_the_cache_are_aware_utc() -> None:
    task = Task.from_api({**GET_TASK_ANSWER, "startedAt": "2026-11-23T10:00:00.000Z"})

    assert task.started_at == STARTED
    assert task.started_at.tzinfo is not None


def test_version_changes_with_content_and_only_with_content() -> None:
    first = Task.from_api(GET_TASK_ANSWER)
    same = Task.from_cache(first.to_cache())
    finished = Task.from_api({**GET_TASK_ANSWER, "runStatus": "SUCCEEDED"})

    assert first.version == same.version
    assert first.version != finished.version
    assert len(first.version) == 16


def test_duration_runs_until_now_while_not_ended() -> None:
    task = Task.from_api(GET_TASK_ANSWER)
    ended = Task.from_api({**GET_TASK_ANSWER, "endedAt": STARTED + timedelta(minutes=3)})
    now = STARTED + timedelta(minutes=10)

    assert task.duration(now) == timedelta(minutes=10)
    assert ended.duration(now) == timedelta(minutes=3)
    assert Task.from_api({**GET_TASK_ANSWER, "startedAt": None}).duration(now) is None


def test_twelve_statuses_four_of_them_terminal() -> None:
    terminal = {s.value for s in TaskRunStatus.known() if s.is_terminal}

    assert len(TaskRunStatus.known()) == 12
    assert terminal == {"SUCCEEDED", "FAILED", "CANCELED", "NOT_COMPATIBLE"}
    assert TaskRunStatus.NOT_COMPATIBLE.label == "Not compatible"
    assert TaskRunStatus.NOT_COMPATIBLE.css_class == "badge--not-compatible"


def test_unknown_status_from_a_newer_api_does_not_crash() -> None:
    task = Task.from_api({**GET_TASK_ANSWER, "runStatus": "HIBERNATING"})

    assert task.run_status is TaskRunStatus.UNKNOWN
    assert not task.is_terminal


@pytest.mark.parametrize(
    ("expression", "count"),
    [
        ("1-10", 10),
        ("5-5", 1),
        ("7", 1),
        ("1-3,5,7-20:2", 3 + 1 + 7),
        ("-5--1", 5),
        ("1-1000000", 1000000),
        ("10-1", None),
        ("1-x", None),
        ("", None),
    ],
)
def test_chunk_frame_count(expression: str, count: int | None) -> None:
    assert chunk_frame_count(expression) == count


def test_parameter_variants() -> None:
    chunk = TaskParameter.from_api("Frames", {"chunkInt": "1-10"})
    path = TaskParameter.from_api("Scene", {"path": "/mnt/a.ma"})

    assert (chunk.type, chunk.frame_count) == ("chunkInt", 10)
    assert path.frame_count is None
    assert path.to_api() == {"path": "/mnt/a.ma"}


def test_job_and_step_keep_counts_and_round_trip() -> None:
    common = {
        "lifecycleStatus": "CREATE_COMPLETE",
        "taskRunStatus": "RUNNING",
        "taskRunStatusCounts": {"RUNNING": 3, "SUCCEEDED": 7, "FAILED": 0},
        "createdAt": STARTED,
        "createdBy": "ana",
    }
    job = Job.from_api({**common, "jobId": JOB_ID, "name": "shot_042", "priority": 50})
    step = Step.from_api({**common, "stepId": STEP_ID, "name": "Render"})

    assert job.status_counts[TaskRunStatus.SUCCEEDED] == 7
    assert job.total_tasks == 10
    assert Job.from_cache(json.loads(json.dumps(job.to_cache()))) == job
    assert Step.from_cache(json.loads(json.dumps(step.to_cache()))) == step
