"""What the official CLI changes, the dashboard shows on its next refresh: the dashboard runs
with the aws backend against the same ``python -m deadline_emulator`` the CLI drives."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from django.conf import LazySettings
from django.test import Client
from django.urls import reverse

from tasks_app.deadline import client as deadline_client
from tasks_app.deadline import resilience
from tests.htmx_headers import HTMX as HX
from tests.manual_clock import ManualClock
from tests.official_cli.conftest import CliEmulator
from tests.official_cli.test_cli_commands import ids_args, job_of

TASK_ROW = re.compile(r'<tr class="task-row" data-task-id="(task-[0-9a-f]{32}-\d+)">')


@pytest.fixture
def refresh(
    served_cli: CliEmulator, settings: LazySettings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ManualClock]:
    """The dashboard on the served emulator, as on a real account; advancing the returned
    clock past DEADLINE_CACHE_SECONDS makes the next request a refresh."""
    settings.DEADLINE_BACKEND = "aws"
    settings.DASHBOARD_AUTH = "none"
    for name, value in served_cli.env.items():
        if name.startswith("AWS_"):
            monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    deadline_client.clear_client_cache()
    clock = ManualClock()
    resilience.set_clock(clock)
    yield clock
    resilience.set_clock(None)
    deadline_client.clear_client_cache()


def next_refresh(clock: ManualClock, settings: LazySettings) -> None:
    clock.advance(settings.DEADLINE_CACHE_SECONDS + 1)


def step_url(ids: dict[str, str], step_id: str) -> str:
    return reverse(
        "step_detail",
        kwargs={
            "farm_id": ids["farmId"],
            "queue_id": ids["queueId"],
            "job_id": ids["jobId"],
            "step_id": step_id,
        },
    )


def test_requeue_tasks_shows_on_the_next_refresh(
    client: Client, served_cli: CliEmulator, refresh: ManualClock, settings: LazySettings
) -> None:
    built = served_cli.admin("POST", "scenarios/failed-job", {"failedTasks": 4, "steps": 2})
    job = job_of(built)
    step = built["steps"][0]
    failed_here = sorted(t["taskId"] for t in built["failedTasks"] if t["stepId"] == step["stepId"])
    url = step_url(job, step["stepId"])
    before = client.get(url, {"status": "FAILED"}, headers=HX).content.decode()
    assert sorted(TASK_ROW.findall(before)) == failed_here
    task_page = f"{url}tasks/{failed_here[0]}/"
    assert 'data-status="FAILED"' in client.get(task_page).content.decode()

    served_cli.cli("job", "requeue-tasks", *ids_args(job), "--yes")
    next_refresh(refresh, settings)

    after = client.get(url, {"status": "FAILED"}, headers=HX).content.decode()
    assert TASK_ROW.findall(after) == [] and "No task matches." in after
    ready = client.get(url, {"status": "READY"}, headers=HX).content.decode()
    assert sorted(TASK_ROW.findall(ready)) == failed_here
    assert 'data-status="READY"' in client.get(task_page).content.decode()


def test_job_cancel_shows_on_the_next_refresh(
    client: Client, served_cli: CliEmulator, refresh: ManualClock, settings: LazySettings
) -> None:
    farm_id = next(
        f["farmId"]
        for f in served_cli.client.list_farms()["farms"]
        if f["displayName"].endswith("Main")
    )
    queue_id = next(
        q["queueId"]
        for q in served_cli.client.list_queues(farmId=farm_id)["queues"]
        if q["displayName"] == "FX Simulation"
    )
    running = served_cli.client.search_jobs(
        farmId=farm_id,
        queueIds=[queue_id],
        itemOffset=0,
        filterExpressions={
            "operator": "AND",
            "filters": [
                {
                    "stringFilter": {
                        "name": "TASK_RUN_STATUS",
                        "operator": "EQUAL",
                        "value": "RUNNING",
                    }
                }
            ],
        },
    )["jobs"][0]
    job = {"farmId": farm_id, "queueId": queue_id, "jobId": running["jobId"]}
    url = reverse(
        "job_detail", kwargs={"farm_id": farm_id, "queue_id": queue_id, "job_id": job["jobId"]}
    )
    assert 'data-status="RUNNING"' in client.get(url, headers=HX).content.decode()

    served_cli.cli("job", "cancel", *ids_args(job), "--yes")
    served_cli.admin("POST", "clock", {"advance": 30})  # the interrupts complete
    next_refresh(refresh, settings)

    html = client.get(url, headers=HX).content.decode()
    assert 'data-status="RUNNING"' not in html
    assert 'data-status="CANCELED"' in html
