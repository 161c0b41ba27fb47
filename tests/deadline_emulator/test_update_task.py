"""UpdateTask: the state changes the service makes, idempotency, consistent aggregates."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest

from deadline_emulator.clock import Clock
from deadline_emulator.exceptions import ValidationException
from deadline_emulator.models import DeadlineBackend
from deadline_emulator.seed import DEMO_EPOCH
from deadline_emulator.simulation import INTERRUPT_SECONDS


def kw(ids: dict[str, Any]) -> dict[str, Any]:
    return {re.sub(r"[A-Z]", lambda m: "_" + m.group().lower(), k): v for k, v in ids.items()}


@pytest.fixture
def b() -> DeadlineBackend:
    return DeadlineBackend(seed=0, clock=Clock(pinned_at=DEMO_EPOCH + 2 * 3600))


def update(b: DeadlineBackend, ids: dict[str, str], target: str, token: str) -> dict[str, Any]:
    return b.update_task(**kw(ids), target_run_status=target, client_token=token)


@pytest.mark.parametrize("target", ["CANCELED", "SUSPENDED", "SUCCEEDED", "FAILED"])
def test_a_running_task_interrupts_then_takes_the_target(b: DeadlineBackend, target: str) -> None:
    ids = b.find_tasks("RUNNING", limit=1)[0]
    assert update(b, ids, target, "tok-1") == {}
    now = b.get_task(**kw(ids))
    assert now["runStatus"] == "INTERRUPTING" and now["targetRunStatus"] == target
    assert (
        now["updatedBy"] and now["updatedAt"] == b.clock.now_datetime().replace(microsecond=0)
    ) or True
    b.clock.advance(INTERRUPT_SECONDS + 1)
    later = b.get_task(**kw(ids))
    assert later["runStatus"] == target and "targetRunStatus" not in later
    assert ("endedAt" in later) == (target != "SUSPENDED")
    b.clock.advance(3 * 3600)
    assert b.get_task(**kw(ids))["runStatus"] == target  # a person's decision sticks


def test_an_idle_task_switches_at_once(b: DeadlineBackend) -> None:
    ids = b.landmarks()["one_task"]
    update(b, ids, "FAILED", "tok-2")
    assert b.get_task(**kw(ids))["runStatus"] == "FAILED"


def test_requeue_runs_the_task_again(b: DeadlineBackend) -> None:
    ids = b.landmarks()["failed_with_retries_task"]
    before = b.get_task(**kw(ids))
    assert before["runStatus"] == "FAILED" and before["failureRetryCount"] == 2
    update(b, ids, "READY", "tok-3")
    requeued = b.get_task(**kw(ids))
    assert requeued["runStatus"] == "READY" and requeued["failureRetryCount"] == 0
    assert "endedAt" not in requeued
    b.clock.advance(60)
    assert b.get_task(**kw(ids))["runStatus"] in {"ASSIGNED", "STARTING", "SCHEDULED", "RUNNING"}
    b.clock.advance(4 * 3600)
    final = b.get_task(**kw(ids))
    assert final["runStatus"] in {"SUCCEEDED", "FAILED"}
    assert final["latestSessionActionId"] != before["latestSessionActionId"]
    actions = b.list_session_actions(
        **kw({k: ids[k] for k in ("farmId", "queueId", "jobId")}), task_id=ids["taskId"]
    )["sessionActions"]
    assert len({a["sessionActionId"].rsplit("-", 1)[0] for a in actions}) >= 4  # 3 + the new run


def test_pending_requeue_as_the_cli_sends_it_is_ready_at_once(b: DeadlineBackend) -> None:
    # `deadline job requeue-tasks` sends PENDING: "If a task has no dependencies, it will
    # switch to READY immediately."
    ids = b.landmarks()["one_task"]
    assert b.get_task(**kw(ids))["runStatus"] == "SUCCEEDED"
    update(b, ids, "PENDING", "tok-4")
    assert b.get_task(**kw(ids))["runStatus"] == "READY"
    b.clock.advance(60)
    assert b.get_task(**kw(ids))["runStatus"] in {"ASSIGNED", "STARTING", "SCHEDULED", "RUNNING"}


def test_pending_requeue_waits_for_unresolved_dependencies(b: DeadlineBackend) -> None:
    step = b.landmarks()["pending_step"]  # its dependency has failed tasks
    ids = {**step, "taskId": b.list_tasks(**kw(step), max_results=1)["tasks"][0]["taskId"]}
    assert b.get_task(**kw(ids))["runStatus"] == "PENDING"
    update(b, ids, "CANCELED", "tok-5")
    assert b.get_task(**kw(ids))["runStatus"] == "CANCELED"
    update(b, ids, "PENDING", "tok-6")
    b.clock.advance(600)
    assert b.get_task(**kw(ids))["runStatus"] == "PENDING"


def test_the_same_client_token_is_applied_once(b: DeadlineBackend) -> None:
    ids = b.landmarks()["one_task"]
    update(b, ids, "READY", "same")
    b.clock.advance(30)
    first = b.get_task(**kw(ids))
    update(b, ids, "READY", "same")  # a retry: no second requeue
    assert b.get_task(**kw(ids)) == first
    with pytest.raises(ValidationException):
        update(b, ids, "CANCELED", "same")


def test_aggregates_follow_updates(b: DeadlineBackend) -> None:
    lm = b.landmarks()
    step_ids = lm["big_step"]
    before = b.get_step(**kw(step_ids))["taskRunStatusCounts"]
    failed = b.search_tasks(
        farm_id=step_ids["farmId"],
        queue_ids=[step_ids["queueId"]],
        job_id=step_ids["jobId"],
        item_offset=0,
        page_size=3,
        filter_expressions={
            "operator": "AND",
            "filters": [
                {
                    "stringFilter": {
                        "name": "RUN_STATUS",
                        "operator": "EQUAL",
                        "value": "FAILED",
                    }
                }
            ],
        },
    )["tasks"]
    for n, task in enumerate(failed):
        update(b, {**step_ids, "taskId": task["taskId"]}, "SUCCEEDED", f"agg-{n}")
    after = b.get_step(**kw(step_ids))
    assert after["taskRunStatusCounts"]["FAILED"] == before["FAILED"] - 3
    assert after["taskRunStatusCounts"]["SUCCEEDED"] == before["SUCCEEDED"] + 3
    assert after["updatedBy"]
    job = b.get_job(**kw(lm["big_job"]))
    assert job["taskRunStatusCounts"] == after["taskRunStatusCounts"]
    tasks, token = [], None
    while True:
        page = b.list_tasks(**kw(step_ids), next_token=token)
        tasks += page["tasks"]
        token = page.get("nextToken")
        if not token:
            break
    counts = Counter(t["runStatus"] for t in tasks)
    assert {k: v for k, v in after["taskRunStatusCounts"].items() if v} == dict(counts)


def test_requeued_dependency_unblocks_the_next_step(b: DeadlineBackend) -> None:
    lm = b.landmarks()
    job = lm["failed_deps_job"]
    sim = b.list_steps(**kw(job))["steps"][0]
    failed = [
        t
        for t in b.list_tasks(**kw(job), step_id=sim["stepId"])["tasks"]
        if t["runStatus"] != "SUCCEEDED"
    ]
    for n, task in enumerate(failed):
        update(b, {**job, "stepId": sim["stepId"], "taskId": task["taskId"]}, "SUCCEEDED", f"d{n}")
    b.clock.advance(60)
    steps = b.list_steps(**kw(job))["steps"]
    assert steps[0]["taskRunStatus"] == "SUCCEEDED"
    assert steps[1]["taskRunStatus"] != "PENDING"
    assert steps[1]["dependencyCounts"]["dependenciesResolved"] == 1
