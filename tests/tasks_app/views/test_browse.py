"""Browse pages farm -> queue -> job (full page and htmx fragment), their errors and empty
states, through the emulator's demo world."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import LazySettings
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator, set_default_emulator
from deadline_emulator.clock import Clock
from tasks_app.selectors import failures
from tasks_app.views import job_verdict
from tests.htmx_headers import HTMX as HX
from tests.tasks_app.tiny_world import FARM_ID, NOW, TinyWorld

# Counts of API calls across requests must not depend on how fast a loaded machine serves them.
pytestmark = pytest.mark.usefixtures("held_clock")


def farm_url(farm_id: str) -> str:
    return reverse("farm_detail", kwargs={"farm_id": farm_id})


def queue_url(ids: dict[str, str]) -> str:
    return reverse("queue_detail", kwargs={"farm_id": ids["farmId"], "queue_id": ids["queueId"]})


def job_url(ids: dict[str, str]) -> str:
    return reverse(
        "job_detail",
        kwargs={"farm_id": ids["farmId"], "queue_id": ids["queueId"], "job_id": ids["jobId"]},
    )


def html_of(response: Any) -> str:
    return response.content.decode()


# --- Farms and queues -----------------------------------------------------------------------


def test_farm_list_links_every_farm_by_name(client: Client, emulator: Emulator) -> None:
    landmarks = emulator.backend.landmarks()

    response = client.get("/farms/")
    html = html_of(response)

    assert response.status_code == 200
    assert _row_link(farm_url(landmarks["farm_main"]), "Lighthouse Studios — Main") in html
    assert f'<a href="{farm_url(landmarks["farm_previs"])}" data-row-link>' in html
    assert emulator.calls.snapshot() == {"ListFarms": 1}


def test_farm_list_fragment_for_htmx(client: Client, emulator: Emulator) -> None:
    response = client.get("/farms/", headers=HX)
    html = html_of(response)

    assert response.status_code == 200
    assert html.startswith('<section id="live"') or '<section id="live"' in html[:200]
    assert "<html" not in html
    assert "Lighthouse Studios — Previs" in html


def test_farm_page_lists_queues_with_status_and_blocked_reason(
    client: Client, emulator: Emulator
) -> None:
    landmarks = emulator.backend.landmarks()
    blocked = landmarks["blocked_queue"]

    response = client.get(farm_url(landmarks["farm_main"]))
    html = html_of(response)

    assert response.status_code == 200
    assert '<bdi class="crumb-name">Lighthouse Studios — Main</bdi>' in html
    assert _row_link(queue_url(blocked), "Client Review (no budget)") in html
    assert "Scheduling blocked" in html
    assert '<span class="blocked-reason">No budget configured</span>' in html
    assert 'hx-trigger="every 5000ms, refresh"' in html


def test_farm_page_fragment_skips_the_name_reads(client: Client, emulator: Emulator) -> None:
    farm_id = emulator.backend.landmarks()["farm_main"]

    response = client.get(farm_url(farm_id), headers=HX)

    assert response.status_code == 200
    assert "<html" not in html_of(response)
    assert "Feature Lighting" in html_of(response)
    assert emulator.calls.snapshot() == {"ListQueues": 1}


# --- A queue's jobs -------------------------------------------------------------------------


def _job_rows(html: str) -> list[str]:
    return re.findall(
        r'<th scope="row" class="cell-name"><span class="name-line"><a href="[^"]*/jobs/'
        r'(job-[0-9a-f]{32})/"',
        html,
    )


def _row_link(url: str, name: str) -> str:
    """A table row's main link: the name, isolated (<bdi>) and truncated with a tooltip."""
    return (
        f'<a href="{url}" data-row-link><bdi class="truncate name" title="{name}">{name}</bdi></a>'
    )


