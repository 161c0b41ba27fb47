"""The sessions statistics aggregation: runtime is the sessions' own (ListSessions), clipped to
the window and split across periods; cost follows the instance-type rate and the farm's
costScaleFactor; answers match botocore's model, page, expire and refuse bad requests."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.seed import DEMO_EPOCH
from deadline_emulator.statistics import hourly_rate
from deadline_emulator.transport import in_process_client
from deadline_emulator.validation import validate_output


@pytest.fixture(scope="module")
def world() -> dict[str, Any]:
    emulator = Emulator(seed=0, clock=Clock(pinned_at=DEMO_EPOCH + 3 * 86400))
    client = in_process_client(emulator)
    problems: list[Any] = []

    def check(http_response: Any, model: Any, **_: Any) -> None:
        if http_response.status_code == 200:
            problems.extend(validate_output(model.name, json.loads(http_response.content)))

    client.meta.events.register("after-call.deadline", check)
    farm_id = emulator.backend.landmarks()["farm_previs"]
    queues = [q["queueId"] for q in client.list_queues(farmId=farm_id)["queues"]]
    now = datetime.fromtimestamp(emulator.backend.clock.now(), tz=UTC)
    return {
        "emulator": emulator,
        "client": client,
        "problems": problems,
        "farm": farm_id,
        "queues": queues,
        "now": now,
        "start": now - timedelta(days=2, hours=5),
    }


def _sessions(world: dict[str, Any]) -> list[dict[str, Any]]:
    """Every session of the farm's queues, with its queue, job and worker, from the lists."""
    client, found = world["client"], []
    for queue_id in world["queues"]:
        jobs = client.search_jobs(
            farmId=world["farm"], queueIds=[queue_id], itemOffset=0, pageSize=100
        )
        assert jobs["totalResults"] <= 100
        for job in jobs["jobs"]:
            ids = {"farmId": world["farm"], "queueId": queue_id, "jobId": job["jobId"]}
            for page in client.get_paginator("list_sessions").paginate(**ids):
                found.extend({**s, **ids} for s in page["sessions"])
    return found


def _clipped(session: dict[str, Any], low: datetime, high: datetime, now: datetime) -> float:
    end = session.get("endedAt") or now
    return max((min(end, high) - max(session["startedAt"], low)).total_seconds(), 0.0)


def _aggregate(world: dict[str, Any], **request: Any) -> list[dict[str, Any]]:
    client = world["client"]
    request.setdefault("resourceIds", {"queueIds": world["queues"]})
    started = client.start_sessions_statistics_aggregation(
        farmId=world["farm"], startTime=world["start"], endTime=world["now"], **request
    )
    rows: list[dict[str, Any]] = []
    token = None
    while True:
        more = {"nextToken": token} if token else {}
        answer = client.get_sessions_statistics_aggregation(
            farmId=world["farm"], aggregationId=started["aggregationId"], maxResults=7, **more
        )
        assert answer["status"] == "COMPLETED"
        rows.extend(answer["statistics"])
        token = answer.get("nextToken")
        if not token:
            return rows


def test_runtime_per_queue_is_the_sessions_own(world: dict[str, Any]) -> None:
    expected: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    for s in _sessions(world):
        end = s.get("endedAt") or world["now"]
        if s["startedAt"] < world["now"] and end > world["start"]:  # overlaps the window
            expected[s["queueId"]] += _clipped(s, world["start"], world["now"], world["now"])
            counts[s["queueId"]] += 1

    rows = _aggregate(world, groupBy=["QUEUE_ID"], statistics=["SUM", "MAX"])

    got = {r["queueId"]: r["runtimeInSeconds"]["sum"] for r in rows}
    assert set(got) == {q for q, v in expected.items() if v}
    for queue_id, seconds in got.items():
        assert seconds == pytest.approx(expected[queue_id], abs=0.01)
    assert {r["queueId"]: r["count"] for r in rows} == {q: counts[q] for q in got}
    assert all(set(r["costInUsd"]) == {"sum", "max"} for r in rows)
    assert not world["problems"]


def test_daily_rows_split_runtime_exactly_and_cost_follows_the_rate(world: dict[str, Any]) -> None:
    whole = _aggregate(world, groupBy=["INSTANCE_TYPE"], statistics=["SUM"])
    daily = _aggregate(
        world, groupBy=["INSTANCE_TYPE"], statistics=["SUM"], period="DAILY", timezone="UTC+00:00"
    )

    totals: dict[str | None, float] = defaultdict(float)
    for row in daily:
        assert row["aggregationEndTime"] - row["aggregationStartTime"] <= timedelta(days=1)
        assert (
            row["aggregationStartTime"] == world["start"] or row["aggregationStartTime"].hour == 0
        )
        totals[row.get("instanceType")] += row["runtimeInSeconds"]["sum"]
    scale = world["client"].get_farm(farmId=world["farm"])["costScaleFactor"]
    for row in whole:
        kind = row.get("instanceType")
        assert totals[kind] == pytest.approx(row["runtimeInSeconds"]["sum"], abs=0.01)
        cost = row["runtimeInSeconds"]["sum"] / 3600 * hourly_rate(kind) * scale
        assert row["costInUsd"]["sum"] == pytest.approx(cost, rel=1e-6)
    assert not world["problems"]


def test_job_rows_carry_the_job_name(world: dict[str, Any]) -> None:
    rows = _aggregate(world, groupBy=["JOB_ID", "USAGE_TYPE"], statistics=["AVG"])
    assert rows and all(r["jobName"] and r["usageType"] == "COMPUTE" for r in rows)
    assert _aggregate(world, groupBy=["LICENSE_PRODUCT"], statistics=["SUM"]) == []


def test_bad_requests_and_unknown_aggregations(world: dict[str, Any]) -> None:
    client, farm_id = world["client"], world["farm"]
    with pytest.raises(ClientError) as backwards:
        client.start_sessions_statistics_aggregation(
            farmId=farm_id,
            resourceIds={"queueIds": world["queues"]},
            startTime=world["now"],
            endTime=world["start"],
            groupBy=["QUEUE_ID"],
            statistics=["SUM"],
        )
    assert backwards.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as missing:
        client.get_sessions_statistics_aggregation(farmId=farm_id, aggregationId="0" * 32)
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as other_queue:
        client.start_sessions_statistics_aggregation(
            farmId=farm_id,
            resourceIds={"queueIds": ["queue-" + "0" * 32]},
            startTime=world["start"],
            endTime=world["now"],
            groupBy=["QUEUE_ID"],
            statistics=["SUM"],
        )
    assert other_queue.value.response["Error"]["Code"] == "ResourceNotFoundException"
