"""The action executor against the emulator: thousands of tasks under throttling, each changed
exactly once (counted at the emulator), resumed after its process stops, stopped early when
the credentials may not write, and the cache made fresh at once."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from botocore.retries.standard import ExponentialBackoff
from django.conf import LazySettings
from django.utils import timezone

from deadline_emulator import Emulator
from tasks_app.deadline import writes
from tasks_app.deadline.types import TaskRunStatus
from tasks_app.models import ActionItem, ActionRun
from tasks_app.selectors import browse
from tasks_app.services import actions


def _job_scope(made: dict) -> actions.Scope:
    return actions.Scope("job", made["farmId"], made["queueId"], made["jobId"])


def _confirmed(scope: actions.Scope, action: str = "requeue") -> tuple[actions.Plan, str]:
    """A plan and the nonce of a valid confirmation of it, as the view gets them."""
    choice = actions.ActionChoice.build(action)
    token = actions.preview(plan=actions.plan(scope=scope, choice=choice), username="ada")
    plan = actions.plan(scope=scope, choice=choice)
    check = actions.check_confirmation(token=token.confirm, plan=plan, username="ada")
    assert check.ok, check.problem
    return plan, check.nonce


def test_a_thousand_failed_tasks_with_30_percent_throttled_change_exactly_once(
    emulator: Emulator,
    transactional_db: None,
    settings: LazySettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.DASHBOARD_ACTION_CONCURRENCY = 32
    # botocore still retries every throttled call, without its real-time backoff sleeps.
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)
    made = emulator.add_failed_job(failed_tasks=1000, steps=4)
    scope = _job_scope(made)
    plan, nonce = _confirmed(scope)
    assert plan.total == 1000 and plan.method == "UpdateTask"
    emulator.faults.set("UpdateTask", throttle_rate=0.3)
    emulator.calls.reset()

    run = actions.start(plan=plan, username="ada", reason="", nonce=nonce)
    assert actions.wait_for(run.pk, timeout=300)

    run.refresh_from_db()
    assert (run.state, run.planned, run.changed, run.failed) == ("done", 1000, 1000, 0)
    failed_ids = {t["taskId"] for t in made["failedTasks"]}
    assert emulator.task_update_counts(made["jobId"]) == dict.fromkeys(failed_ids, 1)
    # The throttling was real: many more calls than tasks reached the emulator.
    assert emulator.calls["UpdateTask"] > 1250
    assert not ActionItem.objects.filter(run=run).exclude(outcome="changed").exists()


def test_a_run_abandoned_mid_way_is_resumed_without_changing_anything_twice(
    emulator: Emulator,
    transactional_db: None,
    settings: LazySettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made = emulator.add_failed_job(failed_tasks=40, steps=2)
    plan, nonce = _confirmed(_job_scope(made))
    started: list[int] = []
    monkeypatch.setattr(actions, "_spawn", lambda run_id, owner: started.append(run_id))
    run = actions.start(plan=plan, username="ada", reason="", nonce=nonce)
    assert started == [run.pk]  # its process "stopped" before sending anything else
    items = list(run.items.order_by("id"))
    # It had sent the first 15 calls, but recorded only the first 5 before it stopped.
    for item in items[:15]:
        writes.update_task(
            farm_id=run.farm_id,
            queue_id=run.queue_id,
            job_id=run.job_id,
            step_id=item.step_id,
            task_id=item.task_id,
            target=TaskRunStatus.PENDING,
            client_token=item.client_token,
        )
    ActionItem.objects.filter(pk__in=[i.pk for i in items[:5]]).update(outcome="changed")
    monkeypatch.undo()
    # Meanwhile those 15 tasks ran again and failed again: sending their requeue again with a
    # new token would requeue them a second time; with the stored token the service replays.
    for item in items[:15]:
        emulator.backend.update_task(
            run.farm_id, run.queue_id, run.job_id, item.step_id, item.task_id, "FAILED"
        )

    # While its lease lasts, nobody takes it over.
    assert actions.resume_abandoned() == []
    ActionRun.objects.filter(pk=run.pk).update(lease_until=timezone.now() - timedelta(seconds=1))
    claimed = actions.resume_abandoned()
    assert claimed == [run.pk]
    assert actions.resume_abandoned() == []  # claimed once
    assert actions.wait_for(run.pk, timeout=60)

    run.refresh_from_db()
    assert (run.state, run.changed, run.failed) == ("done", 40, 0)
    # The 10 sent but unrecorded calls were sent again with their tokens: no second requeue.
    sent_before = {item.task_id for item in items[:15]}
    counts = emulator.task_update_counts(made["jobId"])
    assert counts == {
        t["taskId"]: 2 if t["taskId"] in sent_before else 1 for t in made["failedTasks"]
    }
    statuses = {
        t["taskId"]: emulator.backend.get_task(
            run.farm_id, run.queue_id, run.job_id, t["stepId"], t["taskId"]
        )["runStatus"]
        for t in made["failedTasks"]
    }
    assert {statuses[task_id] for task_id in sent_before} == {"FAILED"}
    assert "FAILED" not in {s for task_id, s in statuses.items() if task_id not in sent_before}


def test_without_write_permission_it_stops_at_once_and_lists_every_task(
    emulator: Emulator, transactional_db: None, settings: LazySettings
) -> None:
    settings.DASHBOARD_ACTION_CONCURRENCY = 4
    made = emulator.add_failed_job(failed_tasks=200, steps=2)
    plan, nonce = _confirmed(_job_scope(made))
    emulator.faults.set("UpdateTask", deny=True)
    emulator.calls.reset()

    run = actions.start(plan=plan, username="ada", reason="", nonce=nonce)
    assert actions.wait_for(run.pk, timeout=60)

    run.refresh_from_db()
    assert (run.state, run.changed, run.failed) == ("failed", 0, 200)
    assert emulator.calls["UpdateTask"] <= 2 * settings.DASHBOARD_ACTION_CONCURRENCY
    errors = list(run.items.values_list("error", flat=True))
    assert len(errors) == 200 and all("deadline:UpdateTask" in e for e in errors)
    assert sum(e.startswith("Not sent:") for e in errors) >= 200 - 8


def test_calls_still_throttled_after_every_round_are_reported_not_dropped(
    emulator: Emulator, transactional_db: None, settings: LazySettings
) -> None:
    settings.DASHBOARD_ACTION_MAX_ATTEMPTS = 1
    settings.DASHBOARD_ACTION_ROUNDS = 2
    made = emulator.add_failed_job(failed_tasks=6, steps=1)
    plan, nonce = _confirmed(_job_scope(made))
    emulator.faults.set("UpdateTask", throttle_rate=1.0)

    run = actions.start(plan=plan, username="ada", reason="", nonce=nonce)
    assert actions.wait_for(run.pk, timeout=60)

    run.refresh_from_db()
    assert (run.state, run.changed, run.failed) == ("failed", 0, 6)
    assert set(run.items.values_list("tries", flat=True)) == {2}
    # Throttled through every try, then the circuit breaker paused the writes: both say so.
    assert all("throttl" in e for e in run.items.values_list("error", flat=True))


def test_the_audit_log_line_says_who_did_what_and_cannot_be_forged(
    emulator: Emulator, transactional_db: None, caplog: pytest.LogCaptureFixture
) -> None:
    made = emulator.add_failed_job(failed_tasks=3, steps=1)
    plan, nonce = _confirmed(_job_scope(made))

    with caplog.at_level(logging.INFO, logger="tasks_app.audit"):
        run = actions.start(
            plan=plan, username="ada", reason="fixed\naction run=999 user=eve", nonce=nonce
        )
        assert actions.wait_for(run.pk, timeout=60)

    lines = [r.getMessage() for r in caplog.records if r.name == "tasks_app.audit"]
    assert len(lines) == 1
    assert "\n" not in lines[0]
    assert f"action run={run.pk} " in lines[0]
    assert 'user="ada" action=requeue scope=job' in lines[0]
    assert "planned=3 changed=3 failed=0 state=done" in lines[0]
    assert 'reason="fixed\\naction run=999 user=eve"' in lines[0]


def test_an_action_makes_the_cached_reads_of_its_queue_fresh_at_once(
    emulator: Emulator, transactional_db: None, settings: LazySettings
) -> None:
    settings.DEADLINE_CACHE_SECONDS = 3600  # without invalidation the old counts would stay
    made = emulator.add_failed_job(failed_tasks=5, steps=1)
    ids = {"farm_id": made["farmId"], "queue_id": made["queueId"], "job_id": made["jobId"]}
    before = browse.get_job_status(**ids)
    assert before.status_counts.get(TaskRunStatus.FAILED) == 5
    reads = emulator.calls["GetJob"]
    assert browse.get_job_status(**ids) == before
    assert emulator.calls["GetJob"] == reads  # served from the cache
    plan, nonce = _confirmed(_job_scope(made))

    run = actions.start(plan=plan, username="ada", reason="", nonce=nonce)
    assert actions.wait_for(run.pk, timeout=60)

    after = browse.get_job_status(**ids)
    assert after.status_counts.get(TaskRunStatus.FAILED) == 0
    assert after.status_counts.get(TaskRunStatus.READY) == 5
