"""The farm side of the emulator through real boto3: queue-fleet associations, UpdateFleet's
scaling bounds in GetFleet, DeleteWorker's status rule, the big-fleet scenario, and worker
logs in the worker agent's structured format with metrics that follow the attempts."""

from __future__ import annotations

import http.client
import json
from typing import Any

import botocore.exceptions
import pytest

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.seed import DEMO_EPOCH
from deadline_emulator.server import serve_in_thread
from tests.deadline_emulator.fakes import local_client

METRIC_KEYS = {
    "cpu-usage-percent",
    "memory-total-bytes",
    "memory-used-bytes",
    "memory-used-percent",
    "swap-used-bytes",
    "total-disk-bytes",
    "total-disk-used-bytes",
    "total-disk-used-percent",
    "user-disk-available-bytes",
    "network-sent-bytes-per-second",
    "network-recv-bytes-per-second",
    "disk-read-bytes-per-second",
    "disk-write-bytes-per-second",
}


@pytest.fixture(scope="module")
def emulator() -> Emulator:
    return Emulator(seed=0, clock=Clock(pinned_at=DEMO_EPOCH + 3 * 86400))


@pytest.fixture(scope="module")
def deadline(emulator: Emulator) -> Any:
    return local_client(emulator)


@pytest.fixture(scope="module")
def logs(emulator: Emulator) -> Any:
    return local_client(emulator, "logs")


def _farm_fleet(emulator: Emulator) -> Any:
    return emulator.backend.world.fleets[0]


def _worker(emulator: Emulator, status: str) -> Any:
    return next(w for w in emulator.backend.world.workers if w.status == status)


def _metrics(logs: Any, worker: Any, **window: int) -> list[dict[str, Any]]:
    answer = logs.get_log_events(
        logGroupName=f"/aws/deadline/{worker.farm_id}/{worker.fleet_id}",
        logStreamName=worker.worker_id,
        startFromHead=True,
        **window,
    )
    events = [json.loads(e["message"]) for e in answer["events"]]
    return [e for e in events if e.get("type") == "Metrics"]


def test_associations_list_each_queue_with_its_fleets(emulator: Emulator, deadline: Any) -> None:
    fleet = _farm_fleet(emulator)
    answer = deadline.list_queue_fleet_associations(farmId=fleet.farm_id, fleetId=fleet.fleet_id)
    queues = {a["queueId"] for a in answer["queueFleetAssociations"]}
    expected = {q.queue_id for q in emulator.backend.world.queues if fleet.fleet_id in q.fleet_ids}
    assert queues == expected and len(queues) >= 2
    assert {a["status"] for a in answer["queueFleetAssociations"]} == {"ACTIVE"}


def test_update_fleet_bounds_drive_get_fleets_autoscaling(
    emulator: Emulator, deadline: Any
) -> None:
    fleet = emulator.backend.world.fleets[1]
    before = deadline.get_fleet(farmId=fleet.farm_id, fleetId=fleet.fleet_id)
    assert before["autoScalingStatus"] == "STEADY"
    assert before["targetWorkerCount"] == before["workerCount"]
    deadline.update_fleet(
        farmId=fleet.farm_id,
        fleetId=fleet.fleet_id,
        minWorkerCount=before["workerCount"] + 3,
        maxWorkerCount=before["workerCount"] + 10,
    )
    after = deadline.get_fleet(farmId=fleet.farm_id, fleetId=fleet.fleet_id)
    assert after["minWorkerCount"] == before["workerCount"] + 3
    assert after["maxWorkerCount"] == before["workerCount"] + 10
    assert after["targetWorkerCount"] == before["workerCount"] + 3
    assert after["autoScalingStatus"] == "GROWING"
    listed = deadline.list_fleets(farmId=fleet.farm_id)["fleets"]
    assert next(f for f in listed if f["fleetId"] == fleet.fleet_id)["minWorkerCount"] == (
        before["workerCount"] + 3
    )
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        deadline.update_fleet(
            farmId=fleet.farm_id, fleetId=fleet.fleet_id, minWorkerCount=9, maxWorkerCount=2
        )
    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_delete_worker_only_when_stopped_or_silent(emulator: Emulator, deadline: Any) -> None:
    running = _worker(emulator, "RUNNING")
    with pytest.raises(botocore.exceptions.ClientError) as raised:
        deadline.delete_worker(
            farmId=running.farm_id, fleetId=running.fleet_id, workerId=running.worker_id
        )
    assert raised.value.response["Error"]["Code"] == "ConflictException"
    stopped = _worker(emulator, "STOPPED")
    ids = {"farmId": stopped.farm_id, "fleetId": stopped.fleet_id}
    deadline.delete_worker(**ids, workerId=stopped.worker_id)
    listed = deadline.list_workers(**ids, maxResults=100)["workers"]
    assert stopped.worker_id not in {w["workerId"] for w in listed}
    with pytest.raises(deadline.exceptions.ResourceNotFoundException):
        deadline.get_worker(**ids, workerId=stopped.worker_id)
    batch = deadline.batch_get_worker(identifiers=[{**ids, "workerId": stopped.worker_id}])
    assert [e["code"] for e in batch["errors"]] == ["ResourceNotFoundException"]


