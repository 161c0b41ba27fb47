"""Walk the seeded world through every operation with real boto3, over both transports
(in-process and HTTP), and validate each raw wire answer against the botocore model."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.routes import SERVED_OPERATIONS
from deadline_emulator.seed import DEMO_EPOCH
from deadline_emulator.server import serve_in_thread
from deadline_emulator.transport import in_process_client
from deadline_emulator.validation import validate_output
from tests.deadline_emulator.fakes import http_client


@pytest.fixture(params=["in-process", "http"])
def walk(request: pytest.FixtureRequest) -> Iterator[tuple[Any, list[tuple[str, list]], Counter]]:
    """A boto3 client on the demo world over one transport, checking every answer it gets."""
    emulator = Emulator(seed=0, clock=Clock(pinned_at=DEMO_EPOCH + 5 * 3600))
    server = None
    if request.param == "http":
        server, url = serve_in_thread(emulator)
        client = http_client(url)
    else:
        client = in_process_client(emulator)
    problems: list[tuple[str, list]] = []
    seen: Counter[str] = Counter()

    def check(http_response: Any, model: Any, **_: Any) -> None:
        seen[model.name] += 1
        assert http_response.status_code == 200, (model.name, http_response.content[:300])
        raw = json.loads(http_response.content or b"{}")
        found = validate_output(model.name, raw)
        if found:
            problems.append((model.name, found[:5]))

    client.meta.events.register("after-call.deadline", check)
    yield client, problems, seen
    if server is not None:
        server.shutdown()


WRITES = {
    "UpdateTask",
    "UpdateStep",
    "UpdateJob",
    "BatchUpdateTask",
    "BatchUpdateJob",
    "UpdateFleet",
    "DeleteWorker",
}
OPERATIONS = {
    "BatchUpdateTask",
    "BatchUpdateJob",
    "BatchGetWorker",
    "SearchWorkers",
    "ListSessionsForWorker",
    "UpdateStep",
    "UpdateJob",
    "ListFarms",
    "GetFarm",
    "ListQueues",
    "GetQueue",
    "ListFleets",
    "GetFleet",
    "ListWorkers",
    "GetWorker",
    "ListJobs",
    "GetJob",
    "BatchGetJob",
    "SearchJobs",
    "ListSteps",
    "GetStep",
    "BatchGetStep",
    "SearchSteps",
    "ListTasks",
    "GetTask",
    "BatchGetTask",
    "SearchTasks",
    "ListSessions",
    "GetSession",
    "ListSessionActions",
    "GetSessionAction",
    "BatchGetSession",
    "BatchGetSessionAction",
    "UpdateTask",
    "ListQueueFleetAssociations",
    "UpdateFleet",
    "DeleteWorker",
    "ListQueueEnvironments",
    "GetQueueEnvironment",
}


def test_every_answer_of_the_world_matches_the_model(walk: Any) -> None:
    client, problems, seen = walk
    for farm in client.list_farms()["farms"]:
        farm_id = farm["farmId"]
        client.get_farm(farmId=farm_id)
        client.list_queue_fleet_associations(farmId=farm_id)
        for fleet in client.list_fleets(farmId=farm_id)["fleets"]:
            client.get_fleet(farmId=farm_id, fleetId=fleet["fleetId"])
            fleet_ids = {"farmId": farm_id, "fleetId": fleet["fleetId"]}
            workers = client.list_workers(**fleet_ids)["workers"]
            for worker in workers:
                client.get_worker(**fleet_ids, workerId=worker["workerId"])
            client.batch_get_worker(
                identifiers=[{**fleet_ids, "workerId": w["workerId"]} for w in workers[:100]]
            )
            for worker in workers[:2]:
                client.list_sessions_for_worker(**fleet_ids, workerId=worker["workerId"])
            found = client.search_workers(
                farmId=farm_id, fleetIds=[fleet["fleetId"]], itemOffset=0, pageSize=3
            )
            assert found["totalResults"] == len(workers)
        queues = client.list_queues(farmId=farm_id)["queues"]
        queue_ids = [q["queueId"] for q in queues]
        client.search_jobs(farmId=farm_id, queueIds=queue_ids, itemOffset=0, pageSize=100)
        client.search_steps(farmId=farm_id, queueIds=queue_ids, itemOffset=0, pageSize=100)
        client.search_tasks(
            farmId=farm_id,
            queueIds=queue_ids,
            itemOffset=0,
            pageSize=100,
            filterExpressions={
                "operator": "AND",
                "filters": [
                    {
                        "stringFilter": {
                            "name": "RUN_STATUS",
                            "operator": "EQUAL",
                            "value": "RUNNING",
                        }
                    }
                ],
            },
        )
        for queue in queues:
            ids = {"farmId": farm_id, "queueId": queue["queueId"]}
            client.get_queue(**ids)
            for environment in client.list_queue_environments(**ids)["environments"]:
                client.get_queue_environment(
                    **ids, queueEnvironmentId=environment["queueEnvironmentId"]
                )
            jobs = [
                j
                for page in client.get_paginator("list_jobs").paginate(**ids)
                for j in page["jobs"]
            ]
            for job in jobs[:12]:
                _walk_job(client, {**ids, "jobId": job["jobId"]})
    assert OPERATIONS - WRITES <= set(seen)
    assert problems == []


#: Walked, and their answers validated, by test_scheduling.py on the scheduling lab.
SCHEDULING_OPERATIONS = {
    "GetQueueFleetAssociation",
    "CreateQueueFleetAssociation",
    "UpdateQueueFleetAssociation",
    "DeleteQueueFleetAssociation",
    "CreateLimit",
    "GetLimit",
    "ListLimits",
    "UpdateLimit",
    "DeleteLimit",
    "CreateQueueLimitAssociation",
    "GetQueueLimitAssociation",
    "ListQueueLimitAssociations",
    "UpdateQueueLimitAssociation",
    "DeleteQueueLimitAssociation",
    "CreateBudget",
    "GetBudget",
    "ListBudgets",
    "UpdateBudget",
    "DeleteBudget",
    "ListStepDependencies",
    "ListStepConsumers",
    "UpdateQueue",
}


#: Walked, and their answers validated, by test_statistics.py.
STATISTICS_OPERATIONS = {"StartSessionsStatisticsAggregation", "GetSessionsStatisticsAggregation"}


def test_the_walks_cover_every_served_operation() -> None:
    assert OPERATIONS | SCHEDULING_OPERATIONS | STATISTICS_OPERATIONS == SERVED_OPERATIONS


def _walk_job(client: Any, ids: dict[str, str]) -> None:
    client.get_job(**ids)
    client.batch_get_job(identifiers=[ids])
    client.search_steps(
        farmId=ids["farmId"], queueIds=[ids["queueId"]], jobId=ids["jobId"], itemOffset=0
    )
    client.search_tasks(
        farmId=ids["farmId"], queueIds=[ids["queueId"]], jobId=ids["jobId"], itemOffset=0
    )
    steps = client.list_steps(**ids)["steps"]
    client.batch_get_step(identifiers=[{**ids, "stepId": s["stepId"]} for s in steps])
    for step in steps:
        step_ids = {**ids, "stepId": step["stepId"]}
        client.get_step(**step_ids)
        tasks = client.list_tasks(**step_ids, maxResults=20)["tasks"]
        client.batch_get_task(identifiers=[{**step_ids, "taskId": t["taskId"]} for t in tasks])
        for task in tasks[:3]:
            client.get_task(**step_ids, taskId=task["taskId"])
    sessions = client.list_sessions(**ids, maxResults=5)["sessions"]
    for session in sessions:
        client.get_session(**ids, sessionId=session["sessionId"])
        actions = client.list_session_actions(**ids, sessionId=session["sessionId"])[
            "sessionActions"
        ]
        for action in actions:
            client.get_session_action(**ids, sessionActionId=action["sessionActionId"])
        if actions:
            client.batch_get_session_action(
                identifiers=[{**ids, "sessionActionId": a["sessionActionId"]} for a in actions]
            )
    if sessions:
        client.batch_get_session(
            identifiers=[{**ids, "sessionId": s["sessionId"]} for s in sessions]
        )


def test_update_task_and_what_follows_match_the_model(walk: Any) -> None:
    client, problems, seen = walk
    farm_id = client.list_farms()["farms"][0]["farmId"]
    queue_id = client.list_queues(farmId=farm_id)["queues"][0]["queueId"]
    running = client.search_tasks(
        farmId=farm_id,
        queueIds=[queue_id],
        itemOffset=0,
        pageSize=1,
        filterExpressions={
            "operator": "AND",
            "filters": [
                {
                    "stringFilter": {
                        "name": "RUN_STATUS",
                        "operator": "EQUAL",
                        "value": "RUNNING",
                    }
                }
            ],
        },
    )["tasks"]
    assert running
    task = running[0]
    ids = {
        "farmId": farm_id,
        "queueId": task["queueId"],
        "jobId": task["jobId"],
        "stepId": task["stepId"],
    }
    client.update_task(**ids, taskId=task["taskId"], targetRunStatus="CANCELED")
    answer = client.get_task(**ids, taskId=task["taskId"])
    assert answer["runStatus"] == "INTERRUPTING" and answer["targetRunStatus"] == "CANCELED"
    job = {k: ids[k] for k in ("farmId", "queueId", "jobId")}
    client.list_session_actions(**job, taskId=task["taskId"])
    client.get_step(**ids)
    client.update_step(**ids, targetTaskRunStatus="SUSPENDED")
    client.update_job(**job, targetTaskRunStatus="CANCELED", priority=99)
    client.get_job(**job)
    client.search_jobs(farmId=farm_id, queueIds=[job["queueId"]], itemOffset=0)
    task_ids = {**ids, "taskId": task["taskId"]}
    missing = {**task_ids, "taskId": task["taskId"].rsplit("-", 1)[0] + "-99999"}
    answer = client.batch_update_task(
        tasks=[{**t, "targetRunStatus": "READY"} for t in (task_ids, missing)]
    )
    assert [e["code"] for e in answer["errors"]] == ["ResourceNotFoundException"]
    answer = client.batch_update_job(jobs=[{**job, "priority": 40}])
    assert answer["errors"] == []
    assert (seen["UpdateTask"], seen["UpdateStep"], seen["UpdateJob"]) == (1, 1, 1)
    assert (seen["BatchUpdateTask"], seen["BatchUpdateJob"]) == (1, 1)
    assert problems == []
