"""The farm side's pages through the emulator: a farm's fleets, a fleet's workers (a fleet of
5,000 from the scenario builder: first page, filtered, sorted, last page), a worker (its
sessions, worker log, search, and resource charts whose SVG points are the log's metric
events), and a job's workers with the bad-worker flag; each as a page, an htmx fragment and
JSON from the same view model."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from deadline_emulator.transport import in_process_client
from tests.htmx_headers import HTMX as HX

pytestmark = [pytest.mark.usefixtures("held_clock"), pytest.mark.read_only_world]

FLEET_KEYS = {
    "fleet_id",
    "name",
    "status",
    "status_message",
    "worker_count",
    "target_worker_count",
    "min_worker_count",
    "max_worker_count",
    "autoscaling_status",
    "queues",
}
WORKER_KEYS = {
    "worker_id",
    "host_name",
    "status",
    "instance_type",
    "current_task",
    "recent_attempts",
    "recent_failures",
}


def _main_fleet(emulator: Emulator) -> Any:
    return emulator.backend.world.fleets[0]


def _busy_worker(emulator: Emulator) -> Any:
    fleet = _main_fleet(emulator)
    return next(
        w
        for w in emulator.backend.world.workers
        if w.fleet_id == fleet.fleet_id and w.status == "RUNNING"
    )


def test_fleets_page_json_names_each_fleets_queues_and_scaling(
    client: Client, emulator: Emulator
) -> None:
    farm_id = emulator.backend.world.farms[0].farm_id
    url = reverse("fleet_list", args=[farm_id])
    deadline = in_process_client(emulator)

    data = client.get(url, HTTP_ACCEPT="application/json").json()

    assert set(data) == {"fleets"}
    fleets = {f["fleet_id"]: f for f in data["fleets"]}
    listed = deadline.list_fleets(farmId=farm_id)["fleets"]
    assert set(fleets) == {f["fleetId"] for f in listed}
    associations = deadline.list_queue_fleet_associations(farmId=farm_id)["queueFleetAssociations"]
    for answer in listed:
        shown = fleets[answer["fleetId"]]
        assert set(shown) == FLEET_KEYS
        assert shown["worker_count"] == answer["workerCount"]
        assert shown["max_worker_count"] == answer["maxWorkerCount"]
        assert shown["autoscaling_status"] == answer["autoScalingStatus"]
        served = {a["queueId"] for a in associations if a["fleetId"] == answer["fleetId"]}
        assert {q["queue_id"] for q in shown["queues"]} == served
        assert all(q["association_status"] == "ACTIVE" and q["name"] for q in shown["queues"])
    assert client.get(url + "?format=json").json() == data


def test_fleets_page_counts_workers_by_status_and_refreshes_as_a_fragment(
    client: Client, emulator: Emulator
) -> None:
    fleet = _main_fleet(emulator)
    url = reverse("fleet_list", args=[fleet.farm_id])
    statuses = Counter(
        w.status for w in emulator.backend.world.workers if w.fleet_id == fleet.fleet_id
    )

    page = client.get(url).content.decode()
    fragment = client.get(url, headers=HX).content.decode()

    row = page.split(f'data-fleet="{fleet.fleet_id}"', 1)[1].split("</tr>", 1)[0]
    for status, count in statuses.items():
        label = status.replace("_", " ").capitalize()
        assert f'{label}</span> <span class="num">{count}</span>' in row, status
    assert "<html" not in fragment and 'id="live"' in fragment
    assert f'data-fleet="{fleet.fleet_id}"' in fragment


def test_fleet_page_lists_workers_with_their_task_and_record(
    client: Client, emulator: Emulator
) -> None:
    fleet = _main_fleet(emulator)
    url = reverse("fleet_detail", args=[fleet.farm_id, fleet.fleet_id])

    data = client.get(url + "?format=json").json()
    fragment = client.get(url, headers=HX).content.decode()

    assert set(data["fleet"]) >= FLEET_KEYS
    assert {w["worker_id"] for w in data["workers"]} == set(fleet.worker_ids)
    assert all(set(w) == WORKER_KEYS for w in data["workers"])
    running = [w for w in data["workers"] if w["current_task"]]
    assert running, "the demo fleet runs tasks"
    deadline = in_process_client(emulator)
    for worker in running[:3]:
        task = worker["current_task"]
        job = emulator.backend._jobs[task["job_id"]]
        answer = deadline.get_task(
            farmId=fleet.farm_id, queueId=job.queue_id, jobId=task["job_id"],
            stepId=task["step_id"], taskId=task["task_id"],
        )  # fmt: skip
        assert answer["runStatus"] in {"RUNNING", "STARTING", "ASSIGNED", "SCHEDULED"}
    assert sum(w["recent_attempts"] for w in data["workers"]) == data["fleet"]["recent_attempts"]
    assert data["fleet"]["recent_attempts"] > 0
    assert "<html" not in fragment and "data-workers" in fragment


@pytest.fixture
def big_fleet(emulator: Emulator) -> dict[str, Any]:
    return emulator.add_big_fleet(workers=5000)


@pytest.mark.fresh_world
def test_a_fleet_of_5000_pages_its_workers_first_page_with_one_search(
    client: Client, emulator: Emulator, big_fleet: dict[str, Any]
) -> None:
    url = reverse("fleet_detail", args=[big_fleet["farmId"], big_fleet["fleetId"]])
    emulator.calls.reset()

    data = client.get(url + "?format=json").json()

    assert data["total"] == 5000 and data["page_count"] == 50
    assert len(data["workers"]) == 100
    calls = emulator.calls.snapshot()
    assert calls.get("SearchWorkers") == 1 and "ListWorkers" not in calls
    last = client.get(url + "?format=json&page=50").json()
    assert len(last["workers"]) == 100 and last["page"] == 50
    seen = {w["worker_id"] for w in data["workers"]} | {w["worker_id"] for w in last["workers"]}
    assert seen <= set(big_fleet["workerIds"]) and len(seen) == 200


@pytest.mark.fresh_world
def test_a_fleet_of_5000_filters_and_sorts_on_its_whole_listing(
    client: Client, emulator: Emulator, big_fleet: dict[str, Any]
) -> None:
    url = reverse("fleet_detail", args=[big_fleet["farmId"], big_fleet["fleetId"]])
    workers = [emulator.backend._workers[w] for w in big_fleet["workerIds"]]
    wanted = [w for w in workers if w.status == "STOPPED" and "bf1-01" in w.host_name]
    emulator.calls.reset()

    data = client.get(url, {"status": "STOPPED", "host": "BF1-01", "format": "json"}).json()
    listed = emulator.calls.snapshot()  # every page by offset, read at once; no token chain
    ordered = client.get(
        url, {"sort": "host", "order": "desc", "instance_type": "g5.2xlarge", "format": "json"}
    ).json()
    page = client.get(url, {"status": "NOT_RESPONDING"}).content.decode()

    assert data["total"] == len(wanted) > 0
    assert listed.get("SearchWorkers") == 50 and "ListWorkers" not in listed
    assert {w["worker_id"] for w in data["workers"]} == {w.worker_id for w in wanted}
    hosts = [w["host_name"] for w in ordered["workers"]]
    assert hosts == sorted(hosts, reverse=True)
    assert ordered["total"] == sum(w.instance_type == "g5.2xlarge" for w in workers)
    assert all(w["instance_type"] == "g5.2xlarge" for w in ordered["workers"])
    silent = sum(w.status == "NOT_RESPONDING" for w in workers)
    assert f"of {silent:,}" in page.replace("\u202f", ",")


def _metric_events(emulator: Emulator, worker: Any, start: datetime, end: datetime) -> list[dict]:
    logs = in_process_client(emulator, "logs")
    answer = logs.get_log_events(
        logGroupName=f"/aws/deadline/{worker.farm_id}/{worker.fleet_id}",
        logStreamName=worker.worker_id,
        startTime=int(start.timestamp() * 1000),
        endTime=int(end.timestamp() * 1000),
        startFromHead=True,
    )
    found = []
    for event in answer["events"]:
        message = json.loads(event["message"])
        if message.get("type") == "Metrics":
            found.append({"at": event["timestamp"], **message})
    return found


def test_worker_page_json_charts_the_log_metric_events(client: Client, emulator: Emulator) -> None:
    worker = _busy_worker(emulator)
    url = reverse("worker_detail", args=[worker.farm_id, worker.fleet_id, worker.worker_id])

    data = client.get(url, {"window": "1h", "format": "json"}).json()

    assert set(data) >= {"worker", "sessions", "metrics"}
    assert data["worker"]["host_name"] == worker.host_name
    assert data["worker"]["log_stream"] == worker.worker_id
    start = datetime.fromisoformat(data["window"]["start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(data["window"]["end"].replace("Z", "+00:00"))
    events = _metric_events(emulator, worker, start, end)
    assert 50 <= len(events) <= 61
    expected = [
        [datetime.fromtimestamp(e["at"] / 1000, tz=UTC), float(e["cpu-usage-percent"])]
        for e in events
    ]
    shown = [
        [datetime.fromisoformat(t.replace("Z", "+00:00")), v]
        for t, v in data["metrics"]["cpu_percent"]
    ]
    assert shown == expected
    memory = [float(e["memory-used-percent"]) for e in events]
    assert [v for _, v in data["metrics"]["memory_percent"]] == memory
    assert "gpu_percent" not in data["metrics"]  # the agent reports none
    sessions = data["sessions"]
    assert len(sessions) == 20
    started = [s["started_at"] for s in sessions]
    assert started == sorted(started, reverse=True)


def _polyline_values(svg: str) -> list[float]:
    """The values a chart's polylines draw, read back through its scale attributes."""
    scale = {k: float(v) for k, v in re.findall(r'data-(top|baseline|plot-height)="([\d.]+)"', svg)}
    values = []
    for points in re.findall(r'<polyline [^>]*points="([^"]+)"', svg):
        for pair in points.split():
            y = float(pair.split(",")[1])
            values.append((scale["baseline"] - y) / scale["plot-height"] * scale["top"])
    return values


