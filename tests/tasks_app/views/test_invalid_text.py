"""A lone UTF-16 surrogate in a name, a parameter or a log line, sent by the API as JSON
allows (``\\ud800``), reaches no page: each shows U+FFFD where it was, never a 500."""

from __future__ import annotations

from botocore.stub import Stubber
from django.test import Client

from deadline_emulator import Emulator
from tasks_app.deadline import client as deadline_client
from tests.conftest import Tiny
from tests.demo import task_url
from tests.tasks_app.tiny_world import FARM_ID, JOB_ID, QUEUE_ID


def test_surrogates_in_names_and_parameters_show_as_replacement_characters(
    client: Client, tiny: Tiny
) -> None:
    tiny.world.farms[FARM_ID]["displayName"] = "Paris \udfff farm"
    tiny.world.jobs[(FARM_ID, QUEUE_ID, JOB_ID)]["name"] = "shot_042\ud800_v3"
    ids = tiny.world.add_task(
        0,
        runStatus="RUNNING",
        parameters={"Note\udc00": {"string": "take \ud83d 2"}, "Frame": {"int": "1042"}},
    )
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get(ids.url(), headers=headers)
        assert response.status_code == 200
    html = client.get(ids.url()).content.decode()
    for repaired in ("Paris \ufffd farm", "shot_042\ufffd_v3", "Note\ufffd", "take \ufffd 2"):
        assert repaired in html


def test_a_surrogate_in_a_log_line_shows_as_a_replacement_character(
    client: Client, emulator: Emulator
) -> None:
    ids = emulator.backend.landmarks()["failed_with_retries_task"]
    logs = deadline_client.get_logs_client()
    with Stubber(logs) as stubber:
        stubber.add_response(
            "get_log_events",
            {
                "events": [{"timestamp": 1_795_000_000_000, "message": "frame 7 \ud800 done"}],
                "nextForwardToken": "f/1",
                "nextBackwardToken": "b/1",
            },
        )
        response = client.get(task_url(ids), {"attempt": "latest"})
    assert response.status_code == 200
    assert "frame 7 \ufffd done" in response.content.decode()
