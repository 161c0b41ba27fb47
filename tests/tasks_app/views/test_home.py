"""The home page: a status board of the visible farms (counts that link to the jobs behind
them, the top of the attention list, recently finished jobs, one go-to box); the browse
form's old addresses go to ``/browse/``."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from html import escape
from html.parser import HTMLParser
from typing import Any

import pytest
from django.conf import LazySettings
from django.test import Client

from deadline_emulator import Emulator
from tasks_app.deadline.types import UNFINISHED_RUN_STATUSES
from tasks_app.selectors import attention, job_attention, status_board
from tasks_app.selectors.attention.stories import incidents
from tests.conftest import Tiny
from tests.tasks_app.tiny_world import Ids

pytestmark = [pytest.mark.usefixtures("held_clock"), pytest.mark.read_only_world]


class _Counts(HTMLParser):
    """The board's tiles: data-board-count key -> the number shown."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[str, int] = {}
        self._key: str | None = None
        self._in_count = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "a" and found.get("data-board-count"):
            self._key = found["data-board-count"]
        if tag == "span" and found.get("class") == "tile__count" and self._key:
            self._in_count = True

    def handle_data(self, data: str) -> None:
        if self._in_count and self._key:
            self.counts[self._key] = int(data.replace(",", ""))
            self._in_count = False
            self._key = None


def board_counts(html: str) -> dict[str, int]:
    parser = _Counts()
    parser.feed(html)
    return parser.counts


def demo_jobs(emulator: Emulator) -> list[dict[str, Any]]:
    """Every job of every queue of the demo world, as the API describes them."""
    jobs = []
    backend = emulator.backend
    for farm in backend.list_farms(max_results=100)["farms"]:
        queues = backend.list_queues(farm_id=farm["farmId"], max_results=100)["queues"]
        for queue in queues:
            answer = backend.list_jobs(
                farm_id=farm["farmId"], queue_id=queue["queueId"], max_results=100
            )
            assert answer.get("nextToken") is None
            jobs += answer["jobs"]
    return jobs


def failing_now(emulator: Emulator, settings: LazySettings) -> list[dict[str, Any]]:
    """Jobs with failed tasks, unfinished or ended within DASHBOARD_RECENT_SECONDS."""
    since = datetime.fromtimestamp(emulator.backend.clock.now(), UTC) - timedelta(
        seconds=settings.DASHBOARD_RECENT_SECONDS
    )
    return [
        j
        for j in demo_jobs(emulator)
        if (j.get("taskRunStatusCounts") or {}).get("FAILED")
        and (
            j["taskRunStatus"] in UNFINISHED_RUN_STATUSES
            or (j["taskRunStatus"] == "FAILED" and j.get("endedAt") and j["endedAt"] >= since)
        )
    ]


def test_home_counts_failing_waiting_and_running_jobs(
    client: Client, emulator: Emulator, settings: LazySettings
) -> None:
    response = client.get("/")
    html = response.content.decode()

    assert response.status_code == 200
    counts = board_counts(html)
    assert set(counts) == {"failed", "stalled", "waiting", "running"}
    assert counts["failed"] == len(failing_now(emulator, settings)) > 0
    assert counts["running"] > 0 and counts["waiting"] > 0
    # Each count links to the list behind it.
    for key in counts:
        assert f'href="/?show={key}#board-jobs"' in html
    # The demo fixtures left home; one go-to box (the header's gives way to the page's).
    assert "Hostile strings" not in html and "Tasks of the demo world" not in html
    assert html.count('action="/go/"') == 1
    assert 'href="/browse/"' in html


def test_a_count_lists_the_jobs_behind_it(client: Client, emulator: Emulator) -> None:
    html = client.get("/", {"show": "failed"}).content.decode()
    count = board_counts(html)["failed"]

    listed = re.search(r'<section id="board-jobs".*?</section>', html, re.S)
    assert listed is not None
    rows = re.findall(r'href="/farms/[^"]+/jobs/(job-[0-9a-f]{32})/"', listed.group(0))
    assert len(rows) == count
    assert f"Failing jobs ({count})" in listed.group(0)
    # A job held by failed tasks says so, not a grey "Pending".
    failing = {j["jobId"]: j for j in demo_jobs(emulator)}
    held = [job_id for job_id in rows if failing[job_id]["taskRunStatus"] in ("PENDING", "READY")]
    for job_id in held:
        failed = failing[job_id]["taskRunStatusCounts"]["FAILED"]
        assert f"Failed tasks ({failed:,})" in listed.group(0)


