"""Real Celery workers (``celery -A dashboard worker``) for tests that cross a process boundary:
each in a process group of its own, so a test can kill it outright (SIGKILL, no goodbye), and
awaited until it says it is ready."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.dashboard_processes import REPO


@contextmanager
def celery_worker(
    env: Mapping[str, str], log: Path, name: str, *, beat: bool = False, concurrency: int = 2
) -> Iterator[subprocess.Popen[bytes]]:
    """A worker named ``name`` logging to ``log`` (celery beat embedded with ``beat``)."""
    command = [
        sys.executable, "-m", "celery", "-A", "dashboard", "worker",
        "--concurrency", str(concurrency),
        "--loglevel", "INFO",
        "--hostname", f"{name}@%h",
        "--without-gossip", "--without-mingle",
    ]  # fmt: skip
    if beat:
        command += ["--beat", "--schedule", str(log.with_suffix(".beat"))]
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=dict(env),
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _await_ready(process, log)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()  # the main process stops its pool: a warm shutdown
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its pool's processes: mid-task, mid-call."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def _await_ready(process: subprocess.Popen[bytes], log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the worker exited: {log.read_text()[-3000:]}")
        if " ready." in log.read_text(errors="replace"):
            return
        # Polling a readiness condition, bounded by the deadline above.
        time.sleep(0.1)
    raise RuntimeError(f"the worker did not become ready: {log.read_text()[-3000:]}")
