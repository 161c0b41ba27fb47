"""Fault injection (seeded, per operation) and call counting."""

from __future__ import annotations

import json
import threading
import time

import pytest

from deadline_emulator import Emulator
from deadline_emulator.calls import CallCounter
from deadline_emulator.exceptions import (
    AccessDeniedException,
    InternalServerErrorException,
    ThrottlingException,
)
from deadline_emulator.faults import EmulatorUnavailable, FaultInjector, FaultRule
from tests.deadline_emulator.fakes import FARM_ID, FakeBackend, local_client, task_kwargs


def outcomes(injector: FaultInjector, operation: str, count: int) -> list[str]:
    seen = []
    for _ in range(count):
        try:
            injector.apply(operation)
            seen.append("ok")
        except ThrottlingException:
            seen.append("throttle")
        except InternalServerErrorException:
            seen.append("error")
    return seen


def test_same_seed_injects_the_same_faults() -> None:
    first, second, other = FaultInjector(seed=7), FaultInjector(seed=7), FaultInjector(seed=8)
    for injector in (first, second, other):
        injector.set("*", throttle_rate=0.3, error_rate=0.2)
    run = outcomes(first, "GetTask", 200)
    assert run == outcomes(second, "GetTask", 200)
    assert run != outcomes(other, "GetTask", 200)
    assert 40 <= run.count("throttle") <= 80
    assert 20 <= run.count("error") <= 60


def test_operation_rule_replaces_the_star_rule() -> None:
    injector = FaultInjector()
    injector.set("*", throttle_rate=1.0)
    injector.set("GetFarm", error_rate=1.0)
    assert outcomes(injector, "ListFarms", 3) == ["throttle"] * 3
    assert outcomes(injector, "GetFarm", 3) == ["error"] * 3
    injector.clear("GetFarm")
    assert outcomes(injector, "GetFarm", 1) == ["throttle"]
    injector.clear()
    assert outcomes(injector, "GetFarm", 1) == ["ok"]
    assert injector.rules() == {}


def test_latency_uses_the_sleep_function() -> None:
    slept: list[float] = []
    injector = FaultInjector(sleep=slept.append)
    injector.set("GetTask", latency_ms=250)
    injector.apply("GetTask")
    injector.apply("ListTasks")
    assert slept == [0.25]


def test_real_latency_delays_the_answer() -> None:
    emulator = Emulator(backend=FakeBackend())
    emulator.faults.set("ListFarms", latency_ms=60)
    started = time.perf_counter()
    status, _, _ = emulator.handle("GET", "/2023-10-12/farms")
    assert status == 200
    assert time.perf_counter() - started >= 0.06


def test_deny_and_down() -> None:
    injector = FaultInjector()
    injector.set("GetTask", deny=True)
    with pytest.raises(AccessDeniedException, match=r"not authorized to perform: deadline:GetTask"):
        injector.apply("GetTask")
    injector.set("GetTask", down=True)
    with pytest.raises(EmulatorUnavailable):
        injector.apply("GetTask")


@pytest.mark.parametrize(
    "rule",
    [
        {"throttle_rate": 1.5},
        {"error_rate": -0.1},
        {"latency_ms": -1},
        {"colour": 1},
        {"deny": "yes"},
        {"latency_ms": "slow"},
        {"throttle_rate": 0.6, "error_rate": 0.6},
        {"item_throttle_rate": 1.5},
        {"item_throttle_rate": 0.7, "item_error_rate": 0.4},
    ],
)
def test_bad_rules_are_rejected(rule: dict) -> None:
    with pytest.raises(ValueError):
        FaultInjector().set("*", **rule)


def test_item_faults_strike_batch_items_only_with_codes_their_model_lists() -> None:
    injector = FaultInjector(seed=3)
    injector.set("*", item_throttle_rate=0.3, item_error_rate=0.1)
    drawn = [injector.item_fault("BatchUpdateTask") for _ in range(1000)]
    codes = [fault.code for fault in drawn if fault is not None]
    assert 250 <= codes.count("ThrottlingException") <= 350
    assert 60 <= codes.count("InternalServerErrorException") <= 140
    assert all(f.retry_after_seconds == 1 for f in drawn if f is not None)
    assert injector.item_fault("GetTask") is None  # not a batch operation: no items
    # BatchGetWorker's item codes have no ThrottlingException: only the 5xx share is drawn.
    worker = [injector.item_fault("BatchGetWorker") for _ in range(1000)]
    assert {f.code for f in worker if f is not None} == {"InternalServerErrorException"}
    outcomes(injector, "BatchUpdateTask", 50)  # item rates never fail the call itself
    assert outcomes(injector, "BatchUpdateTask", 50) == ["ok"] * 50


