"""The official ``deadline`` CLI's common commands against ``python -m deadline_emulator``.

Whatever the CLI sends, the emulator must answer as the service would (botocore's model):
these tests fail if an operation is missing, an answer is shaped wrongly, or a write does not
do what the service does. Results are checked through boto3, not through the CLI's output
alone.
"""

from __future__ import annotations

import json
from typing import Any

from deadline_emulator.simulation import TERMINAL
from tests.official_cli.conftest import CliEmulator

QUEUED_OR_ACTIVE = {"PENDING", "READY", "ASSIGNED", "STARTING", "SCHEDULED", "RUNNING"}


def ids_args(ids: dict[str, str]) -> list[str]:
    flags = {"farmId": "--farm-id", "queueId": "--queue-id", "jobId": "--job-id"}
    return [arg for key, flag in flags.items() if key in ids for arg in (flag, ids[key])]


def job_of(ids: dict[str, Any]) -> dict[str, str]:
    return {k: ids[k] for k in ("farmId", "queueId", "jobId")}


def job_tasks(client: Any, job: dict[str, str]) -> dict[str, dict[str, Any]]:
    tasks = {}
    for step in client.list_steps(**job)["steps"]:
        for page in client.get_paginator("list_tasks").paginate(**job, stepId=step["stepId"]):
            tasks.update({t["taskId"]: t for t in page["tasks"]})
    return tasks


def main_farm(served_cli: CliEmulator) -> str:
    farms = served_cli.client.list_farms()["farms"]
    return next(f["farmId"] for f in farms if f["displayName"].endswith("Main"))


def test_farm_queue_and_fleet_list(served_cli: CliEmulator) -> None:
    client = served_cli.client
    out = served_cli.cli("farm", "list").stdout
    farms = client.list_farms()["farms"]
    assert len(farms) == 2 and all(f["farmId"] in out for f in farms)
    farm_id = main_farm(served_cli)
    out = served_cli.cli("queue", "list", "--farm-id", farm_id).stdout
    queues = client.list_queues(farmId=farm_id)["queues"]
    assert queues and all(q["queueId"] in out for q in queues)
    out = served_cli.cli("fleet", "list", "--farm-id", farm_id).stdout
    fleets = client.list_fleets(farmId=farm_id)["fleets"]
    assert fleets and all(f["fleetId"] in out for f in fleets)


def test_worker_list(served_cli: CliEmulator) -> None:
    farm_id = main_farm(served_cli)
    fleet = next(
        f
        for f in served_cli.client.list_fleets(farmId=farm_id)["fleets"]
        if f["displayName"].endswith("(render-a)")
    )
    out = served_cli.cli(
        "worker", "list", "--farm-id", farm_id, "--fleet-id", fleet["fleetId"]
    ).stdout
    assert "Displaying 5 of 12 workers starting at 0" in out
    first = served_cli.client.search_workers(
        farmId=farm_id, fleetIds=[fleet["fleetId"]], itemOffset=0, pageSize=5
    )["workers"]
    assert [line.split()[-1] for line in out.splitlines() if "workerId:" in line] == [
        w["workerId"] for w in first
    ]


def test_job_list_and_get(served_cli: CliEmulator) -> None:
    client = served_cli.client
    farm_id = main_farm(served_cli)
    queue = next(
        q
        for q in client.list_queues(farmId=farm_id)["queues"]
        if q["displayName"] == "FX Simulation"
    )
    ids = {"farmId": farm_id, "queueId": queue["queueId"]}
    out = served_cli.cli("job", "list", *ids_args(ids)).stdout
    newest = client.search_jobs(
        farmId=farm_id,
        queueIds=[queue["queueId"]],
        itemOffset=0,
        pageSize=5,
        sortExpressions=[{"fieldSort": {"name": "CREATED_AT", "sortOrder": "DESCENDING"}}],
    )
    assert f"Displaying 5 of {newest['totalResults']} Jobs starting at 0" in out
    listed = [line.split()[-1] for line in out.splitlines() if "jobId:" in line]
    assert listed == [j["jobId"] for j in newest["jobs"]]
    job = {**ids, "jobId": listed[0]}
    out = served_cli.cli("job", "get", *ids_args(job)).stdout
    answer = client.get_job(**job)
    assert f"jobId: {job['jobId']}" in out and f"taskRunStatus: {answer['taskRunStatus']}" in out


