"""The header's attention count never waits for the report: on a fresh server its first ask
starts one build in the background and answers at once, asking again shortly; once the build
is done the count is there, with no call to the API."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from deadline_emulator import Emulator
from tasks_app.selectors.attention import report as report_module
from tasks_app.services import attention_refresh
from tests.attention_builds import no_build_outlives_its_test  # noqa: F401
from tests.htmx_headers import HTMX

pytestmark = pytest.mark.django_db
JSON = {"Accept": "application/json"}


@pytest.fixture
def gated_build(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, list[Any]]]:
    """Builds that wait for ``gate`` (a slow API), recording each one that starts."""
    gate, started = threading.Event(), []
    real = report_module.build_report

    def slow() -> dict[str, Any]:
        started.append(threading.current_thread().name)
        assert gate.wait(60)
        return real()

    monkeypatch.setattr(report_module, "build_report", slow)
    yield gate, started
    gate.set()


def test_the_first_count_answers_at_once_and_is_ready_once_the_build_ends(
    client: Client, emulator: Emulator, gated_build: tuple[threading.Event, list[Any]]
) -> None:
    gate, started = gated_build
    # The first page of a fresh server: it loads the count after itself.
    page = client.get("/farms/").content.decode()
    assert 'hx-get="/attention/count/" hx-trigger="load, every 60s"' in page

    began = time.monotonic()
    first = client.get("/attention/count/", headers=HTMX).content.decode()
    assert time.monotonic() - began < 1.0
    assert 'aria-busy="true"' in first and 'hx-trigger="load delay:500ms"' in first
    assert "count-badge" not in first
    # Pages meanwhile are served without waiting, and the count asked again: one build.
    assert client.get("/farms/").status_code == 200
    again = client.get("/attention/count/", headers=HTMX).content.decode()
    assert 'aria-busy="true"' in again
    assert started == ["attention-report"]

    gate.set()
    assert attention_refresh.wait(60)
    emulator.calls.reset()
    ready = client.get("/attention/count/", headers=HTMX).content.decode()
    incidents = client.get("/attention/", headers=JSON).json()["items"]
    assert f"{len(incidents)}<span" in ready and "aria-busy" not in ready
    assert 'hx-trigger="every 60s"' in ready
    assert emulator.calls.total() == 0