def test_queue_page_lists_jobs_newest_first_with_one_search(
    client: Client, emulator: Emulator
) -> None:
    big = emulator.backend.landmarks()["big_job"]

    response = client.get(queue_url(big), {"sort": "CREATED_AT"})
    html = html_of(response)

    assert response.status_code == 200
    rows = _job_rows(html)
    created = [
        emulator.backend.get_job(farm_id=big["farmId"], queue_id=big["queueId"], job_id=j)[
            "createdAt"
        ]
        for j in rows
    ]
    assert len(rows) == 30  # with the showcase job (shared sessions, spot, attachments)
    assert created == sorted(created, reverse=True)
    assert big["jobId"] in rows
    # One for the page, one for the summary above it (the queue's open work).
    assert emulator.calls["SearchJobs"] == 2
    assert "sq010_master_beauty_4k_v031 (10,000 frames)" in html
    assert '<rect class="seg seg--failed"' in html


def test_queue_page_filters_by_run_status(client: Client, emulator: Emulator) -> None:
    big = emulator.backend.landmarks()["big_job"]

    html = html_of(client.get(queue_url(big), {"status": "FAILED"}))
    rows = _job_rows(html)

    assert big["jobId"] in rows
    for job_id in rows:
        answer = emulator.backend.get_job(
            farm_id=big["farmId"], queue_id=big["queueId"], job_id=job_id
        )
        assert answer["taskRunStatus"] == "FAILED"
    assert 'aria-sort="descending"' in html  # newest first is still the order


def test_queue_page_filters_by_name_and_lifecycle(client: Client, emulator: Emulator) -> None:
    big = emulator.backend.landmarks()["big_job"]

    by_name = _job_rows(html_of(client.get(queue_url(big), {"name": "MASTER_BEAUTY"})))
    archived = html_of(client.get(queue_url(big), {"lifecycle": "ARCHIVED", "name": "x"}))

    assert by_name == [big["jobId"]]
    assert "No job matches these filters." in archived


def test_queue_page_paginates_with_one_call_per_page(client: Client, emulator: Emulator) -> None:
    big = emulator.backend.landmarks()["big_job"]

    newest = {"per": "25", "sort": "CREATED_AT"}
    first = html_of(client.get(queue_url(big), newest))
    second = html_of(client.get(queue_url(big), {**newest, "page": "2"}))

    assert len(_job_rows(first)) == 25
    assert len(_job_rows(second)) == 5
    assert not set(_job_rows(first)) & set(_job_rows(second))
    assert '<a href="?per=25&amp;sort=CREATED_AT&amp;page=2" rel="next">' in first
    assert "26\u201330 of 30 · page 2 of 2" in second
    assert emulator.calls["SearchJobs"] == 3  # a page each, and the summary's (read once)


def test_queue_page_sorts_by_priority(client: Client, emulator: Emulator) -> None:
    big = emulator.backend.landmarks()["big_job"]

    html = html_of(client.get(queue_url(big), {"sort": "PRIORITY", "order": "desc"}))
    priorities = [
        emulator.backend.get_job(farm_id=big["farmId"], queue_id=big["queueId"], job_id=j)[
            "priority"
        ]
        for j in _job_rows(html)
    ]

    assert priorities == sorted(priorities, reverse=True)


def test_queue_page_rejects_bad_filters_next_to_the_field(
    client: Client, emulator: Emulator
) -> None:
    big = emulator.backend.landmarks()["big_job"]

    response = client.get(queue_url(big), {"status": "<b>BOGUS</b>", "page": "-3"})
    html = html_of(response)

    assert response.status_code == 400
    assert "Select a valid choice." in html
    assert "<b>BOGUS</b>" not in html
    assert "Page: Ensure this value is greater than or equal to 1." in html


