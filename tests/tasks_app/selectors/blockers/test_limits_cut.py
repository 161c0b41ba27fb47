"""The limits page looks for holders among a queue's first MAX_HOLDER_JOBS active jobs, and says
on the page and in its JSON how many more it did not read."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from tasks_app.selectors.blockers import limits
from tests.tasks_app.selectors.blockers import lab


def test_active_jobs_past_the_cap_are_said_to_be_unread(
    client: Client, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = lab.install(emulator)
    url = reverse("farm_limits", kwargs={"farm_id": ids["farmId"]})
    everything = client.get(url, HTTP_ACCEPT="application/json").json()
    assert everything["holders_not_read"] == []
    assert any(row["holders"] for row in everything["limits"])
    monkeypatch.setattr(limits, "MAX_HOLDER_JOBS", 0)
    lab.refresh()

    capped = client.get(url, HTTP_ACCEPT="application/json").json()
    html = client.get(url).content.decode()

    assert not any(row["holders"] for row in capped["limits"])
    (cut,) = [q for q in capped["holders_not_read"] if q["queue_id"] == ids["queues"]["work"]]
    assert cut["active_jobs"] > 0
    assert "data-holders-not-read" in html
    assert f"among its first 0 active jobs: {cut['active_jobs']} more were not read" in html
