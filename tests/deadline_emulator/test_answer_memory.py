"""Answers kept for an instant and a state of the world (``Emulator.remember_answers``): a
repeated read is counted, faulted and answered as before, without being worked out again;
a write, a moved clock, a fault rule or another search mode gives a fresh answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.seed import DEMO_EPOCH
from deadline_emulator.transport import in_process_client


@pytest.fixture
def world() -> Iterator[tuple[Emulator, Any, dict[str, str], list[str]]]:
    emulator = Emulator(seed=0, clock=Clock(pinned_at=DEMO_EPOCH + 86_400 * 10))
    emulator.remember_answers()
    task = emulator.backend.landmarks()["failed_with_retries_task"]
    built: list[str] = []
    real = emulator.backend.get_task

    def counted(**kwargs: Any) -> dict[str, Any]:
        built.append(kwargs["task_id"])
        return real(**kwargs)

    emulator.backend.get_task = counted
    yield emulator, in_process_client(emulator), task, built


def test_a_repeated_read_is_counted_but_worked_out_once(world: Any) -> None:
    emulator, client, task, built = world
    first = client.get_task(**task)
    again = client.get_task(**task)
    assert again == {**first, "ResponseMetadata": again["ResponseMetadata"]}
    assert emulator.calls["GetTask"] == 2
    assert len(built) == 1
    assert first["ResponseMetadata"]["RequestId"] != again["ResponseMetadata"]["RequestId"]


def test_a_write_a_clock_move_a_fault_or_a_search_mode_gives_a_fresh_answer(world: Any) -> None:
    emulator, client, task, built = world
    assert client.get_task(**task)["runStatus"] == "FAILED"
    client.update_task(**task, targetRunStatus="PENDING")
    assert client.get_task(**task)["runStatus"] != "FAILED"  # the write is seen
    assert len(built) == 2
    emulator.clock.advance(60)
    client.get_task(**task)
    assert len(built) == 3
    emulator.faults.set("GetTask", latency_ms=1)  # a rule of its own: never kept or served
    client.get_task(**task)
    client.get_task(**task)
    assert len(built) == 5
    emulator.faults.set("GetTask", error_rate=1.0)
    with pytest.raises(client.exceptions.InternalServerErrorException):
        client.get_task(**task)
    emulator.faults.clear()
    emulator.search.set("strict" if emulator.search.mode != "strict" else "lenient")
    client.get_task(**task)
    assert len(built) == 6


def test_nothing_is_kept_unless_asked_or_with_a_running_clock() -> None:
    not_asked = Emulator(seed=0, clock=Clock(pinned_at=DEMO_EPOCH))
    running = Emulator(seed=0)
    running.remember_answers()
    asked = Emulator(seed=0, clock=Clock(pinned_at=DEMO_EPOCH))
    asked.remember_answers()
    for emulator in (not_asked, running, asked):
        assert in_process_client(emulator).list_farms()["farms"]
    assert (not_asked.answers_kept(), running.answers_kept(), asked.answers_kept()) == (0, 0, 1)


def test_a_read_that_fails_is_not_kept(world: Any) -> None:
    emulator, client, task, _ = world
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_task(**{**task, "taskId": task["stepId"].replace("step-", "task-") + "-99999"})
    assert emulator.answers_kept() == 0


def test_every_write_that_succeeds_and_every_addition_moves_the_world_state(world: Any) -> None:
    """Not only task writes: a limit created through the API, a fleet a scenario adds, a
    protocol added and a budget's spend a scenario sets each give fresh answers afterwards;
    a refused write and the start of a usage aggregation (which changes nothing) do not."""
    emulator, client, task, built = world
    backend = emulator.backend
    farm_id = task["farmId"]
    states = [backend.world_state()]

    client.get_task(**task)
    client.create_limit(
        farmId=farm_id, displayName="licences", amountRequirementName="amount.limit.nuke",
        maxCount=5,
    )  # fmt: skip
    states.append(backend.world_state())
    client.get_task(**task)
    assert len(built) == 2  # answered afresh after the write

    emulator.add_big_fleet(workers=3, farm_id=farm_id)
    states.append(backend.world_state())
    emulator.add_protocol(object(), get_backend=None)  # type: ignore[arg-type]
    emulator.protocols.pop(0)
    states.append(backend.world_state())
    budget = client.list_budgets(farmId=farm_id)["budgets"][0]
    backend.set_budget_usage(budget["budgetId"], 1234.5)  # a scenario's spend outside sessions
    states.append(backend.world_state())
    assert len(set(states)) == len(states), states

    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.create_limit(
            farmId="farm-" + "0" * 32, displayName="licences",
            amountRequirementName="amount.limit.x", maxCount=2,
        )  # fmt: skip
    client.start_sessions_statistics_aggregation(
        farmId=farm_id,
        resourceIds={"queueIds": [task["queueId"]]},
        startTime=DEMO_EPOCH,
        endTime=DEMO_EPOCH + 86_400,
        groupBy=["QUEUE_ID"],
        statistics=["SUM"],
    )
    assert backend.world_state() == states[-1]
