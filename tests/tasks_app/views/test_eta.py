"""ETAs on the demo world: with the emulator's clock pinned, a running step's ETA range
contains the moment it actually finishes once the clock is advanced; the step and job pages
show it beside the status bar."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from tasks_app.deadline.types import Step, TaskRunStatus
from tasks_app.selectors import eta, resources

SETTLED = {"SUCCEEDED", "FAILED", "CANCELED", "NOT_COMPATIBLE", "SUSPENDED"}


def _kwargs(ids: dict[str, str]) -> dict[str, str]:
    return {key.removesuffix("Id") + "_id": value for key, value in ids.items()}


def running_steps(emulator: Emulator, limit: int) -> list[tuple[dict[str, str], Step]]:
    """The first ``limit`` stream steps running now with enough finished tasks for an ETA."""
    found = []
    for job in emulator.backend.jobs():
        for answer in emulator.backend.list_steps(**_kwargs(job))["steps"]:
            step = Step.from_api(answer)
            counts = step.status_counts
            if counts.get(TaskRunStatus.RUNNING) and counts.get(TaskRunStatus.SUCCEEDED, 0) >= 20:
                found.append(({**job, "stepId": step.step_id}, step))
                if len(found) == limit:
                    return found
    return found


def finished_at(emulator: Emulator, ids: dict[str, str]) -> datetime:
    """Advance the emulator's clock two minutes at a time until every task of the step has
    settled; when its last task ended (the step's endedAt)."""
    for _ in range(24 * 30):
        emulator.clock.advance(120)
        answer = emulator.backend.get_step(**_kwargs(ids))
        if all(status in SETTLED for status, n in answer["taskRunStatusCounts"].items() if n):
            return answer["endedAt"]
    raise AssertionError(f"step {ids['stepId']} still running a day later")


def step_url(ids: dict[str, str]) -> str:
    return reverse("step_detail", kwargs=_kwargs(ids))


def test_a_running_steps_eta_range_contains_its_completion(
    client: Client, emulator: Emulator
) -> None:
    steps = running_steps(emulator, limit=3)
    assert len(steps) == 3
    pinned = emulator.clock.now()
    for ids, step in steps:
        emulator.clock.pin(pinned)
        now = resources.now()
        result = eta.step_eta(
            farm_id=ids["farmId"],
            queue_id=ids["queueId"],
            job_id=ids["jobId"],
            step=step,
            now=now,
        )
        assert result.eta is not None, result.reason
        page = client.get(step_url(ids)).content.decode()
        # Beside the status bar, as text.
        assert f'<span class="status-bar__eta">ETA {result.eta.text}</span>' in page

        done = finished_at(emulator, ids)

        earliest, _, latest = result.eta.finishes
        assert earliest <= done <= latest, (step.name, earliest, done, latest)


def test_no_eta_before_enough_tasks_finished(client: Client, emulator: Emulator) -> None:
    """A step that has just started says why it has no ETA yet, and shows none in its bar."""
    for job in emulator.backend.jobs():
        for answer in emulator.backend.list_steps(**_kwargs(job))["steps"]:
            counts = answer["taskRunStatusCounts"]
            if counts["RUNNING"] and counts["SUCCEEDED"] == 0 and not counts["FAILED"]:
                ids = {**job, "stepId": answer["stepId"]}
                page = client.get(step_url(ids)).content.decode()
                assert "No ETA yet: 0 of the 8 finished tasks it needs" in page
                assert "status-bar__eta" not in page
                return
    raise AssertionError("no freshly started step in the demo world at this time")


def test_the_job_page_shows_the_job_and_its_steps_etas(client: Client, emulator: Emulator) -> None:
    (ids, _), *_ = running_steps(emulator, limit=1)
    job_url = reverse(
        "job_detail",
        kwargs={"farm_id": ids["farmId"], "queue_id": ids["queueId"], "job_id": ids["jobId"]},
    )
    html = client.get(job_url).content.decode()
    facts = re.search(r'<div class="fact fact--eta"><dt>ETA</dt><dd>(.*?)</dd>', html, re.S)
    assert facts is not None
    # Either the job's range, or why it has none (a step that has not started yet).
    text: Any = facts.group(1)
    assert re.search(r"about \d+(\.\d)? (min|h), ", text) or "has not started" in text
    # The running step's row carries its own ETA beside its bar.
    assert re.search(r'<td class="cell-bar">.*?ETA about', html, re.S)