def test_worker_page_svg_points_are_the_metric_events(client: Client, emulator: Emulator) -> None:
    worker = _busy_worker(emulator)
    url = reverse("worker_detail", args=[worker.farm_id, worker.fleet_id, worker.worker_id])

    page = client.get(url, {"window": "1h"}).content.decode()
    data = client.get(url, {"window": "1h", "format": "json"}).json()
    fragment = client.get(url, {"window": "1h"}, headers=HX).content.decode()

    cpu_svg = page.split('data-series="cpu_percent"', 1)[1].split("</svg>", 1)[0]
    drawn = _polyline_values(cpu_svg)
    expected = [v for _, v in data["metrics"]["cpu_percent"]]
    assert drawn == pytest.approx(expected, abs=0.11)  # one pixel-decimal of 100 %
    for name in ("memory_percent", "swap_gib", "disk_percent", "network_recv_mbps"):
        assert f'data-series="{name}"' in page
    assert "<html" not in fragment and 'data-series="cpu_percent"' in fragment
    # The log panel shows the newest events of the window in readable form.
    log = page.split("data-worker-log", 1)[1].split("</ol>", 1)[0]
    assert "INFO Metrics.System cpu-usage-percent=" in log


def test_worker_log_search_shows_the_oom_kill(client: Client, emulator: Emulator) -> None:
    backend = emulator.backend
    worker = _busy_worker(emulator)
    timeline = backend.worker_timeline(worker.farm_id, worker.fleet_id, worker.worker_id)
    killed = [a for a in timeline["attempts"] if a["exitCode"] == 137 and a["outcome"]]
    assert killed
    url = reverse("worker_detail", args=[worker.farm_id, worker.fleet_id, worker.worker_id])

    page = client.get(url, {"window": "24h", "q": '"code: 137"'}).content.decode()

    log = page.split("data-worker-log", 1)[1].split("</ol>", 1)[0]
    lines = re.findall(r"<li>(.*?)</li>", log, re.S)
    assert lines and all("code: 137" in line for line in lines)
    assert any(killed[-1]["sessionId"] in line for line in lines)


