"""A queue with more jobs than the search's 10,000-item window: its job list counts them all and
its last page, reached through the page's own link, ends with the queue's oldest job (checked
against ListJobs), at one ListJobs listing for every page past the window."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.seed import JobSpec, ParamDef, StepSpec, hex_id
from tasks_app.selectors import find
from tests.conftest import PINNED_AT
from tests.tasks_app.views.browse_pages import JOB_ROW, RANGE, follow, installed

pytestmark = pytest.mark.usefixtures("held_clock")

EXTRA_JOBS = 10_050


def add_many_jobs(emulator: Emulator, queue: Any, count: int) -> None:
    """``count`` one-task jobs in ``queue``, one every ten minutes over the last 70 days (the
    emulator's scenarios build at most 200 jobs a queue: this one needs more)."""
    backend = emulator.backend
    now = backend.clock.now()
    for k in range(count):
        step = StepSpec(
            step_id=hex_id(backend.seed, "step", f"many-jobs:{k}"),
            index=0,
            name="render",
            task_count=1,
            params=(ParamDef("Frame", "INT", start=1),),
            concurrency=1,
            slot_seconds=300.0,
            run_min=60.0,
            run_max=100.0,
            fail_rate=0.0,
            start_delay=10.0,
            depends_on_previous=False,
        )
        backend.add_job(
            JobSpec(
                job_id=hex_id(backend.seed, "job", f"many-jobs:{k}"),
                job_ref=(1 << 28) + k,
                farm_id=queue.farm_id,
                queue_id=queue.queue_id,
                name=f"many_{k:05d}",
                created_at=now - 86_400 * 70 + k * 600,
                created_by="ana",
                priority=50,
                steps=(step,),
            )
        )


class World:
    def __init__(self) -> None:
        self.emulator = Emulator(seed=settings.DEADLINE_DEMO_SEED, clock=Clock(pinned_at=PINNED_AT))
        queue = self.emulator.backend.world.queues[-1]
        add_many_jobs(self.emulator, queue, EXTRA_JOBS)
        self.ids = {"farm_id": queue.farm_id, "queue_id": queue.queue_id}
        self.jobs = self._list_jobs()

    def _list_jobs(self) -> list[dict[str, Any]]:
        """Every job of the queue by the emulator's own ListJobs, newest first."""
        jobs, token = [], None
        while True:
            answer = self.emulator.backend.list_jobs(**self.ids, next_token=token, max_results=100)
            jobs += answer["jobs"]
            token = answer.get("nextToken")
            if not token:
                return sorted(jobs, key=lambda j: j["createdAt"], reverse=True)

    @property
    def url(self) -> str:
        return reverse("queue_detail", kwargs=self.ids)


@pytest.fixture(scope="module")
def module_world() -> World:
    return World()


@pytest.fixture
def world(module_world: World) -> Iterator[World]:
    with installed(module_world.emulator):
        yield module_world


def test_the_job_list_counts_every_job_and_its_last_page_ends_with_the_oldest(
    client: Client, world: World
) -> None:
    total = len(world.jobs)
    assert total > 10_000
    pages = -(-total // 50)

    first = client.get(world.url, {"sort": "CREATED_AT"}).content.decode()
    cold = world.emulator.calls.snapshot()
    world.emulator.calls.reset()
    last = follow(client, world.url, first, 'rel="last"')

    assert JOB_ROW.findall(first) == [j["jobId"] for j in world.jobs[:50]]
    assert RANGE.search(first).group(1) == f"1\u201350 of {total:,} · page 1 of {pages:,}"
    assert JOB_ROW.findall(last) == [j["jobId"] for j in world.jobs[(pages - 1) * 50 :]]
    assert JOB_ROW.findall(last)[-1] == world.jobs[-1]["jobId"]  # the oldest
    assert "cut by the dashboard from the queue&#x27;s" in last
    # One SearchJobs showed the window full (one more: the summary's open work); one listing
    # of the queue counted every job.
    assert cold["SearchJobs"] == 2 and cold["ListJobs"] == -(-total // 100)
    assert "ListJobs" not in world.emulator.calls.snapshot()  # later pages are cut from it


def test_trouble_first_over_more_jobs_than_a_search_reaches(client: Client, world: World) -> None:
    html = client.get(world.url).content.decode()  # the default order: trouble first

    total = len(world.jobs)
    assert RANGE.search(html).group(1).startswith(f"1\u201350 of {total:,}")
    assert len(JOB_ROW.findall(html)) == 50
    assert "Sorted by the dashboard from the queue&#x27;s" in html


def test_a_filter_inside_the_window_stays_one_search(client: Client, world: World) -> None:
    response = client.get(world.url, {"name": "many_0999"})

    rows = JOB_ROW.findall(response.content.decode())
    assert len(rows) == 10 and "ListJobs" not in world.emulator.calls.snapshot()


def test_finding_a_job_by_name_does_not_list_the_whole_queue(world: World) -> None:
    found = find.find_jobs_by_name(name="many_")

    assert found.more and found.matches[0].job_id == world.jobs[0]["jobId"]  # the newest
    assert "ListJobs" not in world.emulator.calls.snapshot()  # only wants the newest few
