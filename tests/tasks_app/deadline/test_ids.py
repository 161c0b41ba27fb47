"""ID patterns and path converters: malformed IDs never reach the API."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tasks_app.deadline.ids import is_valid_id
from tests.conftest import Tiny
from tests.tasks_app.tiny_world import FARM_ID, JOB_ID, QUEUE_ID, STEP_ID, task_id

HEX = "0123456789abcdef" * 2


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("farm_id", f"farm-{HEX}"),
        ("queue_id", f"queue-{HEX}"),
        ("job_id", f"job-{HEX}"),
        ("step_id", f"step-{HEX}"),
        ("fleet_id", f"fleet-{HEX}"),
        ("worker_id", f"worker-{HEX}"),
        ("session_id", f"session-{HEX}"),
        ("task_id", f"task-{HEX}-0"),
        ("task_id", f"task-{HEX}-9999999999"),
        ("session_action_id", f"sessionaction-{HEX}-12"),
    ],
)
def test_api_patterns_accept_real_ids(kind: str, value: str) -> None:
    assert is_valid_id(kind, value)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("farm_id", f"farm-{HEX[:-1]}"),  # 31 digits
        ("farm_id", f"farm-{HEX.upper()}"),  # upper-case hex
        ("farm_id", f"queue-{HEX}"),  # wrong kind
        ("task_id", f"task-{HEX}-01"),  # leading zero in the index
        ("task_id", f"task-{HEX}-12345678901"),  # 11-digit index
        ("task_id", f"task-{HEX}"),  # no index
        ("session_action_id", f"sessionaction-{HEX}"),
        ("step_id", f"step-{HEX}\n"),  # trailing newline
    ],
)
def test_api_patterns_reject_malformed_ids(kind: str, value: str) -> None:
    assert not is_valid_id(kind, value)


def test_task_url_mirrors_the_api_path() -> None:
    url = reverse(
        "task_detail",
        kwargs={
            "farm_id": FARM_ID,
            "queue_id": QUEUE_ID,
            "job_id": JOB_ID,
            "step_id": STEP_ID,
            "task_id": task_id(7),
        },
    )
    assert url == (
        f"/farms/{FARM_ID}/queues/{QUEUE_ID}/jobs/{JOB_ID}/steps/{STEP_ID}/tasks/{task_id(7)}/"
    )


@pytest.mark.parametrize(
    "bad_url",
    [
        f"/farms/farm-{HEX[:-1]}/queues/{QUEUE_ID}/jobs/{JOB_ID}/steps/{STEP_ID}/tasks/{task_id(0)}/",
        f"/farms/{FARM_ID}/queues/{QUEUE_ID}/jobs/{JOB_ID}/steps/{STEP_ID}/tasks/task-{HEX}-007/",
        f"/farms/{FARM_ID}/queues/{QUEUE_ID}/jobs/{JOB_ID.upper()}/steps/{STEP_ID}/tasks/{task_id(0)}/",
        f"/farms/{FARM_ID}/queues/{STEP_ID}/jobs/{JOB_ID}/steps/{STEP_ID}/tasks/{task_id(0)}/",
        f"/farms/{FARM_ID}/queues/{QUEUE_ID}/jobs/{JOB_ID}/steps/{STEP_ID}/tasks/%3Cscript%3E/",
        f"/farms/{FARM_ID}/queues/{QUEUE_ID}/jobs/{JOB_ID}/steps/{STEP_ID}/tasks/../../{task_id(0)}/",
    ],
)
def test_malformed_ids_are_404_without_any_api_call(
    client: Client, tiny: Tiny, bad_url: str
) -> None:
    tiny.world.add_task(0, runStatus="RUNNING")

    page = client.get(bad_url)
    poll = client.get(bad_url, headers={"HX-Request": "true"})

    assert page.status_code == 404
    assert poll.status_code == 404
    assert "does not name a Deadline Cloud resource" in page.content.decode()
    assert tiny.emulator.calls.total() == 0
