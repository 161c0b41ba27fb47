"""The demo world through real boto3 over both transports: paging to the end of the
10,000-task step, every modelled error, and UpdateTask's state changes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.seed import DEMO_EPOCH
from deadline_emulator.server import serve_in_thread
from deadline_emulator.transport import in_process_client
from tests.deadline_emulator.fakes import http_client


@pytest.fixture(params=["in-process", "http"])
def wired(request: pytest.FixtureRequest) -> Iterator[tuple[Emulator, Any]]:
    emulator = Emulator(seed=0, clock=Clock(pinned_at=DEMO_EPOCH + 2 * 86400))
    if request.param == "http":
        server, url = serve_in_thread(emulator)
        yield emulator, http_client(url)
        server.shutdown()
    else:
        yield emulator, in_process_client(emulator)


def test_list_tasks_pages_to_the_end_of_the_10000_task_step(wired: tuple[Emulator, Any]) -> None:
    emulator, client = wired
    step = emulator.backend.landmarks()["big_step"]
    pages = client.get_paginator("list_tasks").paginate(**step, PaginationConfig={"PageSize": 100})

    task_ids = [task["taskId"] for page in pages for task in page["tasks"]]

    assert len(task_ids) == 10_000
    assert len(set(task_ids)) == 10_000
    assert emulator.calls["ListTasks"] == 100
    assert task_ids[-1] == emulator.backend.landmarks()["big_last_task"]["taskId"]


def test_search_tasks_reaches_the_last_item_offset(wired: tuple[Emulator, Any]) -> None:
    emulator, client = wired
    step = emulator.backend.landmarks()["big_step"]
    query = {
        "farmId": step["farmId"],
        "queueIds": [step["queueId"]],
        "jobId": step["jobId"],
        "pageSize": 100,
    }

    last = client.search_tasks(**query, itemOffset=9_900)

    assert last["totalResults"] == 10_000
    assert len(last["tasks"]) == 100
    assert "nextItemOffset" not in last


def test_every_modelled_error_reaches_boto3(wired: tuple[Emulator, Any]) -> None:
    emulator, client = wired
    task = emulator.backend.landmarks()["one_task"]
    missing = {**task, "taskId": task["taskId"].rsplit("-", 1)[0] + "-7"}

    with pytest.raises(client.exceptions.ResourceNotFoundException) as not_found:
        client.get_task(**missing)
    assert not_found.value.response["resourceId"] == missing["taskId"]

    # botocore checks only minimums: a malformed ID goes out and the service refuses it.
    with pytest.raises(client.exceptions.ValidationException) as invalid:
        client.get_task(**{**task, "taskId": "task-12"})
    assert invalid.value.response["reason"] == "FIELD_VALIDATION_FAILED"
    assert invalid.value.response["fieldList"][0]["name"] == "taskId"

    emulator.faults.set("GetTask", deny=True)
    with pytest.raises(client.exceptions.AccessDeniedException) as denied:
        client.get_task(**task)
    assert "deadline:GetTask" in denied.value.response["Error"]["Message"]

    emulator.faults.set("GetTask", throttle_rate=1.0, retry_after_seconds=7)
    with pytest.raises(client.exceptions.ThrottlingException) as throttled:
        client.get_task(**task)
    assert throttled.value.response["retryAfterSeconds"] == 7

    emulator.faults.set("GetTask", error_rate=1.0)
    with pytest.raises(client.exceptions.InternalServerErrorException):
        client.get_task(**task)


def test_update_task_requeues_and_cancels(wired: tuple[Emulator, Any]) -> None:
    emulator, client = wired
    failed = emulator.backend.landmarks()["failed_with_retries_task"]
    assert client.get_task(**failed)["runStatus"] == "FAILED"

    client.update_task(**failed, targetRunStatus="READY", clientToken="requeue-1")
    requeued = client.get_task(**failed)
    assert requeued["runStatus"] in {"READY", "ASSIGNED"}
    assert requeued["updatedBy"]

    emulator.clock.advance(30 * 60)
    assert client.get_task(**failed)["runStatus"] in {"SUCCEEDED", "FAILED"}

    ready = emulator.backend.find_tasks("READY", limit=1)[0]
    client.update_task(**ready, targetRunStatus="CANCELED", clientToken="cancel-1")
    assert client.get_task(**ready)["runStatus"] == "CANCELED"
