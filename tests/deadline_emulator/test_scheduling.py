"""The emulator's scheduling model through real boto3: associations, limits, budgets, step
dependencies, capabilities, and READY work that starts once its cause is removed."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.config import Config

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.scheduling_lab import add_capacity_scenario, add_scheduling_lab
from deadline_emulator.transport import attach

START = "2026-11-20T10:00:00Z"


def _client(emulator: Emulator) -> Any:
    client = boto3.client(
        "deadline",
        region_name="us-west-2",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        endpoint_url="http://deadline.emulator",
        config=Config(inject_host_prefix=False, retries={"max_attempts": 0}),
    )
    attach(client, emulator)
    return client


@pytest.fixture()
def lab() -> tuple[Any, Emulator, dict[str, Any]]:
    clock = Clock()
    clock.pin(START)
    emulator = Emulator(seed=0, clock=clock)
    ids = add_scheduling_lab(emulator.backend)
    return _client(emulator), emulator, ids


def _counts(client: Any, farm: str, queue: str, job: str) -> dict[str, int]:
    answer = client.get_job(farmId=farm, queueId=queue, jobId=job)
    return {k: v for k, v in answer["taskRunStatusCounts"].items() if v}


def _started(client: Any, farm: str, queue: str, job: str) -> bool:
    counts = _counts(client, farm, queue, job)
    return any(counts.get(s) for s in ("ASSIGNED", "STARTING", "SCHEDULED", "RUNNING"))


def test_budget_over_its_threshold_blocks_the_queue_until_raised(lab) -> None:
    client, emulator, ids = lab
    farm, queue = ids["farmId"], ids["queues"]["budget"]
    answer = client.get_queue(farmId=farm, queueId=queue)
    assert (answer["status"], answer["blockedReason"]) == (
        "SCHEDULING_BLOCKED",
        "BUDGET_THRESHOLD_REACHED",
    )
    budget = client.get_budget(farmId=farm, budgetId=ids["budgetId"])
    assert budget["actions"][0]["type"] == "STOP_SCHEDULING_AND_COMPLETE_TASKS"
    assert budget["usages"]["approximateDollarUsage"] == pytest.approx(1180.0)
    assert [b["budgetId"] for b in client.list_budgets(farmId=farm)["budgets"]] == [ids["budgetId"]]
    job = ids["jobs"]["budget"]
    emulator.clock.advance(600)
    assert _counts(client, farm, queue, job) == {"READY": 6}
    client.update_budget(farmId=farm, budgetId=ids["budgetId"], approximateDollarLimit=5000.0)
    assert client.get_queue(farmId=farm, queueId=queue)["status"] == "SCHEDULING"
    emulator.clock.advance(120)
    assert _started(client, farm, queue, job)


def test_limit_counts_its_holders_and_raising_it_lets_the_waiting_job_run(lab) -> None:
    client, emulator, ids = lab
    farm, queue = ids["farmId"], ids["queues"]["work"]
    limit = client.get_limit(farmId=farm, limitId=ids["limitId"])
    assert (limit["currentCount"], limit["maxCount"]) == (2, 2)
    assert limit["amountRequirementName"] == "amount.limit.nuke"
    assoc = client.list_queue_limit_associations(farmId=farm, queueId=queue)
    assert [a["limitId"] for a in assoc["queueLimitAssociations"]] == [ids["limitId"]]
    job = ids["jobs"]["licensed"]
    assert _counts(client, farm, queue, job) == {"READY": 4}
    client.update_limit(farmId=farm, limitId=ids["limitId"], maxCount=10)
    emulator.clock.advance(120)
    assert _started(client, farm, queue, job)
    assert client.get_limit(farmId=farm, limitId=ids["limitId"])["currentCount"] > 2


def test_limit_crud(lab) -> None:
    client, _, ids = lab
    farm = ids["farmId"]
    made = client.create_limit(
        farmId=farm, displayName="Houdini", amountRequirementName="amount.limit.hou", maxCount=-1
    )["limitId"]
    assert made.startswith("limit-") and len(made) == 38
    client.update_limit(farmId=farm, limitId=made, displayName="Houdini engines")
    assert client.get_limit(farmId=farm, limitId=made)["displayName"] == "Houdini engines"
    client.delete_limit(farmId=farm, limitId=made)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_limit(farmId=farm, limitId=made)


def test_fleet_associations_have_statuses_and_reopening_one_lets_work_run(lab) -> None:
    client, emulator, ids = lab
    farm, queue = ids["farmId"], ids["queues"]["stopping"]
    statuses = {
        a["fleetId"]: a["status"]
        for a in client.list_queue_fleet_associations(farmId=farm, queueId=queue)[
            "queueFleetAssociations"
        ]
    }
    assert statuses == {
        ids["fleets"]["spare"]: "STOP_SCHEDULING_AND_COMPLETE_TASKS",
        ids["fleets"]["suspended"]: "ACTIVE",
    }
    fleet = client.get_fleet(farmId=farm, fleetId=ids["fleets"]["suspended"])
    assert fleet["status"] == "SUSPENDED" and "licences" in fleet["statusMessage"]
    job = ids["jobs"]["stopping"]
    client.update_queue_fleet_association(
        farmId=farm, queueId=queue, fleetId=ids["fleets"]["spare"], status="ACTIVE"
    )
    emulator.clock.advance(120)
    assert _started(client, farm, queue, job)


def test_a_queue_without_fleet_runs_once_one_is_associated(lab) -> None:
    client, emulator, ids = lab
    farm, queue = ids["farmId"], ids["queues"]["no_fleet"]
    assert (
        client.list_queue_fleet_associations(farmId=farm, queueId=queue)["queueFleetAssociations"]
        == []
    )
    client.create_queue_fleet_association(
        farmId=farm, queueId=queue, fleetId=ids["fleets"]["spare"]
    )
    emulator.clock.advance(120)
    assert _started(client, farm, queue, ids["jobs"]["no_fleet"])


def test_job_max_worker_count_holds_and_raising_it_releases(lab) -> None:
    client, emulator, ids = lab
    farm, queue, job = ids["farmId"], ids["queues"]["work"], ids["jobs"]["capped"]
    emulator.clock.advance(600)
    assert _counts(client, farm, queue, job) == {"RUNNING": 1, "READY": 3}
    client.update_job(farmId=farm, queueId=queue, jobId=job, maxWorkerCount=4)
    emulator.clock.advance(120)
    assert _counts(client, farm, queue, job).get("READY", 0) == 0


def test_step_dependencies_and_consumers(lab) -> None:
    client, _, ids = lab
    farm, queue, job = ids["farmId"], ids["queues"]["work"], ids["jobs"]["upstream"]
    steps = client.list_steps(farmId=farm, queueId=queue, jobId=job)["steps"]
    first, second = sorted(steps, key=lambda s: s["name"] != "simulate")
    deps = client.list_step_dependencies(
        farmId=farm, queueId=queue, jobId=job, stepId=second["stepId"]
    )["dependencies"]
    assert deps == [{"stepId": first["stepId"], "status": "UNRESOLVED"}]
    consumers = client.list_step_consumers(
        farmId=farm, queueId=queue, jobId=job, stepId=first["stepId"]
    )["consumers"]
    assert consumers == [{"stepId": second["stepId"], "status": "UNRESOLVED"}]
    assert (
        client.list_step_dependencies(
            farmId=farm, queueId=queue, jobId=job, stepId=first["stepId"]
        )["dependencies"]
        == []
    )


def test_fleet_capabilities_follow_update_fleet(lab) -> None:
    client, _, ids = lab
    farm, fleet_id = ids["farmId"], ids["fleets"]["spare"]
    caps = client.get_fleet(farmId=farm, fleetId=fleet_id)["capabilities"]
    assert {"name": "attr.worker.os.family", "values": ["linux"]} in caps["attributes"]
    config = client.get_fleet(farmId=farm, fleetId=fleet_id)["configuration"]
    config["customerManaged"]["workerCapabilities"]["osFamily"] = "WINDOWS"
    client.update_fleet(farmId=farm, fleetId=fleet_id, configuration=config)
    caps = client.get_fleet(farmId=farm, fleetId=fleet_id)["capabilities"]
    assert {"name": "attr.worker.os.family", "values": ["windows"]} in caps["attributes"]


def test_scheduling_configuration_is_kept(lab) -> None:
    client, _, ids = lab
    farm, queue = ids["farmId"], ids["queues"]["capacity"]
    assert client.get_queue(farmId=farm, queueId=queue)["schedulingConfiguration"] == {
        "priorityFifo": {}
    }
    config = {"priorityBalanced": {"renderingTaskBuffer": 2}}
    client.update_queue(farmId=farm, queueId=queue, schedulingConfiguration=config)
    assert client.get_queue(farmId=farm, queueId=queue)["schedulingConfiguration"] == config


def test_suspended_job_runs_when_resumed(lab) -> None:
    client, emulator, ids = lab
    farm, queue, job = ids["farmId"], ids["queues"]["work"], ids["jobs"]["suspended"]
    assert _counts(client, farm, queue, job) == {"SUSPENDED": 4}
    client.update_job(farmId=farm, queueId=queue, jobId=job, targetTaskRunStatus="READY")
    emulator.clock.advance(200)
    assert _started(client, farm, queue, job)


def test_job_behind_a_full_fleet_starts_when_the_work_ahead_drains() -> None:
    clock = Clock()
    clock.pin(START)
    emulator = Emulator(seed=0, clock=clock)
    ids = add_capacity_scenario(emulator.backend, workers=4, ahead_tasks=12, slot_seconds=300)
    client = _client(emulator)
    farm, queue, behind = ids["farmId"], ids["queueId"], ids["behindJobId"]
    clock.pin(ids["drainedAt"] - 30)
    assert _counts(client, farm, queue, behind) == {"READY": 4}
    clock.pin(ids["drainedAt"] + 150)  # first assignments within 0.3 slot, then startup
    assert _started(client, farm, queue, behind)
    assert "READY" not in _counts(client, farm, queue, behind)


def test_every_scheduling_answer_matches_the_model(lab) -> None:
    """Walk every scheduling operation on the lab; validate each raw answer."""
    from deadline_emulator.validation import validate_output
    from tests.deadline_emulator.test_model_conformance import SCHEDULING_OPERATIONS

    client, _, ids = lab
    seen: set[str] = set()
    problems: list[Any] = []

    def check(http_response: Any, model: Any, **_: Any) -> None:
        seen.add(model.name)
        assert http_response.status_code == 200, (model.name, http_response.content[:300])
        found = validate_output(model.name, json.loads(http_response.content or b"{}"))
        if found:
            problems.append((model.name, found[:5]))

    client.meta.events.register("after-call.deadline", check)
    farm = ids["farmId"]
    queue, fleet = ids["queues"]["no_fleet"], ids["fleets"]["spare"]
    client.create_queue_fleet_association(farmId=farm, queueId=queue, fleetId=fleet)
    client.get_queue_fleet_association(farmId=farm, queueId=queue, fleetId=fleet)
    client.update_queue_fleet_association(
        farmId=farm, queueId=queue, fleetId=fleet, status="STOP_SCHEDULING_AND_CANCEL_TASKS"
    )
    client.delete_queue_fleet_association(farmId=farm, queueId=queue, fleetId=fleet)
    limit = client.create_limit(
        farmId=farm, displayName="Katana", amountRequirementName="amount.limit.katana", maxCount=3
    )["limitId"]
    client.get_limit(farmId=farm, limitId=limit)
    client.list_limits(farmId=farm)
    client.update_limit(farmId=farm, limitId=limit, maxCount=4)
    client.create_queue_limit_association(farmId=farm, queueId=queue, limitId=limit)
    client.get_queue_limit_association(farmId=farm, queueId=queue, limitId=limit)
    client.list_queue_limit_associations(farmId=farm)
    client.update_queue_limit_association(
        farmId=farm, queueId=queue, limitId=limit, status="STOP_LIMIT_USAGE_AND_COMPLETE_TASKS"
    )
    client.delete_queue_limit_association(farmId=farm, queueId=queue, limitId=limit)
    client.delete_limit(farmId=farm, limitId=limit)
    budget = client.create_budget(
        farmId=farm,
        displayName="Spare",
        usageTrackingResource={"queueId": queue},
        approximateDollarLimit=100.0,
        actions=[{"type": "STOP_SCHEDULING_AND_CANCEL_TASKS", "thresholdPercentage": 90.0}],
        schedule={
            "fixed": {"startTime": "2026-11-01T00:00:00Z", "endTime": "2026-12-01T00:00:00Z"}
        },
    )["budgetId"]
    client.get_budget(farmId=farm, budgetId=ids["budgetId"])
    client.list_budgets(farmId=farm)
    client.update_budget(farmId=farm, budgetId=budget, status="INACTIVE")
    client.delete_budget(farmId=farm, budgetId=budget)
    work, job = ids["queues"]["work"], ids["jobs"]["upstream"]
    for step in client.list_steps(farmId=farm, queueId=work, jobId=job)["steps"]:
        step_ids = {"farmId": farm, "queueId": work, "jobId": job, "stepId": step["stepId"]}
        client.list_step_dependencies(**step_ids)
        client.list_step_consumers(**step_ids)
    client.update_queue(
        farmId=farm, queueId=queue, schedulingConfiguration={"weightedBalanced": {}}
    )
    for queue_id in ids["queues"].values():
        client.get_queue(farmId=farm, queueId=queue_id)
    for fleet_id in ids["fleets"].values():
        client.get_fleet(farmId=farm, fleetId=fleet_id)
    assert SCHEDULING_OPERATIONS <= seen
    assert problems == []


def test_a_limit_count_rises_and_falls_with_its_holders(lab) -> None:
    client, emulator, ids = lab
    farm, queue = ids["farmId"], ids["queues"]["work"]
    holder = ids["jobs"]["holder"]
    sessions = client.list_sessions(farmId=farm, queueId=queue, jobId=holder)["sessions"]
    actions = client.list_session_actions(
        farmId=farm, queueId=queue, jobId=holder, sessionId=sessions[0]["sessionId"]
    )["sessionActions"]
    run = next(a for a in actions if "taskRun" in a["definition"])
    action = client.get_session_action(
        farmId=farm, queueId=queue, jobId=holder, sessionActionId=run["sessionActionId"]
    )
    assert action["acquiredLimits"] == [{"limitId": ids["limitId"], "count": 1}]
    assert client.get_limit(farmId=farm, limitId=ids["limitId"])["currentCount"] == 2
    client.update_job(farmId=farm, queueId=queue, jobId=holder, targetTaskRunStatus="CANCELED")
    emulator.clock.advance(30)  # the interrupted tasks let go
    assert client.get_limit(farmId=farm, limitId=ids["limitId"])["currentCount"] == 0


def test_balanced_scheduling_puts_an_equal_priority_job_beside_the_one_ahead(lab) -> None:
    client, emulator, ids = lab
    farm, queue, behind = ids["farmId"], ids["queues"]["capacity"], ids["jobs"]["behind"]
    client.update_queue(
        farmId=farm, queueId=queue, schedulingConfiguration={"priorityBalanced": {}}
    )
    emulator.clock.advance(120)
    # The fleet is still full, but the job ahead no longer outranks it: it gets a turn.
    assert _started(client, farm, queue, behind)
