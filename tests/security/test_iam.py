"""The IAM actions README documents are exactly what the dashboard calls."""

from __future__ import annotations

from urllib.parse import urlencode

from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from tasks_app.deadline.allow_list import REQUIRED_IAM_ACTIONS
from tests.security.conftest import ApiCalls, Hostile
from tests.security.routes import page_urls

HX = {"HX-Request": "true"}


def test_every_page_calls_only_the_documented_actions(
    client: Client, hostile: Hostile, api_calls: ApiCalls, emulator: Emulator
) -> None:
    urls = list(page_urls(hostile.kwargs(), skip=frozenset({"login", "logout"})).values())
    step = page_urls(hostile.kwargs("step"))["step_detail"]
    urls += [
        "/?" + urlencode(hostile.kwargs("step")),
        f"{step}?{urlencode({'q': 'x'})}",  # a free-text search reads parameter names first
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
    used = {
        operation if operation.startswith("logs:") else f"deadline:{operation}"
        for operation, _ in api_calls.calls
    }
    assert used <= set(REQUIRED_IAM_ACTIONS), used - set(REQUIRED_IAM_ACTIONS)
    # Nothing listed that no page needs (a stale list grants more than necessary).
    assert set(REQUIRED_IAM_ACTIONS) <= used, set(REQUIRED_IAM_ACTIONS) - used
