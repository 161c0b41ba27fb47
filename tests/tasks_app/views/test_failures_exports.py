"""The failures view's plain-text exports of a job a submitter named with bidi controls and
invisible characters (and a spreadsheet formula): the Markdown summary isolates the name and
shows each control as ``<U+202E>``; the CSV has one row per failed task, the same tasks as the
JSON, the controls shown and the formula inert."""

from __future__ import annotations

import csv
import io
import re
import unicodedata

import pytest
from django.conf import LazySettings
from django.test import Client
from django.urls import reverse
from markdown_it import MarkdownIt

from deadline_emulator import Emulator
from tasks_app.views.failures_csv import COLUMNS

#: A formula, a right-to-left override hiding ".exe", and the invisible characters a
#: submitter can hide in a name: zero-width space and joiner, LRM/RLM, an isolate, BOM, ALM.
HOSTILE_NAME = (
    '=HYPERLINK("http://evil.example/")\u202egnp.exe\u200b\u200d\u200e\u2067x\u2069\ufeff\u061c'
)
SHOWN = (
    '=HYPERLINK("http://evil.example/")<U+202E>gnp.exe<U+200B><U+200D><U+200E><U+2067>x'
    "<U+2069><U+FEFF><U+061C>"
)
ISOLATES = {"\u2068", "\u2069"}


@pytest.fixture
def hostile_job(emulator: Emulator, settings: LazySettings) -> str:
    """The failures URL of a finished job with that name and three failed tasks."""
    settings.DASHBOARD_FAILURES_FIRST_PAINT_SECONDS = 60  # the first answer is complete
    made = emulator.add_failed_job(name=HOSTILE_NAME, failed_tasks=3, steps=2)
    return reverse(
        "job_failures",
        kwargs={"farm_id": made["farmId"], "queue_id": made["queueId"], "job_id": made["jobId"]},
    )


def _format_characters(text: str) -> set[str]:
    return {char for char in text if unicodedata.category(char) == "Cf"}


def test_markdown_and_csv_exports_never_emit_the_names_invisible_characters(
    client: Client, hostile_job: str
) -> None:
    data = client.get(hostile_job, {"format": "json"}).json()
    markdown = client.get(hostile_job, {"format": "markdown"}).content.decode()
    response = client.get(hostile_job, {"format": "csv"})
    page = client.get(hostile_job).content.decode()

    # Markdown: the heading names the job isolated (FSI ... PDI), each control shown.
    heading = markdown.splitlines()[0]
    assert heading.startswith("## Failures of job \u2068") and heading.endswith("\u2069")
    assert "&lt;U+202E&gt;gnp.exe&lt;U+200B&gt;" in MarkdownIt("commonmark").render(heading)
    assert _format_characters(markdown) <= ISOLATES  # only our own isolates
    assert markdown.count("\u2068") == markdown.count("\u2069")
    rendered = MarkdownIt("commonmark").enable("table").render(markdown)
    assert '<a href="http://evil' not in rendered and "<em>" not in rendered
    assert rendered.count("<tr>") == len(data["groups"]) + 1  # no row split or added

    # CSV: a download, one row per failed task, the same tasks as the JSON.
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="failures-job-')
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")  # so Excel reads UTF-8
    rows = list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))
    assert tuple(rows[0]) == COLUMNS
    assert sorted(row["task_id"] for row in rows) == sorted(
        task_id for group in data["groups"] for task_id in group["task_ids"]
    )
    assert {row["cause"] for row in rows} == {group["title"] for group in data["groups"]}
    assert {row["job"] for row in rows} == {"'" + SHOWN}  # shown, and a formula no more
    assert not _format_characters(text.removeprefix("\ufeff"))
    for row in rows:
        assert row["task_url"].startswith("http://testserver/farms/")
        assert re.fullmatch(r"task-[0-9a-f]{32}-\d+", row["task_id"])
        assert int(row["attempts"]) >= 1 and row["flaky"] in {"yes", "no", "unknown"}

    # The page links the CSV beside the Markdown.
    links = r'<a href="[^"]*\?format=markdown">Markdown</a> · <a href="[^"]*\?format=csv" download>'
    assert re.search(links + "CSV</a>", page)


def test_an_unknown_format_is_refused_with_the_formats_named(
    client: Client, hostile_job: str
) -> None:
    response = client.get(hostile_job, {"format": "xlsx"})
    assert response.status_code == 400
    assert "json|markdown|csv" in response.content.decode()
