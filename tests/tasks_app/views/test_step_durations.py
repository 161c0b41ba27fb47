"""A step's render times: the histogram counts every succeeded task once, the percentiles and
extremes are the tasks' own times (read back with real boto3 from the emulator), the page
links the slowest frames, and the step page shows the summary once the listing is cached."""

from __future__ import annotations

import math
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from deadline_emulator.transport import in_process_client

pytestmark = [pytest.mark.usefixtures("held_clock"), pytest.mark.read_only_world]


def _url(name: str, step: dict[str, str]) -> str:
    return reverse(
        name,
        kwargs={
            "farm_id": step["farmId"],
            "queue_id": step["queueId"],
            "job_id": step["jobId"],
            "step_id": step["stepId"],
        },
    )


def _succeeded_seconds(emulator: Emulator, step: dict[str, str]) -> dict[str, float]:
    """Each succeeded task's end minus start, as ListTasks answers them."""
    deadline = in_process_client(emulator)
    times = {}
    for page in deadline.get_paginator("list_tasks").paginate(**step):
        for task in page["tasks"]:
            if task["runStatus"] == "SUCCEEDED":
                times[task["taskId"]] = (task["endedAt"] - task["startedAt"]).total_seconds()
    return times


def test_big_step_histogram_counts_every_succeeded_task(client: Client, emulator: Emulator) -> None:
    step = emulator.backend.landmarks()["big_step"]
    expected = _succeeded_seconds(emulator, step)
    counts = in_process_client(emulator).get_step(**step)["taskRunStatusCounts"]

    data: dict[str, Any] = client.get(_url("step_durations", step) + "?format=json").json()

    assert set(data) == {
        "count", "p50_seconds", "p95_seconds", "max_seconds", "histogram", "slowest", "fastest",
        "peak_memory_note",
    }  # fmt: skip
    assert data["count"] == len(expected) == counts["SUCCEEDED"] > 1000
    assert sum(b["count"] for b in data["histogram"]) == counts["SUCCEEDED"]
    for low, high in zip(data["histogram"], data["histogram"][1:], strict=False):
        assert low["to_seconds"] == high["from_seconds"]
    ordered = sorted(expected.values())
    assert data["max_seconds"] == pytest.approx(ordered[-1], abs=1e-3)
    assert data["p50_seconds"] == pytest.approx(ordered[math.ceil(len(ordered) / 2) - 1], abs=1e-3)
    assert data["p95_seconds"] == pytest.approx(
        ordered[math.ceil(len(ordered) * 0.95) - 1], abs=1e-3
    )
    slowest = data["slowest"][0]
    assert expected[slowest["task_id"]] == pytest.approx(ordered[-1], abs=1e-3)
    assert data["fastest"][0]["seconds"] == pytest.approx(ordered[0], abs=1e-3)


def test_page_draws_the_charts_and_links_the_slowest_frames(
    client: Client, emulator: Emulator
) -> None:
    step = emulator.backend.landmarks()["params_step"]
    expected = _succeeded_seconds(emulator, step)

    response = client.get(_url("step_durations", step))
    html = response.content.decode()

    assert response.status_code == 200
    assert html.count('class="chart"') == 2  # histogram and scatter
    assert html.count('class="chart-dot"') == len(expected)
    slowest = max(expected, key=expected.__getitem__)
    assert f'href="{_url("step_detail", step)}tasks/{slowest}/"' in html
    counts = [int(c) for c in __import__("re").findall(r"<td class=\"num\" data-count>(\d+)", html)]
    assert sum(counts) == len(expected)


def test_step_page_summary_appears_once_the_listing_is_cached(
    client: Client, emulator: Emulator
) -> None:
    step = emulator.backend.landmarks()["params_step"]
    before = client.get(_url("step_detail", step)).content.decode()
    assert "data-render-times-link>Render times</a>" in before

    client.get(_url("step_durations", step))
    after = client.get(_url("step_detail", step)).content.decode()

    assert "data-render-times-link>Render times: median" in after


def test_unknown_step_is_404_json(client: Client, emulator: Emulator) -> None:
    step = {**emulator.backend.landmarks()["params_step"], "stepId": "step-" + "0" * 32}
    response = client.get(_url("step_durations", step), HTTP_ACCEPT="application/json")
    assert response.status_code == 404
    assert response.json()["resource_type"] == "step"


def _recent_step(emulator: Emulator) -> dict[str, str]:
    """A step of the previs farm whose succeeded tasks ended within the last 20 hours (the
    emulator keeps a day of each worker's log)."""
    deadline = in_process_client(emulator)
    farm_id = emulator.backend.landmarks()["farm_previs"]
    since = emulator.backend.clock.now() - 20 * 3600
    for queue in deadline.list_queues(farmId=farm_id)["queues"]:
        ids = {"farmId": farm_id, "queueId": queue["queueId"]}
        for job in deadline.list_jobs(**ids)["jobs"]:
            for step in deadline.list_steps(**ids, jobId=job["jobId"])["steps"]:
                found = {**ids, "jobId": job["jobId"], "stepId": step["stepId"]}
                tasks = deadline.list_tasks(**found)["tasks"]
                done = [t for t in tasks if t["runStatus"] == "SUCCEEDED"]
                if len(done) > 10 and all(t["endedAt"].timestamp() > since for t in done):
                    return found
    raise AssertionError("no recent step in the demo world")


def _host_peak(emulator: Emulator, step: dict[str, str], task: dict[str, Any]) -> float | None:
    """The highest memory-used-percent the task's worker logged while the task ran."""
    import json

    deadline, logs = in_process_client(emulator), in_process_client(emulator, "logs")
    session_id = "session-" + task["latestSessionActionId"].split("-")[1]
    session = deadline.get_session(
        **{k: step[k] for k in ("farmId", "queueId", "jobId")}, sessionId=session_id
    )
    start, end = (int(task[k].timestamp() * 1000) for k in ("startedAt", "endedAt"))
    events = logs.get_log_events(
        logGroupName=f"/aws/deadline/{step['farmId']}/{session['fleetId']}",
        logStreamName=session["workerId"],
        startTime=start,
        endTime=end,
        startFromHead=True,
    )["events"]
    values = [
        float(json.loads(e["message"])["memory-used-percent"])
        for e in events
        if '"Metrics"' in e["message"] and start <= e["timestamp"] <= end
    ]
    return max(values, default=None)


def test_listed_frames_show_their_hosts_peak_memory_while_they_ran(
    client: Client, emulator: Emulator
) -> None:
    step = _recent_step(emulator)
    pages = in_process_client(emulator).get_paginator("list_tasks").paginate(**step)
    tasks = {t["taskId"]: t for page in pages for t in page["tasks"]}

    data = client.get(_url("step_durations", step) + "?format=json").json()
    html = client.get(_url("step_durations", step)).content.decode()

    listed = data["slowest"] + data["fastest"]
    expected = {row["task_id"]: _host_peak(emulator, step, tasks[row["task_id"]]) for row in listed}
    assert {row["task_id"]: row["peak_memory_percent"] for row in listed} == pytest.approx(expected)
    assert any(v is not None for v in expected.values())
    assert "whole host" in data["peak_memory_note"]
    assert html.count("data-peak-memory") == len(listed)
    assert "data-memory-note" in html