def test_stalled_count_comes_from_the_attention_list(client: Client, emulator: Emulator) -> None:
    before = client.get("/").content.decode()
    assert "has not run yet" in before  # never waits for the farm-wide check

    report = attention.get_report()
    html = client.get("/").content.decode()

    stalled = job_attention.stalled_jobs(report.items)
    assert board_counts(html)["stalled"] == len(stalled)
    assert "has not run yet" not in html
    top = report.items[0]
    assert top.reason in html.replace("&#x27;", "'").replace("&quot;", '"')


def test_the_board_tells_one_story_per_incident(client: Client, emulator: Emulator) -> None:
    """A stopped worker and the tasks it holds are one line, as on /attention/; the count is
    of those incidents."""
    report = attention.get_report()
    html = client.get("/").content.decode()
    stories = incidents(report)
    sick = next(s for s in stories if s.item.kind == "sick_worker" and s.tasks)
    board = re.search(r'<ul class="board-items">(.*?)</ul>', html, re.S)
    assert board is not None
    lines = re.findall(r"<li>(.*?)</li>", board.group(1), re.S)
    assert len(lines) == min(len(stories), status_board.TOP_ITEMS)
    assert stories.index(sick) < status_board.TOP_ITEMS  # the demo's dead worker leads
    worker = [line for line in lines if f'href="{escape(sick.item.worker_url)}"' in line]
    assert len(worker) == 1 and escape(sick.item.reason) in worker[0]
    for task in sick.tasks:  # inside its worker's story, never a line of its own
        assert f'href="{escape(task.url)}"' not in board.group(1)
    assert f"All {len(stories):,}" in html


def test_a_bad_show_value_is_a_400_not_an_api_call(client: Client, emulator: Emulator) -> None:
    response = client.get("/", {"show": "<script>"})

    assert response.status_code == 400
    assert "<script>" not in response.content.decode()


def test_the_old_form_address_goes_to_the_browse_page(client: Client, tiny: Tiny) -> None:
    ids = Ids()
    parent = {k: v for k, v in ids.kwargs().items() if k != "task_id"}

    response = client.get("/", parent)

    assert response.status_code == 302
    assert response["Location"].startswith("/browse/?")
    html = client.get(response["Location"]).content.decode()
    assert f'value="{ids.step_id}"' in html
    assert "This field is required." not in html


def test_browse_renders_the_form(client: Client, tiny: Tiny) -> None:
    response = client.get("/browse/")
    html = response.content.decode()

    assert response.status_code == 200
    for name in ("farm_id", "queue_id", "job_id", "step_id", "task_id"):
        assert f'name="{name}"' in html
    assert set(tiny.emulator.calls) <= {"ListFarms"}


def test_complete_ids_redirect_to_the_task_url(client: Client, tiny: Tiny) -> None:
    ids = Ids()

    response = client.get("/browse/", {**ids.kwargs(), "task_id": f"  {ids.task_id} "})

    assert response.status_code == 302
    assert response["Location"] == ids.url()
    assert tiny.emulator.calls.total() == 0


def test_malformed_ids_get_a_message_next_to_the_field(client: Client, tiny: Tiny) -> None:
    ids = Ids()

    response = client.get("/browse/", {**ids.kwargs(), "task_id": "task-<script>", "job_id": ""})
    html = response.content.decode()

    assert response.status_code == 200
    assert "Expected task-&lt;32 hex digits&gt;-&lt;index&gt;" in html
    assert "This field is required." in html
    assert "task-<script>" not in html
    assert set(tiny.emulator.calls) <= {"ListFarms"}


def test_home_stays_usable_when_the_farms_cannot_be_read(
    client: Client, emulator: Emulator
) -> None:
    emulator.faults.set("ListFarms", deny=True)

    response = client.get("/")
    html = response.content.decode()

    assert response.status_code == 200
    assert "Could not list the farms" in html
    assert 'action="/go/"' in html  # the go-to box still works


def test_the_farm_list_does_not_say_tasks_finished(client: Client, emulator: Emulator) -> None:
    html = client.get("/farms/").content.decode()

    assert "every task has finished" not in html
    assert "does not refresh itself" in html


def test_home_without_a_region_says_so(
    client: Client, settings: LazySettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEADLINE_BACKEND = "aws"
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")

    response = client.get("/")

    assert response.status_code == 200
    assert "No AWS region is configured" in response.content.decode()
