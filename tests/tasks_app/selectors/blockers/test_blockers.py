"""Each blocker kind: a world where it holds yields it with its evidence, and removing the
cause through the API removes it; several causes are each listed once."""

from __future__ import annotations

from typing import Any

import pytest

from deadline_emulator import Emulator
from tasks_app.selectors import blockers
from tests.tasks_app.selectors.blockers import lab


@pytest.fixture
def world(emulator: Emulator) -> tuple[Emulator, dict[str, Any], Any]:
    ids = lab.install(emulator)
    return emulator, ids, lab.api(emulator)


def _report(ids: dict[str, Any], role: str, queue: str, step_id: str = "") -> Any:
    job_id = ids["jobs"][role]
    args = {"farm_id": ids["farmId"], "queue_id": ids["queues"][queue], "job_id": job_id}
    if step_id:
        return blockers.step_blockers(**args, step_id=step_id)
    return blockers.job_blockers(**args)


def _kinds(report: Any) -> list[str]:
    return [b.kind for b in report.blockers]


def test_queue_over_budget_is_blocked_and_a_raised_budget_frees_it(world) -> None:
    _emulator, ids, api = world
    report = _report(ids, "budget", "budget")
    assert _kinds(report) == ["queue_blocked", "budget"]
    blocked, budget = report.blockers
    assert "BUDGET_THRESHOLD_REACHED" in blocked.evidence[0]
    assert (budget.budget_id, budget.current, budget.maximum) == (ids["budgetId"], 1180.0, 1000.0)
    assert "STOP_SCHEDULING_AND_COMPLETE_TASKS" in budget.reason
    assert report.waiting == 6 and report.running == 0
    assert report.estimate.known is False
    api.update_budget(farmId=ids["farmId"], budgetId=ids["budgetId"], approximateDollarLimit=9000.0)
    lab.refresh()
    assert _kinds(_report(ids, "budget", "budget")) == []


def test_queue_without_fleet_and_associating_one(world) -> None:
    _emulator, ids, api = world
    report = _report(ids, "no_fleet", "no_fleet")
    assert _kinds(report) == ["no_fleet"]
    assert report.blockers[0].queue_id == ids["queues"]["no_fleet"]
    api.create_queue_fleet_association(
        farmId=ids["farmId"], queueId=ids["queues"]["no_fleet"], fleetId=ids["fleets"]["spare"]
    )
    lab.refresh()
    assert _kinds(_report(ids, "no_fleet", "no_fleet")) == []


def test_fleets_not_scheduling_name_each_fleet_and_reactivating_one_frees_it(world) -> None:
    _emulator, ids, api = world
    report = _report(ids, "stopping", "stopping")
    assert _kinds(report) == ["fleet_not_scheduling", "fleet_not_scheduling"]
    by_fleet = {b.fleet_id: b for b in report.blockers}
    assert "STOP_SCHEDULING_AND_COMPLETE_TASKS" in by_fleet[ids["fleets"]["spare"]].reason
    suspended = by_fleet[ids["fleets"]["suspended"]]
    assert "SUSPENDED" in suspended.reason and "licences" in suspended.evidence[0]
    api.update_queue_fleet_association(
        farmId=ids["farmId"],
        queueId=ids["queues"]["stopping"],
        fleetId=ids["fleets"]["spare"],
        status="ACTIVE",
    )
    lab.refresh()
    assert _kinds(_report(ids, "stopping", "stopping")) == []


def test_full_fleet_and_a_larger_maximum(world) -> None:
    _emulator, ids, api = world
    report = _report(ids, "behind", "capacity")
    assert _kinds(report) == ["fleet_at_capacity"]
    full = report.blockers[0]
    assert (full.fleet_id, full.current, full.maximum) == (ids["fleets"]["full"], 4, 4)
    assert "lab_full_fleet_hold_v003 (4)" in full.evidence[0]
    api.update_fleet(farmId=ids["farmId"], fleetId=ids["fleets"]["full"], maxWorkerCount=8)
    lab.refresh()
    assert _kinds(_report(ids, "behind", "capacity")) == []


def test_step_no_fleet_can_run_names_the_requirement_per_fleet(world) -> None:
    _emulator, ids, api = world
    report = _report(ids, "incompatible", "work")
    assert _kinds(report) == ["no_compatible_fleet"]
    evidence = report.blockers[0].evidence
    assert len(evidence) == 1 and "Lab spare fleet" in evidence[0]
    assert "attr.worker.os.family: windows (the fleet has linux)" in evidence[0]
    fleet = api.get_fleet(farmId=ids["farmId"], fleetId=ids["fleets"]["spare"])
    config = fleet["configuration"]
    config["customerManaged"]["workerCapabilities"]["osFamily"] = "WINDOWS"
    api.update_fleet(farmId=ids["farmId"], fleetId=ids["fleets"]["spare"], configuration=config)
    lab.refresh()
    assert "no_compatible_fleet" not in _kinds(_report(ids, "incompatible", "work"))