def test_job_workers_flags_the_unreliable_worker_as_the_failures_view_does(
    client: Client, emulator: Emulator
) -> None:
    job = emulator.backend.landmarks()["big_job"]
    unreliable = emulator.backend.landmarks()["unreliable_worker"]["workerId"]
    url = reverse("job_workers", args=[job["farmId"], job["queueId"], job["jobId"]])
    failures = reverse("job_failures", args=[job["farmId"], job["queueId"], job["jobId"]])

    data = client.get(url, {"format": "json", "wait": "60"}).json()
    clusters = client.get(failures, {"format": "json"}).json()["worker_clusters"]
    page = client.get(url).content.decode()
    fragment = client.get(url, headers=HX).content.decode()

    assert data["complete"] is True
    assert all(
        set(w) == {"worker_id", "host_name", "attempts", "failures", "bad"} for w in data["workers"]
    )
    assert [w["worker_id"] for w in data["workers"] if w["bad"]] == [unreliable]
    assert {c["worker_id"] for c in clusters} == {unreliable}
    sessions = Counter(
        s["workerId"]
        for p in in_process_client(emulator).get_paginator("list_sessions").paginate(**job)
        for s in p["sessions"]
    )
    assert {w["worker_id"]: w["attempts"] for w in data["workers"]} == dict(sessions)
    assert "data-bad-rule" in page and "worker cluster" in page
    assert re.search(rf'data-worker="{unreliable}" data-bad', page)
    assert "<html" not in fragment and "data-job-workers" in fragment


