"""Actions acted on late or on a bad day: a run resumed after its process stopped skips what
changed since the preview, a run idle past a confirm window expires rather than resuming,
two confirmations of one job cannot both start (in the database, across threads), and half
the writes failing with server errors, or the write breaker open, still ends with every task
changed exactly once (counted at the emulator)."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest
from botocore.retries.standard import ExponentialBackoff
from django.conf import LazySettings
from django.db import connection
from django.utils import timezone

from deadline_emulator import Emulator
from tasks_app.deadline import resilience
from tasks_app.models import ActionRun
from tasks_app.services import actions
from tasks_app.services.actions import runs


def _job_scope(made: dict) -> actions.Scope:
    return actions.Scope("job", made["farmId"], made["queueId"], made["jobId"])


def _confirmed(scope: actions.Scope) -> tuple[actions.Plan, str]:
    """A plan and the nonce of a valid confirmation of it, as the view gets them."""
    choice = actions.ActionChoice.build("requeue")
    token = actions.preview(plan=actions.plan(scope=scope, choice=choice), username="ada")
    plan = actions.plan(scope=scope, choice=choice)
    check = actions.check_confirmation(token=token.confirm, plan=plan, username="ada")
    assert check.ok, check.problem
    return plan, check.nonce


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore still retries every throttled or failed call, without its real-time sleeps."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)


def _stopped_run(made: dict, monkeypatch: pytest.MonkeyPatch) -> ActionRun:
    """A confirmed requeue of the job whose process stopped before sending anything."""
    plan, nonce = _confirmed(_job_scope(made))
    with monkeypatch.context() as patch:
        patch.setattr(runs, "spawn", lambda run_id, owner: None)
        run = actions.start(plan=plan, username="ada", reason="", nonce=nonce)
    return run


def _status(emulator: Emulator, made: dict, task: dict) -> str:
    answer = emulator.backend.get_task(
        made["farmId"], made["queueId"], made["jobId"], task["stepId"], task["taskId"]
    )
    return str(answer["runStatus"])


def test_a_resumed_run_skips_tasks_that_changed_since_the_preview(
    emulator: Emulator,
    transactional_db: None,
    settings: LazySettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.DASHBOARD_ACTION_BATCH_SIZE = 10
    made = emulator.add_failed_job(failed_tasks=30, steps=2)
    run = _stopped_run(made, monkeypatch)
    # While nothing ran it, someone marked 7 of the failed frames succeeded (fixed by hand).
    marked = made["failedTasks"][3:10]
    for task in marked:
        emulator.backend.update_task(
            made["farmId"], made["queueId"], made["jobId"], task["stepId"], task["taskId"],
            "SUCCEEDED",
        )  # fmt: skip
    ActionRun.objects.filter(pk=run.pk).update(lease_until=timezone.now() - timedelta(seconds=1))

    assert actions.resume_abandoned() == [run.pk]
    assert actions.wait_for(run.pk, timeout=60)

    run.refresh_from_db()
    assert (run.state, run.changed, run.failed) == ("partial", 23, 7)
    assert {_status(emulator, made, task) for task in marked} == {"SUCCEEDED"}
    counts = emulator.task_update_counts(made["jobId"])
    assert counts == {t["taskId"]: 1 for t in made["failedTasks"]}  # the 7: only the hand's
    skipped = dict(run.items.filter(outcome="failed").values_list("task_id", "error"))
    assert set(skipped) == {t["taskId"] for t in marked}
    assert all(
        e == "Skipped: FAILED at the preview, SUCCEEDED just before sending; not changed."
        for e in skipped.values()
    )


def test_a_run_idle_past_the_confirm_window_expires_instead_of_resuming(
    emulator: Emulator,
    transactional_db: None,
    settings: LazySettings,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    made = emulator.add_failed_job(failed_tasks=12, steps=2)
    run = _stopped_run(made, monkeypatch)
    # Its process stopped an hour ago (or actions were off since): nothing progressed since.
    long_ago = timezone.now() - timedelta(seconds=actions.confirm_seconds() + 3600)
    ActionRun.objects.filter(pk=run.pk).update(
        lease_until=long_ago, last_progress_at=long_ago, created_at=long_ago
    )

    with caplog.at_level(logging.INFO, logger="tasks_app.audit"):
        assert actions.resume_abandoned() == []

    run.refresh_from_db()
    assert (run.state, run.changed, run.failed) == ("expired", 0, 12)
    assert set(run.items.values_list("error", flat=True)) == {
        "Not sent: the action expired (its process stopped and nothing progressed for a "
        "confirm window). Preview again to act on what is left."
    }
    assert emulator.task_update_counts(made["jobId"]) == {}
    audit = [r.getMessage() for r in caplog.records if r.name == "tasks_app.audit"]
    assert len(audit) == 1 and "changed=0 failed=12 state=expired" in audit[0]
    # The job is free again: a new confirmation starts.
    plan, nonce = _confirmed(_job_scope(made))
    fresh = actions.start(plan=plan, username="ada", reason="", nonce=nonce)
    assert actions.wait_for(fresh.pk, timeout=60)
    assert ActionRun.objects.get(pk=fresh.pk).changed == 12


def test_a_second_confirmation_on_the_job_is_refused_while_one_runs(
    emulator: Emulator, transactional_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = emulator.add_failed_job(failed_tasks=8, steps=2)
    step_scope = actions.Scope(
        "step", made["farmId"], made["queueId"], made["jobId"], made["steps"][0]["stepId"]
    )
    first = _stopped_run(made, monkeypatch)  # running, its lease held
    plan, nonce = _confirmed(step_scope)  # another scope of the same job

    with pytest.raises(actions.ActionBusy) as refused:
        actions.start(plan=plan, username="ada", reason="", nonce=nonce)

    assert refused.value.run.pk == first.pk
    assert ActionRun.objects.count() == 1
    assert emulator.task_update_counts(made["jobId"]) == {}


def test_two_confirmations_at_once_start_one_action(
    emulator: Emulator, transactional_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = emulator.add_failed_job(failed_tasks=8, steps=2)
    confirmed = [_confirmed(_job_scope(made)) for _ in range(2)]  # two previews, two nonces
    monkeypatch.setattr(runs, "spawn", lambda run_id, owner: None)
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def confirm(plan: actions.Plan, nonce: str) -> None:
        barrier.wait()
        try:
            outcomes.append(actions.start(plan=plan, username="ada", reason="", nonce=nonce))
        except actions.ActionBusy as exc:
            outcomes.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=pair) for pair in confirmed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(type(o).__name__ for o in outcomes) == ["ActionBusy", "ActionRun"]
    assert ActionRun.objects.filter(state="running").count() == 1


@pytest.mark.parametrize(
    "fault", [{"error_rate": 0.5}, {"item_error_rate": 0.5}], ids=["calls", "batch-items"]
)
def test_half_the_writes_failing_with_server_errors_still_change_every_task_once(
    emulator: Emulator,
    transactional_db: None,
    settings: LazySettings,
    no_backoff: None,
    fault: dict[str, float],
) -> None:
    settings.DASHBOARD_ACTION_BATCH_SIZE = 10
    settings.DEADLINE_BREAKER_FAILURES = 2  # the breaker opens often: it must be waited out
    settings.DEADLINE_BREAKER_COOLDOWN_SECONDS = 0.2
    resilience.reset()
    made = emulator.add_failed_job(failed_tasks=200, steps=2)
    plan, nonce = _confirmed(_job_scope(made))
    emulator.faults.set("BatchUpdateTask", **fault)
    emulator.calls.reset()

    run = actions.start(plan=plan, username="ada", reason="", nonce=nonce)
    assert actions.wait_for(run.pk, timeout=120)

    run.refresh_from_db()
    assert (run.state, run.changed, run.failed) == ("done", 200, 0)
    failed_ids = {t["taskId"] for t in made["failedTasks"]}
    assert emulator.task_update_counts(made["jobId"]) == dict.fromkeys(failed_ids, 1)
    assert emulator.calls["BatchUpdateTask"] > 30  # half of it failed: real retries


def test_an_open_write_breaker_is_waited_out_not_spent_as_rounds(
    emulator: Emulator, transactional_db: None, settings: LazySettings
) -> None:
    settings.DASHBOARD_ACTION_ROUNDS = 1  # a refused call spending a round would fail the task
    settings.DEADLINE_BREAKER_FAILURES = 1
    settings.DEADLINE_BREAKER_COOLDOWN_SECONDS = 1.0
    resilience.reset()
    made = emulator.add_failed_job(failed_tasks=20, steps=2)
    plan, nonce = _confirmed(_job_scope(made))
    resilience.breaker_for("BatchUpdateTask").record_failure("throttled")  # open now
    assert resilience.breaker_for("BatchUpdateTask").state == "open"

    run = actions.start(plan=plan, username="ada", reason="", nonce=nonce)
    assert actions.wait_for(run.pk, timeout=60)

    run.refresh_from_db()
    assert (run.state, run.changed, run.failed) == ("done", 20, 0)
    assert set(run.items.values_list("tries", flat=True)) == {1}  # sent once, after the wait
