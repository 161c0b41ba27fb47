"""``make run``: the development server and a background worker beside it, one command.

The worker takes what outlives a request (actions, failure analyses, periodic jobs: see
docs/architecture.md). On a machine with only Python, the two share kombu's
``filesystem://`` transport as their queue and a cache in files, both under ``.dev/``, so
nothing else has to be installed; ``DASHBOARD_BROKER_URL`` or ``DASHBOARD_CACHE_URL`` set to a
Redis wins. Stops both on Ctrl-C (or SIGTERM), and both when either exits. Prints the URL to
open once the server answers; API calls that went well are not logged unless
``DASHBOARD_API_LOG_LEVEL`` asks.

With the demo backend (the default) the demo world is an emulator inside the serving process:
a worker beside it would act on a world of its own. So, unless a broker is named, the demo
runs its background work on the server's own threads (as the tests do), and only
``DEADLINE_BACKEND=aws`` (a real farm, or ``make emulator`` over HTTP) starts the worker.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType

from dashboard.celery import worker_command

REPO = Path(__file__).resolve().parent.parent
ADDRESS = os.environ.get("BIND", "127.0.0.1:8000")


def environment(state: Path) -> dict[str, str]:
    """The development server's and the worker's shared settings."""
    env = dict(os.environ)
    env.setdefault("DJANGO_DEBUG", "1")
    # Quiet by default: API calls that went well are not printed (failures still are);
    # DASHBOARD_API_LOG_LEVEL=INFO make run shows every call.
    env.setdefault("DASHBOARD_API_LOG_LEVEL", "WARNING")
    if demo_world(env):
        return env
    if not (env.get("DASHBOARD_BROKER_URL") or env.get("DASHBOARD_CACHE_URL")):
        queue = state / "queue"
        queue.mkdir(parents=True, exist_ok=True)
        env["DASHBOARD_BROKER_URL"] = f"filesystem://{queue}"
    if not env.get("DASHBOARD_CACHE_URL"):
        env.setdefault("DASHBOARD_CACHE_DIR", str(state / "cache"))
    return env


def demo_world(env: dict[str, str]) -> bool:
    """The demo emulator lives in the server process and no broker is named: no worker."""
    backend = env.get("DEADLINE_BACKEND", "demo").strip().lower()
    return backend == "demo" and not (
        env.get("DASHBOARD_BROKER_URL") or env.get("DASHBOARD_CACHE_URL")
    )


def wait_until_serving(
    address: str, server: subprocess.Popen[bytes], stopping: threading.Event, timeout: float = 60.0
) -> bool:
    """Whether ``address`` accepts connections before ``timeout`` (False if the server exited
    or Ctrl-C came first)."""
    host, _, port = address.rpartition(":")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None and not stopping.is_set():
        try:
            with socket.create_connection((host or "127.0.0.1", int(port)), timeout=1):
                return True
        except OSError:
            stopping.wait(0.2)
    return False


def develop(state: Path) -> int:
    state.mkdir(parents=True, exist_ok=True)
    env = environment(state)
    stopping = threading.Event()

    def stop(signum: int = signal.SIGTERM, frame: FrameType | None = None) -> None:
        stopping.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        # Our own commands: this interpreter, manage.py and celery from the same venv.
        server = [sys.executable, "manage.py", "runserver", ADDRESS]
        processes.append(subprocess.Popen(server, cwd=REPO, env=env))  # noqa: S603
        if demo_world(env):
            what = "Ctrl-C stops it; the demo world lives in it, so does its background work"
        else:
            worker = worker_command(schedule=str(state / "beat-schedule"), concurrency=2)
            processes.append(subprocess.Popen(worker, cwd=REPO, env=env))  # noqa: S603
            what = "Ctrl-C stops the server and the background worker"
        # Last, once the server answers: the line to act on, not lost above its start-up.
        serving = wait_until_serving(ADDRESS, processes[0], stopping)
        if serving:
            print(f"\n  Open http://{ADDRESS}/  ({what})\n", flush=True)
        while not stopping.is_set():
            if any(process.poll() is not None for process in processes):
                break
            stopping.wait(0.5)
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)  # Ctrl-C's own stop for both
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return 0 if stopping.is_set() else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m dashboard.develop", description=__doc__)
    parser.add_argument(
        "--state", type=Path, default=REPO / ".dev", help="the queue and cache (.dev/)"
    )
    sys.exit(develop(parser.parse_args().state.resolve()))
