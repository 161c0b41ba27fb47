"""The task page's worker-log panel (``?attempt=…&log=worker``): the worker log of the
attempt's worker over the attempt's window, beside its session log; the attempt's worker
links to the worker page."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator

pytestmark = pytest.mark.usefixtures("held_clock")


def _oom_attempt(emulator: Emulator) -> tuple[Any, dict[str, Any]]:
    backend = emulator.backend
    fleet = backend.world.fleets[0]
    for worker in backend.world.workers:
        if worker.fleet_id != fleet.fleet_id:
            continue
        timeline = backend.worker_timeline(worker.farm_id, worker.fleet_id, worker.worker_id)
        for attempt in reversed(timeline["attempts"]):
            if attempt["exitCode"] == 137 and attempt["outcome"]:
                return worker, attempt
    raise AssertionError("the demo world has an out-of-memory kill")


def test_task_page_shows_the_worker_log_of_the_attempt_beside_its_session_log(
    client: Client, emulator: Emulator
) -> None:
    worker, attempt = _oom_attempt(emulator)
    job = emulator.backend._jobs[attempt["jobId"]]
    url = reverse(
        "task_detail",
        args=[
            worker.farm_id,
            attempt["queueId"],
            attempt["jobId"],
            attempt["stepId"],
            attempt["taskId"],
        ],
    )
    action = "sessionaction-" + attempt["sessionId"].removeprefix("session-") + "-1"
    assert job.queue_id == attempt["queueId"]

    page = client.get(url, {"attempt": action, "log": "worker"}).content.decode()
    plain = client.get(url, {"attempt": action}).content.decode()

    assert 'id="log-panel"' in page and 'id="worker-log-panel"' in page
    panel = page.split('id="worker-log-panel"', 1)[1].split("</section>", 1)[0]
    lines = re.findall(r"<li>(.*?)</li>", panel, re.S)
    session_lines = [line for line in lines if attempt["sessionId"] in line]
    assert any("Action.Start" in line for line in session_lines)
    assert any("code: 137" in line for line in session_lines)
    assert any("Metrics.System" in line for line in lines)  # memory climbing, minute by minute
    worker_url = reverse("worker_detail", args=[worker.farm_id, worker.fleet_id, worker.worker_id])
    assert f'href="{worker_url}"' in panel
    assert 'id="worker-log-panel"' not in plain
    assert f'href="{worker_url}" data-worker-link' in plain
    assert "log=worker#worker-log-panel" in plain
