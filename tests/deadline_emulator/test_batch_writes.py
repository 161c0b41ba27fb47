"""BatchUpdateTask, BatchUpdateJob and BatchGetWorker through real boto3, in-process and over
HTTP: shapes from botocore's model, per-item errors in a 200 answer, client tokens, the
100-item limit, item faults and a denied batch operation."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import botocore.exceptions
import pytest

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.seed import DEMO_EPOCH
from deadline_emulator.server import serve_in_thread
from deadline_emulator.validation import validate_output
from tests.deadline_emulator.fakes import http_client, local_client

MISSING_JOB = "job-" + "0" * 32
MISSING_STEP = "step-" + "0" * 32


@pytest.fixture(params=["in-process", "http"])
def world(request: pytest.FixtureRequest) -> Iterator[tuple[Emulator, Any, list[Any], str]]:
    """(emulator, boto3 client checking every answer against the model, problems, base URL)."""
    emulator = Emulator(seed=0, clock=Clock(pinned_at=DEMO_EPOCH + 3 * 86400))
    server, url = serve_in_thread(emulator)
    client = http_client(url) if request.param == "http" else local_client(emulator)
    problems: list[Any] = []

    def check(http_response: Any, model: Any, **_: Any) -> None:
        if http_response.status_code == 200:
            problems.extend(validate_output(model.name, json.loads(http_response.content)))

    client.meta.events.register("after-call.deadline", check)
    try:
        yield emulator, client, problems, url
    finally:
        server.shutdown()


def request(url: str, method: str, path: str, body: Any) -> tuple[int, dict[str, str], bytes]:
    """One raw JSON request: what botocore would refuse to send still reaches the server."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request(method, path, body=json.dumps(body).encode())
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def job_of(ids: dict[str, Any]) -> dict[str, str]:
    return {key: ids[key] for key in ("farmId", "queueId", "jobId")}


def failed_items(made: dict[str, Any], target: str = "READY") -> list[dict[str, str]]:
    return [
        {**job_of(made), "stepId": f["stepId"], "taskId": f["taskId"], "targetRunStatus": target}
        for f in made["failedTasks"]
    ]


def run_status(client: Any, item: dict[str, str]) -> str:
    ids = {key: item[key] for key in ("farmId", "queueId", "jobId", "stepId", "taskId")}
    return client.get_task(**ids)["runStatus"]


def test_batch_update_task_changes_tasks_and_reports_each_failing_item(world: Any) -> None:
    emulator, client, problems, _ = world
    made = emulator.add_failed_job(failed_tasks=6, steps=2)
    items = failed_items(made)
    step_id = made["steps"][0]["stepId"]
    missing_task = {**items[0], "taskId": f"task-{step_id[5:]}-9999"}
    missing_job = {**items[1], "jobId": MISSING_JOB}
    missing_step = {**items[2], "stepId": MISSING_STEP, "taskId": f"task-{'0' * 32}-1"}
    missing_farm = {**items[3], "farmId": "farm-" + "0" * 32}
    missing_queue = {**items[4], "queueId": "queue-" + "0" * 32}
    wrong = [missing_task, missing_job, missing_step, missing_farm, missing_queue]

    answer = client.batch_update_task(tasks=[*items, *wrong])

    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    ids = ("farmId", "queueId", "jobId", "stepId", "taskId")
    errors = {tuple(e[key] for key in ids): e for e in answer["errors"]}
    assert set(errors) == {tuple(item[key] for key in ids) for item in wrong}
    assert {e["code"] for e in errors.values()} == {"ResourceNotFoundException"}
    assert all(e["message"] for e in errors.values())
    assert {run_status(client, item) for item in items} == {"READY"}
    assert emulator.task_update_counts(made["jobId"]) == {i["taskId"]: 1 for i in items}
    assert emulator.calls["BatchUpdateTask"] == 1
    assert problems == []


def test_a_batch_client_token_applies_the_batch_once(world: Any) -> None:
    emulator, client, problems, _ = world
    made = emulator.add_failed_job(failed_tasks=4, steps=1)
    items = failed_items(made)
    token = "requeue-plan-7-batch-0"
    first = client.batch_update_task(tasks=items[:3], clientToken=token)
    client.update_task(**{k: v for k, v in items[0].items() if k != "targetRunStatus"},
                       targetRunStatus="FAILED")  # fmt: skip
    replay = client.batch_update_task(tasks=items[:3], clientToken=token)

    assert replay["errors"] == first["errors"] == []
    assert run_status(client, items[0]) == "FAILED"  # the replay did not requeue it again
    counts = emulator.task_update_counts(made["jobId"])
    assert counts == {items[0]["taskId"]: 2, items[1]["taskId"]: 1, items[2]["taskId"]: 1}
    with pytest.raises(client.exceptions.ValidationException):
        client.batch_update_task(tasks=items[1:], clientToken=token)
    assert run_status(client, items[3]) == "FAILED"
    assert problems == []


