"""UpdateJob and UpdateStep with the service's semantics, client tokens across every write, and
the per-task record of changes that tests of bulk actions rely on (through real boto3)."""

from __future__ import annotations

import http.client
import json
from collections import Counter
from typing import Any

import pytest

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.seed import DEMO_EPOCH
from deadline_emulator.server import serve_in_thread
from deadline_emulator.simulation import INTERRUPT_SECONDS, TERMINAL
from deadline_emulator.transport import in_process_client

ACTIVE_OR_QUEUED = {"PENDING", "READY", "ASSIGNED", "STARTING", "SCHEDULED", "RUNNING"}


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(seed=0, clock=Clock(pinned_at=DEMO_EPOCH + 2 * 3600))


@pytest.fixture
def client(emulator: Emulator) -> Any:
    return in_process_client(emulator)


def job_of(ids: dict[str, str]) -> dict[str, str]:
    return {k: ids[k] for k in ("farmId", "queueId", "jobId")}


def all_tasks(client: Any, job: dict[str, str]) -> dict[str, dict[str, Any]]:
    """taskId -> task (with its stepId) of every step, through the list paginators."""
    tasks = {}
    for step in client.list_steps(**job)["steps"]:
        pages = client.get_paginator("list_tasks").paginate(**job, stepId=step["stepId"])
        for page in pages:
            for task in page["tasks"]:
                tasks[task["taskId"]] = {**task, "stepId": step["stepId"]}
    return tasks


def busy_job(emulator: Emulator, client: Any) -> dict[str, str]:
    """A stream job with running work and finished tasks side by side."""
    for ids in emulator.backend.jobs():
        counts = client.get_job(**ids)["taskRunStatusCounts"]
        if counts["RUNNING"] and counts["SUCCEEDED"] and counts["READY"]:
            steps = client.list_steps(**ids)["steps"]
            if any(
                s["taskRunStatusCounts"]["RUNNING"]
                for s in steps
                if s["taskRunStatusCounts"]["SUCCEEDED"]
            ):
                return ids
    raise AssertionError("the demo world has no busy job at this instant")


def test_cancel_job_interrupts_unfinished_tasks_and_leaves_finished_ones(
    emulator: Emulator, client: Any
) -> None:
    job = busy_job(emulator, client)
    before = all_tasks(client, job)
    unfinished = {t for t, task in before.items() if task["runStatus"] not in TERMINAL}

    client.update_job(**job, targetTaskRunStatus="CANCELED")  # `deadline job cancel --yes`

    now = all_tasks(client, job)
    for task_id, task in now.items():
        if task_id in unfinished:
            expected = {"INTERRUPTING"} if before[task_id]["runStatus"] == "RUNNING" else set()
            assert task["runStatus"] in expected | {"CANCELED"}, (before[task_id], task)
        else:
            assert task["runStatus"] == before[task_id]["runStatus"]
    assert emulator.task_update_counts(job["jobId"]) == dict.fromkeys(sorted(unfinished), 1)
    emulator.clock.advance(INTERRUPT_SECONDS + 1)
    counts = client.get_job(**job)["taskRunStatusCounts"]
    assert counts["CANCELED"] >= len(unfinished) and counts["RUNNING"] == counts["READY"] == 0
    assert client.get_job(**job)["taskRunStatus"] in TERMINAL
    assert Counter(t["runStatus"] for t in all_tasks(client, job).values()) == +Counter(counts)


def test_step_suspend_then_requeue(emulator: Emulator, client: Any) -> None:
    job = busy_job(emulator, client)
    step = next(
        s
        for s in client.list_steps(**job)["steps"]
        if s["taskRunStatusCounts"]["RUNNING"] and s["taskRunStatusCounts"]["SUCCEEDED"]
    )
    ids = {**job, "stepId": step["stepId"]}
    client.update_step(**ids, targetTaskRunStatus="SUSPENDED")
    emulator.clock.advance(INTERRUPT_SECONDS + 1)
    counts = client.get_step(**ids)["taskRunStatusCounts"]
    assert counts["SUSPENDED"] > 0
    assert not any(counts[s] for s in ACTIVE_OR_QUEUED)
    suspended = counts["SUSPENDED"]
    settled = sum(counts[s] for s in ("SUSPENDED", "SUCCEEDED", "FAILED", "CANCELED"))

    emulator.backend.reset_task_update_counts()
    client.update_step(**ids, targetTaskRunStatus="PENDING")  # requeue: settled tasks run again

    counts = client.get_step(**ids)["taskRunStatusCounts"]
    assert counts["READY"] == settled and counts["SUSPENDED"] == 0 < suspended
    assert sum(emulator.task_update_counts(job["jobId"]).values()) == settled


def test_job_priority_and_other_members_follow(emulator: Emulator, client: Any) -> None:
    job = busy_job(emulator, client)
    client.update_job(**job, priority=7, maxRetriesPerTask=5, name="renamed by the operator")
    answer = client.get_job(**job)
    assert (answer["priority"], answer["maxRetriesPerTask"], answer["name"]) == (
        7,
        5,
        "renamed by the operator",
    )
    found = client.search_jobs(
        farmId=job["farmId"],
        queueIds=[job["queueId"]],
        itemOffset=0,
        pageSize=100,
        sortExpressions=[{"fieldSort": {"name": "PRIORITY", "sortOrder": "ASCENDING"}}],
    )["jobs"]
    mine = next(j for j in found if j["jobId"] == job["jobId"])
    assert mine["priority"] == 7
    assert [j["priority"] for j in found] == sorted(j["priority"] for j in found)
    assert emulator.task_update_counts(job["jobId"]) == {}  # no task changed


