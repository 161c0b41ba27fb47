"""The official ``deadline`` CLI (PyPI ``deadline``) as a client nobody here wrote: a real
``python -m deadline_emulator`` process on a free loopback port, and a runner for the CLI in
subprocesses with a private HOME and config, dummy credentials and no telemetry."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from deadline_emulator.seed import DEMO_EPOCH
from tests.dashboard_processes import cli_environment
from tests.deadline_emulator.fakes import http_client

REPO = Path(__file__).resolve().parents[2]
# Three days into the demo world (as the dashboard tests): running, failed and finished work.
PINNED_AT = DEMO_EPOCH + 3 * 86400
CLI_TIMEOUT_SECONDS = 120


@dataclass
class CliEmulator:
    """A served emulator, a boto3 client on it, and the CLI's environment."""

    url: str
    env: dict[str, str]
    client: Any

    def admin(self, method: str, route: str, payload: Any = None) -> Any:
        host, port = self.url.removeprefix("http://").rsplit(":", 1)
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        body = json.dumps(payload).encode() if payload is not None else None
        connection.request(method, f"/_emulator/{route}", body=body)
        response = connection.getresponse()
        answer = json.loads(response.read())
        connection.close()
        assert response.status == 200, answer
        return answer

    def cli(self, *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess[str]:
        """Run ``deadline <args>``; its exit status must be one of ``ok``."""
        result = subprocess.run(
            [sys.executable, "-m", "deadline", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_SECONDS,
            cwd=self.env["HOME"],
        )
        assert result.returncode in ok, (args, result.returncode, result.stdout, result.stderr)
        return result


@pytest.fixture(scope="module")
def served_cli(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliEmulator]:
    home = tmp_path_factory.mktemp("cli-home")
    clock = f"{datetime.fromtimestamp(PINNED_AT, tz=UTC):%Y-%m-%dT%H:%M:%SZ}"
    process = subprocess.Popen(
        [sys.executable, "-m", "deadline_emulator", "--port", "0", "--clock", clock],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DEADLINE_"))},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # printed once the world is built and the port bound
        assert "serving on http://127.0.0.1:" in first, (first, process.poll())
        url = first.rsplit(" ", 1)[1].strip()
        env = cli_environment(url, home)
        yield CliEmulator(url=url, env=env, client=http_client(url))
    finally:
        process.terminate()
        process.wait(timeout=10)
