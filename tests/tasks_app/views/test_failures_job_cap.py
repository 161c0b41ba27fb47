"""The queue's failures read at most MAX_QUEUE_JOBS jobs of the window, and the page says how
many more the window holds when the cap cut them."""

from __future__ import annotations

import pytest
from django.conf import LazySettings
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from tasks_app.selectors.failures import head


@pytest.fixture(autouse=True)
def complete_pages(settings: LazySettings) -> None:
    settings.DASHBOARD_FAILURES_FIRST_PAINT_SECONDS = 60


def queue_url(emulator: Emulator) -> str:
    job = emulator.backend.landmarks()["big_job"]
    return reverse("queue_failures", kwargs={"farm_id": job["farmId"], "queue_id": job["queueId"]})


def test_jobs_past_the_cap_are_said_to_be_unread(
    client: Client, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(head, "MAX_QUEUE_JOBS", 2)

    html = client.get(queue_url(emulator), {"window": "168"}).content.decode()

    assert "in 2 jobs of the last 7 days" in html
    assert "<span data-jobs-not-read>(the newest 2: " in html
    assert "more of the window's jobs were not read)" in html
    data = client.get(queue_url(emulator), {"window": "168", "format": "json"}).json()
    assert data["jobs_not_read"] > 0
    assert f"(the newest 2: {data['jobs_not_read']:,} more" in html


def test_no_such_note_when_every_job_of_the_window_was_read(
    client: Client, emulator: Emulator
) -> None:
    html = client.get(queue_url(emulator), {"window": "168"}).content.decode()

    assert "of the last 7 days" in html
    assert "data-jobs-not-read" not in html
