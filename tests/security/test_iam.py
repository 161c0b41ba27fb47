"""The IAM actions README documents are exactly what the dashboard calls: its reads, and the
optional statement that actions (requeue, cancel, ...) need on top."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from tasks_app.deadline.allow_list import ACTION_IAM_ACTIONS, REQUIRED_IAM_ACTIONS
from tasks_app.selectors import attention
from tasks_app.services import actions
from tests.htmx_headers import HTMX as HX
from tests.security.conftest import ApiCalls, Hostile
from tests.security.routes import page_urls

# Tests that write get a world of their own (fresh_world); the others share one.
pytestmark = pytest.mark.read_only_world

README = Path(__file__).resolve().parents[2] / "docs" / "operating.md"
_CONFIRM = re.compile(r'name="confirm" value="([^"]+)"')


@pytest.mark.fresh_world
def test_every_page_calls_only_the_documented_actions(
    client: Client, hostile: Hostile, api_calls: ApiCalls, emulator: Emulator
) -> None:
    urls = list(page_urls(hostile.kwargs(), skip=frozenset({"login", "logout"})).values())
    step = page_urls(hostile.kwargs("step"))["step_detail"]
    urls += [
        "/?" + urlencode(hostile.kwargs("step")),
        f"{step}?{urlencode({'q': 'x'})}",  # a free-text search reads parameter names first
    ]
    # The farm side's fleet and worker pages (the hostile job names no fleet nor worker).
    fleet = emulator.backend.world.fleets[0]
    worker = next(w for w in emulator.backend.world.workers if w.fleet_id == fleet.fleet_id)
    fleet_url = reverse("fleet_detail", args=[fleet.farm_id, fleet.fleet_id])
    urls += [
        fleet_url,
        f"{fleet_url}?status=RUNNING",
        reverse("worker_detail", args=[fleet.farm_id, fleet.fleet_id, worker.worker_id]) + "?q=x",
    ]
    for url in urls:
        for headers in ({}, HX):
            assert client.get(url, headers=headers).status_code in {200, 204, 302}, url
    # An account whose SearchTasks refuses our names: the step page lists the step's tasks.
    emulator.search.set("strict")
    cache.clear()
    assert client.get(f"{step}?{urlencode({'status': 'FAILED'})}").status_code == 200
    # Where the service refuses SearchTasks' RUN_STATUS filter, failures views list tasks with
    # ListTasks (as the deadline CLI does): that action is needed too.
    failed = emulator.backend.landmarks()["failed_deps_job"]
    url = reverse(
        "job_failures",
        kwargs={
            "farm_id": failed["farmId"],
            "queue_id": failed["queueId"],
            "job_id": failed["jobId"],
        },
    )
    assert client.get(f"{url}?format=json&wait=30").json()["complete"], url
    # The attention list is built off the request (services/attention_refresh): its reads, a
    # fleet's workers among them, are the dashboard's calls too.
    attention.get_report()
    used = {
        operation if operation.startswith("logs:") else f"deadline:{operation}"
        for operation, _ in api_calls.calls
    }
    assert used <= set(REQUIRED_IAM_ACTIONS), used - set(REQUIRED_IAM_ACTIONS)
    # Nothing listed that no page needs (a stale list grants more than necessary).
    assert set(REQUIRED_IAM_ACTIONS) <= used, set(REQUIRED_IAM_ACTIONS) - used


def _act(client: Client, url: str, fields: dict[str, str]) -> None:
    preview = client.post(f"{url}actions/", fields)
    token = _CONFIRM.search(preview.content.decode())
    assert token, preview.content.decode()[-2000:]
    done = client.post(f"{url}actions/", {**fields, "confirm": token[1].replace("&amp;", "&")})
    assert done.status_code == 303
    assert actions.wait_for(int(done["Location"].strip("/").rsplit("/", 1)[1]), timeout=60)


@pytest.mark.fresh_world
def test_actions_call_only_the_optional_write_statement(
    client: Client, emulator: Emulator, api_calls: ApiCalls, transactional_db: None
) -> None:
    made = emulator.add_failed_job(failed_tasks=4, steps=2)
    job = "/farms/{farmId}/queues/{queueId}/jobs/{jobId}/".format(**made)
    step = f"{job}steps/{made['steps'][0]['stepId']}/"
    task = made["failedTasks"][-1]
    task_url = f"{job}steps/{task['stepId']}/tasks/{task['taskId']}/"
    api_calls.clear()
    for url, fields in (
        (job, {"action": "requeue"}),  # ListTasks, UpdateTask per task
        (step, {"action": "suspend"}),  # every unfinished status: one UpdateStep
        (job, {"action": "cancel"}),  # one UpdateJob
        (job, {"action": "priority", "priority": "70"}),  # UpdateJob
        (task_url, {"action": "succeed", "run_status": "CANCELED"}),
    ):
        _act(client, url, fields)

    used = {
        operation if operation.startswith("logs:") else f"deadline:{operation}"
        for operation, _ in api_calls.calls
    }
    statements = set(REQUIRED_IAM_ACTIONS) | set(ACTION_IAM_ACTIONS)
    assert used <= statements, used - statements
    assert set(ACTION_IAM_ACTIONS) <= used, set(ACTION_IAM_ACTIONS) - used
    assert not api_calls.problems


def test_the_readme_documents_the_optional_write_statement() -> None:
    text = README.read_text()
    statement = text[text.index('"Sid": "ActOnWork"') :].split("}", 1)[0]
    for action in ACTION_IAM_ACTIONS:
        assert f'"{action}"' in statement, action


@pytest.mark.fresh_world
def test_an_action_the_credentials_may_not_list_names_the_missing_permission(
    client: Client, emulator: Emulator, transactional_db: None
) -> None:
    made = emulator.add_failed_job(failed_tasks=2, steps=1)
    emulator.faults.set("ListTasks", deny=True)

    job = "/farms/{farmId}/queues/{queueId}/jobs/{jobId}/".format(**made)
    response = client.post(f"{job}actions/", {"action": "requeue"})

    assert response.status_code == 403
    assert "deadline:ListTasks" in response.content.decode()