@pytest.mark.fresh_world
def test_a_suspended_fleet_says_why(client: Client, emulator: Emulator) -> None:
    made = emulator.add_big_fleet(
        workers=3, status="SUSPENDED", status_message="Suspended: the farm's budget is spent"
    )
    url = reverse("fleet_list", args=[made["farmId"]])

    data = client.get(url, {"format": "json"}).json()
    page = client.get(url).content.decode()

    shown = next(f for f in data["fleets"] if f["fleet_id"] == made["fleetId"])
    assert (shown["status"], shown["status_message"]) == (
        "SUSPENDED",
        "Suspended: the farm's budget is spent",
    )
    row = page.split(f'data-fleet="{made["fleetId"]}"', 1)[1].split("</tr>", 1)[0]
    assert "Suspended</span>" in row and "the farm&#x27;s budget is spent" in row


@pytest.mark.fresh_world
def test_a_fleet_past_the_search_window_is_listed_with_list_workers(
    client: Client, emulator: Emulator
) -> None:
    made = emulator.add_big_fleet(workers=10_050)
    url = reverse("fleet_detail", args=[made["farmId"], made["fleetId"]])
    idle = sum(emulator.backend._workers[w].status == "IDLE" for w in made["workerIds"])
    emulator.calls.reset()

    data = client.get(url, {"status": "IDLE", "format": "json"}).json()

    calls = emulator.calls.snapshot()
    assert data["total"] == idle > 2000
    assert calls.get("SearchWorkers") == 1  # the total says the window cannot hold them
    assert calls.get("ListWorkers") == 101
    plain = client.get(url, {"format": "json", "page": "101"}).json()
    assert (plain["total"], plain["page_count"], len(plain["workers"])) == (10_050, 101, 50)
