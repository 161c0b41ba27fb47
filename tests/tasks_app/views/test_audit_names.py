"""/audit/ filters by names as well as IDs: part of a job's name, part of a user's name (any
case), part of a farm's name (matched against the farms the dashboard sees); a value that
starts like an ID but is not one gets a message."""

from __future__ import annotations

import pytest
from django.test import Client

from deadline_emulator import Emulator
from tasks_app.models import ActionRun
from tests.tasks_app.views.test_audit_machines import JOB, order, trail  # noqa: F401

pytestmark = pytest.mark.django_db


def test_part_of_a_job_name_finds_its_actions(client: Client, trail: dict[str, int]) -> None:  # noqa: F811
    by_name = order(client.get("/audit/", {"job": "010 COMP"}).content.decode())
    by_id = order(client.get("/audit/", {"job": JOB}).content.decode())

    assert by_name == by_id == [f"/audit/{trail['priority']}/", f"/audit/{trail['requeue']}/"]
    assert order(client.get("/audit/", {"job": "shot_999"}).content.decode()) == []


def test_part_of_a_user_name_any_case(client: Client, trail: dict[str, int]) -> None:  # noqa: F811
    assert order(client.get("/audit/", {"user": "BO"}).content.decode()) == [
        f"/audit/machines/{trail['sized']}/"
    ]


def test_a_farm_by_its_name(client: Client, emulator: Emulator) -> None:
    farms = emulator.backend.list_farms(max_results=100)["farms"]
    main, other = farms[0], farms[1]
    made = {}
    for n, farm in enumerate((main, other)):
        made[farm["farmId"]] = ActionRun.objects.create(
            username="ada",
            action="requeue",
            scope="job",
            farm_id=farm["farmId"],
            queue_id="queue-" + "2" * 32,
            job_id="job-" + "3" * 32,
            method="UpdateJob",
            state="done",
            confirm_nonce=f"n{n}",
        ).pk
    word = next(w for w in main["displayName"].split() if w not in other["displayName"])

    listed = order(client.get("/audit/", {"farm": word.lower()}).content.decode())

    assert listed == [f"/audit/{made[main['farmId']]}/"]
    assert order(client.get("/audit/", {"farm": "no such farm"}).content.decode()) == []


def test_a_malformed_id_gets_a_message(client: Client) -> None:
    response = client.get("/audit/", {"job": "job-../../etc"})

    assert response.status_code == 400
    assert "Expected job-" in response.content.decode()