def test_limit_at_its_maximum_and_raising_it(world) -> None:
    _emulator, ids, api = world
    report = _report(ids, "licensed", "work")
    assert _kinds(report) == ["limit_reached"]
    limit = report.blockers[0]
    assert (limit.limit_id, limit.current, limit.maximum) == (ids["limitId"], 2, 2)
    api.update_limit(farmId=ids["farmId"], limitId=ids["limitId"], maxCount=6)
    lab.refresh()
    assert _kinds(_report(ids, "licensed", "work")) == []


def test_step_waiting_on_another_and_finishing_it(world) -> None:
    emulator, ids, api = world
    job = ids["jobs"]["upstream"]
    steps = api.list_steps(farmId=ids["farmId"], queueId=ids["queues"]["work"], jobId=job)
    simulate = next(s for s in steps["steps"] if s["name"] == "simulate")
    report = _report(ids, "upstream", "work")
    assert _kinds(report) == ["waiting_on_step"]
    wait = report.blockers[0]
    assert wait.depends_on_step_id == simulate["stepId"]
    assert "RUNNING, 0 of 1 tasks succeeded" in wait.reason
    api.update_step(
        farmId=ids["farmId"],
        queueId=ids["queues"]["work"],
        jobId=job,
        stepId=simulate["stepId"],
        targetTaskRunStatus="SUCCEEDED",
    )
    emulator.clock.advance(60)
    lab.refresh()
    assert "waiting_on_step" not in _kinds(_report(ids, "upstream", "work"))


def test_job_at_its_worker_maximum_and_raising_it(world) -> None:
    _emulator, ids, api = world
    report = _report(ids, "capped", "work")
    assert _kinds(report) == ["job_max_workers"]
    assert (report.blockers[0].current, report.blockers[0].maximum) == (1, 1)
    api.update_job(
        farmId=ids["farmId"],
        queueId=ids["queues"]["work"],
        jobId=ids["jobs"]["capped"],
        maxWorkerCount=4,
    )
    lab.refresh()
    assert _kinds(_report(ids, "capped", "work")) == []


def test_suspended_job_and_resuming_it(world) -> None:
    emulator, ids, api = world
    report = _report(ids, "suspended", "work")
    assert _kinds(report) == ["suspended"]
    assert report.blockers[0].current == 4
    api.update_job(
        farmId=ids["farmId"],
        queueId=ids["queues"]["work"],
        jobId=ids["jobs"]["suspended"],
        targetTaskRunStatus="READY",
    )
    emulator.clock.advance(5)
    lab.refresh()
    assert "suspended" not in _kinds(_report(ids, "suspended", "work"))


def test_several_causes_are_each_listed_once(world) -> None:
    _emulator, ids, api = world
    farm = ids["farmId"]
    budget_queue = ids["queues"]["budget"]
    # The over-budget queue also loses its only fleet's association to a stop.
    api.update_queue_fleet_association(
        farmId=farm,
        queueId=budget_queue,
        fleetId=ids["fleets"]["spare"],
        status="STOP_SCHEDULING_AND_CANCEL_TASKS",
    )
    lab.refresh()
    report = _report(ids, "budget", "budget")
    assert _kinds(report) == ["queue_blocked", "budget", "fleet_not_scheduling"]
    assert len({b.identity for b in report.blockers}) == len(report.blockers)
    step = api.list_steps(farmId=farm, queueId=budget_queue, jobId=ids["jobs"]["budget"])
    step_report = _report(ids, "budget", "budget", step["steps"][0]["stepId"])
    assert _kinds(step_report) == _kinds(report)


def test_json_shape(world) -> None:
    _emulator, ids, _api = world
    data = _report(ids, "licensed", "work").as_json()
    assert data == {
        "running": 0,
        "waiting": 4,
        "blockers": [
            {
                "kind": "limit_reached",
                "reason": data["blockers"][0]["reason"],
                "limit_id": ids["limitId"],
                "current": 2,
                "maximum": 2,
            }
        ],
        "estimated_start": None,
        "estimated_start_reason": data["estimated_start_reason"],
    }
