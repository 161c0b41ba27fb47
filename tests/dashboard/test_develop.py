"""``make run``'s launcher (dashboard/develop.py): one command that starts the development
server and, where the demo world does not live in the server, a Celery worker beside it on
kombu's filesystem transport and a cache in files (nothing to install); Ctrl-C stops both."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from dashboard import develop
from deadline_emulator import Emulator
from deadline_emulator.server import serve_in_thread
from tests.dashboard_processes import REPO, emulator_environment, environment, manage
from tests.redis_server import free_port


def test_the_demo_world_keeps_its_background_work_in_the_server(tmp_path: Path) -> None:
    env = develop.environment(tmp_path)
    assert develop.demo_world(env) and "DASHBOARD_BROKER_URL" not in env


def test_a_farm_gets_a_worker_sharing_a_queue_and_a_cache_in_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEADLINE_BACKEND", "aws")
    monkeypatch.delenv("DASHBOARD_BROKER_URL", raising=False)
    monkeypatch.delenv("DASHBOARD_CACHE_URL", raising=False)
    env = develop.environment(tmp_path)
    assert not develop.demo_world(env)
    assert env["DASHBOARD_BROKER_URL"] == f"filesystem://{tmp_path / 'queue'}"
    assert env["DASHBOARD_CACHE_DIR"] == str(tmp_path / "cache")
    assert (tmp_path / "queue").is_dir()


def test_api_calls_are_quiet_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHBOARD_API_LOG_LEVEL", raising=False)
    assert develop.environment(tmp_path)["DASHBOARD_API_LOG_LEVEL"] == "WARNING"
    monkeypatch.setenv("DASHBOARD_API_LOG_LEVEL", "INFO")
    assert develop.environment(tmp_path)["DASHBOARD_API_LOG_LEVEL"] == "INFO"


def test_the_url_is_printed_only_once_the_server_answers() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    try:
        assert develop.wait_until_serving(f"127.0.0.1:{port}", alive, threading.Event())
        listener.close()
        # Nothing listens any more and the server process has exited: no URL to print.
        assert not develop.wait_until_serving(f"127.0.0.1:{port}", gone, threading.Event())
    finally:
        alive.kill()
        alive.wait()


def _lines_seen(log: Path, *wanted: str) -> set[str]:
    text = log.read_text(errors="replace")
    return {line for line in wanted if line in text}


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback
        return response.read()


def test_one_command_starts_the_server_and_the_worker_and_stops_both(
    emulator: Emulator, tmp_path: Path
) -> None:
    made = emulator.add_failed_job(failed_tasks=6, steps=2)
    server, url = serve_in_thread(emulator)
    port = free_port()
    env = environment(
        **emulator_environment(url),
        DASHBOARD_AUTH="none",
        DJANGO_DB_PATH=str(tmp_path / "db.sqlite3"),
        BIND=f"127.0.0.1:{port}",
    )
    manage("migrate", "--noinput", env=env)
    log = tmp_path / "run.log"
    launcher = subprocess.Popen(
        [sys.executable, "-m", "dashboard.develop", "--state", str(tmp_path / "state")],
        cwd=REPO,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 90
        opened = f"Open http://127.0.0.1:{port}/"
        while not {" ready.", opened} <= _lines_seen(log, " ready.", opened):
            assert launcher.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)  # polling the worker's and the server's readiness, bounded
        # The failures view's analysis runs on the worker; the server waits for it.
        path = "/farms/{farmId}/queues/{queueId}/jobs/{jobId}/failures/".format(**made)
        while True:
            try:
                report = json.loads(_get(f"http://127.0.0.1:{port}{path}?format=json&wait=30"))
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.2)  # runserver still starting, bounded
        assert report["complete"] is True and report["failed_tasks"] == 6
        assert "tasks_app.analyse_failures" in log.read_text()
        # Quiet start: the calls that answered were made (the report) but not printed.
        assert "outcome=ok" not in log.read_text()

        launcher.send_signal(signal.SIGINT)  # Ctrl-C
        assert launcher.wait(timeout=60) == 0
        with pytest.raises(ProcessLookupError):  # neither the server nor the worker is left
            for _ in range(50):
                os.killpg(launcher.pid, 0)
                time.sleep(0.2)  # the group empties as the last child exits, bounded
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.wait()
        server.shutdown()
