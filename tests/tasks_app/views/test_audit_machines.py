"""/audit/ lists machine actions (a worker removed, a fleet sized) beside actions on work:
newest first across both, marked as machine actions and linking to their result page, under
the farm and user filters and the farm allow-list; a job filter (the job page's table) lists
work only."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import LazySettings
from django.test import Client
from django.utils import timezone

from tasks_app.models import ActionRun, MachineAction

FARM = "farm-" + "1" * 32
OTHER_FARM = "farm-" + "9" * 32
QUEUE = "queue-" + "2" * 32
JOB = "job-" + "3" * 32
FLEET = "fleet-" + "4" * 32
WORKER = "worker-" + "5" * 32
pytestmark = pytest.mark.django_db


@pytest.fixture
def trail() -> dict[str, int]:
    """Oldest to newest: a requeue, a worker removed, a priority change, a fleet sized (by
    another user), and a fleet sized on another farm."""
    start = timezone.now() - timedelta(hours=1)

    def run(minutes: int, action: str, nonce: str) -> int:
        return ActionRun.objects.create(
            created_at=start + timedelta(minutes=minutes),
            username="ada",
            action=action,
            scope="job",
            farm_id=FARM,
            queue_id=QUEUE,
            job_id=JOB,
            job_name="shot_010 comp",
            method="UpdateJob",
            state="done",
            confirm_nonce=nonce,
        ).pk

    def machine(minutes: int, farm: str, user: str, nonce: str, **fields: object) -> int:
        return MachineAction.objects.create(
            created_at=start + timedelta(minutes=minutes),
            username=user,
            farm_id=farm,
            fleet_id=FLEET,
            state="done",
            confirm_nonce=nonce,
            **fields,
        ).pk

    return {
        "requeue": run(1, "requeue", "r1"),
        "removed": machine(
            2, FARM, "ada", "m1", kind="remove-worker", worker_id=WORKER, method="DeleteWorker",
            before={"status": "STOPPED", "host_name": "render-07"}, reason="<b>dead disk</b>",
        ),
        "priority": run(3, "priority", "r2"),
        "sized": machine(
            4, FARM, "bob", "m2", kind="fleet-size", method="UpdateFleet",
            before={"name": "Spot CPU", "min": 0, "max": 10}, requested={"min": 2, "max": 40},
        ),
        "elsewhere": machine(
            5, OTHER_FARM, "ada", "m3", kind="fleet-size", method="UpdateFleet",
            requested={"min": 0, "max": 1},
        ),
    }  # fmt: skip


def order(html: str) -> list[str]:
    """The rows' result links in the page's order."""
    return re.findall(r'href="(/audit/(?:machines/)?\d+/)"', html)


def test_machine_actions_are_listed_among_actions_on_work_newest_first(
    client: Client, trail: dict[str, int]
) -> None:
    html = client.get("/audit/").content.decode()
    assert order(html) == [
        f"/audit/machines/{trail['elsewhere']}/",
        f"/audit/machines/{trail['sized']}/",
        f"/audit/{trail['priority']}/",
        f"/audit/machines/{trail['removed']}/",
        f"/audit/{trail['requeue']}/",
    ]
    removed = html[html.index(f'data-machine-action="{trail["removed"]}"') :]
    removed = removed[: removed.index("</tr>")]
    assert "Machine action" in removed and "DeleteWorker" in removed
    assert f"/farms/{FARM}/fleets/{FLEET}/workers/{WORKER}/" in removed
    assert "render-07" in removed
    assert "&lt;b&gt;dead disk&lt;/b&gt;" in removed and "<b>dead" not in removed
    sized = html[html.index(f'data-machine-action="{trail["sized"]}"') :]
    sized = sized[: sized.index("</tr>")]
    assert "UpdateFleet" in sized and "2\u201340" in sized and "Spot CPU" in sized
    assert client.get(f"/audit/machines/{trail['sized']}/").status_code == 200


def test_the_filters_and_the_allow_list_hold_for_machine_actions(
    client: Client, trail: dict[str, int], settings: LazySettings
) -> None:
    by_bob = order(client.get("/audit/", {"user": "bob"}).content.decode())
    assert by_bob == [f"/audit/machines/{trail['sized']}/"]
    on_farm = order(client.get("/audit/", {"farm": OTHER_FARM}).content.decode())
    assert on_farm == [f"/audit/machines/{trail['elsewhere']}/"]
    on_job = order(client.get("/audit/", {"job": JOB}).content.decode())
    assert on_job == [f"/audit/{trail['priority']}/", f"/audit/{trail['requeue']}/"]

    settings.DASHBOARD_FARMS = [FARM]
    shown = order(client.get("/audit/").content.decode())
    assert f"/audit/machines/{trail['elsewhere']}/" not in shown and len(shown) == 4
    # Its result page is as hidden as the farm, like a task action's.
    assert client.get(f"/audit/machines/{trail['elsewhere']}/").status_code == 404
    assert client.get(f"/audit/machines/{trail['sized']}/").status_code == 200


def test_machine_actions_page_with_the_rest(
    client: Client, trail: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tasks_app.selectors.audit.AUDIT_PAGE_SIZE", 2)
    first = client.get("/audit/").content.decode()
    second = client.get("/audit/", {"page": 2}).content.decode()
    third = client.get("/audit/", {"page": 3}).content.decode()
    assert order(first) + order(second) + order(third) == [
        f"/audit/machines/{trail['elsewhere']}/",
        f"/audit/machines/{trail['sized']}/",
        f"/audit/{trail['priority']}/",
        f"/audit/machines/{trail['removed']}/",
        f"/audit/{trail['requeue']}/",
    ]
    assert "1\u20132 of 5" in first
