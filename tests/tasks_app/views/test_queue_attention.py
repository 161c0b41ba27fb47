"""The queue's job list in attention order (the default): failing, stalled, waiting, running,
then the rest; the summary above it; a job held by failed tasks says so."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from deadline_emulator import Emulator
from tasks_app.selectors import job_attention
from tests.tasks_app.views.browse_pages import JOB_ROW, RANGE, queue_url

pytestmark = pytest.mark.usefixtures("held_clock")

_RUNNING = ("ASSIGNED", "STARTING", "RUNNING", "INTERRUPTING")


def standing(job: dict[str, Any]) -> str:
    """The test's own reading of the API's job (no stalled tasks: no attention list yet)."""
    counts = job.get("taskRunStatusCounts") or {}
    if counts.get("FAILED") or job["taskRunStatus"] == "FAILED":
        return "failed"
    if any(counts.get(s) for s in _RUNNING) or job["taskRunStatus"] in _RUNNING:
        return "running"
    if job["taskRunStatus"] in ("PENDING", "READY", "SCHEDULED"):
        return "waiting"
    return "other"


def test_default_order_puts_trouble_first(client: Client, emulator: Emulator) -> None:
    big = emulator.backend.landmarks()["big_job"]
    ids = {"farm_id": big["farmId"], "queue_id": big["queueId"]}

    html = client.get(queue_url(big)).content.decode()

    rows = JOB_ROW.findall(html)
    jobs = [emulator.backend.get_job(**ids, job_id=job_id) for job_id in rows]
    standings = [standing(job) for job in jobs]
    assert standings == sorted(standings, key=job_attention.STANDINGS.index)
    assert {"failed", "running", "other"} <= set(standings)
    # The job with 113 failed frames, row 40 of 40 by date, leads the list.
    assert rows[0] == big["jobId"]
    assert RANGE.search(html).group(1).startswith(f"1\u2013{len(rows)} of {len(rows)}")
    # The summary above the table counts the same open jobs.
    summary = re.search(r"<p class=\"queue-board\" data-queue-summary>(.*?)</p>", html, re.S)
    assert summary is not None
    shown = dict(
        (label, int(n.replace(",", "")))
        for n, label in re.findall(r"<strong>([\d,]+)</strong> (\w+)", summary.group(1))
    )
    open_jobs = [j for j in jobs if j["taskRunStatus"] in job_attention.OPEN_STATUSES]
    assert shown["failing"] == sum(standing(j) == "failed" for j in open_jobs)
    assert shown["running"] == sum(standing(j) == "running" for j in open_jobs)
    assert shown["waiting"] == sum(standing(j) == "waiting" for j in open_jobs)


def test_a_job_held_by_failed_tasks_says_failed_tasks(client: Client, emulator: Emulator) -> None:
    big = emulator.backend.landmarks()["big_job"]
    ids = {"farm_id": big["farmId"], "queue_id": big["queueId"]}
    html = client.get(queue_url(big)).content.decode()

    held = [
        job
        for job in (emulator.backend.get_job(**ids, job_id=j) for j in JOB_ROW.findall(html))
        if job["taskRunStatus"] in ("PENDING", "READY")
        and (job.get("taskRunStatusCounts") or {}).get("FAILED")
    ]
    assert held  # the demo queue has jobs waiting behind failed tasks
    for job in held:
        row = re.search(rf'<tr data-href="[^"]*/jobs/{job["jobId"]}/">.*?</tr>', html, re.S)
        assert row is not None
        failed = job["taskRunStatusCounts"]["FAILED"]
        assert f">Failed tasks ({failed:,})</span>" in row.group(0)
        assert ">Pending</span>" not in row.group(0)


def test_queue_header_says_what_the_queue_does(client: Client, emulator: Emulator) -> None:
    big = emulator.backend.landmarks()["big_job"]

    html = client.get(queue_url(big)).content.decode()

    head = re.search(r'<p class="queue-summary">(.*?)</p>', html, re.S)
    assert head is not None
    text = re.sub(r"<[^>]+>", "", head.group(1))
    assert not re.fullmatch(r"Status \w+", text.strip())
    assert text.startswith("Queue ")
