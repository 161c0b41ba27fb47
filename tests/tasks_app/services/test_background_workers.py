"""Background work on real Celery workers sharing a real Redis (broker and cache) and one
database (SQLite here, PostgreSQL under ``pytest --postgres``), with dashboards in gunicorn:
a worker killed in the middle of a 1,000-task requeue and of a failure analysis, each finished
by a second worker (every task changed exactly once, counted at the emulator they all read
over HTTP; the analysis complete); a periodic job run once per period by two workers' beats;
forty ``?wait=30`` requests that leave ``/healthz`` answering within a second, and a ``?wait``
served by the process that did not start the analysis, waiting for it all the same."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from deadline_emulator import Emulator
from deadline_emulator.server import serve_in_thread
from tests.celery_workers import celery_worker, kill
from tests.dashboard_processes import (
    PASSWORD,
    Browser,
    await_true,
    emulator_environment,
    environment,
    gunicorn_processes,
    migrate,
    requeue,
)
from tests.redis_server import redis_server

pytestmark = [pytest.mark.database, pytest.mark.redis]

SENT = "Sending due task resume-actions"


@dataclass(frozen=True)
class Site:
    """What every test of the module shares: Redis (broker and cache), the database, an
    emulator over HTTP, two dashboards in gunicorn and a browser signed in to them."""

    emulator: Emulator
    env: dict[str, str]
    database_url: str
    host_a: str
    host_b: str
    browser: Browser


@pytest.fixture(scope="module")
def site(shared_database_url: str) -> Iterator[Site]:
    # Its own world (the conftest's emulator is per test): the dashboards outlive a test.
    emulator = Emulator(seed=0)
    server, url = serve_in_thread(emulator)
    try:
        with redis_server() as redis_url:
            env = environment(
                **emulator_environment(url),
                DASHBOARD_AUTH="login",
                DASHBOARD_ACTIONS="on",
                DATABASE_URL=shared_database_url,
                DASHBOARD_CACHE_URL=redis_url,  # the broker too
                # A killed worker's task is handed out again after 3 s, its leases lapse in 5
                # (the action resumer's period: 5 s, the shortest).
                DASHBOARD_TASK_VISIBILITY_SECONDS="3",
                DASHBOARD_ACTION_LEASE_SECONDS="5",
                DASHBOARD_FAILURES_LEASE_SECONDS="5",
                # Requeues in batches of 25, two at a time; log reads two at a time.
                DASHBOARD_ACTION_BATCH_SIZE="25",
                DASHBOARD_ACTION_CONCURRENCY="2",
                DASHBOARD_FAILURES_MAX_LOGS="120",
                DASHBOARD_FAILURES_CONCURRENCY="2",
            )
            migrate(env)
            with gunicorn_processes(2, env, threads=8) as (host_a, host_b):
                browser = Browser()
                assert browser.sign_in(host_a, "ada", PASSWORD).status == 302
                yield Site(emulator, env, shared_database_url, host_a, host_b, browser)
    finally:
        server.shutdown()


@pytest.fixture(autouse=True)
def _healthy_api(site: Site) -> Iterator[None]:
    yield
    site.emulator.faults.clear()


@contextmanager
def _logs_on_failure(folder: Path) -> Iterator[None]:
    """A failure below says what the workers logged (their logs are gone after the run)."""
    try:
        yield
    except AssertionError as failed:
        logs = "\n".join(
            f"--- {log.name}\n{log.read_text(errors='replace')[-4000:]}"
            for log in sorted(folder.glob("*.log"))
        )
        raise AssertionError(f"{failed}\n{logs}") from failed


def _path(made: dict[str, Any]) -> str:
    return "/farms/{farmId}/queues/{queueId}/jobs/{jobId}/".format(**made)


def test_a_requeue_killed_mid_way_is_finished_by_a_second_worker_each_task_once(
    site: Site, tmp_path: Path
) -> None:
    emulator, browser, base = site.emulator, site.browser, site.host_a
    made = emulator.add_failed_job(failed_tasks=1000, steps=4)
    # 40 batches of 25, two at a time, slow enough to be killed with calls in flight.
    emulator.faults.set("BatchUpdateTask", latency_ms=250)
    job = _path(made)
    with celery_worker(site.env, tmp_path / "first.log", "first") as first:
        result = requeue(browser, base, job)
        await_true(
            lambda: len(emulator.task_update_counts(made["jobId"])) >= 200,
            60,
            "the first worker to requeue 200 tasks",
        )
        kill(first)  # no goodbye: mid-batch, with calls in flight
    killed_at = len(emulator.task_update_counts(made["jobId"]))
    assert killed_at < 1000, "the first worker finished before it was killed"
    # The web processes do not execute actions: nothing moves until a worker is there.
    assert 'data-state="done"' not in browser.request(f"{base}{result}").text

    # No beat (so no resumer): the task itself comes back, acknowledged late, and the second
    # worker takes the run over once the first one's lease lapsed.
    with _logs_on_failure(tmp_path), celery_worker(site.env, tmp_path / "second.log", "second"):
        await_true(
            lambda: 'data-state="done"' in browser.request(f"{site.host_b}{result}").text,
            120,
            "the second worker to finish the requeue",
        )
    page = browser.request(f"{base}{result}").text
    assert 'data-changed="1000"' in page and "data-failed=" not in page
    assert "resuming it (its process stopped)" in (tmp_path / "second.log").read_text()
    failed = {t["taskId"] for t in made["failedTasks"]}
    assert emulator.task_update_counts(made["jobId"]) == dict.fromkeys(failed, 1)


def _json(browser: Browser, url: str) -> tuple[int, dict[str, Any], float]:
    started = time.monotonic()
    answer = browser.request(url)
    took = time.monotonic() - started
    return answer.status, json.loads(answer.text), took


def test_a_failure_analysis_killed_mid_way_is_completed_by_a_second_worker(
    site: Site, tmp_path: Path
) -> None:
    emulator, browser, base = site.emulator, site.browser, site.host_a
    made = emulator.add_failed_job(failed_tasks=120, steps=3)
    emulator.faults.set("GetLogEvents", latency_ms=150)
    failures = f"{_path(made)}failures/?format=json"
    reads = emulator.calls.snapshot().get("GetLogEvents", 0)
    with celery_worker(site.env, tmp_path / "first.log", "first") as first:
        status, report, _ = _json(browser, f"{base}{failures}")
        assert status == 200 and report["complete"] is False
        await_true(
            lambda: emulator.calls.snapshot().get("GetLogEvents", 0) >= reads + 20,
            60,
            "the first worker to read 20 logs",
        )
        kill(first)
    status, partial, _ = _json(browser, f"{base}{failures}")
    assert status == 200 and partial["complete"] is False

    with _logs_on_failure(tmp_path), celery_worker(site.env, tmp_path / "second.log", "second"):
        await_true(
            lambda: _json(browser, f"{site.host_b}{failures}&wait=5")[1]["complete"],
            120,
            "the second worker to complete the analysis",
        )
        # The other host sees it complete too: asked at once, while the worker still runs (a
        # complete listing of a job still running is kept DEADLINE_CACHE_SECONDS, 5 s; a
        # worker's warm shutdown on a loaded machine can take longer, and the next look after
        # that lists the job's failed tasks again and queues their analysis anew).
        status, done, _ = _json(browser, f"{base}{failures}")
    assert status == 200 and done["complete"] is True
    assert done["failed_tasks"] == 120
    assert sum(group["tasks"] for group in done["groups"]) == 120
    assert "tasks_app.analyse_failures" in (tmp_path / "second.log").read_text()


def _periodic_runs(database_url: str, job: str) -> list[str]:
    """The (job, period start) rows, read as an operator would, with the database's client."""
    if database_url.startswith("sqlite"):
        with sqlite3.connect(urlsplit(database_url).path) as db:
            rows = db.execute(
                "SELECT period_start FROM tasks_app_periodicrun WHERE job = ?", (job,)
            ).fetchall()
        return [row[0] for row in rows]
    import psycopg

    with psycopg.connect(database_url) as db:
        rows = db.execute(
            "SELECT period_start FROM tasks_app_periodicrun WHERE job = %s", (job,)
        ).fetchall()
    return [str(row[0]) for row in rows]


