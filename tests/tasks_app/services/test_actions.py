"""The action executor against the emulator: thousands of tasks under throttling, in batches or
one call per task where the batch write is refused, each changed exactly once (counted at the
emulator), resumed after its process stops, stopped early when the credentials may not write,
and the cache made fresh at once."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from botocore.retries.standard import ExponentialBackoff
from django.conf import LazySettings
from django.utils import timezone

from deadline_emulator import Emulator
from tasks_app.deadline.types import TaskRunStatus
from tasks_app.models import ActionBatch, ActionItem, ActionRun
from tasks_app.selectors import browse
from tasks_app.services import actions
from tasks_app.services.actions import dispatch, runs


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


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore still retries every throttled or failed call, without its real-time sleeps."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)


def test_a_thousand_tasks_with_30_percent_of_batch_items_throttled_change_exactly_once(
    emulator: Emulator, transactional_db: None, settings: LazySettings, no_backoff: None
) -> None:
    made = emulator.add_failed_job(failed_tasks=1000, steps=4)
    scope = _job_scope(made)
    plan, nonce = _confirmed(scope)
    assert plan.total == 1000 and plan.method == "BatchUpdateTask" and plan.calls == 10
    emulator.faults.set("BatchUpdateTask", item_throttle_rate=0.3)
    emulator.calls.reset()

    run = actions.start(plan=plan, username="ada", reason="", nonce=nonce)
    assert actions.wait_for(run.pk, timeout=300)

    run.refresh_from_db()
    assert (run.state, run.planned, run.changed, run.failed) == ("done", 1000, 1000, 0)
    failed_ids = {t["taskId"] for t in made["failedTasks"]}
    assert emulator.task_update_counts(made["jobId"]) == dict.fromkeys(failed_ids, 1)
    # The throttling was real: ~300 items came back throttled and went out again in new
    # batches (each re-read first), so more than the 10 first calls were made.
    assert emulator.calls["BatchUpdateTask"] > 10
    assert emulator.calls["BatchGetTask"] == emulator.calls["BatchUpdateTask"]
    assert emulator.calls["UpdateTask"] == 0
    assert not ActionItem.objects.filter(run=run).exclude(outcome="changed").exists()


def test_with_the_batch_write_denied_it_falls_back_to_update_task_through_throttling(
    emulator: Emulator, transactional_db: None, settings: LazySettings, no_backoff: None
) -> None:
    settings.DASHBOARD_ACTION_CONCURRENCY = 32
    made = emulator.add_failed_job(failed_tasks=400, steps=4)
    plan, nonce = _confirmed(_job_scope(made))
    emulator.faults.set("BatchUpdateTask", deny=True)
    emulator.faults.set("UpdateTask", throttle_rate=0.3)
    emulator.calls.reset()

    run = actions.start(plan=plan, username="ada", reason="", nonce=nonce)
    assert actions.wait_for(run.pk, timeout=300)

    run.refresh_from_db()
    assert (run.state, run.changed, run.failed) == ("done", 400, 0)
    assert run.method == "UpdateTask" and "BatchUpdateTask was refused" in run.fallback
    failed_ids = {t["taskId"] for t in made["failedTasks"]}
    assert emulator.task_update_counts(made["jobId"]) == dict.fromkeys(failed_ids, 1)
    # Refused once per batch in flight, then never again: the backend's refusal is remembered.
    assert emulator.calls["BatchUpdateTask"] <= settings.DASHBOARD_ACTION_CONCURRENCY
    assert emulator.calls["UpdateTask"] > 500  # each throttled call was retried
    assert actions.plan(scope=_job_scope(made), choice=plan.choice).method == "UpdateTask"


def test_a_run_abandoned_mid_way_is_resumed_without_changing_anything_twice(
    emulator: Emulator,
    transactional_db: None,
    settings: LazySettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.DASHBOARD_ACTION_BATCH_SIZE = 10
    made = emulator.add_failed_job(failed_tasks=40, steps=2)
    plan, nonce = _confirmed(_job_scope(made))
    started: list[int] = []
    monkeypatch.setattr(runs, "spawn", lambda run_id, owner: started.append(run_id))
    run = actions.start(plan=plan, username="ada", reason="", nonce=nonce)
    assert started == [run.pk]  # its process "stopped" before sending anything else
    items = list(run.items.order_by("id"))
    # It had sent its first two batches (tokens stored first, as it does), but recorded only
    # the first batch's outcome before it stopped.
    sender = dispatch.Sender(run)
    assert all(o.changed for o in sender.send(items[:10]) + sender.send(items[10:20]))
    ActionItem.objects.filter(pk__in=[i.pk for i in items[:10]]).update(outcome="changed")
    monkeypatch.undo()
    # Meanwhile those 20 tasks ran again and failed again: a new batch would requeue them a
    # second time; the second batch sent again with its stored token is answered as before.
    for item in items[:20]:
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
    sent_before = {item.task_id for item in items[:20]}
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
    assert ActionBatch.objects.filter(run=run).count() == 4  # 2 before the stop, 2 after


def test_without_write_permission_it_stops_at_once_and_lists_every_task(
    emulator: Emulator, transactional_db: None, settings: LazySettings
) -> None:
    settings.DASHBOARD_ACTION_CONCURRENCY = 4
    made = emulator.add_failed_job(failed_tasks=200, steps=2)
    plan, nonce = _confirmed(_job_scope(made))
    emulator.faults.set("BatchUpdateTask", deny=True)
    emulator.faults.set("UpdateTask", deny=True)
    emulator.calls.reset()

    run = actions.start(plan=plan, username="ada", reason="", nonce=nonce)
    assert actions.wait_for(run.pk, timeout=60)

    run.refresh_from_db()
    assert (run.state, run.changed, run.failed) == ("failed", 0, 200)
    assert emulator.calls["BatchUpdateTask"] <= settings.DASHBOARD_ACTION_CONCURRENCY
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
    emulator.faults.set("BatchUpdateTask", throttle_rate=1.0)

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
