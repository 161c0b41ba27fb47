"""The attempts of a scripted step's tasks (mode ``scripted``: the showcase job), as the keyword
arguments of ``simulation.Attempt`` (this module does not import the simulation, which calls
it).

A worker keeps a session open and runs several tasks of one step in it: "When a task is
finished, the service sends another task in the same session" (Deadline Cloud user guide, "How
Deadline Cloud processes jobs"). ``step.session_tasks`` consecutive tasks share one session;
their first attempts run back to back on one worker. A task's ``action_script`` entry says
what happens to it instead: its first run is reclaimed with its spot instance ("reclaim") or
interrupted by the worker draining on the spot notice ("interrupt") and then retried on
another worker, or its environment ("envEnter") or input sync ("syncInputJobAttachments")
fails on every attempt.
"""

from __future__ import annotations

from typing import Any

from deadline_emulator.seed import MAX_ATTEMPTS, StepSpec, uniforms
from deadline_emulator.showcase import ENV_FAILURES, SYNC_FAILURES

FAILING_ACTIONS = ("syncInputJobAttachments", "envEnter")
INTERRUPTIONS = ("reclaim", "interrupt")

Plan = dict[str, Any]  # simulation.Attempt's keyword arguments


def scripted_attempts(
    seed: int, step: StepSpec, index: int, ready_at: float, pool: tuple[str, ...]
) -> list[Plan]:
    """The attempts of task ``index`` of a scripted step (its first run)."""
    if step.session_tasks > 1:
        head = index // step.session_tasks * step.session_tasks
        return [shared_session(seed, step, head, ready_at, pool)[index - head]]
    script = step.action_script[index] if index < len(step.action_script) else ""
    return _solo(seed, step, index, ready_at, pool, script)


def _window(seed: int, step: StepSpec, index: int, ready_at: float) -> float:
    u = uniforms(seed, step.step_id, index, "window")
    wave = index // max(1, step.concurrency * step.session_tasks)
    return ready_at + wave * step.slot_seconds + u[0] * step.slot_seconds * 0.3


def _done(duration: float) -> str:
    return f"Task completed in {int(duration // 60)}m{int(duration % 60):02d}s"


def shared_session(
    seed: int, step: StepSpec, head: int, ready_at: float, pool: tuple[str, ...]
) -> list[Plan]:
    """The first attempts of tasks ``head``.. run back to back in one session on one worker."""
    members = range(head, min(head + step.session_tasks, step.task_count))
    worker = pool[int(uniforms(seed, step.step_id, head, "window")[2] * len(pool))]
    plans: list[Plan] = []
    t = _window(seed, step, head, ready_at)
    for pos, index in enumerate(members):
        u = uniforms(seed, step.step_id, index, 0)
        if pos == 0:  # the session opens: inputs synced, environment entered
            starting = t + 2.0 + u[1] * 4.0
            scheduled = starting + 10.0 + u[2] * 30.0
        else:  # the next task of the same session: no environment to enter
            starting, scheduled = t + 0.3, t + 0.6
        running = scheduled + 1.0 + u[3] * 2.0
        duration = step.run_min + (step.run_max - step.run_min) * u[4]
        plans.append(
            {
                "seq": 0,
                "worker_id": worker,
                "assigned_at": t,
                "starting_at": starting,
                "scheduled_at": scheduled,
                "running_at": running,
                "ended_at": running + duration,
                "outcome": "SUCCEEDED",
                "exit_code": 0,
                "message": _done(duration),
                "exit_seconds": 2.0 + u[8] * 4.0,
                "fail_progress": round(10 + 80 * u[6], 1),
                "session_head": head,
                "session_pos": pos,
            }
        )
        t = running + duration + 0.5  # the service sends the next task as this one finishes
    plans[0]["group_end"] = plans[-1]["ended_at"]
    return plans


def _solo(
    seed: int, step: StepSpec, index: int, ready_at: float, pool: tuple[str, ...], script: str
) -> list[Plan]:
    u = uniforms(seed, step.step_id, index, 0)
    plans: list[Plan] = []
    t = _window(seed, step, index, ready_at)
    taken = ""
    for n in range(MAX_ATTEMPTS):
        b = n * 9
        worker = pool[int(u[b] * len(pool))]
        if worker == taken:  # a reclaimed instance is gone: the retry lands elsewhere
            worker = pool[(pool.index(worker) + 1) % len(pool)]
        starting = t + 2.0 + u[b + 1] * 4.0
        plan: Plan = {"seq": n, "worker_id": worker, "assigned_at": t, "starting_at": starting}
        plan["exit_seconds"] = 2.0 + u[b + 8] * 4.0
        if script in FAILING_ACTIONS:
            sync = script == "syncInputJobAttachments"
            failed = starting + (5.0 + u[b + 2] * 10.0 if sync else 20.0 + u[b + 2] * 25.0)
            code, message = (SYNC_FAILURES if sync else ENV_FAILURES)[index % 2]
            plan.update(scheduled_at=failed, running_at=failed, ended_at=failed)
            plan.update(outcome="FAILED", exit_code=code, message=message, fail_progress=0.0)
            plans.append({**plan, "failed_action": script})
            t = failed + 15.0 + u[b + 8] * 45.0
            continue
        scheduled = starting + 10.0 + u[b + 2] * 30.0
        running = scheduled + 1.0 + u[b + 3] * 2.0
        duration = step.run_min + (step.run_max - step.run_min) * u[b + 4]
        plan.update(scheduled_at=scheduled, running_at=running)
        if n == 0 and script in INTERRUPTIONS:
            end = running + duration * (0.3 + 0.4 * u[b + 6])
            reclaimed = script == "reclaim"
            plan.update(
                ended_at=end,
                outcome="RECLAIMED" if reclaimed else "INTERRUPTED",
                exit_code=None if reclaimed else -15,
                message=(
                    "Spot capacity reclaimed by EC2: the instance was terminated"
                    if reclaimed
                    else "Interrupted: the worker drained on an EC2 Spot interruption notice"
                ),
                fail_progress=round(100 * (end - running) / duration, 1),
            )
            plans.append(plan)
            taken, t = worker, end + 20.0 + u[b + 8] * 40.0
            continue
        plan.update(ended_at=running + duration, outcome="SUCCEEDED", exit_code=0)
        plans.append({**plan, "message": _done(duration), "fail_progress": 100.0})
        break
    return plans
