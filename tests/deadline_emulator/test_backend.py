"""Backend answers: model-valid shapes, not-found errors, sessions consistent with tasks."""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any

import pytest

from deadline_emulator.clock import Clock
from deadline_emulator.exceptions import ResourceNotFoundException
from deadline_emulator.models import DeadlineBackend
from deadline_emulator.seed import DEMO_EPOCH
from deadline_emulator.validation import validate_output


def kw(ids: dict[str, Any]) -> dict[str, Any]:
    return {re.sub(r"[A-Z]", lambda m: "_" + m.group().lower(), k): v for k, v in ids.items()}


@pytest.fixture
def b() -> DeadlineBackend:
    return DeadlineBackend(seed=0, clock=Clock(pinned_at=DEMO_EPOCH + 2 * 3600))


def job_of(ids: dict[str, str]) -> dict[str, str]:
    return {k: ids[k] for k in ("farmId", "queueId", "jobId")}


def test_answers_validate_against_the_model(b: DeadlineBackend) -> None:
    lm = b.landmarks()
    calls = {
        "ListFarms": b.list_farms(),
        "GetFarm": b.get_farm(farm_id=lm["farm_main"]),
        "ListQueues": b.list_queues(farm_id=lm["farm_main"]),
        "GetQueue": b.get_queue(**kw(lm["blocked_queue"])),
        "ListFleets": b.list_fleets(farm_id=lm["farm_main"]),
        "GetFleet": b.get_fleet(
            farm_id=lm["farm_main"], fleet_id=lm["unreliable_worker"]["fleetId"]
        ),
        "ListWorkers": b.list_workers(
            **kw({k: lm["unreliable_worker"][k] for k in ("farmId", "fleetId")})
        ),
        "GetWorker": b.get_worker(**kw(lm["unreliable_worker"])),
        "GetJob": b.get_job(**kw(lm["hostile_job"])),
        "GetStep": b.get_step(**kw(lm["incompatible_step"])),
        "ListSteps": b.list_steps(**kw(lm["hostile_job"])),
        "ListTasks": b.list_tasks(**kw(lm["params_step"])),
        "GetTask": b.get_task(**kw(lm["wedged_running_task"])),
        "ListSessions": b.list_sessions(**kw(lm["hostile_job"])),
    }
    for name, queue in lm["queues"].items():
        calls[f"ListJobs {name}"] = b.list_jobs(**kw(queue))
    for operation, answer in calls.items():
        assert validate_output(operation.split()[0], answer) == [], operation


@pytest.mark.parametrize(
    ("method", "missing", "kind"),
    [
        ("get_farm", {"farm_id": "farm-" + "0" * 32}, "farm"),
        ("get_queue", {"queue_id": "queue-" + "0" * 32}, "queue"),
        ("get_job", {"job_id": "job-" + "0" * 32}, "job"),
        ("get_step", {"step_id": "step-" + "0" * 32}, "step"),
        ("get_task", {"task_id": "task-" + "0" * 32 + "-0"}, "task"),
    ],
)
def test_missing_resources_are_named(
    b: DeadlineBackend, method: str, missing: dict[str, str], kind: str
) -> None:
    ids = kw(b.landmarks()["one_task"])
    args = {
        k: v
        for k, v in ids.items()
        if k
        in {
            "get_farm": ("farm_id",),
            "get_queue": ("farm_id", "queue_id"),
            "get_job": ("farm_id", "queue_id", "job_id"),
            "get_step": ("farm_id", "queue_id", "job_id", "step_id"),
            "get_task": tuple(ids),
        }[method]
    }
    args.update(missing)
    with pytest.raises(ResourceNotFoundException) as excinfo:
        getattr(b, method)(**args)
    (resource_id,) = missing.values()
    assert excinfo.value.members == {"resourceId": resource_id, "resourceType": kind}
    assert resource_id in excinfo.value.message


def test_an_existing_task_under_the_wrong_step_is_not_found(b: DeadlineBackend) -> None:
    lm = b.landmarks()
    wrong = {
        **lm["one_task"],
        "stepId": lm["big_step"]["stepId"],
        "jobId": lm["big_job"]["jobId"],
        "queueId": lm["big_job"]["queueId"],
    }
    with pytest.raises(ResourceNotFoundException) as excinfo:
        b.get_task(**kw(wrong))
    assert excinfo.value.members["resourceType"] == "task"
    assert lm["big_step"]["stepId"] in excinfo.value.message


def test_batch_get_task_reports_errors_per_item(b: DeadlineBackend) -> None:
    lm = b.landmarks()
    missing = {**lm["one_task"], "taskId": lm["one_task"]["taskId"][:-1] + "7"}
    answer = b.batch_get_task(identifiers=[lm["one_task"], missing])
    assert [t["taskId"] for t in answer["tasks"]] == [lm["one_task"]["taskId"]]
    assert answer["errors"][0]["code"] == "ResourceNotFoundException"
    assert validate_output("BatchGetTask", answer) == []


