"""The step page's task table on the demo world's 10,000-task step: every page reachable with
a bounded number of API calls, filters, search, sort, polling and errors."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import LazySettings
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from tests.htmx_headers import HTMX as HX
from tests.tasks_app.views.browse_pages import TASK_ROW as ROW
from tests.tasks_app.views.browse_pages import step_url

# Counts of API calls across requests must not depend on how fast a loaded machine serves them.
pytestmark = [pytest.mark.usefixtures("held_clock"), pytest.mark.read_only_world]


def rows(response: Any) -> list[str]:
    return ROW.findall(response.content.decode())


def index(task_id: str) -> int:
    return int(task_id.rsplit("-", 1)[1])


@pytest.fixture
def big(emulator: Emulator) -> dict[str, str]:
    return emulator.backend.landmarks()["big_step"]


def test_first_page_costs_five_calls_and_links_each_task(
    client: Client, emulator: Emulator, big: dict[str, str]
) -> None:
    response = client.get(step_url(big))
    html = response.content.decode()

    assert response.status_code == 200
    assert [index(t) for t in rows(response)] == list(range(50))
    first = f"task-{big['stepId'].removeprefix('step-')}-0"
    # The frame is the row's link (operators think in frames, not hashed task IDs).
    assert (
        f'href="{step_url(big)}tasks/{first}/" data-row-link>'
        '<bdi class="truncate value" title="Frame=1">Frame=1</bdi></a>'
    ) in html
    assert f'data-copy-text="{first}"' in html
    assert "1\u201350 of 10,000 · page 1 of 200" in html
    assert emulator.calls.snapshot() == {
        "GetFarm": 1,
        "GetJob": 1,
        "GetQueue": 1,
        "GetStep": 1,
        "SearchTasks": 1,
    }


@pytest.mark.parametrize("page", ["100", "200"])
def test_middle_and_last_page_cost_one_search(
    client: Client, emulator: Emulator, big: dict[str, str], page: str
) -> None:
    response = client.get(step_url(big), {"page": page})

    expected_first = (int(page) - 1) * 50
    assert [index(t) for t in rows(response)] == list(range(expected_first, expected_first + 50))
    assert emulator.calls["SearchTasks"] == 1
    assert emulator.calls.total() == 5


def test_last_page_of_100_reaches_task_9999(
    client: Client, emulator: Emulator, big: dict[str, str]
) -> None:
    response = client.get(step_url(big), {"page": "100", "per": "100"})
    html = response.content.decode()

    assert rows(response)[-1] == emulator.backend.landmarks()["big_last_task"]["taskId"]
    assert "9,901\u201310,000 of 10,000 · page 100 of 100" in html
    assert 'rel="next"' not in html
    assert emulator.calls.total() == 5


def test_walking_the_pages_is_one_search_each(
    client: Client, emulator: Emulator, big: dict[str, str]
) -> None:
    client.get(step_url(big))
    emulator.calls.reset()

    for page in ("2", "3", "200"):
        client.get(step_url(big), {"page": page})

    # Names and the step are cached: only the new pages cost a call.
    assert emulator.calls.snapshot() == {"SearchTasks": 3}


def test_a_page_past_the_end_is_the_last_page_not_an_api_error(
    client: Client, emulator: Emulator, big: dict[str, str]
) -> None:
    response = client.get(step_url(big), {"page": "400", "per": "100"})

    assert response.status_code == 200
    assert rows(response)[-1].endswith("-9999")


def test_failed_only_is_one_click_and_every_row_failed(
    client: Client, emulator: Emulator, big: dict[str, str]
) -> None:
    page = client.get(step_url(big)).content.decode()
    link = re.search(
        r'<a href="([^"]+)" class="quick-filter" data-failed-toggle>Failed only \(113\)</a>', page
    )
    assert link is not None

    response = client.get(step_url(big) + link.group(1).replace("&amp;", "&"))
    html = response.content.decode()

    found = rows(response)
    failed = {
        t["taskId"] for t in emulator.backend.find_tasks("FAILED") if t["stepId"] == big["stepId"]
    }
    assert len(failed) == 113
    assert found and set(found) <= failed
    assert html.count('data-status="FAILED">Failed</span>') >= len(found)
    assert "1\u201350 of 113 · page 1 of 3" in html


def test_sort_by_retries_descending(
    client: Client, emulator: Emulator, big: dict[str, str]
) -> None:
    html = client.get(
        step_url(big), {"sort": "FAILURE_RETRY_COUNT", "order": "desc"}
    ).content.decode()

    retries = [
        int(n)
        for n in re.findall(
            r'<td class="num" data-label="Retries"><span class="retries[^"]*">(\d+)<', html
        )
    ]
    assert retries == sorted(retries, reverse=True)
    assert retries[0] > 0
    assert 'aria-sort="descending"><a href="?sort=FAILURE_RETRY_COUNT&amp;order=asc"' in html


@pytest.mark.parametrize(
    ("search", "expected", "searches"),
    [
        ("1042", {1041}, 1),  # a frame (frames start at 1): the task whose Frame is 1042
        ("Frame=1042", {1041}, 1),
        ("10000", {9999}, 1),  # the last frame
        ("#1042", {1042}, 0),  # a task index: GetTask task-<step hex>-1042, no search
        ("index:1042", {1042}, 0),
        ("#10000", set(), 0),  # no task index 10000: no match, and no search for it
    ],
)
def test_search_by_frame_task_index_or_parameter_value(
    client: Client,
    emulator: Emulator,
    big: dict[str, str],
    search: str,
    expected: set[int],
    searches: int,
) -> None:
    response = client.get(step_url(big), {"q": search})

    assert {index(t) for t in rows(response)} == expected
    assert emulator.calls["SearchTasks"] == searches


def test_search_without_match_shows_the_empty_state(
    client: Client, emulator: Emulator, big: dict[str, str]
) -> None:
    html = client.get(step_url(big), {"q": "Frame=999999"}).content.decode()

    assert "No task matches." in html
    assert "Show every task" in html


def test_bad_filter_values_are_field_errors_without_a_500(
    client: Client, emulator: Emulator, big: dict[str, str]
) -> None:
    response = client.get(
        step_url(big), {"status": "DONE", "sort": "'; DROP", "per": "7", "q": "x" * 300}
    )
    html = response.content.decode()

    assert response.status_code == 400
    assert html.count('class="field-error"') == 4
    assert rows(response)  # the table still shows, with the defaults


def test_fragment_is_the_live_part_and_204s_when_unchanged(
    client: Client, emulator: Emulator, big: dict[str, str]
) -> None:
    fragment = client.get(step_url(big), {"status": "FAILED", "page": "2"}, headers=HX)
    html = fragment.content.decode()
    version = re.search(r'data-version="([0-9a-f]+)"', html).group(1)

    again = client.get(step_url(big), {"status": "FAILED", "page": "2", "v": version}, headers=HX)

    assert fragment.status_code == 200
    assert html.startswith('<section id="live"')
    assert "51\u2013100 of 113" in html
    assert again.status_code == 204


def test_finished_step_does_not_poll_and_a_running_one_does(
    client: Client, emulator: Emulator, big: dict[str, str]
) -> None:
    running = emulator.backend.find_tasks("RUNNING", limit=1, include_landmarks=False)[0]

    finished = client.get(step_url(big)).content.decode()
    live = client.get(step_url(running)).content.decode()

    assert "every task has finished: no longer refreshing" in finished
    assert "data-poll" not in finished
    poll = re.search(r'<section id="live"[^>]*hx-get="([^"]+)"[^>]*>', live)
    assert poll is not None and "v=" in poll.group(1)
    assert 'hx-trigger="every 5000ms, refresh"' in live


def test_missing_step_is_a_404_with_its_job_as_nearest_parent(
    client: Client, emulator: Emulator, big: dict[str, str]
) -> None:
    missing = {**big, "stepId": "step-" + "0" * 32}

    response = client.get(step_url(missing))
    html = response.content.decode()

    job_url = reverse(
        "job_detail",
        kwargs={"farm_id": big["farmId"], "queue_id": big["queueId"], "job_id": big["jobId"]},
    )
    assert response.status_code == 404
    assert f"Step <code>{missing['stepId']}</code> was not found" in html
    assert f'class="nearest-parent" href="{job_url}"' in html


def test_denied_task_search_is_a_403(
    client: Client, emulator: Emulator, big: dict[str, str]
) -> None:
    emulator.faults.set(operation="SearchTasks", deny=True)

    response = client.get(step_url(big))

    assert response.status_code == 403
    assert "deadline:SearchTasks" in response.content.decode()


def test_unavailable_api_is_a_503_with_retry_after(
    client: Client, emulator: Emulator, big: dict[str, str], settings: LazySettings
) -> None:
    settings.DEADLINE_MAX_ATTEMPTS = 1
    emulator.faults.set(operation="GetStep", error_rate=1.0)

    response = client.get(step_url(big))

    assert response.status_code == 503
    assert response["Retry-After"]


def test_numeric_and_time_columns_sort_descending_first(
    client: Client, emulator: Emulator, big: dict[str, str]
) -> None:
    html = client.get(step_url(big)).content.decode()  # sorted by task ID, ascending

    # Retries and times: the first click shows the most retried / most recent first.
    assert 'href="?sort=FAILURE_RETRY_COUNT&amp;order=desc"' in html
    assert 'href="?sort=STARTED_AT&amp;order=desc"' in html
    # A status starts from the top of its order; the current column toggles.
    assert 'href="?sort=TASK_RUN_STATUS&amp;order=asc"' in html
    assert 'aria-sort="ascending"><a href="?sort=TASK_ID&amp;order=desc"' in html


def test_the_task_table_pages_above_and_below_with_a_jump_keeping_the_filters(
    client: Client, emulator: Emulator, big: dict[str, str]
) -> None:
    html = client.get(step_url(big), {"status": "FAILED", "per": "25"}).content.decode()

    assert html.count('class="pagination pagination--top"') == 1
    assert html.count('class="pagination pagination--bottom"') == 1
    jump = html.split('class="pagination__jump"')[1].split("</form>")[0]
    assert '<input type="hidden" name="status" value="FAILED">' in jump
    assert '<input type="hidden" name="per" value="25">' in jump
    assert 'name="page" min="1" max="5" value="1"' in jump  # 113 failed, 25 a page
    # Thousands separators in the counts.
    assert "of 10,000" in client.get(step_url(big)).content.decode()
