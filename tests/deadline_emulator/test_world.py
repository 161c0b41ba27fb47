"""The demo world: deterministic, big enough, every status and parameter type, consistent."""

from __future__ import annotations

import re
import time
from collections import Counter
from typing import Any

import pytest

from deadline_emulator.clock import Clock
from deadline_emulator.models import DeadlineBackend
from deadline_emulator.seed import DEMO_EPOCH, LONG_VALUE, RTL_TEXT, XSS_IMG, XSS_SCRIPT
from deadline_emulator.simulation import TASK_RUN_STATUSES

HOUR = 3600.0
CLOCKS = [DEMO_EPOCH, DEMO_EPOCH + 5 * HOUR, DEMO_EPOCH + 3 * 24 * HOUR + 17 * 60]


def kw(ids: dict[str, Any]) -> dict[str, Any]:
    """camelCase identifiers (as landmarks() gives them) to the backend's snake_case."""
    return {re.sub(r"[A-Z]", lambda m: "_" + m.group().lower(), k): v for k, v in ids.items()}


def backend(at: float = DEMO_EPOCH + HOUR, seed: int = 0) -> DeadlineBackend:
    return DeadlineBackend(seed=seed, clock=Clock(pinned_at=at))


def all_steps(b: DeadlineBackend) -> list[tuple[dict[str, str], dict[str, Any]]]:
    return [(job, step) for job in b.jobs() for step in b.list_steps(**kw(job))["steps"]]


def all_tasks(b: DeadlineBackend, job: dict[str, str], step_id: str) -> list[dict[str, Any]]:
    tasks, token = [], None
    while True:
        page = b.list_tasks(**kw(job), step_id=step_id, next_token=token)
        tasks += page["tasks"]
        token = page.get("nextToken")
        if token is None:
            return tasks


def test_building_the_world_is_fast_and_lazy() -> None:
    start = time.perf_counter()
    b = backend()
    elapsed = time.perf_counter() - start
    print(f"world built in {elapsed * 1000:.1f} ms")
    assert b._step_cache == {}  # nothing evaluated until asked
    assert elapsed < 2.0


def test_same_seed_and_clock_give_identical_answers() -> None:
    a, b = backend(), backend()
    assert a.jobs() == b.jobs()
    for job in a.jobs()[:15]:
        assert a.list_steps(**kw(job)) == b.list_steps(**kw(job))
    step = a.landmarks()["hostile_step"]
    assert a.list_tasks(**kw(step)) == b.list_tasks(**kw(step))


def test_different_seeds_give_different_worlds() -> None:
    a, b = backend(seed=0), backend(seed=1)
    assert a.list_farms()["farms"][0]["farmId"] != b.list_farms()["farms"][0]["farmId"]
    names_a = {a.get_job(**kw(j))["name"] for j in a.jobs()}
    names_b = {b.get_job(**kw(j))["name"] for j in b.jobs()}
    assert names_a != names_b


def test_world_size() -> None:
    b = backend()
    farms = b.list_farms()["farms"]
    assert [f["displayName"] for f in farms] == [
        "Lighthouse Studios \u2014 Main",
        "Lighthouse Studios \u2014 Previs",
    ]
    queues = [q for f in farms for q in b.list_queues(farm_id=f["farmId"])["queues"]]
    assert len(queues) >= 4
    assert {q["status"] for q in queues} == {"IDLE", "SCHEDULING", "SCHEDULING_BLOCKED"}
    blocked = next(q for q in queues if q["status"] == "SCHEDULING_BLOCKED")
    assert blocked["blockedReason"] == "NO_BUDGET_CONFIGURED"
    assert len(b.jobs()) >= 30
    step_counts = [len(b.list_steps(**kw(j))["steps"]) for j in b.jobs()]
    assert min(step_counts) >= 1 and max(step_counts) <= 5
    lm = b.landmarks()
    assert len(all_tasks(b, lm["big_job"], lm["big_step"]["stepId"])) == 10_000
    assert len(b.list_tasks(**kw(lm["one_task_step"]))["tasks"]) == 1


@pytest.mark.parametrize("at", CLOCKS)
def test_every_task_run_status_is_present(at: float) -> None:
    b = backend(at)
    seen: Counter[str] = Counter()
    for _, step in all_steps(b):
        seen.update({k: v for k, v in step["taskRunStatusCounts"].items() if v})
    assert set(seen) == set(TASK_RUN_STATUSES)


def test_every_parameter_variant_is_present() -> None:
    b = backend()
    tasks = b.list_tasks(**kw(b.landmarks()["params_step"]))["tasks"]
    values: dict[str, set[str]] = {}
    for task in tasks:
        for parameter in task["parameters"].values():
            ((kind, value),) = parameter.items()
            values.setdefault(kind, set()).add(value)
    assert set(values) == {"int", "float", "string", "path", "chunkInt"}
    assert {"0.5", "1e-3"} <= values["float"]
    assert {"1-10", "5-5", "1-3,5,7-20:2"} <= values["chunkInt"]
    assert any(v.startswith("/mnt/renders/") for v in values["path"])


def test_bare_tasks_carry_only_required_members() -> None:
    b = backend()
    for task in b.list_tasks(**kw(b.landmarks()["bare_step"]))["tasks"]:
        assert set(task) == {"taskId", "createdAt", "createdBy", "runStatus"}