def test_a_batch_changes_nothing_on_an_archived_job_and_says_conflict(world: Any) -> None:
    emulator, client, _, _ = world
    made = emulator.add_failed_job(failed_tasks=2, steps=1)
    other = emulator.add_failed_job(failed_tasks=2, steps=1)
    client.update_job(**job_of(made), lifecycleStatus="ARCHIVED")
    answer = client.batch_update_task(tasks=failed_items(made) + failed_items(other))
    assert {(e["jobId"], e["code"]) for e in answer["errors"]} == {
        (made["jobId"], "ConflictException")
    }
    assert len(answer["errors"]) == 2
    assert emulator.task_update_counts(made["jobId"]) == {}
    assert len(emulator.task_update_counts(other["jobId"])) == 2


def test_batch_update_job_updates_each_job_and_reports_the_others(world: Any) -> None:
    emulator, client, problems, _ = world
    first = emulator.add_failed_job(failed_tasks=3, steps=1)
    second = emulator.add_failed_job(failed_tasks=2, steps=1)
    archived = emulator.add_failed_job(failed_tasks=1, steps=1)
    client.update_job(**job_of(archived), lifecycleStatus="ARCHIVED")
    missing = {**job_of(first), "jobId": MISSING_JOB}
    settled = sum(client.get_job(**job_of(first))["taskRunStatusCounts"].values())

    answer = client.batch_update_job(
        jobs=[
            {**job_of(first), "targetTaskRunStatus": "READY", "priority": 80},
            {**job_of(second), "priority": 10},
            {**job_of(archived), "targetTaskRunStatus": "READY"},
            missing,
        ],
        clientToken="batch-update-job-token-1",
    )
    assert sorted((e["jobId"], e["code"]) for e in answer["errors"]) == sorted(
        [(archived["jobId"], "ConflictException"), (MISSING_JOB, "ResourceNotFoundException")]
    )
    assert client.get_job(**job_of(first))["priority"] == 80
    assert client.get_job(**job_of(first))["taskRunStatusCounts"]["FAILED"] == 0
    assert client.get_job(**job_of(second))["priority"] == 10
    # A job-wide requeue requeues every settled task (as UpdateJob does), each once.
    assert emulator.task_update_counts(first["jobId"]) == dict.fromkeys(
        emulator.task_update_counts(first["jobId"]), 1
    )
    assert len(emulator.task_update_counts(first["jobId"])) == settled
    assert emulator.task_update_counts(second["jobId"]) == {}
    assert problems == []


def test_batch_get_worker_answers_like_get_worker(world: Any) -> None:
    emulator, client, problems, _ = world
    worker = emulator.backend.landmarks()["unreliable_worker"]
    fleet = {"farmId": worker["farmId"], "fleetId": worker["fleetId"]}
    workers = client.list_workers(**fleet)["workers"][:3]
    missing = {**fleet, "workerId": "worker-" + "0" * 32}
    answer = client.batch_get_worker(
        identifiers=[*({**fleet, "workerId": w["workerId"]} for w in workers), missing]
    )
    assert [w["workerId"] for w in answer["workers"]] == [w["workerId"] for w in workers]
    for item in answer["workers"]:
        single = client.get_worker(**fleet, workerId=item["workerId"])
        single.pop("ResponseMetadata")
        assert item == single
    assert [(e["workerId"], e["code"]) for e in answer["errors"]] == [
        (missing["workerId"], "ResourceNotFoundException")
    ]
    assert problems == []


def test_more_than_100_items_is_refused_by_the_server(world: Any) -> None:
    emulator, client, _, url = world
    made = emulator.add_failed_job(failed_tasks=1, steps=1, tasks_per_step=200)
    step_id = made["steps"][0]["stepId"]
    item = failed_items(made, "SUCCEEDED")[0]
    items = [{**item, "taskId": f"task-{step_id[5:]}-{n}"} for n in range(101)]
    # botocore checks only the minimum: 101 items reach the server, which refuses them.
    with pytest.raises(client.exceptions.ValidationException) as caught:
        client.batch_update_task(tasks=items)
    assert "less than or equal to 100" in caught.value.response["Error"]["Message"]
    assert emulator.task_update_counts(made["jobId"]) == {}
    assert client.batch_update_task(tasks=items[:100])["errors"] == []
    # An empty list never leaves botocore; sent raw, the server refuses it too.
    status, headers, body = request(url, "PATCH", "/2023-10-12/batch-update-job", {"jobs": []})
    assert (status, headers["x-amzn-ErrorType"]) == (400, "ValidationException")
    assert "greater than or equal to 1" in json.loads(body)["message"]


def test_item_throttling_answers_200_and_retrying_the_throttled_items_changes_each_once(
    world: Any,
) -> None:
    emulator, client, problems, _ = world
    made = emulator.add_failed_job(failed_tasks=100, steps=1)
    emulator.faults.set("BatchUpdateTask", item_throttle_rate=0.3)
    pending = failed_items(made)
    rounds = []
    while pending and len(rounds) < 20:
        answer = client.batch_update_task(tasks=pending)
        throttled = {(e["taskId"], e["code"]) for e in answer["errors"]}
        assert {code for _, code in throttled} <= {"ThrottlingException"}
        rounds.append(len(throttled))
        pending = [item for item in pending if (item["taskId"], "ThrottlingException") in throttled]
    assert 15 <= rounds[0] <= 45  # about 30% of 100 items
    assert pending == []
    counts = emulator.task_update_counts(made["jobId"])
    assert counts == {f["taskId"]: 1 for f in made["failedTasks"]}
    assert problems == []


