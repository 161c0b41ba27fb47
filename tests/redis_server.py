"""A real, throw-away ``redis-server`` on a loopback port, for tests that need Redis.

The binary is Debian's ``redis-server`` (installed by ``.ci/run``). Readiness is awaited by
pinging until it answers, bounded by a deadline.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def redis_server(timeout: float = 10.0) -> Iterator[str]:
    """Start redis-server on 127.0.0.1 and yield its ``redis://`` URL; stop it afterwards."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: run .ci/run or apt-get install it")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="dtd-redis-") as workdir:
        process = subprocess.Popen(
            [
                binary,
                "--bind", "127.0.0.1",
                "--port", str(port),
                "--save", "",
                "--appendonly", "no",
                "--dir", workdir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        url = f"redis://127.0.0.1:{port}/0"
        try:
            _await_ping(url, process, timeout)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _await_ping(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.2)
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with code {process.returncode}")
        try:
            if client.ping():
                return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
        # Polling a readiness condition, bounded by the deadline above.
        time.sleep(0.02)