def test_queue_fragment_keeps_filters_in_the_poll_url_and_204s_when_unchanged(
    client: Client, emulator: Emulator
) -> None:
    big = emulator.backend.landmarks()["big_job"]
    url = queue_url(big)

    fragment = client.get(url, {"status": "FAILED", "per": "25"}, headers=HX)
    html = html_of(fragment)
    poll = re.search(r'hx-get="([^"]+)"', html).group(1).replace("&amp;", "&")
    again = client.get(poll, headers=HX)

    assert fragment.status_code == 200
    assert "<html" not in html
    assert "status=FAILED" in poll and "per=25" in poll and "v=" in poll
    assert again.status_code == 204
    assert fragment["Vary"] == "HX-Request"


def test_hidden_poll_is_the_only_trigger_filter(client: Client, emulator: Emulator) -> None:
    # CSP forbids eval: no hx-trigger "[...]" filters anywhere; pausing lives in dashboard.js.
    big = emulator.backend.landmarks()["big_job"]

    html = html_of(client.get(queue_url(big)))

    assert "[" not in "".join(re.findall(r'hx-trigger="([^"]*)"', html))
    assert "style=" not in html
    assert "<script>" not in html


# --- A job ----------------------------------------------------------------------------------


def test_job_page_shows_the_job_and_links_its_steps(
    client: Client, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    big_step = emulator.backend.landmarks()["big_step"]
    # The verdict's failures analysis runs in the background (test_job_page_verdict): left
    # out here, so the page's own reads show.
    monkeypatch.setattr(
        job_verdict.failure_runs, "report", lambda scope, **_: failures.assemble(scope, None)
    )

    response = client.get(job_url(big_step))
    html = html_of(response)

    step_url = reverse(
        "step_detail",
        kwargs={
            "farm_id": big_step["farmId"],
            "queue_id": big_step["queueId"],
            "job_id": big_step["jobId"],
            "step_id": big_step["stepId"],
        },
    )
    assert response.status_code == 200
    assert _row_link(step_url, "beauty") in html
    # The failed count answers "why?": it opens the step's failures view.
    assert f'href="{step_url}failures/" data-failures-link>113<' in html
    assert "Tasks: 113 failed, 57 canceled, 9,830 succeeded (10,000 in all)" in html
    assert 'title="Tasks: 113 failed' in html
    assert "<dt>Priority</dt><dd>70</dd>" in html
    assert "Job creation completed successfully" in html
    assert "<dt>Failure retries</dt><dd>1,065</dd>" in html
    assert "2 h 34 min" in html
    # Every task has finished: the page does not poll.
    assert "hx-trigger" not in html.split('<section id="live"')[1].split(">")[0]
    assert "no longer refreshing" in html
    assert emulator.calls.snapshot() == {
        "GetFarm": 1,
        "GetJob": 1,
        "GetQueue": 1,
        "ListSteps": 1,
    }


def test_running_job_polls_and_its_fragment_is_the_live_part(
    client: Client, emulator: Emulator
) -> None:
    running = emulator.backend.find_tasks("RUNNING", limit=1, include_landmarks=False)[0]

    page = html_of(client.get(job_url(running)))
    fragment = client.get(job_url(running), headers=HX)

    assert 'hx-trigger="every 5000ms, refresh"' in page
    assert "data-poll" in page
    assert fragment.status_code == 200
    assert html_of(fragment).startswith('<section id="live"')
    assert '<div id="poll-warning" class="poll-warning" role="alert" hx-swap-oob="true">' in (
        html_of(fragment)
    )


def test_hostile_job_strings_are_escaped(client: Client, emulator: Emulator) -> None:
    hostile = emulator.backend.landmarks()["hostile_job"]
    answer = emulator.backend.get_job(
        farm_id=hostile["farmId"], queue_id=hostile["queueId"], job_id=hostile["jobId"]
    )

    job_html = html_of(client.get(job_url(hostile)))
    queue_html = html_of(client.get(queue_url(hostile)))

    assert "<" in answer["name"]
    assert answer["name"] not in job_html
    assert answer["name"] not in queue_html
    assert "<script" not in job_html.lower().replace('<script src="', "")


# --- Errors ---------------------------------------------------------------------------------


def test_missing_job_is_a_404_with_its_queue_as_nearest_parent(
    client: Client, emulator: Emulator
) -> None:
    big = emulator.backend.landmarks()["big_job"]
    missing = {**big, "jobId": "job-" + "0" * 32}

    response = client.get(job_url(missing))
    html = html_of(response)

    assert response.status_code == 404
    assert f"Job <code>{missing['jobId']}</code> was not found" in html
    assert f'class="nearest-parent" href="{queue_url(big)}"' in html


def test_denied_search_is_a_403_naming_the_action(client: Client, emulator: Emulator) -> None:
    big = emulator.backend.landmarks()["big_job"]
    emulator.faults.set(operation="SearchJobs", deny=True)

    response = client.get(queue_url(big))

    assert response.status_code == 403
    assert "deadline:SearchJobs" in html_of(response)


def test_throttled_list_is_a_503_with_retry_after(
    client: Client, emulator: Emulator, settings: LazySettings
) -> None:
    settings.DEADLINE_MAX_ATTEMPTS = 1
    emulator.faults.set(operation="ListQueues", throttle_rate=1.0)

    response = client.get(farm_url(emulator.backend.landmarks()["farm_main"]))

    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert "throttling" in html_of(response)


def test_failed_poll_keeps_the_list_and_shows_a_warning(
    client: Client, emulator: Emulator, settings: LazySettings
) -> None:
    settings.DEADLINE_MAX_ATTEMPTS = 1
    big = emulator.backend.landmarks()["big_job"]
    emulator.faults.set(operation="SearchJobs", error_rate=1.0)

    response = client.get(queue_url(big), headers=HX)
    html = html_of(response)

    assert response.status_code == 200
    assert response["HX-Reswap"] == "none"
    assert 'id="live"' not in html
    assert 'id="poll-warning"' in html


@pytest.mark.parametrize(
    "url",
    [
        "/farms/farm-123/",
        "/farms/FARM-" + "A" * 32 + "/",
        "/farms/farm-" + "a" * 32 + "/queues/queue-../",
        "/farms/farm-" + "a" * 32 + "/queues/queue-" + "b" * 32 + "/jobs/job-%00/",
        "/farms/farm-" + "a" * 32 + "/queues/queue-" + "b" * 32 + "/jobs/job-" + "c" * 32
        + "/steps/step-<script>/",
    ],
)  # fmt: skip
def test_malformed_ids_404_without_an_api_call(
    client: Client, emulator: Emulator, url: str
) -> None:
    response = client.get(url)

    assert response.status_code == 404
    assert emulator.calls.total() == 0


# --- Empty states ---------------------------------------------------------------------------


class EmptyWorld(TinyWorld):
    """A farm with no queues, and no farms listed at all."""

    def list_farms(self, **_: Any) -> dict[str, Any]:
        return {"farms": []}

    def list_queues(self, *, farm_id: str, **_: Any) -> dict[str, Any]:
        self.get_farm(farm_id=farm_id)
        return {"queues": []}


@pytest.fixture
def empty(settings: LazySettings) -> Iterator[Emulator]:
    emulator = Emulator(
        seed=settings.DEADLINE_DEMO_SEED,
        clock=Clock(pinned_at=NOW.timestamp()),
        backend=EmptyWorld(),
    )
    set_default_emulator(emulator, seed=settings.DEADLINE_DEMO_SEED)
    yield emulator
    set_default_emulator(None, seed=settings.DEADLINE_DEMO_SEED)


def test_empty_farm_list_and_queue_list_say_so(client: Client, empty: Emulator) -> None:
    farms = html_of(client.get("/farms/"))
    queues = html_of(client.get(farm_url(FARM_ID)))

    assert "No farms are visible to the dashboard's credentials." in farms
    assert "This farm has no queues." in queues
    assert "Paris render farm" in queues
