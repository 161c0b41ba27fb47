"""Failures views: the page, its htmx fragment, JSON and Markdown from one report; links from
failed counts; log line links on the task page; hostile log lines shown inertly."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import LazySettings
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from deadline_emulator.logs import logs_protocol
from tests.hostile_logs import HostileLogs, unescape
from tests.htmx_headers import HTMX

# Tests that write get a world of their own (fresh_world); the others share one.
pytestmark = pytest.mark.read_only_world

JSON_KEYS = {"failed_tasks", "complete", "jobs_not_read", "groups", "worker_clusters"}
GROUP_KEYS = {
    "signature",
    "title",
    "log_line",
    "tasks",
    "attempts",
    "task_ids",
    "frames",
    "workers",
    "flaky",
    "advice",
    "first_seen",
    "last_seen",
    "example",
}


@pytest.fixture(autouse=True)
def complete_pages(settings: LazySettings) -> None:
    """The first response waits for the whole analysis (the demo world's jobs take < 10 s)."""
    settings.DASHBOARD_FAILURES_FIRST_PAINT_SECONDS = 60


def failures_url(ids: dict[str, str], step_id: str = "") -> str:
    kwargs = {"farm_id": ids["farmId"], "queue_id": ids["queueId"], "job_id": ids["jobId"]}
    if step_id:
        return reverse("step_failures", kwargs={**kwargs, "step_id": step_id})
    return reverse("job_failures", kwargs=kwargs)


class _Page(HTMLParser):
    """What the page says about each group and cluster, as a reader would take it."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.groups: list[dict[str, Any]] = []
        self.clusters: list[str] = []
        self._into: str | None = None
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if "id" in found:
            self.ids.add(found["id"])
        if "data-signature" in found:
            self.groups.append(
                {
                    "tasks": int(found["data-tasks"]),
                    "attempts": int(found["data-attempts"]),
                    "title": "",
                    "frames": "",
                    "workers": [],
                    "example": None,
                }
            )
        elif "data-cluster-worker" in found:
            self.clusters.append(found["data-cluster-worker"])
        elif "data-title" in found:
            self._into = "title"
        elif "data-frames" in found:
            self._into = "frames"
        elif "data-worker" in found:
            self.groups[-1]["workers"].append([found["data-worker"], ""])
            self._into = "worker"
        elif "data-example-link" in found:
            self.groups[-1]["example"] = found["href"]

    def handle_endtag(self, tag: str) -> None:
        if (tag == "span") == (self._into == "worker"):
            self._into = None

    def handle_data(self, data: str) -> None:
        if self._into in ("title", "frames"):
            self.groups[-1][self._into] += data
        elif self._into == "worker":
            self.groups[-1]["workers"][-1][1] += data


def _page(html: str) -> _Page:
    parser = _Page()
    parser.feed(html)
    return parser


# --- The page and its JSON ---------------------------------------------------------------------


@pytest.mark.parametrize("level", ["job", "step"])
def test_the_json_has_the_documented_shape_and_says_what_the_page_says(
    client: Client, emulator: Emulator, level: str
) -> None:
    job = emulator.backend.landmarks()["big_job"]
    step_id = emulator.backend.landmarks()["big_step"]["stepId"] if level == "step" else ""
    url = failures_url(job, step_id)
    page = client.get(url)
    assert page.status_code == 200
    data = client.get(url, {"format": "json"}).json()

    assert set(data) == JSON_KEYS
    assert data["complete"] is True and data["failed_tasks"] == 113
    assert all(set(group) == GROUP_KEYS for group in data["groups"])
    assert sum(group["tasks"] for group in data["groups"]) == data["failed_tasks"]
    for group in data["groups"]:
        assert len(group["task_ids"]) == group["tasks"]
        assert all(set(w) == {"worker_id", "host_name", "attempts"} for w in group["workers"])
        assert set(group["example"]) == {"task_id", "session_action_id", "url"}
    for cluster in data["worker_clusters"]:
        assert set(cluster) == {"worker_id", "signature", "failures", "share"}

    # Complete and settled: the view no longer polls (the header's attention count, outside
    # <main>, re-reads its number every minute on every page).
    assert "hx-trigger" not in page.content.decode().split("<main", 1)[1]
    shown = _page(page.content.decode())
    assert [(g["tasks"], g["attempts"], g["title"]) for g in shown.groups] == [
        (g["tasks"], g["attempts"], g["title"]) for g in data["groups"]
    ]
    assert [g["frames"] for g in shown.groups] == [g["frames"] for g in data["groups"]]
    for seen, group in zip(shown.groups, data["groups"], strict=True):
        expected = [
            [w["worker_id"], f"{w['host_name'].split('.')[0]}\xa0\u00d7{w['attempts']}"]
            for w in group["workers"][:8]
        ]
        assert seen["workers"] == expected
        assert urlsplit(group["example"]["url"]).path in seen["example"]
        assert seen["example"] == group["example"]["url"].removeprefix("http://testserver")
    assert shown.clusters == [c["worker_id"] for c in data["worker_clusters"]]
    unreliable = emulator.backend.landmarks()["unreliable_worker"]["workerId"]
    assert shown.clusters == [unreliable]
    assert "ran on <bdi><strong>render-a-017</strong></bdi>" in page.content.decode()


def _queue_url(job: dict[str, str]) -> str:
    return reverse("queue_failures", kwargs={"farm_id": job["farmId"], "queue_id": job["queueId"]})


def _assert_page_matches_json(html: str, data: dict[str, Any]) -> _Page:
    shown = _page(html)
    assert [(g["tasks"], g["attempts"], g["title"], g["frames"]) for g in shown.groups] == [
        (g["tasks"], g["attempts"], g["title"], g["frames"]) for g in data["groups"]
    ]
    assert shown.clusters == [c["worker_id"] for c in data["worker_clusters"]]
    return shown


def test_the_queue_view_shows_the_jobs_of_the_chosen_window(
    client: Client, emulator: Emulator
) -> None:
    job = emulator.backend.landmarks()["big_job"]
    url = _queue_url(job)
    default = client.get(url).content.decode()
    # The selector offers every window, the default (24 hours) chosen; it submits to the page.
    options = re.findall(r'<option value="(\d+)"( selected)?>', default)
    assert [(int(h), bool(sel)) for h, sel in options] == [
        (24, True),
        (6, False),
        (72, False),
        (168, False),
    ]
    assert f'<form method="get" action="{url}"' in default and 'name="window"' in default

    week = client.get(url, {"window": "168"})
    html = week.content.decode()
    assert '<option value="168" selected>7 days</option>' in html
    assert "of the last 7 days" in html
    data = client.get(url, {"window": "168", "format": "json"}).json()
    _assert_page_matches_json(html, data)
    assert sum(g["tasks"] for g in data["groups"]) == data["failed_tasks"]
    # The week holds the big job (submitted days ago), the last 24 hours do not.
    assert failures_url(job) in html
    assert data["failed_tasks"] >= 113
    day = client.get(url, {"format": "json"}).json()
    assert day["failed_tasks"] < data["failed_tasks"]
    assert failures_url(job) not in default


def test_a_worker_cluster_links_to_that_workers_failures_across_the_queue(
    client: Client, emulator: Emulator
) -> None:
    job = emulator.backend.landmarks()["big_job"]
    unreliable = emulator.backend.landmarks()["unreliable_worker"]["workerId"]
    cluster_job = client.get(failures_url(job), {"format": "json"}).json()
    (cluster,) = cluster_job["worker_clusters"]
    notice = re.search(
        rf'data-cluster-worker="{unreliable}">(.*?)</p>',
        client.get(failures_url(job)).content.decode(),
        re.S,
    )
    assert notice is not None
    link = re.search(
        r'<a href="([^"]+)">This worker.s failures across the queue</a>', notice.group(1)
    )
    assert link is not None
    queue_view = link.group(1).replace("&amp;", "&")
    assert urlsplit(queue_view).path == _queue_url(job)

    page = client.get(queue_view)
    assert page.status_code == 200
    html = page.content.decode()
    assert "data-worker-filter" in html and "render-a-017" in html
    data = client.get(queue_view + "&format=json").json()
    _assert_page_matches_json(html, data)
    assert data["groups"] and sum(g["tasks"] for g in data["groups"]) == data["failed_tasks"]
    assert {w["worker_id"] for g in data["groups"] for w in g["workers"]} == {unreliable}
    # What the page says of logs not read is about this worker's failures, not the queue's.
    cap = re.search(r"data-logs-cap>([\d,]+) failed attempt", html)
    assert cap is not None and 0 < int(cap.group(1).replace(",", "")) <= data["failed_tasks"]
    assert "sorted without opening their log" in html  # plain words, not the analysis's
    # Its window holds the job the cluster was found in: the cluster's failures are all there.
    nfs = next(g for g in data["groups"] if g["signature"] == cluster["signature"])
    assert set(
        next(g["task_ids"] for g in cluster_job["groups"] if g["signature"] == cluster["signature"])
    ) <= set(nfs["task_ids"])
    assert failures_url(job) in html


def test_json_by_accept_header_and_html_by_default(client: Client, emulator: Emulator) -> None:
    job = emulator.backend.landmarks()["failed_deps_job"]
    url = failures_url(job)
    as_json = client.get(url, headers={"Accept": "application/json"})
    assert as_json["Content-Type"] == "application/json"
    assert set(as_json.json()) == JSON_KEYS
    assert "Accept" in as_json["Vary"]
    as_html = client.get(url, headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert as_html["Content-Type"].startswith("text/html")
    assert as_json.json() == client.get(url, {"format": "json"}).json()


def test_the_markdown_summary_lists_every_cause(client: Client, emulator: Emulator) -> None:
    job = emulator.backend.landmarks()["failed_deps_job"]
    url = failures_url(job)
    data = client.get(url, {"format": "json"}).json()
    markdown = client.get(url, {"format": "markdown"})
    assert markdown["Content-Type"] == "text/markdown; charset=utf-8"
    text = markdown.content.decode()
    rows = [line for line in text.splitlines() if re.match(r"\| \d+ \| \d+ \|", line)]
    assert [int(row.split("|")[1]) for row in rows] == [g["tasks"] for g in data["groups"]]
    for row, group in zip(rows, data["groups"], strict=True):
        assert row.count(" | ") == 6  # seven cells: none split by a pipe in a log line
        assert f"[log](<{group['example']['url']}>)" in row
    assert "sq050\\_sh0120\\_fx\\_flip\\_sim\\_v021" in text  # names escaped for Markdown
    page = client.get(url).content.decode()
    assert 'id="failures-markdown"' in page and "Copy as Markdown" in page


def test_the_live_part_polls_while_analysing_then_stops(
    client: Client, emulator: Emulator, settings: LazySettings
) -> None:
    settings.DASHBOARD_FAILURES_FIRST_PAINT_SECONDS = 0
    job = emulator.backend.landmarks()["failed_deps_job"]
    url = failures_url(job)
    first = client.get(url).content.decode()
    assert 'data-complete="false"' in first and 'hx-trigger="every 1000ms, refresh"' in first
    assert "<progress" in first
    from tasks_app.services.failure_analysis import runner

    assert runner.drain()
    fragment = client.get(url, headers=HTMX)
    html = fragment.content.decode()
    assert html.startswith('<section id="failures-live"') and "<html" not in html
    # Complete; the job still has pending work, so new failures are looked for, slowly.
    assert 'data-complete="true"' in html and 'hx-trigger="every 10000ms, refresh"' in html
    version = re.search(r'data-version="(\w+)"', html)
    assert version is not None
    again = client.get(url, {"v": version.group(1)}, headers=HTMX)
    assert again.status_code == 204


def test_bad_requests_get_clear_answers(client: Client, emulator: Emulator) -> None:
    job = emulator.backend.landmarks()["failed_deps_job"]
    queue = reverse("queue_failures", kwargs={"farm_id": job["farmId"], "queue_id": job["queueId"]})
    emulator.calls.reset()
    assert client.get(queue, {"window": "25"}).status_code == 400
    assert client.get(queue, {"worker": "render-a-017"}).status_code == 400
    assert client.get(failures_url(job), {"format": "xml"}).status_code == 400
    assert client.get(failures_url(job), {"format": "json", "wait": "soon"}).json()["error"]
    assert emulator.calls.snapshot() == {}
    missing = {**job, "jobId": "job-" + "0" * 32}
    assert client.get(failures_url(missing)).status_code == 404
    answer = client.get(failures_url(missing), {"format": "json"})
    assert answer.status_code == 404 and "not found" in answer.json()["error"]


# --- Linked from every failed count ------------------------------------------------------------


def test_every_failed_count_links_to_its_failures_view(client: Client, emulator: Emulator) -> None:
    job = emulator.backend.landmarks()["big_job"]
    step_id = emulator.backend.landmarks()["big_step"]["stepId"]
    kwargs = {"farm_id": job["farmId"], "queue_id": job["queueId"]}
    queue_page = client.get(reverse("queue_detail", kwargs=kwargs)).content.decode()
    assert f'href="{failures_url(job)}" data-failures-link>113<' in queue_page
    assert f'href="{reverse("queue_failures", kwargs=kwargs)}"' in queue_page

    job_page = client.get(reverse("job_detail", kwargs={**kwargs, "job_id": job["jobId"]}))
    html = job_page.content.decode()
    assert f'href="{failures_url(job)}" data-failures-link>113<' in html
    assert f'href="{failures_url(job, step_id)}" data-failures-link>113<' in html

    step_page = client.get(
        reverse("step_detail", kwargs={**kwargs, "job_id": job["jobId"], "step_id": step_id})
    ).content.decode()
    assert f'href="{failures_url(job, step_id)}" data-failures-link>113<' in step_page


# --- Log line links on the task page ------------------------------------------------------------


def test_an_example_opens_the_log_at_the_highlighted_line(
    client: Client, emulator: Emulator
) -> None:
    job = emulator.backend.landmarks()["failed_deps_job"]
    data = client.get(failures_url(job), {"format": "json"}).json()
    for group in data["groups"]:
        url = group["example"]["url"].removeprefix("http://testserver")
        assert "line=" in url and url.endswith("#log-target")
        emulator.calls.reset()
        html = client.get(url).content.decode()
        assert "GetLogEvents" not in emulator.calls.snapshot()  # the page the analysis read
        targets = re.findall(
            r'<li class="[^"]*log-line--target" id="log-target"[^>]*>(.*?)</li>', html
        )
        assert len(targets) == 1
        message = re.search(r'<bdi class="log-message">(.*?)</bdi>', targets[0])
        assert message is not None
        # The line as written (the title is that line without the logger's prefix).
        assert unescape(message.group(1)) == (group["log_line"] or group["title"])
        assert group["title"] in unescape(message.group(1))


# --- Hostile log lines ---------------------------------------------------------------------------


@pytest.fixture
def hostile_logs(emulator: Emulator) -> Iterator[None]:
    HostileLogs.streams = {}
    emulator.add_protocol(
        logs_protocol(),
        get_backend=lambda: HostileLogs(lambda: emulator.backend, emulator.clock, emulator.seed),
    )
    yield


@pytest.mark.fresh_world
def test_hostile_log_lines_are_shown_inertly_and_never_break_a_view(
    client: Client, emulator: Emulator, hostile_logs: None
) -> None:
    job = emulator.backend.landmarks()["failed_deps_job"]
    url = failures_url(job)
    page = client.get(url)
    data = client.get(url, {"format": "json"}).json()
    markdown = client.get(url, {"format": "markdown"}).content.decode()
    assert page.status_code == 200 and data["complete"]
    html = page.content.decode()
    # Five failed tasks, each with a hostile line first: four signatures, counts intact.
    assert data["failed_tasks"] == 5 == sum(g["tasks"] for g in data["groups"])
    # Titles without the log level; the lines as written beside them.
    titles = sorted((g["title"], g["log_line"]) for g in data["groups"])
    assert len(titles) == 4
    assert titles[0][0].startswith("<script>alert(1)</script>")
    assert titles[0][1].startswith("ERROR <script>alert(1)</script>")
    # Escapes and controls dropped; NUL arrives as U+FFFD (repaired where answers come in).
    assert titles[1] == ("coloured bell NUL \ufffd end", "ERROR: coloured bell NUL \ufffd end")
    assert titles[2] == ("lone surrogate \ufffd here", "ERROR lone surrogate \ufffd here")
    assert titles[3][0].startswith("long long") and len(titles[3][1]) <= 300
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\x1b" not in html and "\x00" not in html
    # In Markdown the line is a code span (inert there); its pipes cannot add table cells.
    assert "``<script>alert(1)</script>" in markdown
    rows = [line for line in markdown.splitlines() if re.match(r"\| \d+ \| \d+ \|", line)]
    assert len(rows) == 4 and all(len(re.split(r"(?<!\\)\|", row)) == 9 for row in rows)

    group = next(g for g in data["groups"] if g["title"].startswith("<script>"))
    example = group["example"]["url"].removeprefix("http://testserver")
    task_page = client.get(example)
    assert task_page.status_code == 200
    text = task_page.content.decode()
    assert "<script>alert(1)" not in text
    assert "\u241b[31;1mERROR\u241b[0m: coloured" in text  # ESC shown, not acted on
    assert "\x1b" not in text and "\x00" not in text
    assert "lone surrogate \ufffd here" in text
    assert ("long " * 2048).strip() in text  # the 10 KB line, whole, wrapped by CSS
    # JSON that any parser takes: valid UTF-8, no lone surrogate anywhere.
    raw = client.get(url, {"format": "json"}).content
    assert "\\ud800" not in raw.decode("utf-8", "strict")
    json.loads(raw)
    for fragment in (client.get(url, headers=HTMX), client.get(example, headers=HTMX)):
        assert fragment.status_code in (200, 204)


def test_the_readme_documents_the_json_the_views_answer() -> None:
    readme = (Path(__file__).resolve().parents[3] / "docs" / "failures.md").read_text(
        encoding="utf-8"
    )
    section = readme[readme.index("## Failures views") :]
    block = re.search(r"```json\n(.*?)\n```", section, re.S)
    assert block is not None
    documented = json.loads(block.group(1))
    assert set(documented) == JSON_KEYS
    (group,) = documented["groups"]
    assert set(group) == GROUP_KEYS
    assert all(set(w) == {"worker_id", "host_name", "attempts"} for w in group["workers"])
    assert set(group["example"]) == {"task_id", "session_action_id", "url"}
    (cluster,) = documented["worker_clusters"]
    assert set(cluster) == {"worker_id", "signature", "failures", "share"}
