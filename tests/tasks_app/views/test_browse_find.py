"""Find a task on the step page by what operators think in: a number is a frame where the step
has a frame parameter (its value, or the chunk holding it), ``#N`` is the task with index N,
and a step without frames still reads a number as an index."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from deadline_emulator import Emulator
from tests.tasks_app.views.browse_pages import TASK_ROW as ROW
from tests.tasks_app.views.browse_pages import step_url


def found(client: Client, ids: dict[str, str], text: str) -> list[int]:
    response = client.get(step_url(ids), {"q": text})
    assert response.status_code == 200
    return [int(t.rsplit("-", 1)[1]) for t in ROW.findall(response.content.decode())]


@pytest.mark.parametrize(
    ("text", "indexes"),
    [
        ("0", [2]),  # Frame values 1, -12, 0, 1001, 99999, 42: frame 0 is the third task
        ("-12", [1]),
        ("42", [5]),
        ("#0", [0]),
        ("index:5", [5]),
        ("7", []),  # no task renders Frame 7: a number never falls back to an index here
    ],
)
def test_numbers_are_frames_on_a_step_with_frames(
    client: Client, emulator: Emulator, text: str, indexes: list[int]
) -> None:
    assert found(client, emulator.backend.landmarks()["params_step"], text) == indexes


def archive_step(emulator: Emulator) -> dict[str, Any]:
    job = emulator.backend.landmarks()["archive_job"]
    ids = {"farm_id": job["farmId"], "queue_id": job["queueId"], "job_id": job["jobId"]}
    (step,) = emulator.backend.list_steps(**ids)["steps"]
    return {**job, "stepId": step["stepId"]}


def test_a_frame_is_found_in_the_chunk_that_holds_it(client: Client, emulator: Emulator) -> None:
    ids = archive_step(emulator)  # 30 tasks of ten frames: 1-10, 11-20, ...

    response = client.get(step_url(ids), {"q": "93"})
    html = response.content.decode()

    assert [int(t.rsplit("-", 1)[1]) for t in ROW.findall(html)] == [9]  # frames 91-100
    assert "hold chunks of frames" in html
    assert found(client, ids, "#9") == [9]
    assert found(client, ids, "301") == []


def test_a_number_is_an_index_on_a_step_without_frames(client: Client, emulator: Emulator) -> None:
    bare = emulator.backend.landmarks()["bare_step"]

    assert found(client, bare, "0") == [0]
    assert found(client, bare, "#0") == [0]
