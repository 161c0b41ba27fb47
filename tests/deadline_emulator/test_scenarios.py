"""Scenario builders (a job of failed tasks with distinct causes, a synthetic farm), the worker
reads the official CLI uses (SearchWorkers, ListSessionsForWorker) and GetSession's log."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.seed import DEMO_EPOCH
from deadline_emulator.transport import in_process_client

ACTIVE = {"READY", "ASSIGNED", "STARTING", "SCHEDULED", "RUNNING"}
# What each cause leaves in the render log, besides its exit code.
CAUSE_IN_LOG = {
    "texture": r"could not open .*No such file",
    "oom": r"out of memory",
    "segfault": r"signal 11|SIGSEGV|[Ss]egmentation",
    "license": r"[Ll]icen[cs]e",
    "nfs": r"[Ss]tale file handle",
}


def fresh() -> Emulator:
    return Emulator(seed=0, clock=Clock(pinned_at=DEMO_EPOCH + 2 * 86400))


@pytest.fixture
def emulator() -> Emulator:
    return fresh()


@pytest.fixture
def client(emulator: Emulator) -> Any:
    return in_process_client(emulator)


def job_of(ids: dict[str, Any]) -> dict[str, str]:
    return {k: ids[k] for k in ("farmId", "queueId", "jobId")}


def session_log(logs: Any, log: dict[str, Any]) -> list[str]:
    """Every line of a session's log, read where GetSession's log.options says."""
    lines, token = [], None
    while True:
        page = logs.get_log_events(
            logGroupName=log["options"]["logGroupName"],
            logStreamName=log["options"]["logStreamName"],
            startFromHead=True,
            **({"nextToken": token} if token else {}),
        )
        lines += [event["message"] for event in page["events"]]
        if page["nextForwardToken"] == token:
            return lines
        token = page["nextForwardToken"]


def test_failed_job_has_exactly_the_failures_it_was_built_with(
    emulator: Emulator, client: Any
) -> None:
    causes = ["texture", "oom", "segfault", "license", "nfs"]
    built = emulator.add_failed_job(failed_tasks=11, steps=4, causes=causes)
    job = job_of(built)
    assert len(built["steps"]) == 4 and len(built["failedTasks"]) == 11
    assert Counter(t["cause"] for t in built["failedTasks"]) == {
        "texture": 3, "oom": 2, "segfault": 2, "license": 2, "nfs": 2,
    }  # fmt: skip
    answer = client.get_job(**job)
    assert answer["taskRunStatus"] == "FAILED"
    counts = {k: v for k, v in answer["taskRunStatusCounts"].items() if v}
    assert counts == {"FAILED": 11, "SUCCEEDED": 4 * built["steps"][0]["taskCount"] - 11}
    failed = {
        t["taskId"]
        for step in built["steps"]
        for page in client.get_paginator("list_tasks").paginate(**job, stepId=step["stepId"])
        for t in page["tasks"]
        if t["runStatus"] == "FAILED"
    }
    assert failed == {t["taskId"] for t in built["failedTasks"]}
    for step in client.list_steps(**job)["steps"]:
        assert step["dependencyCounts"]["dependenciesUnresolved"] == 0  # independent steps


def test_each_failed_attempt_is_as_real_as_the_demo_worlds_own(
    emulator: Emulator, client: Any
) -> None:
    built = emulator.add_failed_job(failed_tasks=5, steps=2, causes=list(CAUSE_IN_LOG))
    job = job_of(built)
    logs = in_process_client(emulator, "logs")
    workers = set()
    for failed in built["failedTasks"]:
        task = client.get_task(**job, stepId=failed["stepId"], taskId=failed["taskId"])
        assert task["failureRetryCount"] == 2  # three attempts, all failed
        actions = client.list_session_actions(**job, taskId=failed["taskId"])["sessionActions"]
        runs = [a for a in actions if "taskRun" in a["definition"]]
        assert [a["status"] for a in runs] == ["FAILED"] * 3
        for run in runs:
            action = client.get_session_action(**job, sessionActionId=run["sessionActionId"])
            assert action["processExitCode"] == failed["exitCode"]
            assert action["progressMessage"] == failed["message"]
            session = client.get_session(**job, sessionId=action["sessionId"])
            workers.add(session["workerId"])
            text = "\n".join(session_log(logs, session["log"]))
            assert re.search(CAUSE_IN_LOG[failed["cause"]], text), failed["cause"]
            assert f"exit code: {failed['exitCode']}" in text
    assert len(workers) > 1  # attempts spread over the queue's fleet


def test_builders_are_deterministic() -> None:
    first, second = fresh(), fresh()
    for emulator in (first, second):
        emulator.add_failed_job(failed_tasks=3, steps=1)
    assert first.add_failed_job(failed_tasks=4, steps=2) == second.add_failed_job(
        failed_tasks=4, steps=2
    )
    assert first.add_farm(queues=2, jobs_per_queue=3) == second.add_farm(queues=2, jobs_per_queue=3)


@pytest.mark.parametrize(
    "options",
    [{"failed_tasks": -1}, {"steps": 0}, {"causes": ["gremlins"]}, {"age_seconds": 60}],
)
def test_failed_job_refuses_nonsense(emulator: Emulator, options: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(options))):
        emulator.add_failed_job(**options)


def test_synthetic_farm_of_active_jobs(emulator: Emulator, client: Any) -> None:
    built = emulator.add_farm(queues=4, jobs_per_queue=5, workers=12)
    farm_id = built["farmId"]
    assert farm_id in {f["farmId"] for f in client.list_farms()["farms"]}
    queues = client.list_queues(farmId=farm_id)["queues"]
    assert {q["queueId"] for q in queues} == {q["queueId"] for q in built["queues"]}
    for queue in built["queues"]:
        found = client.search_jobs(
            farmId=farm_id, queueIds=[queue["queueId"]], itemOffset=0, pageSize=100
        )
        assert {j["jobId"] for j in found["jobs"]} == set(queue["jobIds"])
        assert {j["taskRunStatus"] for j in found["jobs"]} <= ACTIVE
    workers = client.search_workers(farmId=farm_id, fleetIds=[built["fleetId"]], itemOffset=0)
    assert workers["totalResults"] == 12


def test_search_workers_pages_and_searches(emulator: Emulator, client: Any) -> None:
    fleet = emulator.backend.landmarks()["unreliable_worker"]
    ids = {"farmId": fleet["farmId"], "fleetIds": [fleet["fleetId"]]}
    listed = client.list_workers(farmId=fleet["farmId"], fleetId=fleet["fleetId"])["workers"]
    first = client.search_workers(**ids, itemOffset=0, pageSize=5)  # `deadline worker list`
    rest = client.search_workers(**ids, itemOffset=first["nextItemOffset"], pageSize=100)
    assert first["totalResults"] == len(listed) == 12
    found = [w["workerId"] for w in first["workers"] + rest["workers"]]
    assert sorted(found) == sorted(w["workerId"] for w in listed) and "nextItemOffset" not in rest
    unreliable = client.get_worker(
        farmId=fleet["farmId"], fleetId=fleet["fleetId"], workerId=fleet["workerId"]
    )
    host = unreliable["hostProperties"]["hostName"].split(".")[0]
    term = {"filters": [{"searchTermFilter": {"searchTerm": host}}], "operator": "AND"}
    hit = client.search_workers(**ids, itemOffset=0, filterExpressions=term)
    assert [w["workerId"] for w in hit["workers"]] == [fleet["workerId"]]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.search_workers(farmId=fleet["farmId"], fleetIds=["fleet-" + "0" * 32], itemOffset=0)


def test_sessions_for_a_worker_are_that_workers(emulator: Emulator, client: Any) -> None:
    worker = emulator.backend.landmarks()["unreliable_worker"]
    pages = client.get_paginator("list_sessions_for_worker").paginate(
        **worker, PaginationConfig={"PageSize": 40}
    )
    sessions = [s for page in pages for s in page["sessions"]]
    assert len(sessions) > 40 and len({s["sessionId"] for s in sessions}) == len(sessions)
    started = [s["startedAt"] for s in sessions]
    assert started == sorted(started)
    for summary in sessions[:: max(1, len(sessions) // 8)]:
        session = client.get_session(
            farmId=worker["farmId"],
            queueId=summary["queueId"],
            jobId=summary["jobId"],
            sessionId=summary["sessionId"],
        )
        assert session["workerId"] == worker["workerId"]
        assert session["lifecycleStatus"] == summary["lifecycleStatus"]


def test_get_session_names_its_log_as_the_service_does(emulator: Emulator, client: Any) -> None:
    task = emulator.backend.landmarks()["failed_with_retries_task"]
    job = job_of(task)
    session_id = client.list_sessions(**job)["sessions"][0]["sessionId"]
    log = client.get_session(**job, sessionId=session_id)["log"]
    assert log["logDriver"] == "awslogs"
    assert log["options"] == {
        "logGroupName": f"/aws/deadline/{job['farmId']}/{job['queueId']}",
        "logStreamName": session_id,
    }
    assert session_log(in_process_client(emulator, "logs"), log)
