"""Realistic answers for every type built from the API: read from the demo world through the
in-process boto3 clients, plus every member the model defines (``fullest``) and the least it
promises (``least``), plus a few answers a newer or sloppier service could send.

Keyed by ``module.Class``; each type's answers are what its ``from_api`` is handed in the app
(pages folded into one API-shaped dict where the app folds them).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from deadline_emulator.service_model import deadline_model, load_service_model
from tests.tasks_app.deadline.test_types_model import EXAMPLES, least

Answers = dict[str, list[dict[str, Any]]]
FEW = 6  # items per list read from the demo world: enough variety, a small recording
STAMP = datetime(2026, 11, 23, 10, 0, 0, 123000, tzinfo=UTC)
# Patterned names the model leaves free but the service (and the readers) give a meaning.
NAMED = {
    **EXAMPLES,
    "AmountCapabilityName": "amount.worker.vcpu",
    "AttributeCapabilityName": "attr.worker.os.family",
}


def fullest(model: Any, shape_name: str, depth: int = 0) -> Any:
    """A value of ``shape_name`` with every member set (lists and maps hold one item)."""
    shape = model.shapes[shape_name]
    kind = shape["type"]
    if kind == "structure":
        members = shape["members"]
        if shape.get("union"):
            first = next(iter(members))
            return {first: fullest(model, members[first]["shape"], depth + 1)}
        if depth > 6:
            return {}
        return {
            name: fullest(model, spec["shape"], depth + 1)
            for name, spec in members.items()
            if spec.get("location") is None
        }
    if kind == "list":
        return [fullest(model, shape["member"]["shape"], depth + 1)]
    if kind == "map":
        return {"Frame": fullest(model, shape["value"]["shape"], depth + 1)}
    if kind == "timestamp":
        return STAMP
    if kind in ("integer", "long"):
        return max(int(shape.get("min", 0)), 3)
    if kind in ("float", "double"):
        return max(float(shape.get("min", 0)), 2.5)
    if kind == "boolean":
        return True
    if shape_name in NAMED:
        return NAMED[shape_name]
    if shape.get("enum"):
        return shape["enum"][-1]
    return "y" * max(1, shape.get("min", 1))


def _shapes(service: str, shape: str) -> list[dict[str, Any]]:
    model = deadline_model() if service == "deadline" else load_service_model("logs")
    return [least(model, shape), fullest(model, shape)]


def _model_answers(answers: Answers) -> None:
    """Answers made from the model's shapes, for the types read straight from one answer."""
    for key, service, shape in MODEL_SHAPES:
        answers.setdefault(key, []).extend(_shapes(service, shape))
    for key, items, service, shape in FOLDED_SHAPES:
        for item in _shapes(service, shape):
            answers.setdefault(key, []).append({items: [item], "complete": False})


MODEL_SHAPES = [
    ("types.Task", "deadline", "GetTaskResponse"),
    ("types.TaskSummary", "deadline", "TaskSearchSummary"),
    ("types.TaskSummary", "deadline", "TaskSummary"),
    ("types.Job", "deadline", "GetJobResponse"),
    ("types.Job", "deadline", "JobSearchSummary"),
    ("types.Step", "deadline", "GetStepResponse"),
    ("types.Step", "deadline", "StepSearchSummary"),
    ("types.StepDetail", "deadline", "GetStepResponse"),
    ("types.Farm", "deadline", "GetFarmResponse"),
    ("types.Queue", "deadline", "GetQueueResponse"),
    ("types.FarmList", "deadline", "ListFarmsResponse"),
    ("types.QueueList", "deadline", "ListQueuesResponse"),
    ("types.StepList", "deadline", "ListStepsResponse"),
    ("types.JobSearchPage", "deadline", "SearchJobsResponse"),
    ("types.TaskSearchPage", "deadline", "SearchTasksResponse"),
    ("session_types.SessionAction", "deadline", "SessionActionSummary"),
    ("session_types.SessionAction", "deadline", "GetSessionActionResponse"),
    ("session_types.SessionActionList", "deadline", "ListSessionActionsResponse"),
    ("session_types.Session", "deadline", "GetSessionResponse"),
    ("session_types.Worker", "deadline", "GetWorkerResponse"),
    ("session_types.Fleet", "deadline", "GetFleetResponse"),
    ("farm_types.FleetList", "deadline", "ListFleetsResponse"),
    ("farm_types.WorkerList", "deadline", "ListWorkersResponse"),
    ("fleet_types.FleetInfos", "deadline", "ListFleetsResponse"),
    ("fleet_types.Associations", "deadline", "ListQueueFleetAssociationsResponse"),
    ("fleet_types.WorkerInfos", "deadline", "ListWorkersResponse"),
    ("fleet_types.WorkerInfos", "deadline", "SearchWorkersResponse"),
    ("scheduling_types.QueueSettings", "deadline", "GetQueueResponse"),
    ("scheduling_types.Associations", "deadline", "ListQueueFleetAssociationsResponse"),
    ("scheduling_types.Associations", "deadline", "ListQueueLimitAssociationsResponse"),
    ("scheduling_types.FleetDetail", "deadline", "GetFleetResponse"),
    ("scheduling_types.LimitList", "deadline", "ListLimitsResponse"),
    ("scheduling_types.Budget", "deadline", "GetBudgetResponse"),
    ("scheduling_types.BudgetList", "deadline", "ListBudgetsResponse"),
    ("scheduling_types.StepRequirements", "deadline", "GetStepResponse"),
    ("scheduling_types.StepLinks", "deadline", "ListStepDependenciesResponse"),
    ("scheduling_types.StepLinks", "deadline", "ListStepConsumersResponse"),
]

