"""The browse page's navigation form: farm -> queue -> job -> step -> task, with and without
htmx, on the demo world."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from deadline_emulator import Emulator
from tests.demo import task_url
from tests.htmx_headers import HTMX as HX

# Counts of API calls across requests must not depend on how fast a loaded machine serves them.
pytestmark = pytest.mark.usefixtures("held_clock")


def options(html: str, name: str) -> list[str]:
    select = re.search(rf'<select id="nav-[a-z]+" name="{name}"(.*?)</select>', html, re.S)
    assert select is not None, name
    return re.findall(r'<option value="([^"]+)"', select.group(1))


def selected(html: str, name: str) -> str | None:
    select = re.search(rf'<select id="nav-[a-z]+" name="{name}"(.*?)</select>', html, re.S)
    assert select is not None
    found = re.search(r'<option value="([^"]*)" selected>', select.group(1))
    return found.group(1) if found else None


def disabled(html: str, name: str) -> bool:
    tag = re.search(rf'<select id="nav-[a-z]+" name="{name}"[^>]*>', html)
    assert tag is not None
    return " disabled" in tag.group(0)


@pytest.fixture
def big(emulator: Emulator) -> dict[str, str]:
    return emulator.backend.landmarks()["big_step"]


def test_empty_form_offers_farms_only(client: Client, emulator: Emulator) -> None:
    html = client.get("/browse/").content.decode()

    assert options(html, "farm_id") == [
        emulator.backend.landmarks()["farm_main"],
        emulator.backend.landmarks()["farm_previs"],
    ]
    assert disabled(html, "queue_id") and disabled(html, "task_id")
    assert "Choose a farm first" in html
    assert 'hx-get="/browse/" hx-trigger="change" hx-target="#slot-queue"' in html
    assert emulator.calls.snapshot() == {"ListFarms": 1}


def test_without_js_each_submit_fills_the_next_level(
    client: Client, emulator: Emulator, big: dict[str, str]
) -> None:
    farm = client.get("/browse/", {"farm_id": big["farmId"], "shown": "|||"}).content.decode()
    queue = client.get(
        "/browse/",
        {"farm_id": big["farmId"], "queue_id": big["queueId"], "shown": f"{big['farmId']}|||"},
    ).content.decode()
    step = client.get(
        "/browse/",
        {
            "farm_id": big["farmId"],
            "queue_id": big["queueId"],
            "job_id": big["jobId"],
            "step_id": big["stepId"],
            "shown": f"{big['farmId']}|{big['queueId']}|{big['jobId']}|",
        },
    ).content.decode()

    assert big["queueId"] in options(farm, "queue_id")
    assert disabled(farm, "job_id")
    assert ">Show jobs</button>" in farm
    jobs = options(queue, "job_id")
    assert big["jobId"] in jobs and len(jobs) == 30  # with the showcase job
    assert selected(step, "step_id") == big["stepId"]
    tasks = options(step, "task_id")
    assert len(tasks) == 100  # a page, not 10,000 options
    assert "100 of 10000 tasks shown: type a frame, a task index (#1042)" in step
    assert '<input type="hidden" name="shown" value="' + f"{big['farmId']}|{big['queueId']}|" in (
        step
    )


def test_complete_selection_redirects_to_the_task_url(
    client: Client, emulator: Emulator, big: dict[str, str]
) -> None:
    task = emulator.backend.landmarks()["big_last_task"]
    shown = f"{big['farmId']}|{big['queueId']}|{big['jobId']}|{big['stepId']}"

    response = client.get(
        "/browse/",
        {
            "farm_id": big["farmId"],
            "queue_id": big["queueId"],
            "job_id": big["jobId"],
            "step_id": big["stepId"],
            "task_id": task["taskId"],
            "shown": shown,
        },
    )

    assert response.status_code == 302
    assert response["Location"] == task_url(task)


def test_changing_a_level_without_js_drops_the_levels_below(
    client: Client, emulator: Emulator, big: dict[str, str]
) -> None:
    other = emulator.backend.landmarks()["farm_previs"]
    response = client.get(
        "/browse/",
        {
            "farm_id": other,
            "queue_id": big["queueId"],
            "job_id": big["jobId"],
            "step_id": big["stepId"],
            "task_id": emulator.backend.landmarks()["big_last_task"]["taskId"],
            "shown": f"{big['farmId']}|{big['queueId']}|{big['jobId']}|{big['stepId']}",
        },
    )
    html = response.content.decode()

    assert response.status_code == 200  # no redirect to a task of the other farm
    assert selected(html, "farm_id") == other
    assert selected(html, "queue_id") is None
    assert big["queueId"] not in options(html, "queue_id")
    assert disabled(html, "job_id")


def test_htmx_change_swaps_only_the_levels_below(
    client: Client, emulator: Emulator, big: dict[str, str]
) -> None:
    response = client.get(
        "/browse/",
        {"farm_id": big["farmId"], "queue_id": "queue-" + "0" * 32},
        headers={**HX, "HX-Trigger-Name": "farm_id"},
    )
    html = response.content.decode()

    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="slot-farm"' not in html  # the changed select stays as it is
    assert html.lstrip().startswith('<div id="slot-queue"')
    assert 'id="slot-job" class="nav-slot field" hx-swap-oob="true"' in html
    assert 'id="slot-submit" class="nav-slot nav-submit" hx-swap-oob="true"' in html
    assert big["queueId"] in options(html, "queue_id")
    assert selected(html, "queue_id") is None  # the old queue belonged to the old choice
    assert emulator.calls.snapshot() == {"ListQueues": 1}


def test_htmx_job_filter_narrows_the_job_select(
    client: Client, emulator: Emulator, big: dict[str, str]
) -> None:
    response = client.get(
        "/browse/",
        {"farm_id": big["farmId"], "queue_id": big["queueId"], "job_filter": "master_beauty"},
        headers={**HX, "HX-Trigger-Name": "job_filter"},
    )
    html = response.content.decode()

    assert html.lstrip().startswith('<div id="slot-job"')
    assert options(html, "job_id") == [big["jobId"]]


@pytest.mark.parametrize("typed", ["Frame=5000", "5000", "#4999"])  # a number is a frame
def test_htmx_task_search_finds_a_task_among_10000(
    client: Client, emulator: Emulator, big: dict[str, str], typed: str
) -> None:
    response = client.get(
        "/browse/",
        {
            "farm_id": big["farmId"],
            "queue_id": big["queueId"],
            "job_id": big["jobId"],
            "step_id": big["stepId"],
            "task_search": typed,
        },
        headers={**HX, "HX-Trigger-Name": "task_search"},
    )
    html = response.content.decode()

    assert html.lstrip().startswith('<div id="slot-task"')
    assert options(html, "task_id") == [f"task-{big['stepId'].removeprefix('step-')}-4999"]
    assert "#4999 · Frame=5000" in html


def test_task_status_filter_lists_failed_tasks(
    client: Client, emulator: Emulator, big: dict[str, str]
) -> None:
    html = client.get(
        "/browse/",
        {
            "farm_id": big["farmId"],
            "queue_id": big["queueId"],
            "job_id": big["jobId"],
            "step_id": big["stepId"],
            "task_status": "FAILED",
        },
    ).content.decode()

    assert len(options(html, "task_id")) == 100
    assert "100 of 113 tasks shown" in html
    select = re.search(r'name="task_id".*?</select>', html, re.S).group(0)
    assert select.count("— Failed") == 100


def test_malformed_id_is_an_error_next_to_its_field_without_api_calls(
    client: Client, emulator: Emulator
) -> None:
    response = client.get("/browse/", {"farm_id": "farm-<b>nope</b>"})
    html = response.content.decode()

    assert response.status_code == 200
    assert (
        '<p class="field-error" id="nav-farm-error">Expected farm-&lt;32 hex digits&gt; '
        "(lower-case hex).</p>"
    ) in html
    assert "<b>nope</b>" not in html
    assert emulator.calls.snapshot() == {"ListFarms": 1}


def test_missing_farm_is_reported_next_to_the_farm_select(
    client: Client, emulator: Emulator
) -> None:
    missing = "farm-" + "0" * 32

    html = client.get("/browse/", {"farm_id": missing}).content.decode()

    assert f"Farm {missing} was not found." in html
    assert 'id="nav-farm-error"' in html


def test_api_failure_is_shown_next_to_the_level_it_stopped(
    client: Client, emulator: Emulator, big: dict[str, str]
) -> None:
    emulator.faults.set(operation="SearchJobs", deny=True)

    response = client.get("/browse/", {"farm_id": big["farmId"], "queue_id": big["queueId"]})
    html = response.content.decode()

    assert response.status_code == 200
    assert 'id="nav-job-error">Access denied' in html
    assert "deadline:SearchJobs" in html
