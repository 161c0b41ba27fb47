"""Ways into the farm side: the farm page's fleet list (loaded after the page), the attention
page's sick workers and the job failures view's link to the job's workers."""

from __future__ import annotations

from collections import Counter

import pytest
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from tests.htmx_headers import HTMX as HX

pytestmark = pytest.mark.usefixtures("held_clock")


def test_the_farm_page_lists_its_fleets_with_workers_by_status(
    client: Client, emulator: Emulator
) -> None:
    fleet = emulator.backend.world.fleets[0]
    farm_page = client.get(reverse("farm_detail", args=[fleet.farm_id])).content.decode()
    fleets_url = reverse("fleet_list", args=[fleet.farm_id])

    assert f'hx-get="{fleets_url}?summary=1"' in farm_page
    assert f'href="{fleets_url}"' in farm_page  # without JavaScript, a link
    summary = client.get(fleets_url, {"summary": "1"}, headers=HX).content.decode()
    row = summary.split(f'data-fleet="{fleet.fleet_id}"', 1)[1].split("</tr>", 1)[0]
    assert reverse("fleet_detail", args=[fleet.farm_id, fleet.fleet_id]) in row
    statuses = Counter(
        w.status for w in emulator.backend.world.workers if w.fleet_id == fleet.fleet_id
    )
    for status, count in statuses.items():
        label = status.replace("_", " ").capitalize()
        assert f'{label}</span> <span class="num">{count}</span>' in row
    assert 'id="live"' not in summary  # it sits beside the queues' live table, not in it


def test_attention_links_a_sick_worker_to_its_worker_page(
    client: Client, emulator: Emulator, db: None
) -> None:
    unreliable = emulator.backend.landmarks()["unreliable_worker"]["workerId"]
    worker = emulator.backend._workers[unreliable]

    page = client.get(reverse("attention")).content.decode()

    url = reverse("worker_detail", args=[worker.farm_id, worker.fleet_id, worker.worker_id])
    assert f'href="{url}" data-worker-link' in page
    data = client.get(reverse("attention"), HTTP_ACCEPT="application/json").json()
    sick = next(i for i in data["items"] if i.get("worker_id") == unreliable)
    assert "fleet_id" not in sick  # the JSON keeps the shape


def test_the_job_failures_view_links_to_the_jobs_workers(
    client: Client, emulator: Emulator
) -> None:
    made = emulator.add_failed_job(failed_tasks=3, steps=1)
    ids = [made["farmId"], made["queueId"], made["jobId"]]

    page = client.get(reverse("job_failures", args=ids), {"wait": "30"}).content.decode()

    assert f'href="{reverse("job_workers", args=ids)}" data-job-workers-link' in page
