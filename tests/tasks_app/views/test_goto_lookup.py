"""The go-to box finds a job from its ID alone (GetJob across the visible queues) or from a
piece of its name (SearchJobs' searchTermFilter CONTAINS): one match opens it, several give
a short list, none says so next to the field."""

from __future__ import annotations

import re

import pytest
from django.conf import LazySettings
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator


@pytest.fixture
def big(emulator: Emulator) -> dict[str, str]:
    return emulator.backend.landmarks()["big_step"]


def _job_url(ids: dict[str, str]) -> str:
    return reverse(
        "job_detail",
        kwargs={"farm_id": ids["farmId"], "queue_id": ids["queueId"], "job_id": ids["jobId"]},
    )


def _listed_jobs(html: str) -> list[str]:
    return re.findall(r'<a href="/farms/[^"]+/jobs/(job-[0-9a-f]{32})/" data-row-link>', html)


def test_a_bare_job_id_opens_its_job(client: Client, emulator: Emulator, big: dict) -> None:
    response = client.get("/go/", {"q": big["jobId"]})

    assert response.status_code == 302
    assert response["Location"] == _job_url(big)
    # GetJob on each visible queue (no guessed Search field), each queue listed once.
    assert emulator.calls["SearchJobs"] == 0
    assert emulator.calls["GetJob"] == len(emulator.backend.world.queues)


def test_a_bare_job_id_with_a_step_id_opens_the_step(
    client: Client, emulator: Emulator, big: dict
) -> None:
    response = client.get("/go/", {"q": f"{big['jobId']} {big['stepId']}"})

    assert response.status_code == 302
    assert response["Location"] == f"{_job_url(big)}steps/{big['stepId']}/"


def test_an_unknown_job_id_says_so_next_to_the_field(client: Client, emulator: Emulator) -> None:
    missing = "job-" + "0" * 32

    response = client.get("/go/", {"q": missing})
    html = response.content.decode()

    assert response.status_code == 404
    assert f"No job `{missing}` in the queues the dashboard can see." in html
    assert 'aria-invalid="true"' in html


def test_a_job_outside_the_allowed_farms_is_not_found(
    client: Client, emulator: Emulator, settings: LazySettings
) -> None:
    marks = emulator.backend.landmarks()
    settings.DASHBOARD_FARMS = [marks["farm_previs"]]

    response = client.get("/go/", {"q": marks["big_job"]["jobId"]})

    assert response.status_code == 404
    assert "No job `" in response.content.decode()


def test_one_job_name_match_opens_the_job(client: Client, emulator: Emulator, big: dict) -> None:
    response = client.get("/go/", {"q": "MASTER_beauty"})

    assert response.status_code == 302
    assert response["Location"] == _job_url(big)
    assert emulator.calls["SearchJobs"] == len(emulator.backend.world.queues)


def test_several_name_matches_give_a_short_list(client: Client, emulator: Emulator) -> None:
    response = client.get("/go/", {"q": "lighting_v038"})
    html = response.content.decode()

    listed = _listed_jobs(html)
    assert response.status_code == 200
    assert len(listed) >= 2
    for job_id in listed:
        name = next(
            job["name"]
            for queue in emulator.backend.world.queues
            for job in emulator.backend.list_jobs(farm_id=queue.farm_id, queue_id=queue.queue_id)[
                "jobs"
            ]
            if job["jobId"] == job_id
        )
        assert "lighting_v038" in name
    assert "whose name contains “<bdi>lighting_v038</bdi>”" in html


def test_no_name_match_says_so(client: Client, emulator: Emulator) -> None:
    response = client.get("/go/", {"q": "no such shot anywhere"})

    assert response.status_code == 404
    assert "No job name contains “no such shot anywhere”" in response.content.decode()


def test_markup_in_a_name_finds_the_hostile_job_and_is_escaped_when_not_found(
    client: Client, emulator: Emulator
) -> None:
    hostile = emulator.backend.landmarks()["hostile_job"]

    found = client.get("/go/", {"q": "<script>alert(1)</script> sh0666"})
    missing = client.get("/go/", {"q": "<b>nothing</b>"}).content.decode()

    assert found.status_code == 302 and found["Location"] == _job_url(hostile)
    assert "<b>nothing</b>" not in missing
    assert "&lt;b&gt;nothing&lt;/b&gt;" in missing


def test_several_matches_through_htmx_open_the_list_page(
    client: Client, emulator: Emulator
) -> None:
    response = client.get("/go/", {"q": "lighting_v038"}, headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/go/?q=lighting_v038")
