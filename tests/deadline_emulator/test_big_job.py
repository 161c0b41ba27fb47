"""The big-job scenario: N tasks in one step with failures spread over all of it, built and
read fast enough for tests, reachable through every task read and write (real boto3)."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.seed import DEMO_EPOCH
from deadline_emulator.server import serve_in_thread
from tests.deadline_emulator.fakes import http_client, local_client

FAILED_ONLY = {
    "operator": "AND",
    "filters": [{"stringFilter": {"name": "RUN_STATUS", "operator": "EQUAL", "value": "FAILED"}}],
}


@pytest.fixture(scope="module")
def big() -> Iterator[tuple[Emulator, Any, dict[str, Any]]]:
    """One emulator with a 100,000-task job (300 failed, 50 canceled), read once."""
    emulator = Emulator(seed=0, clock=Clock(pinned_at=DEMO_EPOCH + 3 * 86400))
    client = local_client(emulator)
    assert emulator.backend is not None  # the demo world itself is not what is timed
    started = time.perf_counter()
    made = emulator.add_big_job(tasks=100_000, failed_tasks=300, canceled_tasks=50)
    client.get_step(**step_of(made))
    print(f"\nbig job: 100,000 tasks built and first read in {time.perf_counter() - started:.2f} s")
    yield emulator, client, made


def job_of(made: dict[str, Any]) -> dict[str, str]:
    return {key: made[key] for key in ("farmId", "queueId", "jobId")}


def step_of(made: dict[str, Any]) -> dict[str, str]:
    return {**job_of(made), "stepId": made["stepId"]}


def index_of(task_id: str) -> int:
    return int(task_id.rsplit("-", 1)[1])


def test_counts_on_step_and_job(big: tuple) -> None:
    _, client, made = big
    expected = {"SUCCEEDED": 100_000 - 350, "FAILED": 300, "CANCELED": 50}
    step = client.get_step(**step_of(made))
    job = client.get_job(**job_of(made))
    for answer in (step, job):
        assert {k: v for k, v in answer["taskRunStatusCounts"].items() if v} == expected
        assert answer["taskRunStatus"] == "FAILED"
    assert step["parameterSpace"]["parameters"] == [{"name": "Frame", "type": "INT"}]
    assert made["taskCount"] == 100_000


def test_failures_are_spread_over_the_whole_step(big: tuple) -> None:
    _, client, made = big
    failed = sorted(index_of(t) for t in made["failedTaskIds"])
    tenths = [sum(1 for i in failed if i // 10_000 == k) for k in range(10)]
    assert tenths == [30] * 10  # the last tenth of the step holds its share too
    assert len({i // 100 for i in failed}) == 300  # one per ListTasks page of 100, no page twice
    canceled = [index_of(t) for t in made["canceledTaskIds"]]
    assert max(canceled) >= 90_000 and not set(canceled) & set(failed)
    last = made["failedTaskIds"][-1]
    task = client.get_task(**step_of(made), taskId=last)
    assert task["runStatus"] == "FAILED" and task["failureRetryCount"] == 2
    assert task["parameters"] == {"Frame": {"int": str(index_of(last) + 1)}}
    assert client.get_task(**step_of(made), taskId=made["canceledTaskIds"][-1])["runStatus"] == (
        "CANCELED"
    )


def test_every_failed_task_is_where_list_tasks_and_search_tasks_say(big: tuple) -> None:
    _, client, made = big
    # The last ListTasks page holds the step's last tasks, frames included.
    page = client.list_tasks(**step_of(made), maxResults=100)
    assert len(page["tasks"]) == 100 and page["nextToken"]
    found = client.search_tasks(
        farmId=made["farmId"],
        queueIds=[made["queueId"]],
        jobId=made["jobId"],
        itemOffset=0,
        pageSize=100,
        filterExpressions=FAILED_ONLY,
    )
    assert found["totalResults"] == 300 and found["nextItemOffset"] == 100
    rest = [
        client.search_tasks(
            farmId=made["farmId"],
            queueIds=[made["queueId"]],
            jobId=made["jobId"],
            itemOffset=offset,
            pageSize=100,
            filterExpressions=FAILED_ONLY,
        )["tasks"]
        for offset in (100, 200)
    ]
    ids = [t["taskId"] for t in found["tasks"] + rest[0] + rest[1]]
    assert ids == made["failedTaskIds"]
    batch = client.batch_get_task(
        identifiers=[{**step_of(made), "taskId": t} for t in made["failedTaskIds"][-100:]]
    )
    assert {t["runStatus"] for t in batch["tasks"]} == {"FAILED"} and batch["errors"] == []


def test_requeue_every_failed_task_of_a_big_step_once(big: tuple) -> None:
    emulator, client, _ = big
    made = emulator.add_big_job(tasks=10_000, failed_tasks=250)
    items = [
        {**step_of(made), "taskId": t, "targetRunStatus": "READY"} for t in made["failedTaskIds"]
    ]
    client.update_task(**items[0])
    for start in range(1, len(items), 100):
        assert client.batch_update_task(tasks=items[start : start + 100])["errors"] == []
    counts = client.get_step(**step_of(made))["taskRunStatusCounts"]
    assert (counts["FAILED"], counts["READY"]) == (0, 250)
    assert emulator.task_update_counts(made["jobId"]) == dict.fromkeys(made["failedTaskIds"], 1)


def test_big_job_over_the_admin_api() -> None:
    emulator = Emulator(seed=0, clock=Clock(pinned_at=DEMO_EPOCH + 3 * 86400))
    server, url = serve_in_thread(emulator)
    try:
        host, port = url.removeprefix("http://").rsplit(":", 1)
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        body = json.dumps({"tasks": 50_000, "failedTasks": 300}).encode()
        connection.request("POST", "/_emulator/scenarios/big-job", body=body)
        response = connection.getresponse()
        made = json.loads(response.read())
        assert response.status == 200 and len(made["failedTaskIds"]) == 300
        connection.request("POST", "/_emulator/scenarios/big-job", body=b'{"tasks": 0}')
        response = connection.getresponse()
        assert response.status == 400 and "tasks" in json.loads(response.read())["message"]
        connection.close()
        client = http_client(url)
        counts = client.get_step(**step_of(made))["taskRunStatusCounts"]
        assert (counts["FAILED"], counts["SUCCEEDED"]) == (300, 49_700)
    finally:
        server.shutdown()


@pytest.mark.parametrize(
    "options",
    [
        {"tasks": 200_001},
        {"tasks": 10, "failed_tasks": 11},
        {"tasks": 10, "failed_tasks": 5, "canceled_tasks": 6},
        {"tasks": 10, "causes": ["gremlins"]},
        {"tasks": 10, "age_seconds": 60},
    ],
)
def test_big_job_refuses_nonsense(big: tuple, options: dict[str, Any]) -> None:
    emulator, _, _ = big
    with pytest.raises(ValueError):
        emulator.add_big_job(**options)


def test_reads_between_writes_see_what_a_fresh_evaluation_sees() -> None:
    """Reads between writes patch the tasks the writes changed; the result must equal what an
    emulator that only reads after the same writes computes from scratch."""
    answers = []
    for read_between in (True, False):
        emulator = Emulator(seed=0, clock=Clock(pinned_at=DEMO_EPOCH + 3 * 86400))
        client = local_client(emulator)
        made = emulator.add_big_job(tasks=2_000, failed_tasks=40, canceled_tasks=10)
        writes = [(t, "READY") for t in made["failedTaskIds"][:30]]
        writes += [(t, "FAILED") for t in made["failedTaskIds"][:5]]
        writes += [(t, "SUCCEEDED") for t in made["canceledTaskIds"]]
        for start in range(0, len(writes), 7):
            chunk = writes[start : start + 7]
            items = [{**step_of(made), "taskId": t, "targetRunStatus": s} for t, s in chunk]
            client.batch_update_task(tasks=items)
            if read_between:
                client.get_step(**step_of(made))
                client.search_tasks(
                    farmId=made["farmId"], queueIds=[made["queueId"]], itemOffset=0, pageSize=1
                )
        emulator.clock.advance(600)  # later, every requeued task has run again
        step = client.get_step(**step_of(made))
        found = client.search_tasks(
            farmId=made["farmId"],
            queueIds=[made["queueId"]],
            jobId=made["jobId"],
            itemOffset=0,
            pageSize=100,
            filterExpressions=FAILED_ONLY,
        )
        for answer in (step, found):
            answer.pop("ResponseMetadata")
        answers.append((step, found))
    assert answers[0] == answers[1]
    counts = answers[0][0]["taskRunStatusCounts"]
    # Requeued frames failed again (their script fails every attempt); canceled ones SUCCEEDED.
    assert (counts["FAILED"], counts["CANCELED"], counts["READY"]) == (40, 0, 0)


def search(client: Any, made: dict[str, Any], **options: Any) -> dict[str, Any]:
    return client.search_tasks(
        farmId=made["farmId"], queueIds=[made["queueId"]], jobId=made["jobId"], **options
    )


def test_search_reaches_the_first_10000_items_only(big: tuple) -> None:
    _, client, made = big
    first = search(client, made, itemOffset=0, pageSize=100)
    assert first["totalResults"] == 10_000  # the model's ceiling, not the step's 100,000
    edge = search(client, made, itemOffset=9_950, pageSize=100)
    assert len(edge["tasks"]) == 50 and "nextItemOffset" not in edge
    assert edge["tasks"][-1]["taskId"].endswith("-9999")
    beyond = search(client, made, itemOffset=10_000, pageSize=100)
    assert beyond["tasks"] == [] and "nextItemOffset" not in beyond
    offsets = []
    page = search(client, made, itemOffset=9_000, pageSize=100)
    while "nextItemOffset" in page:
        offsets.append(page["nextItemOffset"])
        page = search(client, made, itemOffset=page["nextItemOffset"], pageSize=100)
    assert offsets == list(range(9_100, 10_000, 100))  # never points past the window


def test_list_tasks_has_no_window(big: tuple) -> None:
    emulator, client, _ = big
    made = emulator.add_big_job(tasks=10_050, failed_tasks=10)
    step = step_of(made)
    path = "/2023-10-12/farms/{farmId}/queues/{queueId}/jobs/{jobId}/steps/{stepId}/tasks"
    # Raw pages: botocore's parsing of 100 pages is what would take the time here.
    query, pages, last = "maxResults=100", 0, None
    while query is not None:
        status, _, body = emulator.handle("GET", path.format(**step), query)
        answer = json.loads(body)
        assert status == 200, answer
        pages, last = pages + 1, answer["tasks"][-1]
        token = answer.get("nextToken")
        query = None if token is None else f"maxResults=100&nextToken={token}"
    assert pages == 101 and last["taskId"].endswith("-10049")
    assert last["parameters"] == {"Frame": {"int": "10050"}}
    assert client.get_task(**step, taskId=last["taskId"])["runStatus"] == "SUCCEEDED"


@pytest.mark.parametrize(
    ("operation", "options"),
    [
        ("search_tasks", {"itemOffset": 10_001}),
        ("search_tasks", {"itemOffset": 0, "pageSize": 101}),
        ("search_jobs", {"itemOffset": 10_001}),
        ("search_steps", {"itemOffset": 20_000}),
        ("list_tasks", {"maxResults": 101}),
        ("list_jobs", {"maxResults": 1_000}),
    ],
)
def test_offsets_and_page_sizes_beyond_the_model_are_refused(
    big: tuple, operation: str, options: dict[str, Any]
) -> None:
    _, client, made = big
    ids: dict[str, Any] = {"farmId": made["farmId"]}
    if operation.startswith("search"):
        ids["queueIds"] = [made["queueId"]]
    elif operation == "list_tasks":
        ids = step_of(made)
    else:
        ids = {"farmId": made["farmId"], "queueId": made["queueId"]}
    with pytest.raises(client.exceptions.ValidationException) as caught:
        getattr(client, operation)(**ids, **options)
    error = caught.value.response["Error"]
    name = next(iter(options)) if len(options) == 1 else "pageSize"
    assert name in error["Message"] and "less than or equal to" in error["Message"]