def test_job_logs_prints_the_latest_session(served_cli: CliEmulator) -> None:
    built = served_cli.admin("POST", "scenarios/failed-job", {"failedTasks": 3, "steps": 1})
    job = job_of(built)
    out = served_cli.cli("job", "logs", *ids_args(job), "--output", "json").stdout
    printed = json.loads(out)
    sessions = served_cli.client.list_sessions(**job)["sessions"]
    latest = max(sessions, key=lambda s: s["endedAt"])
    assert printed["logStream"] == latest["sessionId"]
    log = served_cli.client.get_session(**job, sessionId=latest["sessionId"])["log"]["options"]
    assert printed["logGroup"] == log["logGroupName"]
    assert printed["count"] == len(printed["events"]) > 0
    assert any("exit code" in event["message"] for event in printed["events"])


def test_job_wait_on_finished_jobs(served_cli: CliEmulator) -> None:
    client = served_cli.client
    succeeded = next(
        {"farmId": f["farmId"], "queueId": q["queueId"], "jobId": j["jobId"]}
        for f in client.list_farms()["farms"]
        for q in client.list_queues(farmId=f["farmId"])["queues"]
        for j in client.list_jobs(farmId=f["farmId"], queueId=q["queueId"])["jobs"]
        if j["taskRunStatus"] == "SUCCEEDED"
    )
    out = served_cli.cli("job", "wait", *ids_args(succeeded), "--output", "json").stdout
    assert json.loads(out)["status"] == "SUCCEEDED" and json.loads(out)["failedTasks"] == []

    built = served_cli.admin("POST", "scenarios/failed-job", {"failedTasks": 4, "steps": 2})
    result = served_cli.cli("job", "wait", *ids_args(job_of(built)), "--output", "json", ok=(2,))
    waited = json.loads(result.stdout)
    assert waited["status"] == "FAILED"
    assert {t["taskId"] for t in waited["failedTasks"]} == {
        t["taskId"] for t in built["failedTasks"]
    }


def test_job_requeue_tasks_leaves_no_failed_task(served_cli: CliEmulator) -> None:
    built = served_cli.admin("POST", "scenarios/failed-job", {"failedTasks": 7, "steps": 3})
    job = job_of(built)
    out = served_cli.cli("job", "requeue-tasks", *ids_args(job), "--yes").stdout
    assert "Requeued a total of 7 tasks." in out
    tasks = job_tasks(served_cli.client, job)
    assert not [t for t in tasks.values() if t["runStatus"] == "FAILED"]
    assert {tasks[t["taskId"]]["runStatus"] for t in built["failedTasks"]} == {"READY"}
    counts = served_cli.admin("GET", f"task-updates/{job['jobId']}")["counts"]
    assert counts == {t["taskId"]: 1 for t in built["failedTasks"]}  # each changed once


def test_job_cancel_stops_every_unfinished_task(served_cli: CliEmulator) -> None:
    client = served_cli.client
    farm_id = main_farm(served_cli)
    queue_id = next(
        q["queueId"]
        for q in client.list_queues(farmId=farm_id)["queues"]
        if q["displayName"] == "Feature Lighting"
    )
    running = client.search_jobs(
        farmId=farm_id,
        queueIds=[queue_id],
        itemOffset=0,
        filterExpressions={
            "operator": "AND",
            "filters": [
                {
                    "stringFilter": {
                        "name": "TASK_RUN_STATUS",
                        "operator": "EQUAL",
                        "value": "RUNNING",
                    }
                }
            ],
        },
    )["jobs"]
    job = {"farmId": farm_id, "queueId": queue_id, "jobId": running[0]["jobId"]}
    before = job_tasks(client, job)
    assert any(t["runStatus"] in QUEUED_OR_ACTIVE for t in before.values())

    out = served_cli.cli("job", "cancel", *ids_args(job), "--yes").stdout
    assert "Canceling job..." in out

    after = job_tasks(client, job)
    for task_id, task in after.items():
        if before[task_id]["runStatus"] in TERMINAL:
            assert task["runStatus"] == before[task_id]["runStatus"]
        elif task["runStatus"] == "INTERRUPTING":
            assert task["targetRunStatus"] == "CANCELED"
        else:
            assert task["runStatus"] == "CANCELED", (before[task_id], task)
    served_cli.admin("POST", "clock", {"advance": 30})
    counts = client.get_job(**job)["taskRunStatusCounts"]
    assert not any(counts[s] for s in QUEUED_OR_ACTIVE | {"INTERRUPTING"})