# Types whose answer is several pages folded into {items: [...], "complete": ...}.
FOLDED_SHAPES = [
    ("types.TaskListing", "tasks", "deadline", "TaskSummary"),
    ("types.JobListing", "jobs", "deadline", "JobSearchSummary"),
    ("farm_types.TaskRows", "tasks", "deadline", "TaskSearchSummary"),
    ("farm_types.TaskRows", "tasks", "deadline", "TaskSummary"),
    ("farm_types.SessionList", "sessions", "deadline", "SessionSummary"),
    ("farm_types.SessionList", "sessions", "deadline", "WorkerSessionSummary"),
    ("farm_types.ActionOutcomes", "sessionActions", "deadline", "SessionActionSummary"),
    ("farm_types.LastLogEvent", "events", "logs", "OutputLogEvent"),
    ("fleet_types.LogEvents", "events", "logs", "OutputLogEvent"),
    ("session_types.LogPage", "events", "logs", "OutputLogEvent"),
]

# What a newer or sloppier service could send: unknown values, lower case, missing members.
ODD_ANSWERS: Answers = {
    "types.Task": [
        {
            "taskId": EXAMPLES["TaskId"],
            "runStatus": "WIBBLING",
            "targetRunStatus": "NEWER",
            "createdAt": "2026-11-23T10:00:00Z",
            "createdBy": "ana",
            "failureRetryCount": "4",
            "parameters": {"Frame": {"int": "7"}, "Odd": {"complex": "1+2j"}, "Chunk": {}},
        }
    ],
    "types.Job": [
        {
            "jobId": EXAMPLES["JobId"],
            "name": "",
            "priority": "50",
            "taskRunStatusCounts": {"failed": 2, "FAILED": 1, "Succeeded": "4", "WIBBLE": 9},
            "parameters": {"Frames": {"intList": [1, 2]}, "Grid": {"intListList": [[1, 2]]}},
            "attachments": {"manifests": [{"rootPath": "/a", "rootPathFormat": "posix"}]},
        },
        {"name": "no id"},
    ],
    "types.JobSearchPage": [{"jobs": [{}, {"jobId": EXAMPLES["JobId"]}], "notes": ["cut"]}],
    "types.TaskSearchPage": [{"tasks": [{"runStatus": "FAILED"}], "totalResults": 1}],
    "types.StepDetail": [
        {
            "stepId": EXAMPLES["StepId"],
            "name": "s",
            "lifecycleStatus": "CREATE_COMPLETE",
            "parameterSpace": {"parameters": [{"name": "Frame", "type": "INT"}, {"name": "X"}]},
        }
    ],
    "session_types.SessionAction": [
        {"sessionActionId": EXAMPLES["SessionActionId"], "status": "NEWER", "definition": {}},
        {
            "sessionActionId": EXAMPLES["SessionActionId"],
            "status": "FAILED",
            "definition": {"envEnter": {"environmentId": "env"}},
            "progressPercent": 12,
        },
    ],
    "farm_types.ActionOutcomes": [
        {
            "sessionActions": [
                {"sessionActionId": "sa-1", "status": "FAILED", "definition": {"envEnter": {}}},
                {"sessionActionId": "sa-2", "status": "SUCCEEDED", "definition": {"envExit": {}}},
                {"status": "FAILED", "definition": {"taskRun": {"taskId": "t"}}},
            ]
        }
    ],
    "scheduling_types.QueueSettings": [
        {
            "queueId": EXAMPLES["QueueId"],
            "schedulingConfiguration": {"weightedBalanced": {"priorityWeight": 2.0}},
        }
    ],
    "scheduling_types.FleetDetail": [
        {
            "fleetId": EXAMPLES["FleetId"],
            "capabilities": {
                "attributes": [{"name": "attr.worker.os.family", "values": ["linux"]}],
                "amounts": [{"name": "amount.worker.vcpu", "min": 4, "max": 16}],
            },
        }
    ],
    "scheduling_types.StepRequirements": [
        {
            "stepId": EXAMPLES["StepId"],
            "requiredCapabilities": {
                "attributes": [{"name": "attr.worker.os.family", "allOf": ["linux"]}],
                "amounts": [{"name": "amount.worker.vcpu", "min": 2}],
            },
            "dependencyCounts": {"dependenciesUnresolved": 1, "consumersUnresolved": 2},
        }
    ],
    "session_types.LogPage": [{"events": [{"message": "no time"}, {"timestamp": "x"}]}],
}