def test_item_faults_reach_batch_reads_with_the_codes_their_model_allows(world: Any) -> None:
    emulator, client, _, _ = world
    made = emulator.add_failed_job(failed_tasks=50, steps=1)
    ids = [{k: v for k, v in i.items() if k != "targetRunStatus"} for i in failed_items(made)]
    emulator.faults.set("*", item_throttle_rate=0.5)
    tasks = client.batch_get_task(identifiers=ids)
    assert {e["code"] for e in tasks["errors"]} == {"ThrottlingException"}
    assert len(tasks["tasks"]) + len(tasks["errors"]) == 50 and tasks["tasks"]
    # BatchGetWorker's error codes have no ThrottlingException: no item is throttled there.
    worker = emulator.backend.landmarks()["unreliable_worker"]
    assert client.batch_get_worker(identifiers=[worker] * 20)["errors"] == []
    emulator.faults.set("BatchGetWorker", item_error_rate=1.0)
    errors = client.batch_get_worker(identifiers=[worker])["errors"]
    assert [e["code"] for e in errors] == ["InternalServerErrorException"]


def test_whole_call_faults_and_a_denied_batch_operation(world: Any) -> None:
    emulator, client, _, url = world
    made = emulator.add_failed_job(failed_tasks=3, steps=1)
    items = failed_items(made)
    emulator.faults.set("BatchUpdateTask", deny=True)
    emulator.faults.set("BatchUpdateJob", deny=True)
    with pytest.raises(client.exceptions.AccessDeniedException) as caught:
        client.batch_update_task(tasks=items)
    assert "deadline:BatchUpdateTask" in caught.value.response["Error"]["Message"]
    with pytest.raises(client.exceptions.AccessDeniedException):
        client.batch_update_job(jobs=[{**job_of(made), "priority": 5}])
    assert emulator.task_update_counts(made["jobId"]) == {}
    single = {k: v for k, v in items[0].items()}
    client.update_task(**single)  # the single call is still allowed: the fallback works
    assert emulator.task_update_counts(made["jobId"]) == {items[0]["taskId"]: 1}

    emulator.faults.clear()
    rule = {"operation": "BatchUpdateTask", "throttle_rate": 1.0}
    assert request(url, "POST", "/_emulator/faults", rule)[0] == 200
    with pytest.raises(client.exceptions.ThrottlingException):
        client.batch_update_task(tasks=items[1:])
    rule = {"operation": "BatchUpdateTask", "error_rate": 1.0}
    assert request(url, "POST", "/_emulator/faults", rule)[0] == 200
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        client.batch_update_task(tasks=items[1:])
    assert caught.value.response["Error"]["Code"] == "InternalServerErrorException"
    assert emulator.task_update_counts(made["jobId"]) == {items[0]["taskId"]: 1}
    # The item knobs go through the admin API like the others.
    rule = {"operation": "BatchUpdateTask", "item_throttle_rate": 1.0}
    _, _, body = request(url, "POST", "/_emulator/faults", rule)
    assert json.loads(body)["rules"]["BatchUpdateTask"]["item_throttle_rate"] == 1.0
    errors = client.batch_update_task(tasks=items[1:])["errors"]
    assert [e["code"] for e in errors] == ["ThrottlingException"] * 2


def test_counts_tell_changes_from_writes_and_operations_apart(world: Any) -> None:
    emulator, client, _, url = world
    made = emulator.add_failed_job(failed_tasks=4, steps=1)
    items = failed_items(made)
    client.batch_update_task(tasks=items[:3], clientToken="count-test-batch-1")
    client.batch_update_task(tasks=items[:3], clientToken="count-test-batch-1")  # a replay
    client.batch_update_task(tasks=items[1:3])  # already READY: written, not changed
    client.update_task(**items[3])
    job_id = made["jobId"]
    ids = [item["taskId"] for item in items]
    assert emulator.task_update_counts(job_id) == dict.fromkeys(ids, 1)
    assert emulator.task_update_counts(job_id, "BatchUpdateTask") == dict.fromkeys(ids[:3], 1)
    assert emulator.task_update_counts(job_id, "UpdateTask") == {ids[3]: 1}
    assert emulator.task_write_counts(job_id) == {ids[0]: 1, ids[1]: 2, ids[2]: 2, ids[3]: 1}
    _, _, body = request(url, "GET", f"/_emulator/task-updates/{job_id}", None)
    answer = json.loads(body)
    assert answer["byOperation"] == {"BatchUpdateTask": 3, "UpdateTask": 1}
    assert answer["writes"] == emulator.task_write_counts(job_id)
