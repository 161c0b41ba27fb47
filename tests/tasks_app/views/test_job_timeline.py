"""A job's timeline: every task run ListSessionActions answers for the job is on it once, in
its own session and worker lane; the overhead shares sum as ``deadline job trace-schedule``
sums them; zoom links narrow the view; many actions are drawn as aggregate bars."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from deadline_emulator.transport import in_process_client
from tasks_app.views import timeline as timeline_view

pytestmark = pytest.mark.usefixtures("held_clock")


def _url(job: dict[str, str]) -> str:
    return reverse(
        "job_timeline",
        kwargs={"farm_id": job["farmId"], "queue_id": job["queueId"], "job_id": job["jobId"]},
    )


def _listed(emulator: Emulator, job: dict[str, str], operation: str, key: str) -> list[Any]:
    deadline = in_process_client(emulator)
    return [
        item for page in deadline.get_paginator(operation).paginate(**job) for item in page[key]
    ]


@pytest.fixture
def job(emulator: Emulator) -> dict[str, str]:
    return emulator.backend.landmarks()["failed_deps_job"]


def test_task_actions_match_list_session_actions_one_for_one(
    client: Client, emulator: Emulator, job: dict[str, str]
) -> None:
    actions = _listed(emulator, job, "list_session_actions", "sessionActions")
    sessions = {s["sessionId"]: s for s in _listed(emulator, job, "list_sessions", "sessions")}
    expected = Counter(
        (
            "session-" + a["sessionActionId"].removeprefix("sessionaction-").rpartition("-")[0],
            a["definition"]["taskRun"]["taskId"],
            a["status"],
        )
        for a in actions
        if "taskRun" in a["definition"]
    )

    data = client.get(_url(job), HTTP_ACCEPT="application/json").json()

    assert set(data) == {"workers", "overhead", "view"}
    assert data["view"]["aggregated"] is False
    seen: Counter[tuple[str, str, str]] = Counter()
    for worker in data["workers"]:
        assert set(worker) == {"worker_id", "host_name", "sessions"}
        for session in worker["sessions"]:
            assert sessions[session["session_id"]]["workerId"] == worker["worker_id"]
            for action in session["actions"]:
                assert set(action) == {"kind", "start", "end", "status", "task_id"}
                if action["kind"] == "taskRun":
                    seen[(session["session_id"], action["task_id"], action["status"])] += 1
    assert seen == expected
    assert sum(expected.values()) > 10


def test_overhead_sums_as_trace_schedule(
    client: Client, emulator: Emulator, job: dict[str, str]
) -> None:
    now = emulator.backend.clock.now()
    sessions = _listed(emulator, job, "list_sessions", "sessions")
    actions = _listed(emulator, job, "list_session_actions", "sessionActions")

    def seconds(item: dict[str, Any]) -> float:
        if "startedAt" not in item:
            return 0.0
        end = item["endedAt"].timestamp() if "endedAt" in item else now
        return end - item["startedAt"].timestamp()

    by_kind: Counter[str] = Counter()
    for action in actions:
        by_kind[next(iter(action["definition"]))] += seconds(action)
    session_total = sum(seconds(s) for s in sessions)

    overhead = client.get(_url(job) + "?format=json").json()["overhead"]

    assert overhead["task_seconds"] == pytest.approx(by_kind["taskRun"], abs=0.01)
    assert overhead["setup_seconds"] == pytest.approx(
        by_kind["envEnter"] + by_kind["envExit"], abs=0.01
    )
    assert overhead["sync_seconds"] == pytest.approx(by_kind["syncInputJobAttachments"], abs=0.01)
    gap = session_total - sum(by_kind.values())
    assert overhead["gap_seconds"] == pytest.approx(gap, abs=0.01)


def test_page_links_task_bars_and_zooms(
    client: Client, emulator: Emulator, job: dict[str, str]
) -> None:
    response = client.get(_url(job))
    html = response.content.decode()

    assert response.status_code == 200
    assert 'data-chart="timeline"' in html
    task_links = html.count(f'<a href="{_url(job).removesuffix("timeline/")}steps/')
    runs = sum(
        "taskRun" in a["definition"]
        for a in _listed(emulator, job, "list_session_actions", "sessionActions")
    )
    assert task_links == runs
    # The first quarter's zoom keeps only the sessions that overlap it.
    data = client.get(_url(job) + "?format=json").json()
    starts = sorted(s["start"] for w in data["workers"] for s in w["sessions"])
    zoomed = client.get(_url(job), {"start": starts[0], "end": starts[0], "format": "json"})
    assert zoomed.status_code == 400
    narrow = client.get(_url(job), {"start": starts[0], "end": starts[1], "format": "json"})
    kept = [s for w in narrow.json()["workers"] for s in w["sessions"]]
    assert 0 < len(kept) < len(starts)


def test_many_actions_are_drawn_as_zoom_bars(
    client: Client, emulator: Emulator, job: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timeline_view, "MAX_SPANS", 10)

    html = client.get(_url(job)).content.decode()

    assert "span-mixed" in html
    assert "span-task" not in html.split('data-chart="timeline"')[1].split("</figure>")[0]
    assert f'<a href="{_url(job)}?start=' in html
