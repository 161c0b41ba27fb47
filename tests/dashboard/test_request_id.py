"""Every answer carries X-Request-ID, the dashboard's own (a client cannot choose it), and
every log line of the request carries it too, with the client's sent ID beside it when sane:
an unhandled exception's traceback, and the API calls the read pool's threads make."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator

import pytest
from django.conf import LazySettings
from django.test import Client

from deadline_emulator import Emulator
from tests.dashboard.crash_urls import CRASH_MESSAGE
from tests.demo import task_url

GENERATED = re.compile(r"[0-9a-f]{32}")


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """What the dashboard's console handler writes (the configured format and filter), with
    the thread's name in front so a test can tell the read pool's lines apart."""
    handler = next(h for h in logging.getLogger("tasks_app").handlers if h.name == "console")
    stream = io.StringIO()
    original_stream, original_formatter = handler.stream, handler.formatter
    handler.setStream(stream)
    assert original_formatter is not None
    handler.setFormatter(logging.Formatter(f"%(threadName)s {original_formatter._fmt}"))
    yield stream
    handler.setStream(original_stream)
    handler.setFormatter(original_formatter)


def test_every_answer_carries_a_request_id(client: Client, emulator: Emulator) -> None:
    answers = {
        "page": client.get("/farms/"),
        "not found": client.get("/no-such-page/"),
        "static file": client.get("/static/tasks_app/dashboard.css"),
        "health check": client.get("/healthz"),
        "wrong method": client.post("/farms/"),
    }
    ids = set()
    for what, response in answers.items():
        assert GENERATED.fullmatch(response["X-Request-ID"]), what
        ids.add(response["X-Request-ID"])
    assert len(ids) == len(answers)  # one per request


@pytest.mark.parametrize(
    "given",
    ["4f3c2a9e-6d1b-4e8a-9c7f-0a1b2c3d4e5f", "Root=1-67891233-abcdef012345678912345678;Sampled=1"],
)
def test_a_clients_request_id_is_logged_beside_ours_never_answered_as_ours(
    client: Client, given: str, log_output: io.StringIO
) -> None:
    response = client.get("/no-such-page/", headers={"X-Request-ID": given})

    ours = response["X-Request-ID"]
    assert GENERATED.fullmatch(ours) and ours != given
    assert f"[{ours} client={given}] Not Found: /no-such-page/" in log_output.getvalue()


@pytest.mark.parametrize(
    "given",
    ["", "x" * 129, "two words", "forged\nERROR line", '"quoted"', "naïve"],
    ids=["empty", "too long", "space", "newline", "quotes", "non-ascii"],
)
def test_an_odd_client_request_id_is_dropped(
    client: Client, given: str, log_output: io.StringIO
) -> None:
    response = client.get("/no-such-page/", headers={"X-Request-ID": given})
    ours = response["X-Request-ID"]
    assert GENERATED.fullmatch(ours)
    assert f"[{ours}] Not Found" in log_output.getvalue()
    assert "client=" not in log_output.getvalue()


def test_the_client_request_id_header_is_configurable(
    client: Client, settings: LazySettings, log_output: io.StringIO
) -> None:
    settings.DASHBOARD_REQUEST_ID_HEADER = "X-Amzn-Trace-Id"
    trace = "Root=1-5759e988-bd862e3fe1be46a994272793"
    response = client.get(
        "/no-such-page/", headers={"X-Amzn-Trace-Id": trace, "X-Request-ID": "no"}
    )
    ours = response["X-Request-ID"]
    assert GENERATED.fullmatch(ours)
    assert f"[{ours} client={trace}]" in log_output.getvalue()
    assert "client=no]" not in log_output.getvalue()


@pytest.mark.urls("tests.dashboard.crash_urls")
def test_a_forced_500_logs_its_traceback_with_the_request_id(
    log_output: io.StringIO,
) -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/crash/", headers={"X-Request-ID": "lb-7f3a2c"})

    assert response.status_code == 500
    ours = response["X-Request-ID"]
    assert GENERATED.fullmatch(ours)
    # The reference to quote to an administrator is ours, not one the client chose.
    assert ours.encode() in response.content and b"lb-7f3a2c" not in response.content
    assert CRASH_MESSAGE.encode() not in response.content
    logged = log_output.getvalue()
    assert f"ERROR django.request [{ours} client=lb-7f3a2c] Internal Server Error: /crash/" in (
        logged
    )
    assert "Traceback (most recent call last):" in logged
    assert f"RuntimeError: {CRASH_MESSAGE}" in logged


def test_django_s_own_4xx_log_lines_carry_the_request_id(
    client: Client, log_output: io.StringIO
) -> None:
    # Django logs these after the middleware chain has returned.
    response = client.get("/no-such-page/", headers={"X-Request-ID": "lb-404"})
    assert response.status_code == 404
    ours = response["X-Request-ID"]
    assert f"WARNING django.request [{ours} client=lb-404] Not Found: /no-such-page/" in (
        log_output.getvalue()
    )
    # ...and the ID does not outlive the request.
    logging.getLogger("tasks_app").warning("between requests")
    assert "[-] between requests" in log_output.getvalue()


def test_api_call_log_lines_carry_the_request_id_from_the_read_pool_threads(
    client: Client, emulator: Emulator, log_output: io.StringIO, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tasks_app.api")  # the suite has it at WARNING
    url = task_url(emulator.backend.landmarks()["failed_with_retries_task"])
    response = client.get(url, headers={"X-Request-ID": "lb-task-page"})
    assert response.status_code == 200

    ours = response["X-Request-ID"]
    api_lines = [line for line in log_output.getvalue().splitlines() if " api op=" in line]
    assert api_lines
    assert all(f"[{ours} client=lb-task-page]" in line for line in api_lines), api_lines
    # The cold task page reads concurrently, in the read pool's threads.
    assert any(line.startswith("deadline-read") for line in api_lines), api_lines
