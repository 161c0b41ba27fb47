"""The step page and the queue's job list show the same rows whatever the account's Search* does
with our names: honoured (lenient), refused (strict) or silently ignored (ignore), and never a
task of another step."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.test import Client

from deadline_emulator import Emulator
from tasks_app.deadline.types import TaskRunStatus
from tasks_app.selectors.job_table import JOB_SORTS
from tasks_app.selectors.task_table import TASK_SORTS
from tests.htmx_headers import HTMX as HX
from tests.tasks_app.views.browse_pages import JOB_ROW, TASK_ROW, queue_url, step_url

# Tests that write get a world of their own (fresh_world); the others share one.
pytestmark = pytest.mark.read_only_world

MODES = ("lenient", "strict", "ignore")

Views = list[dict[str, str]]


def every_sort(sorts: dict[str, str]) -> Views:
    return [{"sort": sort, "order": order} for sort in sorts for order in ("asc", "desc")]


def every_status() -> Views:
    return [{"status": status.value} for status in TaskRunStatus.known()]


def in_every_mode(
    client: Client, emulator: Emulator, url: str, views: Views, row: re.Pattern[str]
) -> dict[str, list[list[str]]]:
    """Each view's rows in each mode; caches (and what the dashboard learnt) cleared between."""
    seen: dict[str, list[list[str]]] = {}
    for mode in MODES:
        emulator.search.set(mode)
        cache.clear()
        pages = []
        for params in views:
            response = client.get(url, params, headers=HX)
            assert response.status_code == 200, (mode, params, response.status_code)
            pages.append(row.findall(response.content.decode()))
        seen[mode] = pages
    return seen


def assert_same_everywhere(seen: dict[str, list[list[str]]], views: Views) -> None:
    for mode in ("strict", "ignore"):
        for params, expected, found in zip(views, seen["lenient"], seen[mode], strict=True):
            assert found == expected, (mode, params)


def test_the_10000_task_step_shows_the_same_rows_in_every_mode(
    client: Client, emulator: Emulator
) -> None:
    big = emulator.backend.landmarks()["big_step"]
    views: Views = [
        {},
        {"page": "100"},  # the middle
        {"page": "200"},  # the last: tasks 9,950..9,999
        {"status": "FAILED"},
        {"status": "FAILED", "page": "3"},
        *every_status(),
        *every_sort(TASK_SORTS),
        {"status": "FAILED", "sort": "ENDED_AT", "order": "desc"},
        {"q": "1042"},  # a frame: the task whose Frame is 1042
        {"q": "#1042"},  # a task index: GetTask
        {"q": "10000"},  # the last frame
        {"q": "Frame=1042"},
        {"q": "Frame=1042", "status": "SUCCEEDED"},
    ]

    seen = in_every_mode(client, emulator, step_url(big), views, TASK_ROW)

    assert_same_everywhere(seen, views)
    lenient = dict(zip(map(str, views), seen["lenient"], strict=True))
    hexes = {task.split("-")[1] for page in lenient.values() for task in page}
    assert hexes == {big["stepId"].removeprefix("step-")}
    assert [int(t.rsplit("-", 1)[1]) for t in lenient[str({"page": "200"})]] == list(
        range(9_950, 10_000)
    )
    assert len(lenient[str({"status": "FAILED"})]) == 50
    assert lenient[str({"q": "1042"})] == [f"task-{big['stepId'][5:]}-1041"]
    assert lenient[str({"q": "#1042"})] == [f"task-{big['stepId'][5:]}-1042"]
    assert lenient[str({"q": "Frame=1042"})] == [f"task-{big['stepId'][5:]}-1041"]


@pytest.mark.fresh_world
def test_a_step_among_others_never_shows_a_task_of_another_step(
    client: Client, emulator: Emulator
) -> None:
    built = emulator.add_failed_job(failed_tasks=9, steps=3, tasks_per_step=12)
    step = {**built, "stepId": built["steps"][1]["stepId"]}
    views: Views = [{}, {"status": "FAILED"}, {"status": "SUCCEEDED"}, *every_sort(TASK_SORTS)]

    seen = in_every_mode(client, emulator, step_url(step), views, TASK_ROW)

    assert_same_everywhere(seen, views)
    own = step["stepId"].removeprefix("step-")
    for mode, pages in seen.items():
        assert all(task.split("-")[1] == own for page in pages for task in page), mode
    assert len(seen["lenient"][0]) == 12 and len(seen["lenient"][1]) == 3


def test_the_queue_job_list_shows_the_same_rows_in_every_mode(
    client: Client, emulator: Emulator
) -> None:
    queue = emulator.backend.landmarks()["queues"]["Feature Lighting"]
    views: Views = [
        {},
        *every_status(),
        {"lifecycle": "CREATE_COMPLETE"},
        {"lifecycle": "ARCHIVED"},
        {"name": "sq0"},
        *every_sort(JOB_SORTS),
        {"status": "RUNNING", "sort": "PRIORITY", "order": "desc"},
        {"per": "25", "page": "2", "sort": "NAME"},
    ]

    seen = in_every_mode(client, emulator, queue_url(queue), views, JOB_ROW)

    assert_same_everywhere(seen, views)
    assert len(seen["lenient"][0]) > 10  # a queue with enough jobs to sort and page


@pytest.mark.parametrize("mode", ["strict", "ignore"])
def test_a_fallback_says_so_and_is_remembered(
    client: Client, emulator: Emulator, mode: str
) -> None:
    big = emulator.backend.landmarks()["big_step"]
    emulator.search.set(mode)
    first = client.get(step_url(big), {"status": "FAILED"}).content.decode()
    verb = {"strict": "refused", "ignore": "ignored"}[mode]
    assert f"this account&#x27;s SearchTasks {verb}" in first
    searches = emulator.calls["SearchTasks"]

    for page in ("2", "3"):
        client.get(step_url(big), {"status": "FAILED", "page": page})

    assert emulator.calls["SearchTasks"] == searches  # the next pages do not ask again
    assert emulator.calls["ListTasks"] == 100  # one listing of the 10,000 tasks serves all


def test_a_refused_sort_does_not_become_an_error(client: Client, emulator: Emulator) -> None:
    queue = emulator.backend.landmarks()["queues"]["Feature Lighting"]
    emulator.search.set("strict")
    response = client.get(queue_url(queue), {"sort": "PRIORITY", "order": "desc"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "SearchJobs refused PRIORITY" in html
    priorities = [int(p) for p in re.findall(r'data-label="Priority">(\d+)<', html)]
    assert priorities and priorities == sorted(priorities, reverse=True)
