"""The HTTP transport: threaded server, admin API, keep-alive, outages, the CLI."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import botocore.exceptions
import pytest

from deadline_emulator import Emulator, get_default_emulator, set_default_emulator
from deadline_emulator.clock import Clock
from deadline_emulator.server import EmulatorServer, serve_in_thread
from tests.deadline_emulator.fakes import FARM_ID, TASK_ID, TASK_PATH, FakeBackend, http_client

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def served() -> Iterator[tuple[Emulator, EmulatorServer, str]]:
    emulator = Emulator(backend=FakeBackend(), clock=Clock(pinned_at=1_800_000_000))
    server, url = serve_in_thread(emulator)
    try:
        yield emulator, server, url
    finally:
        server.shutdown()


def request(
    url: str, method: str, path: str, body: Any = None, headers: dict | None = None
) -> tuple[int, dict[str, str], bytes]:
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    payload = (
        json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else body
    )
    connection.request(method, path, body=payload, headers=headers or {})
    response = connection.getresponse()
    answer = response.status, dict(response.getheaders()), response.read()
    connection.close()
    return answer


def test_serve_in_thread_returns_the_real_port(served: tuple) -> None:
    _, server, url = served
    assert url.startswith("http://127.0.0.1:")
    assert int(url.rsplit(":", 1)[1]) == server.server_address[1] != 0


def test_aws_answers_over_http(served: tuple) -> None:
    _, _, url = served
    status, headers, body = request(url, "GET", f"{TASK_PATH}/{TASK_ID}")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert int(headers["Content-Length"]) == len(body)
    assert headers["x-amzn-RequestId"]
    assert json.loads(body)["taskId"] == TASK_ID


def test_unknown_path_and_broken_json_over_http(served: tuple) -> None:
    _, _, url = served
    status, headers, body = request(url, "GET", "/favicon.ico")
    assert (status, headers["x-amzn-ErrorType"]) == (400, "ValidationException")
    assert json.loads(body)["reason"] == "UNKNOWN_OPERATION"
    status, _, body = request(url, "POST", "/2023-10-12/batch-get-task", b"{oops")
    assert status == 400
    assert json.loads(body)["reason"] == "CANNOT_PARSE"


def test_encoded_slash_in_a_label_stays_in_the_label(served: tuple) -> None:
    emulator, _, url = served
    status, _, body = request(url, "GET", "/2023-10-12/farms/farm-%2F..%2Fetc")
    assert status == 400
    assert json.loads(body)["fieldList"][0]["name"] == "farmId"
    assert emulator.calls["GetFarm"] == 1


def test_keep_alive_serves_several_requests_on_one_connection(served: tuple) -> None:
    _, _, url = served
    host, port = url.removeprefix("http://").rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    for _ in range(3):
        connection.request("GET", "/2023-10-12/farms")
        response = connection.getresponse()
        assert response.status == 200
        response.read()
    connection.request("POST", "/2023-10-12/batch-get-task", body=b"{bad")
    assert connection.getresponse().read()
    connection.request("GET", f"/2023-10-12/farms/{FARM_ID}")
    assert json.loads(connection.getresponse().read())["farmId"] == FARM_ID
    connection.close()


def test_admin_calls_endpoints(served: tuple) -> None:
    _, _, url = served
    client = http_client(url)
    client.list_farms()
    client.get_farm(farmId=FARM_ID)
    status, _, body = request(url, "GET", "/_emulator/calls")
    assert status == 200
    assert json.loads(body) == {"calls": {"GetFarm": 1, "ListFarms": 1}, "total": 2}
    assert request(url, "POST", "/_emulator/calls/reset")[0] == 200
    assert json.loads(request(url, "GET", "/_emulator/calls")[2])["total"] == 0


def test_admin_clock_endpoints(served: tuple) -> None:
    emulator, _, url = served
    state = json.loads(request(url, "GET", "/_emulator/clock")[2])
    assert state == {"now": "2027-01-15T08:00:00.000Z", "pinned": True}
    state = json.loads(request(url, "POST", "/_emulator/clock", {"advance": 90})[2])
    assert state["now"] == "2027-01-15T08:01:30.000Z"
    request(url, "POST", "/_emulator/clock", {"pin": "2026-11-20T10:00:00Z"})
    assert emulator.clock.now_datetime().isoformat() == "2026-11-20T10:00:00+00:00"
    state = json.loads(request(url, "POST", "/_emulator/clock", {"unpin": True})[2])
    assert state["pinned"] is False
    assert request(url, "POST", "/_emulator/clock", {"rewind": 1})[0] == 400
    assert request(url, "POST", "/_emulator/clock", b"{nope")[0] == 400


def test_admin_faults_endpoints_drive_boto3_errors(served: tuple) -> None:
    _, _, url = served
    client = http_client(url)
    status, _, body = request(
        url, "POST", "/_emulator/faults", {"operation": "ListFarms", "throttle_rate": 1}
    )
    assert status == 200
    assert json.loads(body)["rules"]["ListFarms"]["throttle_rate"] == 1.0
    assert json.loads(request(url, "GET", "/_emulator/faults")[2])["rules"]
    with pytest.raises(client.exceptions.ThrottlingException):
        client.list_farms()
    assert request(url, "DELETE", "/_emulator/faults")[0] == 200
    assert client.list_farms()["farms"]
    assert request(url, "GET", "/_emulator/nothing")[0] == 404


def test_down_fault_closes_the_connection_without_an_answer(served: tuple) -> None:
    emulator, _, url = served
    emulator.faults.set("*", down=True)
    with pytest.raises(botocore.exceptions.ConnectionClosedError):
        http_client(url).list_farms()
    emulator.faults.clear()
    assert http_client(url).list_farms()["farms"]


def test_down_fault_under_a_foreign_wsgi_server_is_a_503() -> None:
    emulator = Emulator(backend=FakeBackend())
    emulator.faults.set("*", down=True)
    seen: list[str] = []
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/2023-10-12/farms", "wsgi.input": None}
    body = emulator.wsgi_app(environ, lambda status, headers: seen.append(status))
    assert seen == ["503 Service Unavailable"]
    assert json.loads(b"".join(body))["message"]


def test_shutdown_stops_serving() -> None:
    server, url = serve_in_thread(Emulator(backend=FakeBackend()))
    port = int(url.rsplit(":", 1)[1])
    assert request(url, "GET", "/2023-10-12/farms")[0] == 200
    server.shutdown()
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass


def test_default_emulator_is_one_per_seed() -> None:
    mine = Emulator(seed=41, backend=FakeBackend())
    set_default_emulator(mine, seed=41)
    try:
        assert get_default_emulator(41) is mine
        assert get_default_emulator(42) is not mine
        assert get_default_emulator(42) is get_default_emulator(42)
    finally:
        set_default_emulator(None, seed=41)
        set_default_emulator(None, seed=42)
    assert get_default_emulator(41) is not mine
    set_default_emulator(None, seed=41)


@pytest.mark.parametrize(
    "command",
    [
        ["-m", "deadline_emulator"],
        # Django's wrapper; the emulator package itself never imports Django.
        ["manage.py", "runemulator"],
    ],
    ids=["python -m deadline_emulator", "manage.py runemulator"],
)
def test_command_line_serves_and_prints_the_client_settings(command: list[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            *command,
            "--port",
            str(port),
            "--seed",
            "0",
            "--clock",
            "2026-11-20T10:00:00Z",
            "--latency-ms",
            "1",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DEADLINE_EMULATOR_THROTTLE_RATE": "0"},
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        url = f"http://127.0.0.1:{port}"
        assert url in lines[0]
        assert f"AWS_ENDPOINT_URL_DEADLINE={url}" in "".join(lines)
        assert f"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS={url}" in "".join(lines)
        assert "AWS_DISABLE_HOST_PREFIX_INJECTION=true" in "".join(lines)
        assert http_client(url).list_farms()["farms"]
        state = json.loads(request(url, "GET", "/_emulator/clock")[2])
        assert state == {"now": "2026-11-20T10:00:00.000Z", "pinned": True}
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_concurrent_clients_are_all_answered_and_counted(served: tuple) -> None:
    import concurrent.futures

    emulator, _, url = served
    client = http_client(url)  # boto3 clients are thread-safe

    def read_farms(_: int) -> int:
        return len(client.list_farms()["farms"])

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        assert set(pool.map(read_farms, range(80))) == {2}
    assert emulator.calls["ListFarms"] == 80


def test_the_wire_layer_never_imports_django() -> None:
    code = (
        "import sys, deadline_emulator.server, deadline_emulator.transport, "
        "deadline_emulator.__main__\n"
        "assert not [m for m in sys.modules if m.split('.')[0] == 'django'], 'django imported'"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, check=True, timeout=60)