def _first(items: list[Any], count: int = 3) -> Iterator[Any]:
    yield from items[:count]


def _demo_answers(deadline: Any, logs: Any) -> Answers:
    """Answers read from the demo world: the farm, its queues, jobs, steps, tasks, sessions,
    workers, fleets and logs (the first few of each)."""
    found: Answers = {}

    def add(key: str, answer: dict[str, Any]) -> None:
        answer = {k: v for k, v in answer.items() if k != "ResponseMetadata"}
        found.setdefault(key, []).append(answer)

    farms = deadline.list_farms()["farms"]
    add("types.FarmList", {"farms": farms})
    for farm in _first(farms, 1):
        _farm_answers(deadline, logs, farm["farmId"], add)
    return found


def _farm_answers(
    deadline: Any, logs: Any, farm_id: str, add: Callable[[str, dict[str, Any]], None]
) -> None:
    add("types.Farm", deadline.get_farm(farmId=farm_id))
    queues = deadline.list_queues(farmId=farm_id)
    add("types.QueueList", queues)
    fleets = deadline.list_fleets(farmId=farm_id)
    add("fleet_types.FleetInfos", fleets)
    add("farm_types.FleetList", fleets)
    add("scheduling_types.LimitList", deadline.list_limits(farmId=farm_id))
    add("scheduling_types.BudgetList", budgets := deadline.list_budgets(farmId=farm_id))
    for budget in _first(budgets["budgets"]):
        add(
            "scheduling_types.Budget",
            deadline.get_budget(farmId=farm_id, budgetId=budget["budgetId"]),
        )
    associations = deadline.list_queue_fleet_associations(farmId=farm_id)
    add("fleet_types.Associations", associations)
    add("scheduling_types.Associations", associations)
    add(
        "scheduling_types.Associations",
        deadline.list_queue_limit_associations(farmId=farm_id),
    )
    for fleet in _first(fleets["fleets"]):
        _fleet_answers(deadline, farm_id, fleet["fleetId"], add)
    for queue in _first(queues["queues"], 2):
        _queue_answers(deadline, logs, farm_id, queue["queueId"], add)


def _fleet_answers(
    deadline: Any, farm_id: str, fleet_id: str, add: Callable[[str, dict[str, Any]], None]
) -> None:
    fleet = deadline.get_fleet(farmId=farm_id, fleetId=fleet_id)
    add("session_types.Fleet", fleet)
    add("scheduling_types.FleetDetail", fleet)
    add("fleet_types.FleetInfos", {"fleets": [fleet]})
    workers = deadline.list_workers(farmId=farm_id, fleetId=fleet_id)
    add("farm_types.WorkerList", workers)
    add("fleet_types.WorkerInfos", workers)
    for worker in _first(workers["workers"]):
        ids = {"farmId": farm_id, "fleetId": fleet_id, "workerId": worker["workerId"]}
        add("session_types.Worker", deadline.get_worker(**ids))
        sessions = deadline.list_sessions_for_worker(**ids, maxResults=FEW)["sessions"]
        add("farm_types.SessionList", {"sessions": sessions, "complete": True})


