"""Finding a job by name reads at most MAX_QUEUES queues, and says when the cap left some out."""

from __future__ import annotations

import pytest

from deadline_emulator import Emulator
from tasks_app.selectors import find


def test_queues_past_the_cap_are_named_as_not_searched(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    queues = len(emulator.backend.world.queues)
    monkeypatch.setattr(find, "MAX_QUEUES", 2)

    found = find.find_jobs_by_name(name="sq0")

    assert queues > 2
    assert f"{queues - 2:,} more queues (one lookup reads 2)" in found.unread
    assert emulator.calls["SearchJobs"] == 2


def test_no_note_when_every_queue_was_read(emulator: Emulator) -> None:
    found = find.find_jobs_by_name(name="sq0")

    assert not any("more queues" in name for name in found.unread)
    assert emulator.calls["SearchJobs"] == len(emulator.backend.world.queues)
