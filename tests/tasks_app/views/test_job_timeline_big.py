"""The timeline of the demo world's 10,000-task job: zoomed out, aggregate bars built from each
task's latest run (SearchTasks pages by offset, read at once) on the lane of its session's
worker (BatchGetSession), said so on the page and in the JSON, with the overhead summary
estimated from a named sample, and the job's sessions read in the background; zoomed into
a narrow window, every session in it and every action of each, one for one with
ListSessionActions of the job."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from deadline_emulator.transport import in_process_client
from tasks_app.deadline import resilience
from tasks_app.selectors.usage import job_overview

pytestmark = [pytest.mark.usefixtures("held_clock"), pytest.mark.read_only_world]


@pytest.fixture
def job(emulator: Emulator) -> dict[str, str]:
    return emulator.backend.landmarks()["big_job"]


def _url(job: dict[str, str]) -> str:
    return reverse(
        "job_timeline",
        kwargs={"farm_id": job["farmId"], "queue_id": job["queueId"], "job_id": job["jobId"]},
    )


def _listed(emulator: Emulator, job: dict[str, str], operation: str, key: str) -> list[Any]:
    deadline = in_process_client(emulator)
    pages = deadline.get_paginator(operation).paginate(**job, PaginationConfig={"PageSize": 100})
    return [item for page in pages for item in page[key]]


def _session_of(action_id: str) -> str:
    return "session-" + action_id.removeprefix("sessionaction-").rpartition("-")[0]


def _when(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_zoomed_out_draws_each_tasks_latest_run_on_its_workers_lane_and_says_so(
    client: Client, emulator: Emulator, job: dict[str, str]
) -> None:
    tasks = [
        t
        for s in _listed(emulator, job, "list_steps", "steps")
        for t in _listed(emulator, {**job, "stepId": s["stepId"]}, "list_tasks", "tasks")
    ]
    sessions = {s["sessionId"]: s for s in _listed(emulator, job, "list_sessions", "sessions")}
    started = [t for t in tasks if "latestSessionActionId" in t and "startedAt" in t]
    latest = {
        _session_of(t["latestSessionActionId"]) for t in tasks if "latestSessionActionId" in t
    }
    runs_per_worker = Counter(
        sessions[_session_of(t["latestSessionActionId"])]["workerId"] for t in started
    )
    emulator.calls.reset()

    data = client.get(_url(job), HTTP_ACCEPT="application/json").json()

    assert len(tasks) == 10_000
    assert data["view"]["aggregated"] is True
    assert any(n.startswith("Aggregated: each task's latest run") for n in data["view"]["notes"])
    assert data["overhead"]["estimated"] is True
    assert data["overhead"]["sampled_sessions"] == job_overview.SAMPLE_SESSIONS
    assert data["overhead"]["sessions"] == len(latest)
    drawn = {w["worker_id"]: sum(s["task_runs"] for s in w["slices"]) for w in data["workers"]}
    assert drawn == dict(runs_per_worker)
    # The overview read no job-wide list page after page ...
    assert emulator.calls["ListSessionActions"] == job_overview.SAMPLE_SESSIONS
    assert emulator.calls["SearchTasks"] == 100
    assert emulator.calls["BatchGetSession"] == -(-len(latest) // 100)
    # ... but started reading every page of the sessions in the background, for the first zoom.
    assert resilience.drain_reads()
    assert emulator.calls["ListSessions"] == -(-len(sessions) // 100)
    assert emulator.calls["ListSessionActions"] == job_overview.SAMPLE_SESSIONS


def test_zoomed_out_lanes_are_as_busy_as_their_sessions(
    client: Client, emulator: Emulator, job: dict[str, str]
) -> None:
    data = client.get(_url(job), HTTP_ACCEPT="application/json").json()
    tasks_sessions = set()
    for step in _listed(emulator, job, "list_steps", "steps"):
        for t in _listed(emulator, {**job, "stepId": step["stepId"]}, "list_tasks", "tasks"):
            if "latestSessionActionId" in t:
                tasks_sessions.add(_session_of(t["latestSessionActionId"]))
    busy: dict[str, float] = defaultdict(float)
    for s in _listed(emulator, job, "list_sessions", "sessions"):
        if s["sessionId"] in tasks_sessions:
            busy[s["workerId"]] += (s["endedAt"] - s["startedAt"]).total_seconds()

    drawn = {w["worker_id"]: sum(s["busy_seconds"] for s in w["slices"]) for w in data["workers"]}

    assert drawn.keys() == busy.keys()
    for worker, seconds in busy.items():
        assert drawn[worker] == pytest.approx(seconds, rel=1e-6)


def test_a_narrow_window_is_exact_one_for_one_with_list_session_actions(
    client: Client, emulator: Emulator, job: dict[str, str]
) -> None:
    sessions = _listed(emulator, job, "list_sessions", "sessions")
    first = min(s["startedAt"] for s in sessions).timestamp()
    last = max(s["endedAt"] for s in sessions).timestamp()
    start = first + (last - first) / 2  # a two-hundredth of the job, from its middle
    end = start + (last - first) / 200
    inside = {
        s["sessionId"]: s
        for s in sessions
        if s["startedAt"].timestamp() < end and s["endedAt"].timestamp() > start
    }
    expected = Counter(
        (_session_of(a["sessionActionId"]), a["definition"]["taskRun"]["taskId"], a["status"])
        for a in _listed(emulator, job, "list_session_actions", "sessionActions")
        if "taskRun" in a["definition"] and _session_of(a["sessionActionId"]) in inside
    )
    iso = {"start": datetime.fromtimestamp(start, UTC).isoformat()}
    iso["end"] = datetime.fromtimestamp(end, UTC).isoformat()

    response = client.get(_url(job), {**iso, "format": "json"})
    assert response.status_code == 200, response.content
    data = response.json()

    assert data["view"]["aggregated"] is False
    assert data["view"]["notes"][0].startswith("Exact: every session of the job in this window")
    assert data["overhead"]["estimated"] is False
    seen: Counter[tuple[str, str, str]] = Counter()
    for worker in data["workers"]:
        for session in worker["sessions"]:
            assert inside[session["session_id"]]["workerId"] == worker["worker_id"]
            for action in session["actions"]:
                if action["kind"] == "taskRun":
                    seen[(session["session_id"], action["task_id"], action["status"])] += 1
    assert 20 < sum(expected.values()) <= job_overview.MAX_WINDOW_SESSIONS * 2
    assert seen == expected
    assert _when(data["view"]["start"]) == pytest.approx(start, abs=0.001)


def test_the_page_says_what_is_aggregated_and_estimated(
    client: Client, job: dict[str, str]
) -> None:
    html = client.get(_url(job)).content.decode()

    assert html.count("data-read-note") >= 2
    assert "data-estimated" in html
    assert "span-mixed" in html


@pytest.mark.parametrize("told", [0, 150, 10_000])
def test_every_task_is_read_whatever_count_the_view_passed(
    emulator: Emulator, job: dict[str, str], told: int
) -> None:
    """The job's task count only lets pages be asked early: told none, too few or all, the
    read still reaches every task the search's total names, each page once."""
    ids = {"farm_id": job["farmId"], "queue_id": job["queueId"], "job_id": job["jobId"]}
    runs = job_overview.job_runs(**ids, tasks=told)
    assert runs.tasks_read == runs.tasks_total == 10_000
    assert emulator.calls["SearchTasks"] == 100