def test_two_workers_beats_run_a_periodic_job_once_per_period(site: Site, tmp_path: Path) -> None:
    """Two dashboards (the module's) and two workers, each with its own beat, share Redis and
    the database: the action resumer (every 5 s here) runs once per period."""
    before = len(_periodic_runs(site.database_url, "resume-actions"))
    started = time.monotonic()
    with (
        celery_worker(site.env, tmp_path / "a.log", "worker-a", beat=True),
        celery_worker(site.env, tmp_path / "b.log", "worker-b", beat=True),
    ):
        # Both beats fire every 5 s: wait until each has fired three times.
        await_true(
            lambda: all(
                (tmp_path / log).read_text().count(SENT) >= 3 for log in ("a.log", "b.log")
            ),
            60,
            "both beats to fire three times",
        )
    # The beats fire until their workers have stopped: count the time up to then.
    elapsed = time.monotonic() - started
    logs = (tmp_path / "a.log").read_text() + (tmp_path / "b.log").read_text()
    fired = logs.count(SENT)
    outcome = re.compile(r"Task tasks_app\.resume_actions\[([^\]]+)\] succeeded in [\d.]+s: (\w+)")
    outcomes = outcome.findall(logs)
    ran = sum(1 for _, result in outcomes if result == "True")
    refused = sum(1 for _, result in outcomes if result == "False")
    periods = len(_periodic_runs(site.database_url, "resume-actions")) - before
    # Both beats fired in each period: one of them ran the job, the other was refused.
    assert refused >= 2, (fired, ran, refused, periods)
    # Each run is one period's row (one may have been cut short as its worker stopped), and
    # no more periods than the time allowed.
    assert ran <= periods <= ran + 1, (fired, ran, refused, periods)
    assert periods <= elapsed / 5 + 2, (periods, elapsed)
    # (A task a stopping worker had not acknowledged is run again: by then, a new period.)
    assert len({task_id for task_id, _ in outcomes}) <= fired


