"""Jobs waiting past DASHBOARD_WAIT_SECONDS for a reason an operator can act on (the
scheduling lab's attention items) reach a waiting_job rule's webhook, one per job, with the
link to the job's blockers; the first look is the rule's baseline."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.conf import LazySettings
from django.urls import reverse

from deadline_emulator import Emulator
from tasks_app.services import notifications
from tests.tasks_app.selectors.blockers import lab
from tests.tasks_app.services.notifications.receivers import HttpReceiver, http_receiver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver(settings: LazySettings) -> Iterator[HttpReceiver]:
    settings.DASHBOARD_NOTIFY_ALLOWED_HOSTS = ["127.0.0.0/8"]
    settings.DASHBOARD_NOTIFY_RETRY_SECONDS = 0.0
    settings.DASHBOARD_NOTIFY_BASE_URL = "http://testserver"
    with http_receiver() as found:
        yield found


def run_until_quiet() -> None:
    notifications.evaluate()
    for _ in range(5):
        if not notifications.deliver_due():
            return


def test_waiting_jobs_are_announced_once_each(
    emulator: Emulator, receiver: HttpReceiver, settings: LazySettings
) -> None:
    ids = lab.install(emulator)
    settings.DASHBOARD_FARMS = [ids["farmId"]]
    settings.DASHBOARD_WAIT_SECONDS = 3600  # nothing has waited that long yet
    notifications.create_team_rule(
        username="ada",
        event="waiting_job",
        farm_id=ids["farmId"],
        channel="webhook",
        target=f"{receiver.url}/hook",
        secret="s",
    )
    run_until_quiet()
    assert receiver.requests == []

    settings.DASHBOARD_WAIT_SECONDS = 600  # now they have
    for _ in range(2):  # a second look at the same waits says nothing more
        lab.refresh()
        run_until_quiet()

    bodies = [json.loads(r.body) for r in receiver.on("/hook")]
    jobs = ids["jobs"]
    waiting = {jobs[role] for role in ("no_fleet", "stopping", "licensed")}
    assert sorted(b["job_id"] for b in bodies) == sorted(waiting)
    assert {b["event"] for b in bodies} == {"waiting_job"}
    licensed = next(b for b in bodies if b["job_id"] == jobs["licensed"])
    assert "Nuke licences" in licensed["summary"]
    assert licensed["url"] == "http://testserver" + reverse(
        "job_blockers",
        kwargs={
            "farm_id": ids["farmId"],
            "queue_id": ids["queues"]["work"],
            "job_id": jobs["licensed"],
        },
    )
