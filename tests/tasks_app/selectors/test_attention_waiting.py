"""``waiting_job`` attention items: work waiting longer than DASHBOARD_WAIT_SECONDS with a
blocker an operator can act on, worst first, gone once the cause is removed."""

from __future__ import annotations

import pytest
from django.conf import LazySettings as SettingsWrapper
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from tests.tasks_app.selectors.blockers import lab

# The list reads acknowledgements from the database.
pytestmark = pytest.mark.django_db


def _waiting(client: Client) -> list[dict]:
    items = client.get(reverse("attention"), headers={"Accept": "application/json"}).json()
    return [i for i in items["items"] if i["kind"] == "waiting_job"]


def test_waiting_jobs_with_actionable_blockers(
    client: Client, emulator: Emulator, settings: SettingsWrapper
) -> None:
    ids = lab.install(emulator)
    settings.DASHBOARD_FARMS = [ids["farmId"]]
    settings.DASHBOARD_WAIT_SECONDS = 600
    items = _waiting(client)
    jobs = ids["jobs"]
    # Among the jobs the list reads (its search of unfinished work: a job whose every task is
    # SUSPENDED or NOT_COMPATIBLE is not one of them).
    assert {i["job_id"] for i in items} == {
        jobs[role] for role in ("no_fleet", "stopping", "licensed")
    }
    # A blocked queue (over budget) is its own item; a full fleet passes by itself.
    assert jobs["budget"] not in {i["job_id"] for i in items}
    assert jobs["behind"] not in {i["job_id"] for i in items}
    impacts = [i["impact"] for i in items]
    assert impacts == sorted(impacts, reverse=True)
    licensed = next(i for i in items if i["job_id"] == jobs["licensed"])
    assert "4 tasks waiting for 30 min" in licensed["reason"]
    assert "Nuke licences" in licensed["reason"]
    assert licensed["url"] == reverse(
        "job_blockers",
        kwargs={
            "farm_id": ids["farmId"],
            "queue_id": ids["queues"]["work"],
            "job_id": jobs["licensed"],
        },
    )
    lab.api(emulator).update_limit(farmId=ids["farmId"], limitId=ids["limitId"], maxCount=8)
    lab.refresh()
    assert jobs["licensed"] not in {i["job_id"] for i in _waiting(client)}


def test_not_before_dashboard_wait_seconds(
    client: Client, emulator: Emulator, settings: SettingsWrapper
) -> None:
    ids = lab.install(emulator)
    settings.DASHBOARD_FARMS = [ids["farmId"]]
    settings.DASHBOARD_WAIT_SECONDS = 3600
    assert _waiting(client) == []
