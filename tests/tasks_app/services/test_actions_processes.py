"""Actions across real processes sharing one database (SQLite here, PostgreSQL under
``pytest --postgres``): a dashboard killed in the middle of a requeue, and another that finishes
it, each task changed exactly once (counted at the emulator both talk to over HTTP); the
audit one host writes, read on the other; and an action on one host shown at once by another
that shares its Redis."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from deadline_emulator import Emulator
from deadline_emulator.server import serve_in_thread
from tests.celery_workers import celery_worker
from tests.dashboard_processes import (
    BIN,
    PASSWORD,
    Browser,
    await_healthy,
    await_true,
    emulator_environment,
    environment,
    gunicorn_processes,
    migrate,
    requeue,
    spawn,
)
from tests.redis_server import free_port, redis_server

# The job page's status bar legend: "<strong>12</strong> failed".
_FAILED_IN_LEGEND = re.compile(r"<strong>([\d,]+)</strong> failed</li>")
TASKS = 150


@contextmanager
def dashboard(env: dict[str, str], log: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """One gunicorn dashboard in a process group of its own (so it can be killed outright)."""
    port = free_port()
    process = spawn(
        [str(BIN / "gunicorn"), "dashboard.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "4"],
        env,
        log,
        new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        await_healthy(base, process, log)
        yield base, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)


@pytest.mark.database
def test_a_requeue_killed_mid_way_is_finished_by_another_process_exactly_once(
    emulator: Emulator, shared_database_url: str
) -> None:
    made = emulator.add_failed_job(failed_tasks=TASKS, steps=3)
    # Batches of 10, four at a time, slow enough to be killed mid-way (with calls in flight).
    emulator.faults.set("BatchUpdateTask", latency_ms=300)
    server, url = serve_in_thread(emulator)
    env = environment(
        **emulator_environment(url),
        DASHBOARD_AUTH="login",
        DASHBOARD_ACTIONS="on",
        DATABASE_URL=shared_database_url,
        DASHBOARD_ACTION_CONCURRENCY="4",
        DASHBOARD_ACTION_BATCH_SIZE="10",
        DASHBOARD_ACTION_LEASE_SECONDS="5",
    )
    migrate(env)
    job = "/farms/{farmId}/queues/{queueId}/jobs/{jobId}/".format(**made)
    browser = Browser()
    try:
        with tempfile.TemporaryDirectory(prefix="dtd-resume-") as workdir:
            with dashboard(env, Path(workdir) / "first.log") as (first, process):
                assert browser.sign_in(first, "ada", PASSWORD).status == 302
                result = requeue(browser, first, job)
                await_true(
                    lambda: len(emulator.task_update_counts(made["jobId"])) >= 40,
                    60,
                    "the first process to requeue 40 tasks",
                )
                os.killpg(process.pid, signal.SIGKILL)  # no goodbye: mid-call, mid-batch
                process.wait(timeout=10)
            killed_at = len(emulator.task_update_counts(made["jobId"]))
            assert killed_at < TASKS, "the first process finished before it was killed"

            with dashboard(env, Path(workdir) / "second.log") as (second, _):
                # Still signed in: the session lives in the shared database.
                await_true(
                    lambda: 'data-state="done"' in browser.request(f"{second}{result}").text,
                    120,
                    "the second process to finish the action",
                )
                page = browser.request(f"{second}{result}").text
                assert f'data-changed="{TASKS}"' in page and "data-failed=" not in page
                audit = browser.request(f"{second}/audit/?job={made['jobId']}").text
                assert audit.count('data-state="done"') == 1
                second_log = (Path(workdir) / "second.log").read_text()
                assert "resuming it (its process stopped)" in second_log
    finally:
        server.shutdown()

    failed = {t["taskId"] for t in made["failedTasks"]}
    assert emulator.task_update_counts(made["jobId"]) == dict.fromkeys(failed, 1)


def _failed_on_job_page(browser: Browser, url: str) -> int:
    page = browser.request(url)
    assert page.status == 200, page.text[:500]
    found = _FAILED_IN_LEGEND.search(page.text)
    return int(found[1].replace(",", "")) if found else 0


@pytest.mark.database
@pytest.mark.redis
def test_an_action_on_one_host_shows_at_once_on_another_sharing_the_cache(
    emulator: Emulator, shared_database_url: str, tmp_path: Path
) -> None:
    """Two dashboards sharing Redis (reads cached for an hour): host B requeues, host A's next
    job page shows it, re-read from the API rather than served from the cache."""
    made = emulator.add_failed_job(failed_tasks=6, steps=2)
    server, url = serve_in_thread(emulator)
    job = "/farms/{farmId}/queues/{queueId}/jobs/{jobId}/".format(**made)
    try:
        with redis_server() as redis_url:
            env = environment(
                DASHBOARD_AUTH="login",
                DASHBOARD_ACTIONS="on",
                DATABASE_URL=shared_database_url,
                DASHBOARD_CACHE_URL=redis_url,
                DEADLINE_CACHE_SECONDS="3600",  # without invalidation, A keeps the old counts
                **emulator_environment(url),
            )
            migrate(env, "grace")
            # With Redis, actions run on a Celery worker (its broker), not in the dashboards.
            with (
                gunicorn_processes(2, env) as (host_a, host_b),
                celery_worker(env, tmp_path / "worker.log", "worker"),
            ):
                browser = Browser()
                assert browser.sign_in(host_a, "grace", PASSWORD).status == 302
                assert _failed_on_job_page(browser, f"{host_a}{job}") == 6
                assert _failed_on_job_page(browser, f"{host_a}{job}") == 6  # cached now

                result = f"{host_b}{requeue(browser, host_b, job)}"
                await_true(
                    lambda: 'data-state="done"' in browser.request(result).text,
                    60,
                    "host B to finish the requeue",
                )
                reads = emulator.calls["GetJob"]
                # A's own near copy lives DEADLINE_NEAR_CACHE_SECONDS (1 s) at most.
                await_true(
                    lambda: _failed_on_job_page(browser, f"{host_a}{job}") == 0,
                    10,
                    "host A to show the requeued tasks",
                )
                assert emulator.calls["GetJob"] > reads  # asked the API, not the cache
    finally:
        server.shutdown()

    failed = {t["taskId"] for t in made["failedTasks"]}
    assert emulator.task_update_counts(made["jobId"]) == dict.fromkeys(failed, 1)