def test_archived_jobs_refuse_status_changes(emulator: Emulator, client: Any) -> None:
    job = busy_job(emulator, client)
    client.update_job(**job, lifecycleStatus="ARCHIVED")
    assert client.get_job(**job)["lifecycleStatus"] == "ARCHIVED"
    task = next(iter(all_tasks(client, job).values()))
    with pytest.raises(client.exceptions.ConflictException) as excinfo:
        client.update_task(
            **job, stepId=task["stepId"], taskId=task["taskId"], targetRunStatus="CANCELED"
        )
    assert excinfo.value.response["reason"] == "STATUS_CONFLICT"


def test_a_client_token_applies_each_write_once(emulator: Emulator, client: Any) -> None:
    failed = emulator.add_failed_job(failed_tasks=2, steps=1)
    task = failed["failedTasks"][0]
    ids = {**job_of(failed), "stepId": task["stepId"], "taskId": task["taskId"]}
    for _ in range(3):  # a retried request: the same token, the same body
        client.update_task(**ids, targetRunStatus="PENDING", clientToken="retry-of-one-requeue")
    assert emulator.task_update_counts() == {task["taskId"]: 1}
    with pytest.raises(client.exceptions.ValidationException):
        client.update_task(**ids, targetRunStatus="FAILED", clientToken="retry-of-one-requeue")
    job = job_of(failed)
    client.update_job(**job, targetTaskRunStatus="CANCELED", clientToken="cancel-once")
    client.update_job(**job, targetTaskRunStatus="CANCELED", clientToken="cancel-once")
    assert emulator.task_update_counts() == {task["taskId"]: 2}


def test_setting_a_status_a_task_already_has_changes_nothing(
    emulator: Emulator, client: Any
) -> None:
    failed = emulator.add_failed_job(failed_tasks=1, steps=1)
    task = failed["failedTasks"][0]
    ids = {**job_of(failed), "stepId": task["stepId"], "taskId": task["taskId"]}
    before = client.get_task(**ids)
    client.update_task(**ids, targetRunStatus="FAILED")
    after = client.get_task(**ids)
    for answer in (before, after):
        answer.pop("ResponseMetadata")
    assert after == before
    assert emulator.task_update_counts() == {}


def test_requeueing_every_failed_task_changes_each_exactly_once(
    emulator: Emulator, client: Any
) -> None:
    failed = emulator.add_failed_job(failed_tasks=9, steps=3)
    job = job_of(failed)
    for task in all_tasks(client, job).values():  # as `deadline job requeue-tasks` does
        if task["runStatus"] == "FAILED":
            client.update_task(
                **job, stepId=task["stepId"], taskId=task["taskId"], targetRunStatus="PENDING"
            )
    failed_ids = sorted(t["taskId"] for t in failed["failedTasks"])
    assert emulator.task_update_counts(job["jobId"]) == dict.fromkeys(failed_ids, 1)
    now = all_tasks(client, job)
    assert {now[t]["runStatus"] for t in failed_ids} == {"READY"}  # nothing blocks them
    assert client.get_job(**job)["taskRunStatusCounts"]["FAILED"] == 0


def test_update_counts_over_the_admin_api(emulator: Emulator) -> None:
    server, url = serve_in_thread(emulator)
    try:
        host, port = url.removeprefix("http://").rsplit(":", 1)

        def admin(method: str, route: str, payload: Any = None) -> tuple[int, Any]:
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            body = json.dumps(payload).encode() if payload is not None else None
            connection.request(method, f"/_emulator/{route}", body=body)
            response = connection.getresponse()
            answer = response.status, json.loads(response.read())
            connection.close()
            return answer

        status, failed = admin("POST", "scenarios/failed-job", {"failedTasks": 2, "steps": 2})
        assert status == 200 and len(failed["failedTasks"]) == 2
        task = failed["failedTasks"][1]
        in_process_client(emulator).update_task(
            **job_of(failed), stepId=task["stepId"], taskId=task["taskId"], targetRunStatus="READY"
        )
        assert admin("GET", "task-updates") == (
            200,
            {
                "counts": {task["taskId"]: 1},
                "total": 1,
                "byOperation": {"UpdateTask": 1},
                "writes": {task["taskId"]: 1},
            },
        )
        assert admin("GET", f"task-updates/{failed['jobId']}")[1]["total"] == 1
        other = emulator.backend.landmarks()["big_job"]["jobId"]
        assert admin("GET", f"task-updates/{other}")[1]["counts"] == {}
        assert admin("POST", "task-updates/reset")[1]["total"] == 0
        assert emulator.task_update_counts() == {}
        status, answer = admin("POST", "scenarios/failed-job", {"failedTasks": -1})
        assert status == 400 and "failed_tasks" in answer["message"]
        status, answer = admin("POST", "scenarios/farm", {"colour": "blue"})
        assert status == 400 and "colour" in answer["message"]
    finally:
        server.shutdown()