def test_sessions_and_actions_follow_the_task(b: DeadlineBackend) -> None:
    ids = b.landmarks()["failed_with_retries_task"]
    task = b.get_task(**kw(ids))
    actions = b.list_session_actions(**kw(job_of(ids)), task_id=ids["taskId"])["sessionActions"]
    runs = [a for a in actions if "taskRun" in a["definition"]]
    assert len(runs) == 3 and {a["status"] for a in runs} == {"FAILED"}
    assert runs[-1]["sessionActionId"] == task["latestSessionActionId"]
    detail = b.get_session_action(
        **kw(job_of(ids)), session_action_id=task["latestSessionActionId"]
    )
    assert detail["processExitCode"] != 0 and detail["progressMessage"]
    assert detail["definition"]["taskRun"]["taskId"] == ids["taskId"]
    session = b.get_session(**kw(job_of(ids)), session_id=detail["sessionId"])
    assert session["lifecycleStatus"] == "ENDED"
    assert session["log"]["options"]["logStreamName"] == detail["sessionId"]
    assert (
        session["log"]["options"]["logGroupName"]
        == f"/aws/deadline/{ids['farmId']}/{ids['queueId']}"
    )
    assert validate_output("GetSession", session) == []
    assert validate_output("GetSessionAction", detail) == []
    timeline = b.attempt_timeline(detail["sessionId"])
    assert timeline["outcome"] == "FAILED" and timeline["taskId"] == ids["taskId"]


def test_a_running_task_has_a_running_action_with_progress(b: DeadlineBackend) -> None:
    ids = b.find_tasks("RUNNING", limit=1)[0]
    task = b.get_task(**kw(ids))
    action = b.get_session_action(
        **kw(job_of(ids)), session_action_id=task["latestSessionActionId"]
    )
    assert action["status"] == "RUNNING" and 0 <= action["progressPercent"] < 100
    b.clock.advance(30)
    later = b.get_session_action(**kw(job_of(ids)), session_action_id=task["latestSessionActionId"])
    assert later["status"] != "RUNNING" or later["progressPercent"] > action["progressPercent"]
    session = b.get_session(**kw(job_of(ids)), session_id=action["sessionId"])
    assert session["lifecycleStatus"] == "STARTED" and "endedAt" not in session


def test_the_unreliable_worker_fails_most_of_its_attempts(b: DeadlineBackend) -> None:
    lm = b.landmarks()
    bad = lm["unreliable_worker"]["workerId"]
    outcomes: Counter[tuple[bool, str]] = Counter()
    big = lm["big_job"]
    page = b.list_sessions(**kw(big), max_results=100)
    for session in page["sessions"]:
        timeline = b.attempt_timeline(session["sessionId"])
        outcomes[(session["workerId"] == bad, timeline["outcome"])] += 1
    bad_total = outcomes[(True, "FAILED")] + outcomes[(True, "SUCCEEDED")]
    assert bad_total and outcomes[(True, "FAILED")] / bad_total > 0.5
    good_total = outcomes[(False, "FAILED")] + outcomes[(False, "SUCCEEDED")]
    assert outcomes[(False, "FAILED")] / good_total < 0.2


def test_sessions_of_another_job_are_not_found(b: DeadlineBackend) -> None:
    lm = b.landmarks()
    session = b.list_sessions(**kw(lm["hostile_job"]))["sessions"][0]["sessionId"]
    with pytest.raises(ResourceNotFoundException) as excinfo:
        b.get_session(**kw(lm["big_job"]), session_id=session)
    assert excinfo.value.members["resourceType"] == "session"


def test_wedged_job_shows_its_transient_statuses(b: DeadlineBackend) -> None:
    step = b.get_step(**kw(b.landmarks()["wedged_step"]))
    counts = step["taskRunStatusCounts"]
    for status in ("RUNNING", "ASSIGNED", "STARTING", "SCHEDULED", "INTERRUPTING", "READY"):
        assert counts[status] >= 1, status


def test_get_task_is_cheap(b: DeadlineBackend) -> None:
    ids = kw(b.landmarks()["big_last_task"])
    b.get_task(**ids)
    start = time.perf_counter()
    for _ in range(200):
        b.get_task(**ids)
    per_call = (time.perf_counter() - start) / 200
    print(f"GetTask backend time: {per_call * 1e6:.0f} us")
    running = kw(b.find_tasks("RUNNING", limit=1)[0])
    start = time.perf_counter()
    for _ in range(200):
        b.get_task(**running)
    print(
        f"GetTask (running step) backend time: {(time.perf_counter() - start) / 200 * 1e6:.0f} us"
    )