def test_worker_log_metric_events_follow_the_agents_format(
    emulator: Emulator, logs: Any, deadline: Any
) -> None:
    worker = _worker(emulator, "RUNNING")
    answer = deadline.get_worker(
        farmId=worker.farm_id, fleetId=worker.fleet_id, workerId=worker.worker_id
    )
    options = answer["log"]["options"]
    assert options["logGroupName"] == f"/aws/deadline/{worker.farm_id}/{worker.fleet_id}"
    metrics = _metrics(logs, worker, limit=200)
    assert len(metrics) > 100
    first = metrics[0]
    assert list(first)[:5] == ["level", "ti", "type", "subtype", "cpu-usage-percent"]
    assert (first["level"], first["ti"], first["subtype"]) == ("INFO", "📊", "System")
    assert set(first) - {"level", "ti", "type", "subtype"} == METRIC_KEYS
    assert all(isinstance(value, str) for value in first.values())
    assert len({m["cpu-usage-percent"] for m in metrics}) > 20  # they move over time


def test_busy_idle_and_oom_workers_differ(emulator: Emulator, logs: Any) -> None:
    backend = emulator.backend
    worker = _worker(emulator, "RUNNING")
    timeline = backend.worker_timeline(worker.farm_id, worker.fleet_id, worker.worker_id)
    oom = next(a for a in timeline["attempts"] if a["exitCode"] == 137 and a["outcome"])
    busy = next(a for a in timeline["attempts"] if a["outcome"] == "SUCCEEDED")
    during = _metrics(
        logs,
        worker,
        startTime=int(oom["runningAt"] * 1000),
        endTime=int(oom["endsAt"] * 1000),
    )
    memory = [float(m["memory-used-percent"]) for m in during]
    assert (
        len(memory) >= 3
        and memory == sorted(memory)
        and memory[-1] > 80
        and memory[-1] > memory[0] + 25
    )
    swap = [int(m["swap-used-bytes"]) for m in during]
    assert all((s > 0) == (p > 90) for s, p in zip(swap, memory, strict=True))
    working = _metrics(
        logs, worker, startTime=int(busy["runningAt"] * 1000), endTime=int(busy["endsAt"] * 1000)
    )
    assert working and min(float(m["cpu-usage-percent"]) for m in working) > 70
    big = emulator.add_big_fleet(workers=20)
    idle = backend._workers[big["workerIds"][0]]
    quiet = _metrics(logs, idle, limit=100)
    assert quiet and max(float(m["cpu-usage-percent"]) for m in quiet) < 10
    # The worker log names the process the kernel killed for memory (exit code 137).
    group = f"/aws/deadline/{worker.farm_id}/{worker.fleet_id}"
    found = logs.filter_log_events(
        logGroupName=group, logStreamNames=[worker.worker_id], filterPattern='"code: 137"'
    )["events"]
    assert any(oom["sessionId"] in e["message"] for e in found)


def test_big_fleet_scenario_in_process_and_over_http(emulator: Emulator, deadline: Any) -> None:
    big = emulator.add_big_fleet(workers=5000)
    answer = deadline.search_workers(
        farmId=big["farmId"], fleetIds=[big["fleetId"]], itemOffset=0, pageSize=100
    )
    assert answer["totalResults"] == 5000
    statuses = {w["status"] for w in answer["workers"]}
    assert {"RUNNING", "IDLE"} <= statuses
    server, url = serve_in_thread(emulator)
    try:
        host = url.removeprefix("http://")
        conn = http.client.HTTPConnection(host)
        conn.request("POST", "/_emulator/scenarios/big-fleet", body=json.dumps({"workers": 30}))
        created = json.loads(conn.getresponse().read())
    finally:
        server.shutdown()
    assert len(created["workerIds"]) == 30
    fleet = deadline.get_fleet(farmId=created["farmId"], fleetId=created["fleetId"])
    assert fleet["maxWorkerCount"] == 30