def test_forty_waiting_requests_leave_the_health_check_answering(
    site: Site, tmp_path: Path
) -> None:
    emulator, browser, host_a, host_b = site.emulator, site.browser, site.host_a, site.host_b
    made = emulator.add_failed_job(failed_tasks=60, steps=2)
    other = emulator.add_failed_job(failed_tasks=60, steps=2)
    # A slow API: an analysis takes several seconds whatever the requests do.
    emulator.faults.set("GetLogEvents", latency_ms=400)
    failures = f"{_path(made)}failures/?format=json"
    with celery_worker(site.env, tmp_path / "worker.log", "worker"):
        # Host A starts the analysis; a ?wait on host B waits for it all the same.
        status, started, _ = _json(browser, f"{host_a}{failures}")
        assert status == 200 and started["complete"] is False
        status, waited, took = _json(browser, f"{host_b}{failures}&wait=30")
        assert status == 200 and waited["complete"] is True and took > 1.0
        assert waited["failed_tasks"] == 60

        # Another job's analysis, and forty viewers waiting for it on host A (8 threads).
        scope = f"{_path(other)}failures/?format=json"
        assert browser.request(f"{host_a}{_path(made)}").status == 200  # its reads cached
        with ThreadPoolExecutor(max_workers=40) as pool:
            waiting = [pool.submit(browser.request, f"{host_a}{scope}&wait=30") for _ in range(40)]
            time.sleep(1.0)  # let them all arrive and take the threads they can
            health = []
            for _ in range(5):
                began = time.monotonic()
                assert browser.request(f"{host_a}/healthz").status == 200
                assert browser.request(f"{host_a}{_path(made)}").status == 200
                health.append(time.monotonic() - began)
            answers = [future.result(timeout=60) for future in waiting]
    assert max(health) < 1.0, health
    busy = [a for a in answers if a.status == 503]
    assert len(busy) >= 40 - 8 and all(a.headers.get("Retry-After") for a in busy)
    assert all(a.status == 200 for a in answers if a not in busy)
