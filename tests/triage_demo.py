"""Helpers for triage tests: notable attempts of the emulator's demo world, found by reading it
(through the backend, not the API, so they cost no counted calls)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from deadline_emulator import Emulator
from tasks_app.deadline.session_types import LogPage
from tasks_app.selectors import triage


def _kwargs(ids: dict[str, str]) -> dict[str, str]:
    return {"farm_id": ids["farmId"], "queue_id": ids["queueId"], "job_id": ids["jobId"]}


def failed_workers(emulator: Emulator, ids: dict[str, str]) -> Counter[str]:
    """worker ID -> failed task-run attempts of the task ``ids``."""
    backend = emulator.backend
    actions = backend.list_session_actions(**_kwargs(ids), task_id=ids["taskId"])
    counts: Counter[str] = Counter()
    for action in actions["sessionActions"]:
        if "taskRun" in action["definition"] and action["status"] == "FAILED":
            session_id = "session-" + action["sessionActionId"].split("-")[1]
            session = backend.get_session(**_kwargs(ids), session_id=session_id)
            counts[session["workerId"]] += 1
    return counts


def clustered_failed_task(emulator: Emulator) -> tuple[dict[str, str], str, int, int]:
    """A FAILED task whose failures cluster on one worker: (ids, worker ID, on it, failed)."""
    for ids in emulator.backend.find_tasks("FAILED", min_retries=1):
        counts = failed_workers(emulator, ids)
        ranked = counts.most_common()
        if ranked and ranked[0][1] >= 2 and (len(ranked) == 1 or ranked[1][1] < ranked[0][1]):
            return ids, ranked[0][0], ranked[0][1], sum(counts.values())
    raise AssertionError("the demo world has no failed task with clustered failures")


def host_name(emulator: Emulator, ids: dict[str, str], worker_id: str) -> str:
    """The short host name (``render-a-017``) of a worker of ``ids``' farm."""
    for fleet in emulator.backend.list_fleets(farm_id=ids["farmId"])["fleets"]:
        try:
            worker = emulator.backend.get_worker(
                farm_id=ids["farmId"], fleet_id=fleet["fleetId"], worker_id=worker_id
            )
        except Exception:  # noqa: S112 - not in this fleet
            continue
        return str(worker["hostProperties"]["hostName"]).split(".")[0]
    raise AssertionError(f"{worker_id} not found")


def long_running_task(emulator: Emulator, *, minutes: float = 2) -> dict[str, str]:
    """The RUNNING task whose current attempt has the most rendering ahead (at least
    ``minutes``), among the first 200 running ones."""
    backend = emulator.backend
    now = emulator.clock.now()
    best: tuple[float, dict[str, str]] | None = None
    for ids in backend.find_tasks("RUNNING", limit=200, include_landmarks=False):
        actions = backend.list_session_actions(**_kwargs(ids), task_id=ids["taskId"])
        running = [
            a
            for a in actions["sessionActions"]
            if "taskRun" in a["definition"] and a["status"] == "RUNNING"
        ]
        if not running:
            continue
        session_id = "session-" + running[-1]["sessionActionId"].split("-")[1]
        ends = backend.attempt_timeline(session_id)["taskRunEndsAt"]
        if ends is not None and (best is None or ends.timestamp() - now > best[0]):
            best = (ends.timestamp() - now, ids)
    if best is None or best[0] < minutes * 60:
        raise AssertionError(f"no running task with {minutes} min left")
    return best[1]


def long_log_task(emulator: Emulator, *, lines: int = 400) -> dict[str, str]:
    """A SUCCEEDED task whose latest attempt logged at least ``lines`` lines."""
    from deadline_emulator.render_logs import render_log

    backend = emulator.backend
    for ids in backend.find_tasks("SUCCEEDED", limit=300):
        actions = backend.list_session_actions(**_kwargs(ids), task_id=ids["taskId"])
        runs = [a for a in actions["sessionActions"] if "taskRun" in a["definition"]]
        if not runs:
            continue
        session_id = "session-" + runs[-1]["sessionActionId"].split("-")[1]
        log = render_log(
            backend.attempt_timeline(session_id), seed=emulator.seed, now=emulator.clock.now()
        )
        if log.count >= lines:
            return ids
    raise AssertionError(f"no succeeded task with a {lines}-line log")


def task_kwargs(ids: dict[str, str]) -> dict[str, str]:
    """The snake_case keyword arguments of the selectors, from the API's camelCase IDs."""
    return {
        "farm_id": ids["farmId"],
        "queue_id": ids["queueId"],
        "job_id": ids["jobId"],
        "step_id": ids["stepId"],
        "task_id": ids["taskId"],
    }


def attempts_of(ids: dict[str, str]) -> triage.TaskAttempts:
    """The task's attempts, read through the selector (boto3 and the emulator)."""
    return triage.list_task_attempts(**task_kwargs(ids))


def tail_of(ids: dict[str, str], attempt: triage.Attempt, **extra: Any) -> LogPage:
    """The log tail of one attempt, read through the selector."""
    return triage.get_log_tail(
        farm_id=ids["farmId"],
        queue_id=ids["queueId"],
        session_id=attempt.session_id,
        start=attempt.log_start,
        end=attempt.log_end,
        **extra,
    )
