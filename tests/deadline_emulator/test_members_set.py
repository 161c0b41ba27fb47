"""Every modelled output member is set somewhere in the demo world.

A walk of the whole seed-0 world through boto3 (every farm, fleet, worker, queue and job
visible; their steps, tasks, sessions and session actions: every session of a landmark job,
three of a stream job; one page past the first and one missing ID per batch call) records
each output member path it sees, per operation, in the raw wire answers. A member of an
operation's output shape that is never set fails the test, unless ``LEFT_OUT`` names it with
the reason a real farm would not set it either.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pytest
from botocore.model import Shape

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.seed import DEMO_EPOCH
from deadline_emulator.transport import in_process_client
from deadline_emulator.validation import validate_output

#: (operation or "*", member path suffix) -> why a real farm leaves it unset as well.
LEFT_OUT: dict[tuple[str, str], str] = {
    # Set when someone updates a session (UpdateSession targetLifecycleStatus ENDED); nobody
    # does in the demo world, and the dashboard never does.
    ("*", "sessions[].updatedAt"): "no session is updated by a user",
    ("*", "sessions[].updatedBy"): "no session is updated by a user",
    ("GetSession", ".updatedAt"): "no session is updated by a user",
    ("GetSession", ".updatedBy"): "no session is updated by a user",
    # LogConfiguration: `error` only when the service failed to set the log up; `parameters`
    # only for log drivers other than awslogs, the one Deadline Cloud uses.
    ("*", "log.error"): "only when the log could not be configured",
    ("*", "log.parameters"): "only for log drivers other than awslogs",
    ("*", "workerLog.error"): "only when the log could not be configured",
    ("*", "workerLog.parameters"): "only for log drivers other than awslogs",
    # A step-level input sync (stepId) runs only when a step consumes another step's
    # outputs through job attachments; the showcase's steps depend on none.
    ("*", "syncInputJobAttachments.stepId"): "no attachment step dependency in the world",
    # A fleet's status message says why it is not ACTIVE (a failed create or update);
    # every demo fleet is ACTIVE.
    ("*", ".statusMessage"): "every demo fleet is ACTIVE",
    # Acquired only by steps that require a limit (the scheduling lab has those, not the
    # demo jobs).
    ("*", "acquiredLimits"): "no demo step requires a limit",
    ("*", "acquiredLimits[].count"): "no demo step requires a limit",
    ("*", "acquiredLimits[].limitId"): "no demo step requires a limit",
}

PINNED_AT = DEMO_EPOCH + 5 * 3600


def _model_paths(shape: Shape, path: str, out: set[str], seen: tuple[str, ...] = ()) -> None:
    if shape.name in seen:  # recursive shapes: one level is enough
        return
    seen = (*seen, shape.name)
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            out.add(f"{path}.{name}")
            _model_paths(member, f"{path}.{name}", out, seen)
    elif shape.type_name == "list":
        _model_paths(shape.member, f"{path}[]", out, seen)
    elif shape.type_name == "map":
        _model_paths(shape.value, f"{path}{{}}", out, seen)


def _answer_paths(shape: Shape, value: Any, path: str, out: set[str]) -> None:
    if shape.type_name == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                out.add(f"{path}.{name}")
                _answer_paths(member, value[name], f"{path}.{name}", out)
    elif shape.type_name == "list" and isinstance(value, list):
        for item in value:
            _answer_paths(shape.member, item, f"{path}[]", out)
    elif shape.type_name == "map" and isinstance(value, dict):
        for item in value.values():
            _answer_paths(shape.value, item, f"{path}{{}}", out)


def _left_out(operation: str, path: str) -> bool:
    return any(op in ("*", operation) and path.endswith(suffix) for op, suffix in LEFT_OUT)


@pytest.fixture(scope="module")
def seen() -> dict[str, set[str]]:
    emulator = Emulator(seed=0, clock=Clock(pinned_at=PINNED_AT))
    client = in_process_client(emulator)
    found: dict[str, set[str]] = defaultdict(set)
    problems: list[tuple[str, Any]] = []

    def record(http_response: Any, model: Any, **_: Any) -> None:
        if http_response.status_code == 200 and model.output_shape is not None:
            raw = json.loads(http_response.content or b"{}")
            _answer_paths(model.output_shape, raw, "", found[model.name])
            problems.extend((model.name, p) for p in validate_output(model.name, raw)[:3])

    client.meta.events.register("after-call.deadline", record)
    _walk(client, emulator)
    assert problems == []  # every member set is also valid
    return found


def _walk(client: Any, emulator: Emulator) -> None:
    client.list_farms(maxResults=1)
    for farm in client.list_farms()["farms"]:
        farm_id = farm["farmId"]
        client.get_farm(farmId=farm_id)
        client.list_fleets(farmId=farm_id, maxResults=1)
        client.list_queues(farmId=farm_id, maxResults=1)
        for fleet in client.list_fleets(farmId=farm_id)["fleets"]:
            ids = {"farmId": farm_id, "fleetId": fleet["fleetId"]}
            client.get_fleet(**ids)
            client.list_workers(**ids, maxResults=1)
            workers = client.list_workers(**ids)["workers"]
            for worker in workers:
                client.get_worker(**ids, workerId=worker["workerId"])
            missing = {**ids, "workerId": "worker-" + "0" * 32}
            client.batch_get_worker(
                identifiers=[{**ids, "workerId": w["workerId"]} for w in workers] + [missing]
            )
            for worker in workers[:2]:
                client.list_sessions_for_worker(**ids, workerId=worker["workerId"])
            client.search_workers(farmId=farm_id, fleetIds=[ids["fleetId"]], itemOffset=0,
                                  pageSize=1)  # fmt: skip
        queues = client.list_queues(farmId=farm_id)["queues"]
        queue_ids = [q["queueId"] for q in queues]
        search = {"farmId": farm_id, "queueIds": queue_ids, "itemOffset": 0}
        client.search_jobs(**search, pageSize=100)
        client.search_steps(**search, pageSize=100)
        client.search_tasks(**search, pageSize=100)
        for queue in queues:
            client.get_queue(farmId=farm_id, queueId=queue["queueId"])
            client.list_jobs(farmId=farm_id, queueId=queue["queueId"], maxResults=1)
            client.list_jobs(farmId=farm_id, queueId=queue["queueId"])
        client.search_jobs(**search, pageSize=1)
    landmarks = {job.job_id for job in emulator.backend.world.landmark_jobs}
    for ids in emulator.backend.jobs():  # every job visible: the landmarks, then the stream
        _walk_job(client, ids, sessions=40 if ids["jobId"] in landmarks else 3)


def _walk_job(client: Any, ids: dict[str, str], *, sessions: int) -> None:
    """Every read of one job; the actions of its first ``sessions`` sessions."""
    client.get_job(**ids)
    search = {"farmId": ids["farmId"], "queueIds": [ids["queueId"]], "jobId": ids["jobId"]}
    client.search_steps(**search, itemOffset=0)
    client.search_tasks(**search, itemOffset=0, pageSize=100)
    client.batch_get_job(identifiers=[ids, {**ids, "jobId": "job-" + "0" * 32}])
    steps = client.list_steps(**ids)["steps"]
    client.list_steps(**ids, maxResults=1)
    step_ids = [{**ids, "stepId": s["stepId"]} for s in steps]
    client.batch_get_step(identifiers=[*step_ids, {**ids, "stepId": "step-" + "0" * 32}])
    for one in step_ids:
        client.get_step(**one)
        tasks = client.list_tasks(**one, maxResults=20)["tasks"]
        task_ids = [{**one, "taskId": t["taskId"]} for t in tasks]
        missing = {**one, "taskId": one["stepId"].replace("step-", "task-") + "-999999"}
        client.batch_get_task(identifiers=[*task_ids, missing])
        for task in task_ids:
            client.get_task(**task)
    client.list_sessions(**ids, maxResults=1)
    listed = client.list_sessions(**ids)["sessions"]
    missing_session = {**ids, "sessionId": "session-" + "0" * 32}
    client.batch_get_session(
        identifiers=[{**ids, "sessionId": s["sessionId"]} for s in listed[:99]] + [missing_session]
    )
    client.list_session_actions(**ids, maxResults=1)
    for session in listed[:sessions]:
        client.get_session(**ids, sessionId=session["sessionId"])
        actions = client.list_session_actions(**ids, sessionId=session["sessionId"])
        action_ids = [{**ids, "sessionActionId": a["sessionActionId"]} for a in
                      actions["sessionActions"]]  # fmt: skip
        for action in action_ids:
            client.get_session_action(**action)
        missing = {**ids, "sessionActionId": "sessionaction-" + "0" * 32 + "-0"}
        client.batch_get_session_action(identifiers=[*action_ids, missing])


def test_every_modelled_output_member_is_set_somewhere(seen: dict[str, set[str]]) -> None:
    client = in_process_client(Emulator(seed=0, clock=Clock(pinned_at=PINNED_AT)))
    model = client.meta.service_model
    never: dict[str, list[str]] = {}
    for operation, paths in sorted(seen.items()):
        modelled: set[str] = set()
        _model_paths(model.operation_model(operation).output_shape, "", modelled)
        missing = sorted(p for p in modelled - paths if not _left_out(operation, p))
        if missing:
            never[operation] = missing
    assert never == {}, json.dumps(never, indent=1)


def test_the_walk_reads_every_read_operation(seen: dict[str, set[str]]) -> None:
    reads = {
        "ListFarms", "GetFarm", "ListFleets", "GetFleet", "ListWorkers", "GetWorker",
        "BatchGetWorker", "SearchWorkers", "ListSessionsForWorker", "ListQueues", "GetQueue",
        "ListJobs", "GetJob", "BatchGetJob", "SearchJobs", "ListSteps", "GetStep",
        "BatchGetStep", "SearchSteps", "ListTasks", "GetTask", "BatchGetTask", "SearchTasks",
        "ListSessions", "GetSession", "BatchGetSession", "ListSessionActions",
        "GetSessionAction", "BatchGetSessionAction",
    }  # fmt: skip
    assert reads <= set(seen)


def test_every_left_out_member_is_modelled() -> None:
    """The list stays short and true: each entry still names a member of the model."""
    model = in_process_client(Emulator(seed=0)).meta.service_model
    everything: set[str] = set()
    for name in model.operation_names:
        shape = model.operation_model(name).output_shape
        if shape is not None:
            _model_paths(shape, "", everything)
    for _, suffix in LEFT_OUT:
        assert any(path.endswith(suffix) for path in everything), suffix