def test_hostile_strings_are_present_and_within_model_limits() -> None:
    b = backend()
    lm = b.landmarks()
    job = b.get_job(**kw(lm["hostile_job"]))
    assert XSS_SCRIPT in job["name"] and RTL_TEXT in job["name"]
    assert XSS_IMG in job["createdBy"]
    assert XSS_SCRIPT in job["lifecycleStatusMessage"]
    assert len(job["name"]) <= 512
    steps = b.list_steps(**kw(lm["hostile_job"]))["steps"]
    assert any(XSS_IMG in s["name"] for s in steps)
    notes = {
        t["parameters"]["Note"]["string"] for t in b.list_tasks(**kw(lm["hostile_step"]))["tasks"]
    }
    assert XSS_SCRIPT in notes and LONG_VALUE in notes
    assert len(LONG_VALUE) == 1024


@pytest.mark.parametrize("at", CLOCKS)
def test_step_and_job_aggregates_match_their_tasks(at: float) -> None:
    b = backend(at)
    checked = 0
    for job in b.jobs():
        job_answer = b.get_job(**kw(job))
        job_counts: Counter[str] = Counter()
        for step in b.list_steps(**kw(job))["steps"]:
            if step["taskRunStatusCounts"]["SUCCEEDED"] > 2000:
                continue  # the 10,000-task step has its own test below
            tasks = all_tasks(b, job, step["stepId"])
            counts = Counter(t["runStatus"] for t in tasks)
            assert {k: v for k, v in step["taskRunStatusCounts"].items() if v} == dict(counts)
            job_counts.update(counts)
            starts = [t["startedAt"] for t in tasks if "startedAt" in t]
            assert step.get("startedAt") == (min(starts) if starts else None)
            if all(
                t["runStatus"] in {"SUCCEEDED", "FAILED", "CANCELED", "NOT_COMPATIBLE"}
                for t in tasks
            ):
                ends = [t["endedAt"] for t in tasks if "endedAt" in t]
                assert step.get("endedAt") == (max(ends) if ends else None)
            else:
                assert "endedAt" not in step
            retries = sum(t.get("failureRetryCount", 0) for t in tasks)
            assert step["taskFailureRetryCount"] == retries
            checked += 1
        if job_counts:
            big = job == b.landmarks()["big_job"]
            if not big:
                assert {k: v for k, v in job_answer["taskRunStatusCounts"].items() if v} == dict(
                    job_counts
                )
    assert checked > 50


def test_the_big_step_is_mostly_successful_and_its_counts_add_up() -> None:
    b = backend()
    lm = b.landmarks()
    step = b.get_step(**kw(lm["big_step"]))
    counts = step["taskRunStatusCounts"]
    assert sum(counts.values()) == 10_000
    assert counts["SUCCEEDED"] >= 9_700
    assert counts["FAILED"] > 0 and counts["CANCELED"] > 0
    tasks = all_tasks(b, lm["big_job"], lm["big_step"]["stepId"])
    assert Counter(t["runStatus"] for t in tasks) == Counter({k: v for k, v in counts.items() if v})
    assert max(t["failureRetryCount"] for t in tasks if "failureRetryCount" in t) == 2


def test_failed_step_leaves_its_dependents_pending() -> None:
    b = backend()
    lm = b.landmarks()
    steps = b.list_steps(**kw(lm["failed_deps_job"]))["steps"]
    assert steps[0]["taskRunStatusCounts"]["FAILED"] > 0
    for dependent in steps[1:]:
        assert dependent["taskRunStatus"] == "PENDING"
    assert steps[1]["dependencyCounts"]["dependenciesUnresolved"] == 1


def test_time_moves_a_running_task_to_an_outcome() -> None:
    clock = Clock(pinned_at=DEMO_EPOCH + 2 * HOUR)
    b = DeadlineBackend(seed=0, clock=clock)
    ids = b.find_tasks("RUNNING", limit=1)[0]
    before = b.get_task(**kw(ids))
    assert before["runStatus"] == "RUNNING" and "startedAt" in before
    clock.advance(2 * HOUR)
    after = b.get_task(**kw(ids))
    assert after["runStatus"] in {"SUCCEEDED", "FAILED"}
    assert after["endedAt"] > after["startedAt"]


def test_the_stream_brings_new_jobs() -> None:
    clock = Clock(pinned_at=DEMO_EPOCH + 10 * HOUR)
    b = DeadlineBackend(seed=0, clock=clock)
    before = {j["jobId"] for j in b.jobs()}
    clock.advance(HOUR)
    after = {j["jobId"] for j in b.jobs()}
    assert len(after - before) >= 3
    assert len(after) >= 30
    statuses = Counter(b.get_job(**kw(j))["taskRunStatus"] for j in b.jobs())
    assert statuses["RUNNING"] + statuses["READY"] >= 1


def test_landmarks_survive_a_long_running_server() -> None:
    clock = Clock(pinned_at=DEMO_EPOCH + 40 * 24 * HOUR)
    b = DeadlineBackend(seed=0, clock=clock)
    lm = b.landmarks()
    assert b.get_task(**kw(lm["one_task"]))["runStatus"] == "SUCCEEDED"
    assert b.get_task(**kw(lm["wedged_running_task"]))["runStatus"] == "RUNNING"
    assert len(b.jobs()) >= 30
