"""Actions on big jobs, with their failed frames spread over the whole step (the emulator's
big-job builder): requeued from the job, from the step and from a failure group, every failed
task is changed exactly once, counted at the emulator, however many ListTasks pages the step
has (10,000 tasks: 100 pages; 100,000 tasks: 1,000). One emulator for the module, in-process,
no added latency; each test acts on jobs of its own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings

from deadline_emulator import Emulator, set_default_emulator
from deadline_emulator.clock import Clock
from tasks_app.deadline import client as deadline_client
from tasks_app.models import ActionRun
from tasks_app.selectors import failures
from tasks_app.services import actions, failure_runs
from tests.conftest import PINNED_AT


@pytest.fixture(scope="module")
def big_emulator() -> Emulator:
    return Emulator(seed=django_settings.DEADLINE_DEMO_SEED, clock=Clock(pinned_at=PINNED_AT))


@pytest.fixture
def world(big_emulator: Emulator) -> Iterator[Emulator]:
    """The module's emulator as the dashboard's backend for one test."""
    set_default_emulator(big_emulator, seed=django_settings.DEADLINE_DEMO_SEED)
    deadline_client.clear_client_cache()
    yield big_emulator
    big_emulator.faults.clear()
    set_default_emulator(None, seed=django_settings.DEADLINE_DEMO_SEED)
    deadline_client.clear_client_cache()


def _scope(made: dict[str, Any], kind: str, signature: str = "") -> actions.Scope:
    step_id = made["stepId"] if kind in ("step", "failures") and not signature else ""
    return actions.Scope(
        kind, made["farmId"], made["queueId"], made["jobId"], step_id, signature=signature
    )


def requeue(scope: actions.Scope, *statuses: str) -> ActionRun:
    """What the action view does: preview, confirm (checked against the preview), start; then
    wait for the run to finish."""
    choice = actions.ActionChoice.build("requeue", statuses)
    shown = actions.preview(plan=actions.plan(scope=scope, choice=choice), username="ada")
    assert shown.confirm, shown.plan.notice
    plan = actions.confirmed_plan(scope=scope, choice=choice, token=shown.confirm, username="ada")
    check = actions.check_confirmation(token=shown.confirm, plan=plan, username="ada")
    assert check.ok, check.problem
    run = actions.start(plan=plan, username="ada", reason="", nonce=check.nonce)
    assert actions.wait_for(run.pk, timeout=300)
    run.refresh_from_db()
    return run


def _counts(emulator: Emulator, made: dict[str, Any]) -> dict[str, int]:
    ids = {"farm_id": made["farmId"], "queue_id": made["queueId"], "job_id": made["jobId"]}
    return dict(emulator.backend.get_job(**ids)["taskRunStatusCounts"])


def _largest_group(made: dict[str, Any]) -> tuple[str, set[str]]:
    """The digest and task IDs of the job's largest failure group."""
    report = failure_runs.report(
        failures.FailureScope(
            farm_id=made["farmId"], queue_id=made["queueId"], job_id=made["jobId"]
        ),
        wait_seconds=120,
    )
    assert report.complete, report
    group = max(report.groups, key=lambda g: g.task_count)
    return group.digest, set(group.task_ids)


def _index(task_id: str) -> int:
    return int(task_id.rsplit("-", 1)[1])


@pytest.mark.parametrize("kind", ["job", "step"])
def test_a_10000_task_requeue_changes_every_failed_and_canceled_task_once(
    world: Emulator, transactional_db: None, kind: str
) -> None:
    made = world.add_big_job(tasks=10_000, failed_tasks=250, canceled_tasks=50)
    wanted = set(made["failedTaskIds"]) | set(made["canceledTaskIds"])
    assert max(map(_index, wanted)) > 9_900  # spread to the step's last page

    run = requeue(_scope(made, kind))

    assert (run.state, run.planned, run.changed, run.failed) == ("done", 300, 300, 0)
    assert run.method == "BatchUpdateTask"
    assert world.task_update_counts(made["jobId"]) == dict.fromkeys(wanted, 1)
    counts = _counts(world, made)
    assert (counts.get("FAILED", 0), counts.get("CANCELED", 0), counts["READY"]) == (0, 0, 300)


@pytest.mark.parametrize(
    ("operation", "fault", "method"),
    [
        ("BatchUpdateTask", {"deny": True}, "UpdateTask"),
        ("BatchUpdateTask", {"item_throttle_rate": 0.3}, "BatchUpdateTask"),
    ],
    ids=["batch-write-denied", "30-percent-of-items-throttled"],
)
def test_a_10000_task_requeue_under_faults_still_changes_every_task_once(
    world: Emulator,
    transactional_db: None,
    operation: str,
    fault: dict[str, Any],
    method: str,
) -> None:
    made = world.add_big_job(tasks=10_000, failed_tasks=250, canceled_tasks=50)
    wanted = set(made["failedTaskIds"]) | set(made["canceledTaskIds"])
    world.faults.set(operation, **fault)

    run = requeue(_scope(made, "job"))

    assert (run.state, run.changed, run.failed, run.method) == ("done", 300, 0, method)
    assert bool(run.fallback) is (method == "UpdateTask")
    assert world.task_update_counts(made["jobId"]) == dict.fromkeys(wanted, 1)


def test_a_10000_task_failure_group_requeue_changes_every_member_once(
    world: Emulator, transactional_db: None
) -> None:
    made = world.add_big_job(tasks=10_000, failed_tasks=250)
    digest, members = _largest_group(made)
    assert len(members) >= 60 and max(map(_index, members)) > 9_000

    run = requeue(_scope(made, "failures", digest))

    assert (run.state, run.changed, run.failed) == ("done", len(members), 0)
    assert world.task_update_counts(made["jobId"]) == dict.fromkeys(members, 1)
    assert _counts(world, made)["FAILED"] == 250 - len(members)


def test_a_100000_task_job_requeued_by_group_step_and_job_changes_each_task_once(
    world: Emulator, transactional_db: None
) -> None:
    made = world.add_big_job(tasks=100_000, failed_tasks=300, canceled_tasks=100)
    failed, canceled = set(made["failedTaskIds"]), set(made["canceledTaskIds"])
    assert max(map(_index, failed)) > 99_000 and max(map(_index, canceled)) >= 99_000

    # A failure group first (the largest cause), then the step's remaining failed tasks,
    # then the job's canceled ones: together every failed and canceled task, once.
    digest, members = _largest_group(made)
    by_group = requeue(_scope(made, "failures", digest))
    by_step = requeue(_scope(made, "step"), "FAILED")
    by_job = requeue(_scope(made, "job"))

    assert [(r.scope, r.state, r.changed, r.failed) for r in (by_group, by_step, by_job)] == [
        ("failures", "done", len(members), 0),
        ("step", "done", 300 - len(members), 0),
        ("job", "done", 100, 0),
    ]
    assert world.task_update_counts(made["jobId"]) == dict.fromkeys(failed | canceled, 1)
    counts = _counts(world, made)
    assert (counts.get("FAILED", 0), counts.get("CANCELED", 0)) == (0, 0)
    assert counts["READY"] == 400 and counts["SUCCEEDED"] == 99_600
