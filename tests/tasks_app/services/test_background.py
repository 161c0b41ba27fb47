"""Background work's guards, in one process: a periodic job's once-per-period row, leases
released only by their holder and taken over when they lapse, requests that may wait for a
failure analysis bounded per process (503 with Retry-After past them), and ``?logs=more``
starting a deeper analysis once per scope, however often it is asked."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import LazySettings
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from tasks_app.models import PeriodicRun, WorkLease
from tasks_app.services import background, failure_runs
from tasks_app.services.failure_analysis import runner as failure_analysis
from tests.manual_clock import ManualClock

NOON = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_a_periodic_job_runs_once_per_period_however_often_it_is_fired() -> None:
    assert background.once_per_period("resume-actions", period_seconds=10, now=NOON)
    # A second beat firing in the same period (on another host, say) is refused.
    later = NOON + timedelta(seconds=9.9)
    assert not background.once_per_period("resume-actions", period_seconds=10, now=later)
    # Another job has periods of its own.
    assert background.once_per_period("refresh-usage", period_seconds=10, now=later)
    assert background.once_per_period(
        "resume-actions", period_seconds=10, now=NOON + timedelta(seconds=10)
    )
    starts = PeriodicRun.objects.filter(job="resume-actions").values_list("period_start", flat=1)
    assert sorted(starts) == [NOON, NOON + timedelta(seconds=10)]


@pytest.mark.django_db
def test_run_periodic_does_the_work_only_for_the_first_to_ask() -> None:
    done: list[int] = []
    ran = [
        background.run_periodic("notify", period_seconds=3600, work=lambda: done.append(1))
        for _ in range(3)
    ]
    assert ran == [True, False, False] and done == [1]


@pytest.mark.django_db
def test_a_lease_is_released_only_by_its_holder_and_taken_over_when_it_lapses() -> None:
    name = "failure-analysis:farm-1/queue-1/job-1"
    assert background.acquire(name, seconds=30, owner="ticket-a")
    assert not background.acquire(name, seconds=30, owner="ticket-b")
    assert not background.release(name, owner="ticket-b")  # not its holder: nothing happens
    assert background.held(name)

    # The worker given ticket A trades it for a lease of its own; a copy of the same task
    # (redelivered) finds a live holder and waits.
    state, owner = background.take_over(name, ticket="ticket-a", seconds=30)
    assert state == background.TAKEN and owner not in ("", "ticket-a")
    assert background.take_over(name, ticket="ticket-a", seconds=30) == (background.BUSY, "")
    assert background.renew(name, owner=owner, seconds=30)
    assert not background.renew(name, owner="ticket-a", seconds=30)

    # Its worker is killed: the lease lapses and the next to ask takes the work over...
    WorkLease.objects.filter(name=name).update(expires_at=NOON)
    assert not background.held(name)
    state, second = background.take_over(name, ticket="ticket-a", seconds=30)
    assert state == background.TAKEN and second != owner
    # ... and the first holder, should it wake up, can neither renew nor release it.
    assert not background.renew(name, owner=owner, seconds=30)
    assert not background.release(name, owner=owner)
    assert background.release(name, owner=second)
    # Done and released: a late copy of the task stops.
    assert background.take_over(name, ticket="ticket-a", seconds=30) == (background.GONE, "")


# --- Waiting for a failure analysis --------------------------------------------------------------


def _failures_url(job: dict[str, str]) -> str:
    kwargs = {"farm_id": job["farmId"], "queue_id": job["queueId"], "job_id": job["jobId"]}
    return reverse("job_failures", kwargs=kwargs)


@pytest.fixture
def held_logs(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Every log read waits until the returned event is set: an analysis that cannot end."""
    release = threading.Event()
    real = emulator.logs_backend.get_log_events

    def held(**kwargs: object) -> object:
        assert release.wait(60)
        return real(**kwargs)

    monkeypatch.setattr(emulator.logs_backend, "get_log_events", held)
    return release


def test_waiting_requests_past_the_process_s_slots_are_told_to_come_back(
    client: Client, emulator: Emulator, settings: LazySettings, held_logs: threading.Event
) -> None:
    settings.DASHBOARD_FAILURES_WAITERS = 1
    job = emulator.add_failed_job(failed_tasks=6, steps=2)
    url = _failures_url(job)
    answers: list[Any] = []
    waiting = threading.Thread(
        target=lambda: answers.append(client.get(url, {"format": "json", "wait": "30"}))
    )
    try:
        waiting.start()
        # The one slot is taken once the analysis is under way and that request waits on it.
        assert _await(lambda: failure_analysis.running(_scope(job)) is not None)
        assert _await(lambda: failure_runs.waiting() == 1)
        refused = client.get(url, {"format": "json", "wait": "30"})
        assert refused.status_code == 503
        assert refused["Retry-After"] == "2"
        assert refused.json()["reason"] == "busy"
        # Without ?wait= (and the page's own first paint) a request answers what is known.
        now = client.get(url, {"format": "json"})
        assert now.status_code == 200 and now.json()["complete"] is False
    finally:
        held_logs.set()
        waiting.join(60)
    assert answers and answers[0].status_code == 200 and answers[0].json()["complete"] is True


def _scope(job: dict[str, str]) -> failure_analysis.FailureScope:
    return failure_analysis.FailureScope(
        farm_id=job["farmId"], queue_id=job["queueId"], job_id=job["jobId"]
    )


def _await(condition: Any, timeout: float = 30.0) -> bool:
    event = threading.Event()
    deadline = timeout
    step = 0.02
    while deadline > 0:
        if condition():
            return True
        event.wait(step)  # polling a condition another thread makes true, bounded
        deadline -= step
    return False


def test_repeated_asks_for_more_logs_cost_the_api_once(
    client: Client, emulator: Emulator, settings: LazySettings, held_clock: ManualClock
) -> None:
    settings.DASHBOARD_FAILURES_MAX_LOGS = 10
    job = emulator.add_failed_job(failed_tasks=40, steps=2)
    url = _failures_url(job)
    first = client.get(url, {"format": "json", "wait": "30"}).json()
    assert first["complete"] is True

    emulator.calls.reset()
    deeper = client.get(url, {"format": "json", "wait": "30", "logs": "more"}).json()
    assert deeper["complete"] is True
    cost = emulator.calls.snapshot()
    assert cost.get("GetLogEvents", 0) >= 10  # more logs were read

    emulator.calls.reset()
    for _ in range(3):  # viewers asking again (or a script in a loop) within the window
        again = client.get(url, {"format": "json", "wait": "30", "logs": "more"})
        assert again.status_code == 200 and again.json()["complete"] is True
    assert emulator.calls.snapshot() == {}


@pytest.mark.django_db
def test_with_a_broker_an_analysis_is_queued_once_and_never_run_on_web_threads(
    emulator: Emulator, settings: LazySettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DASHBOARD_TASKS_IN_PROCESS = False
    queued: list[dict[str, Any]] = []
    monkeypatch.setattr(background, "enqueue", lambda name, **kwargs: queued.append(kwargs))
    job = emulator.add_failed_job(failed_tasks=6, steps=2)
    scope = _scope(job)

    # The service queues it for a worker, once: while its lease is held, nobody queues again.
    first = failure_runs.report(scope, wait_seconds=0)
    again = failure_runs.report(scope, wait_seconds=0)
    assert first.running and again.running
    assert len(queued) == 1 and queued[0]["scope"]["job_id"] == job["jobId"]
    assert failure_analysis.running(scope) is None  # still nothing on web threads
    assert background.held(failure_runs.lease_name(scope))