def test_deny_one_operation_leaves_the_others() -> None:
    injector = FaultInjector()
    injector.set("BatchUpdateTask", deny=True)
    with pytest.raises(AccessDeniedException, match=r"deadline:BatchUpdateTask"):
        injector.apply("BatchUpdateTask")
    assert outcomes(injector, "UpdateTask", 5) + outcomes(injector, "BatchUpdateJob", 5) == (
        ["ok"] * 10
    )


def test_rules_from_environment() -> None:
    injector = FaultInjector()
    assert injector.load_env({}) is None
    rule = injector.load_env(
        {
            "DEADLINE_EMULATOR_LATENCY_MS": "15",
            "DEADLINE_EMULATOR_THROTTLE_RATE": "0.25",
            "DEADLINE_EMULATOR_ERROR_RATE": "0.05",
        }
    )
    assert rule == FaultRule(latency_ms=15, throttle_rate=0.25, error_rate=0.05)
    with pytest.raises(ValueError, match="DEADLINE_EMULATOR"):
        injector.load_env({"DEADLINE_EMULATOR_ERROR_RATE": "lots"})


def test_faults_through_boto3_raise_the_client_exceptions() -> None:
    emulator = Emulator(backend=FakeBackend())
    client = local_client(emulator)
    emulator.faults.set("GetFarm", throttle_rate=1.0, retry_after_seconds=4)
    with pytest.raises(client.exceptions.ThrottlingException) as caught:
        client.get_farm(farmId=FARM_ID)
    assert caught.value.response["retryAfterSeconds"] == 4
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    emulator.faults.set("GetFarm", error_rate=1.0)
    with pytest.raises(client.exceptions.InternalServerErrorException) as caught:
        client.get_farm(farmId=FARM_ID)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    emulator.faults.set("GetTask", deny=True)
    with pytest.raises(client.exceptions.AccessDeniedException) as caught:
        client.get_task(**task_kwargs())
    assert "deadline:GetTask" in caught.value.response["Error"]["Message"]
    assert emulator.backend.received == []  # faults answer before the backend runs
    assert emulator.calls.snapshot() == {"GetFarm": 2, "GetTask": 1}


def test_standard_retries_see_throttling_as_retryable(monkeypatch: pytest.MonkeyPatch) -> None:
    import botocore.config
    import botocore.retries.standard

    monkeypatch.setattr(botocore.retries.standard.ExponentialBackoff, "delay_amount", lambda *_: 0)

    from deadline_emulator.transport import in_process_client
    from tests.deadline_emulator.fakes import test_session

    emulator = Emulator(backend=FakeBackend())
    client = in_process_client(
        emulator,
        session=test_session(),
        config=botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 3}),
    )
    emulator.faults = FaultInjector(sleep=lambda _: None)
    emulator.faults.set("ListFarms", throttle_rate=1.0)
    with pytest.raises(client.exceptions.ThrottlingException):
        client.list_farms()
    assert emulator.calls["ListFarms"] == 3


def test_fault_injection_is_reproducible_per_emulator_seed() -> None:
    def statuses(seed: int) -> list[int]:
        emulator = Emulator(seed=seed, backend=FakeBackend())
        emulator.faults.set("*", throttle_rate=0.5)
        return [emulator.handle("GET", "/2023-10-12/farms")[0] for _ in range(30)]

    assert statuses(3) == statuses(3)
    assert set(statuses(3)) == {200, 429}


def test_call_counter_is_thread_safe() -> None:
    counter = CallCounter()

    def work() -> None:
        for _ in range(2000):
            counter.increment("GetTask")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter["GetTask"] == 16000
    assert counter.total() == 16000
    assert dict(counter) == {"GetTask": 16000}
    counter.reset()
    assert counter.total() == 0 and len(counter) == 0


def test_admin_faults_endpoint_round_trip() -> None:
    emulator = Emulator(backend=FakeBackend())
    status, _, body = emulator.handle_admin(
        "POST", "/_emulator/faults", json.dumps([{"operation": "GetTask", "deny": True}]).encode()
    )
    assert status == 200
    assert json.loads(body)["rules"]["GetTask"]["deny"] is True
    assert emulator.handle_admin("POST", "/_emulator/faults", b'{"colour": 1}')[0] == 400
    assert emulator.handle_admin("DELETE", "/_emulator/faults", b"")[0] == 200
    assert emulator.faults.rules() == {}
