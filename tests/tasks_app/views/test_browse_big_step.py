"""A 50,000-task step, five times the search's 10,000-item window: its last page, its Failed-only
view (to its own last page), a frame near the end and a page in the middle are reached through
the page's own links and forms, each showing the tasks ListTasks says are there, at a bounded
number of API calls (a warm page past the window costs none)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from tests.conftest import PINNED_AT
from tests.tasks_app.views.browse_pages import (
    RANGE,
    TASK_ROW,
    follow,
    installed,
    step_url,
    submit,
)

# Counts of API calls across requests must not depend on how fast a loaded machine serves them.
pytestmark = pytest.mark.usefixtures("held_clock")

TASKS = 50_000
FAILED = 300


class World:
    """The emulator, the big step's IDs, and every task of it as ListTasks gives them."""

    def __init__(self) -> None:
        self.emulator = Emulator(seed=settings.DEADLINE_DEMO_SEED, clock=Clock(pinned_at=PINNED_AT))
        made = self.emulator.add_big_job(tasks=TASKS, failed_tasks=FAILED)
        self.ids = {key: made[key] for key in ("farmId", "queueId", "jobId", "stepId")}
        self.tasks = self._list_tasks()

    def _list_tasks(self) -> list[dict[str, Any]]:
        """Every task, by the emulator's own ListTasks (its backend: boto3 would parse 500
        pages for nothing here; the dashboard's reads go through boto3)."""
        backend, tasks, token = self.emulator.backend, [], None
        ids = {
            "farm_id": self.ids["farmId"],
            "queue_id": self.ids["queueId"],
            "job_id": self.ids["jobId"],
            "step_id": self.ids["stepId"],
        }
        while True:
            answer = backend.list_tasks(**ids, next_token=token, max_results=100)
            tasks += answer["tasks"]
            token = answer.get("nextToken")
            if not token:
                return tasks

    @property
    def url(self) -> str:
        return step_url(self.ids)

    def ids_of(self, tasks: list[dict[str, Any]]) -> list[str]:
        return [t["taskId"] for t in tasks]

    def failed(self) -> list[dict[str, Any]]:
        return [t for t in self.tasks if t["runStatus"] == "FAILED"]


@pytest.fixture(scope="module")
def module_world() -> World:
    return World()


@pytest.fixture
def world(module_world: World) -> Iterator[World]:
    """The module's world, installed as the default emulator for this test, calls uncounted."""
    with installed(module_world.emulator):
        yield module_world


def rows(page: str) -> list[str]:
    return TASK_ROW.findall(page)


def test_the_last_page_is_one_link_and_one_search(client: Client, world: World) -> None:
    first = client.get(world.url).content.decode()
    assert RANGE.search(first).group(1) == "1\u201350 of 50,000 · page 1 of 1,000"
    world.emulator.calls.reset()

    last = follow(client, world.url, first, 'rel="last"')

    assert rows(last) == world.ids_of(world.tasks[-50:])
    assert RANGE.search(last).group(1) == "49,951\u201350,000 of 50,000 · page 1,000 of 1,000"
    assert 'rel="next"' not in last
    # The last 10,000 tasks are the first of the reverse order: one search, no listing.
    assert world.emulator.calls.snapshot() == {"SearchTasks": 1}


def test_failed_only_reaches_its_last_failed_task(client: Client, world: World) -> None:
    first = client.get(world.url).content.decode()

    failed = follow(client, world.url, first, "data-failed-toggle")
    last = follow(client, world.url, failed, 'rel="last"')

    expected = world.ids_of(world.failed())
    assert len(expected) == FAILED and int(expected[-1].rsplit("-", 1)[1]) > 45_000
    assert rows(failed) == expected[:50]
    assert rows(last) == expected[250:]
    assert RANGE.search(last).group(1) == "251\u2013300 of 300 · page 6 of 6"


def test_a_frame_near_the_end_is_found_by_its_number(client: Client, world: World) -> None:
    first = client.get(world.url).content.decode()
    world.emulator.calls.reset()

    found = submit(client, first, "filters", q="49990")

    frame = [t for t in world.tasks if t["parameters"]["Frame"] == {"int": "49990"}]
    assert [t["taskId"] for t in frame] == rows(found)
    assert rows(found) == [world.tasks[49_989]["taskId"]]  # frames start at 1
    assert (
        world.emulator.calls["SearchTasks"] == 1
        and "ListTasks" not in world.emulator.calls.snapshot()
    )
    # The index stays reachable, explicitly.
    by_index = submit(client, first, "filters", q="#49990")
    assert rows(by_index) == [world.tasks[49_990]["taskId"]]


def test_a_middle_page_and_a_sort_come_from_one_listing_read_once(
    client: Client, world: World
) -> None:
    first = client.get(world.url).content.decode()
    world.emulator.calls.reset()

    middle = submit(client, first, "pagination__jump", page="500")
    cold = world.emulator.calls.snapshot()
    world.emulator.calls.reset()
    after = follow(client, world.url, middle, 'rel="next"')
    by_ended = follow(client, world.url, first, 'class="sort-link">Ended')
    last_ended = follow(client, world.url, by_ended, 'rel="last"')
    succeeded = client.get(world.url, {"status": "SUCCEEDED"}).content.decode()
    last_succeeded = follow(client, world.url, succeeded, 'rel="last"')

    assert rows(middle) == world.ids_of(world.tasks[24_950:25_000])
    assert rows(after) == world.ids_of(world.tasks[25_000:25_050])
    assert RANGE.search(after).group(1) == "25,001\u201325,050 of 50,000 · page 501 of 1,000"
    assert "cut by the dashboard from the step&#x27;s 50,000 tasks" in middle
    ordered = sorted(world.tasks, key=lambda t: t["endedAt"], reverse=True)  # ties: by index
    assert rows(by_ended) == world.ids_of(ordered[:50])
    assert rows(last_ended) == world.ids_of(ordered[-50:])
    done = [t for t in world.tasks if t["runStatus"] == "SUCCEEDED"]
    assert rows(last_succeeded) == world.ids_of(done[-50:])  # 49,700: a filter past the window
    assert RANGE.search(last_succeeded).group(1) == "49,651\u201349,700 of 49,700 · page 994 of 994"
    assert cold == {"ListTasks": TASKS // 100}  # the step's listing, read once
    # Later pages past the window, in any order or filter, are cut from it: the only calls
    # are the first pages of the new order and filter, inside the window.
    assert world.emulator.calls.snapshot() == {"SearchTasks": 2}
