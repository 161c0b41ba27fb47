"""One story per incident on /attention/: the worker that stopped and the tasks it holds are
one item (its tasks inside), their impacts counted one way; the kind chips are links that
filter the list without JavaScript; the Where column is never cut."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from deadline_emulator import Emulator
from tasks_app.selectors import attention
from tests.attention_builds import no_build_outlives_its_test  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.read_only_world]
JSON = {"Accept": "application/json"}
LIVE = {"RUNNING", "ASSIGNED", "STARTING", "SCHEDULED", "INTERRUPTING"}


def listed(client: Client, query: str = "") -> list[dict[str, Any]]:
    response = client.get(f"/attention/{query}", headers=JSON)
    assert response.status_code == 200, response.content
    return response.json()["items"]


def held_by_the_dead_worker(emulator: Emulator) -> set[str]:
    step = emulator.backend.landmarks()["wedged_step"]
    kwargs = {key.removesuffix("Id") + "_id": value for key, value in step.items()}
    tasks = emulator.backend.list_tasks(**kwargs)["tasks"]
    return {t["taskId"] for t in tasks if t["runStatus"] in LIVE}


def test_the_dead_worker_and_the_tasks_it_holds_are_one_incident(
    client: Client, emulator: Emulator
) -> None:
    worker = emulator.backend.landmarks()["wedged_worker"]["workerId"]
    held = held_by_the_dead_worker(emulator)
    found = listed(client)

    dead = [i for i in found if i.get("worker_id") == worker and i["kind"] == "sick_worker"]
    assert len(dead) == 1
    inside = {t["task_id"] for t in dead[0]["tasks"]}
    assert len(held) == 5 and inside == held
    # None of its tasks is an incident of its own.
    assert not {i.get("task_id") for i in found} & held
    # Identical stalls, one impact: each task from the moment the worker was last seen working.
    impacts = {t["impact"] for t in dead[0]["tasks"]}
    assert len(impacts) == 1 and impacts.pop() > 0
    assert dead[0]["impact"] >= sum(t["impact"] for t in dead[0]["tasks"])

    # The page: one row for it, its tasks listed inside the row.
    page = client.get("/attention/").content.decode()
    rows = re.findall(r'<tr data-href="[^"]*" data-kind="[^"]*" data-key="([^"]+)">', page)
    assert rows.count(dead[0]["key"]) == 1
    row = re.search(rf'data-key="{re.escape(dead[0]["key"])}">.*?</tr>', page, re.S)
    assert row is not None and 'data-held="5"' in row.group(0)
    assert all(f"/tasks/{task_id}/" in row.group(0) for task_id in held)
    # The page says how impact is counted.
    assert "How impact is counted" in page


def test_the_kind_chips_filter_the_list_without_javascript(
    client: Client, emulator: Emulator
) -> None:
    everything = listed(client)
    page = client.get("/attention/").content.decode()
    for kind in attention.KINDS:
        assert f'<a href="/attention/?kind={kind}" class="attention-chip"' in page

    only = listed(client, "?kind=failed_job")
    assert only and {i["kind"] for i in only} == {"failed_job"}
    assert len(only) == sum(1 for i in everything if i["kind"] == "failed_job")
    filtered = client.get("/attention/?kind=failed_job").content.decode()
    assert (
        'href="/attention/?kind=failed_job" class="attention-chip" aria-current="true"' in filtered
    )
    kinds = set(re.findall(r'<tr data-href="[^"]*" data-kind="([^"]+)"', filtered))
    assert kinds == {"failed_job"}
    # A stopped worker's incident is about stalled tasks too: the "Stalled" chip finds it.
    stalled = listed(client, "?kind=stalled_task")
    assert any(i["kind"] == "sick_worker" and i.get("tasks") for i in stalled)
    assert all(
        i["kind"] == "stalled_task" or any(t["kind"] == "stalled_task" for t in i.get("tasks", []))
        for i in stalled
    )
    # Its live refresh keeps the filter.
    assert re.search(r'hx-get="/attention/\?kind=failed_job&amp;v=\w+"', filtered)


@pytest.mark.parametrize("kind", ["nonsense", "<script>", "sick"])
def test_an_unknown_kind_is_a_clear_400(client: Client, emulator: Emulator, kind: str) -> None:
    page = client.get("/attention/", {"kind": kind})
    assert page.status_code == 400
    assert (
        "No such kind of item" in page.content.decode() and "<script>" not in page.content.decode()
    )
    answer = client.get("/attention/", {"kind": kind}, headers=JSON)
    assert answer.status_code == 400 and "failed_job" in answer.json()["error"]


def test_the_where_column_is_never_cut(client: Client, emulator: Emulator) -> None:
    failed = next(i for i in listed(client) if i["kind"] == "failed_job")
    queues = emulator.backend.list_queues(farm_id=failed["farm_id"])["queues"]
    name = next(q["displayName"] for q in queues if q["queueId"] == failed["queue_id"])

    page = client.get("/attention/").content.decode()
    row = re.search(rf'data-key="{re.escape(failed["key"])}">.*?</tr>', page, re.S)
    assert row is not None
    cell = re.search(r'<td class="cell-where" data-label="Where">(.*?)</td>', row.group(0), re.S)
    assert cell is not None and "truncate" not in cell.group(1)
    assert f"/ {name}</bdi>" in cell.group(1)