def _queue_answers(
    deadline: Any, logs: Any, farm_id: str, queue_id: str, add: Callable[..., None]
) -> None:
    ids = {"farmId": farm_id, "queueId": queue_id}
    queue = deadline.get_queue(**ids)
    add("types.Queue", queue)
    add("scheduling_types.QueueSettings", queue)
    search = {"itemOffset": 0, "pageSize": 5}
    jobs = deadline.search_jobs(farmId=farm_id, queueIds=[queue_id], **search)
    add("types.JobSearchPage", {**jobs, **search})
    add("types.JobListing", {"jobs": jobs["jobs"], "complete": False})
    for job in _first(jobs["jobs"], 3):
        _job_answers(deadline, logs, {**ids, "jobId": job["jobId"]}, add)


def _job_answers(deadline: Any, logs: Any, ids: dict[str, str], add: Callable[..., None]) -> None:
    add("types.Job", deadline.get_job(**ids))
    steps = deadline.list_steps(**ids)
    add("types.StepList", steps)
    sessions = deadline.list_sessions(**ids, maxResults=FEW)["sessions"]
    add("farm_types.SessionList", {"sessions": sessions, "complete": False})
    actions = deadline.list_session_actions(**ids, maxResults=FEW)["sessionActions"]
    add("farm_types.ActionOutcomes", {"sessionActions": actions, "complete": True})
    for session in _first(sessions, 2):
        _session_answers(deadline, logs, {**ids, "sessionId": session["sessionId"]}, add)
    for step in _first(steps["steps"], 2):
        step_ids = {**ids, "stepId": step["stepId"]}
        detail = deadline.get_step(**step_ids)
        for key in ("types.Step", "types.StepDetail", "scheduling_types.StepRequirements"):
            add(key, detail)
        add("scheduling_types.StepLinks", deadline.list_step_dependencies(**step_ids))
        add("scheduling_types.StepLinks", deadline.list_step_consumers(**step_ids))
        tasks = deadline.list_tasks(**step_ids, maxResults=FEW)["tasks"]
        add("types.TaskListing", {"tasks": tasks, "complete": True})
        add("farm_types.TaskRows", {"tasks": tasks, "complete": True})
        for task in _first(tasks, 2):
            add("types.Task", deadline.get_task(**step_ids, taskId=task["taskId"]))
    search = {"itemOffset": 0, "pageSize": FEW}
    found = deadline.search_tasks(
        farmId=ids["farmId"], queueIds=[ids["queueId"]], jobId=ids["jobId"], **search
    )
    add("types.TaskSearchPage", {**found, **search})
    for row in _first(found["tasks"]):
        add("types.TaskSummary", row)


def _session_answers(
    deadline: Any, logs: Any, ids: dict[str, str], add: Callable[..., None]
) -> None:
    session = deadline.get_session(**ids)
    add("session_types.Session", session)
    actions = deadline.list_session_actions(**ids, maxResults=FEW)["sessionActions"]
    add("session_types.SessionActionList", {"sessionActions": actions})
    for action in _first(actions, 2):
        add("session_types.SessionAction", action)
        add(
            "session_types.SessionAction",
            deadline.get_session_action(
                **{k: v for k, v in ids.items() if k != "sessionId"},
                sessionActionId=action["sessionActionId"],
            ),
        )
    options = (session.get("log") or {}).get("options") or {}
    if options.get("logGroupName") and options.get("logStreamName"):
        events = logs.get_log_events(
            logGroupName=options["logGroupName"],
            logStreamName=options["logStreamName"],
            limit=FEW,
            startFromHead=True,
        )
        add("session_types.LogPage", {**events, "hasEarlier": False})
        add("farm_types.LastLogEvent", {"events": events["events"][-1:], "missing": False})
        add("fleet_types.LogEvents", {**events, "complete": True})


def all_answers(deadline: Any, logs: Any) -> Answers:
    """Every answer above, demo world first, keyed by ``module.Class``."""
    answers = _demo_answers(deadline, logs)
    _model_answers(answers)
    for key, odd in ODD_ANSWERS.items():
        answers.setdefault(key, []).extend(odd)
    return answers
