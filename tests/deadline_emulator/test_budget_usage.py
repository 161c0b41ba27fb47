"""A budget's usage follows the sessions: the cost of its queue's sessions inside its schedule
(up to now), priced per worker instance type times the farm's costScaleFactor, as computed
here from ListSessions and GetWorker, at each instant; spend recorded outside the sessions adds
to it; reaching a
STOP_SCHEDULING threshold blocks the queue, and raising the limit unblocks it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.seed import DEMO_EPOCH
from deadline_emulator.statistics import hourly_rate
from deadline_emulator.transport import in_process_client

STOP = "STOP_SCHEDULING_AND_COMPLETE_TASKS"


def _world(days: float) -> dict[str, Any]:
    emulator = Emulator(seed=0, clock=Clock(pinned_at=DEMO_EPOCH + days * 86400))
    client = in_process_client(emulator)
    farm_id = emulator.backend.landmarks()["farm_previs"]
    queue_id = max(  # the queue with the most jobs: it has run work from the second day on
        (q["queueId"] for q in client.list_queues(farmId=farm_id)["queues"]),
        key=lambda q: client.search_jobs(farmId=farm_id, queueIds=[q], itemOffset=0, pageSize=1)[
            "totalResults"
        ],
    )
    now = datetime.fromtimestamp(emulator.backend.clock.now(), tz=UTC)
    return {"emulator": emulator, "client": client, "farm": farm_id, "queue": queue_id, "now": now}


def _advance(world: dict[str, Any], seconds: float) -> None:
    world["emulator"].backend.clock.advance(seconds)
    world["now"] += timedelta(seconds=seconds)


def _cost(world: dict[str, Any], start: datetime, end: datetime) -> float:
    """The queue's sessions' cost inside start..end, from the lists and the workers."""
    client, farm_id, queue_id = world["client"], world["farm"], world["queue"]
    jobs = client.search_jobs(farmId=farm_id, queueIds=[queue_id], itemOffset=0, pageSize=100)
    assert jobs["totalResults"] <= 100
    rates: dict[str, float] = {}
    total = 0.0
    for job in jobs["jobs"]:
        ids = {"farmId": farm_id, "queueId": queue_id, "jobId": job["jobId"]}
        for page in client.get_paginator("list_sessions").paginate(**ids):
            for s in page["sessions"]:
                if s["workerId"] not in rates:
                    worker = client.get_worker(
                        farmId=farm_id, fleetId=s["fleetId"], workerId=s["workerId"]
                    )
                    kind = (worker.get("hostProperties") or {}).get("ec2InstanceType")
                    rates[s["workerId"]] = hourly_rate(kind)
                ended = s.get("endedAt") or world["now"]
                seconds = (
                    min(ended, end, world["now"]) - max(s["startedAt"], start)
                ).total_seconds()
                total += max(seconds, 0.0) / 3600.0 * rates[s["workerId"]]
    return total * client.get_farm(farmId=farm_id)["costScaleFactor"]


def _budget(world: dict[str, Any], limit: float, start: datetime, end: datetime) -> str:
    return world["client"].create_budget(
        farmId=world["farm"],
        displayName="Shot budget",
        usageTrackingResource={"queueId": world["queue"]},
        approximateDollarLimit=limit,
        actions=[{"type": STOP, "thresholdPercentage": 100.0}],
        schedule={"fixed": {"startTime": start, "endTime": end}},
    )["budgetId"]


def _used(world: dict[str, Any], budget_id: str) -> float:
    got = world["client"].get_budget(farmId=world["farm"], budgetId=budget_id)
    return got["usages"]["approximateDollarUsage"]


def test_usage_is_the_cost_of_the_queues_sessions_within_the_schedule() -> None:
    world = _world(days=2.5)
    start = world["now"] - timedelta(days=2)
    budget_id = _budget(world, 1e6, start, world["now"] + timedelta(days=30))
    narrow_start = world["now"] - timedelta(hours=6)
    narrow = _budget(world, 1e6, narrow_start, world["now"] - timedelta(hours=1))

    expected = _cost(world, start, world["now"] + timedelta(days=30))
    assert expected > 1.0
    assert _used(world, budget_id) == pytest.approx(expected, rel=1e-6)
    narrow_expected = _cost(world, narrow_start, world["now"] - timedelta(hours=1))
    assert _used(world, narrow) == pytest.approx(narrow_expected, rel=1e-6)
    assert _used(world, narrow) < _used(world, budget_id)


def test_usage_follows_the_sessions_as_the_clock_moves_on() -> None:
    world = _world(days=2)
    start = datetime.fromtimestamp(DEMO_EPOCH, tz=UTC)
    end = start + timedelta(days=30)
    budget_id = _budget(world, 1e6, start, end)
    used_then, cost_then = _used(world, budget_id), _cost(world, start, end)

    _advance(world, 12 * 3600)

    # The sessions listed now (the demo world's old jobs leave it as new ones run).
    assert used_then == pytest.approx(cost_then, rel=1e-6)
    assert _used(world, budget_id) == pytest.approx(_cost(world, start, end), rel=1e-6)
    assert _used(world, budget_id) != pytest.approx(used_then)


def test_reaching_a_stop_threshold_blocks_the_queue_until_the_limit_is_raised() -> None:
    world = _world(days=2.5)
    client, farm_id, queue_id = world["client"], world["farm"], world["queue"]
    start, end = world["now"] - timedelta(days=2), world["now"] + timedelta(days=1)
    spent = _cost(world, start, end)
    budget_id = _budget(world, spent * 2, start, end)
    assert client.get_queue(farmId=farm_id, queueId=queue_id)["status"] != "SCHEDULING_BLOCKED"

    client.update_budget(farmId=farm_id, budgetId=budget_id, approximateDollarLimit=spent * 0.9)

    queue = client.get_queue(farmId=farm_id, queueId=queue_id)
    assert queue["status"] == "SCHEDULING_BLOCKED"
    assert queue["blockedReason"] == "BUDGET_THRESHOLD_REACHED"

    client.update_budget(farmId=farm_id, budgetId=budget_id, approximateDollarLimit=spent * 1.5)

    assert client.get_queue(farmId=farm_id, queueId=queue_id)["status"] != "SCHEDULING_BLOCKED"


def test_recorded_spend_adds_to_the_sessions() -> None:
    world = _world(days=2)
    start, end = world["now"] - timedelta(days=1), world["now"] + timedelta(days=30)
    budget_id = _budget(world, 1e6, start, end)
    world["emulator"].backend.set_budget_usage(budget_id, 500.0)
    before = _cost(world, start, end)

    assert _used(world, budget_id) == pytest.approx(500.0)
    _advance(world, 12 * 3600)

    assert _used(world, budget_id) == pytest.approx(
        500.0 + _cost(world, start, end) - before, rel=1e-6
    )
