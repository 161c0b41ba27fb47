"""The start estimate against a simulated full fleet: taken while the work ahead drains, the
real start (the job's startedAt once the clock has moved on) falls within the range."""

from __future__ import annotations

from datetime import UTC, datetime

from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from deadline_emulator.scheduling_lab import add_capacity_scenario
from tasks_app.selectors import blockers
from tests.tasks_app.selectors.blockers import lab

SLOT = 300.0


def test_real_start_falls_within_the_estimate(emulator: Emulator) -> None:
    emulator.clock.pin(emulator.clock.now())
    ids = add_capacity_scenario(emulator.backend, workers=4, ahead_tasks=40, slot_seconds=SLOT)
    ready = ids["drainedAt"] - 10 * SLOT  # ten waves of four tasks ahead
    # Mid-wave: every worker busy on the job ahead, two waves finished (the throughput).
    emulator.clock.pin(ready + 2 * SLOT + 150)
    args = {"farm_id": ids["farmId"], "queue_id": ids["queueId"], "job_id": ids["behindJobId"]}
    report = blockers.job_blockers(**args)
    assert [b.kind for b in report.blockers] == ["fleet_at_capacity", "behind_other_jobs"]
    behind = report.blockers[1]
    assert behind.current == 1 and "28 queued tasks" in behind.reason
    assert "capacity_ahead_v001" in behind.evidence[0]
    assert report.estimate.known, report.estimate.reason
    api = lab.api(emulator)
    job = {"farmId": ids["farmId"], "queueId": ids["queueId"], "jobId": ids["behindJobId"]}
    assert "startedAt" not in api.get_job(**job)
    emulator.clock.pin(ids["drainedAt"] + SLOT)
    started = api.get_job(**job)["startedAt"]
    assert report.estimate.earliest <= started <= report.estimate.latest
    data = report.as_json()["estimated_start"]
    assert datetime.fromisoformat(data["earliest"]) == report.estimate.earliest.astimezone(UTC)


def test_no_estimate_without_throughput_or_when_a_person_must_act(emulator: Emulator) -> None:
    ids = lab.install(emulator)
    farm = ids["farmId"]
    full = blockers.job_blockers(
        farm_id=farm, queue_id=ids["queues"]["capacity"], job_id=ids["jobs"]["behind"]
    )
    assert [b.kind for b in full.blockers] == ["fleet_at_capacity"]
    assert not full.estimate.known and "No task has finished" in full.estimate.reason
    budget = blockers.job_blockers(
        farm_id=farm, queue_id=ids["queues"]["budget"], job_id=ids["jobs"]["budget"]
    )
    assert not budget.estimate.known and "person" in budget.estimate.reason


def test_raising_the_priority_puts_the_job_first(emulator: Emulator) -> None:
    emulator.clock.pin(emulator.clock.now())
    ids = add_capacity_scenario(emulator.backend, workers=4, ahead_tasks=40, slot_seconds=SLOT)
    emulator.clock.pin(ids["drainedAt"] - 8 * SLOT + 150)
    args = {"farm_id": ids["farmId"], "queue_id": ids["queueId"], "job_id": ids["behindJobId"]}
    assert "behind_other_jobs" in [b.kind for b in blockers.job_blockers(**args).blockers]
    lab.api(emulator).update_job(
        farmId=ids["farmId"], queueId=ids["queueId"], jobId=ids["behindJobId"], priority=90
    )
    lab.refresh()
    assert "behind_other_jobs" not in [b.kind for b in blockers.job_blockers(**args).blockers]


def test_the_pages_show_the_estimated_start(emulator: Emulator, client: Client) -> None:
    emulator.clock.pin(emulator.clock.now())
    ids = add_capacity_scenario(emulator.backend, workers=4, ahead_tasks=40, slot_seconds=SLOT)
    emulator.clock.pin(ids["drainedAt"] - 8 * SLOT + 150)
    kwargs = {"farm_id": ids["farmId"], "queue_id": ids["queueId"], "job_id": ids["behindJobId"]}
    url = reverse("job_blockers", kwargs=kwargs)
    data = client.get(url, headers={"Accept": "application/json"}).json()
    assert data["estimated_start"] is not None
    page = client.get(url).content.decode()
    assert "Estimated start" in page and "between <time" in page
    line = client.get(f"{url}?part=line", headers={"HX-Request": "true"}).content.decode()
    assert "Fleet full; Behind other jobs" not in line  # labels are isolated
    assert "<bdi>Fleet full</bdi>; <bdi>Behind other jobs</bdi>" in line
    assert "between <time" in line
