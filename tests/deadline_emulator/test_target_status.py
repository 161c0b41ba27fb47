"""targetTaskRunStatus follows one rule for seeded and written changes: the target of the
latest status change made to the whole job (for a step: to the job or to that step)."""

from __future__ import annotations

from typing import Any

import pytest

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.seed import DEMO_EPOCH
from deadline_emulator.transport import in_process_client


@pytest.fixture
def world() -> tuple[Any, dict[str, Any]]:
    emulator = Emulator(seed=0, clock=Clock(pinned_at=DEMO_EPOCH + 5 * 3600))
    return in_process_client(emulator), emulator.backend.landmarks()


def _targets(client: Any, job: dict[str, str]) -> tuple[str | None, list[str | None]]:
    found = client.search_jobs(
        farmId=job["farmId"], queueIds=[job["queueId"]], itemOffset=0, pageSize=100
    )["jobs"]
    searched = next(j for j in found if j["jobId"] == job["jobId"])
    listed = next(
        j
        for page in client.get_paginator("list_jobs").paginate(
            farmId=job["farmId"], queueId=job["queueId"]
        )
        for j in page["jobs"]
        if j["jobId"] == job["jobId"]
    )
    got = client.get_job(**job).get("targetTaskRunStatus")
    assert searched.get("targetTaskRunStatus") == listed.get("targetTaskRunStatus") == got
    steps = [s.get("targetTaskRunStatus") for s in client.list_steps(**job)["steps"]]
    return got, steps


def test_a_seeded_cancel_then_a_requeue_reads_like_written_ones(world: Any) -> None:
    client, landmarks = world
    job = landmarks["canceled_job"]
    assert _targets(client, job) == ("CANCELED", ["CANCELED"])
    client.update_job(**job, targetTaskRunStatus="READY")
    assert _targets(client, job) == ("READY", ["READY"])


def test_a_written_cancel_is_shown_and_a_step_requeue_is_the_steps_own(world: Any) -> None:
    client, landmarks = world
    job = landmarks["failed_deps_job"]
    before, _ = _targets(client, job)
    assert before is None
    client.update_job(**job, targetTaskRunStatus="CANCELED")
    got, steps = _targets(client, job)
    assert got == "CANCELED" and set(steps) == {"CANCELED"}
    first = client.list_steps(**job)["steps"][0]["stepId"]
    client.update_step(**job, stepId=first, targetTaskRunStatus="READY")
    got, steps = _targets(client, job)
    assert got == "CANCELED"
    assert steps[0] == "READY" and set(steps[1:]) == {"CANCELED"}
