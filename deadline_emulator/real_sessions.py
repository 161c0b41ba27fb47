"""The session actions of steps in mode ``scripted`` (the showcase job; ``scripted.py`` plans
their attempts), as workers run them. A session of a job with attachments runs, in order,
``syncInputJobAttachments``, ``envEnter``, one ``taskRun`` per task, ``envExit``; the action
numbers (the ``-N`` of a session action ID) increase through the session.

What follows a failure comes from the worker agent's protocol (aws-deadline/
deadline-cloud-worker-agent ``docs/worker_api_protocol.md``): after a FAILED, INTERRUPTED or
CANCELED ``syncInputJobAttachments``, ``envEnter`` or ``taskRun`` the queued actions after it
are NEVER_ATTEMPTED (no startedAt/endedAt), except the ``envExit`` of an environment that was
entered (a failed ``envEnter`` still gets its ``envExit``). On an EC2 Spot interruption the
worker drains: its running action is INTERRUPTED, the rest NEVER_ATTEMPTED. When the instance
is taken before it can drain, the service shows the run RECLAIMING, then RECLAIMED.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deadline_emulator.seed import JobSpec, StepSpec
from deadline_emulator.simulation import Attempt, session_action_state

#: Whether a reclaim or an interruption counts against the task's retries. botocore documents
#: ``failureRetryCount`` as "The number of times that the task failed and was retried" and
#: ``maxRetriesPerTask`` as "The maximum number of retries per failed tasks"; a reclaimed or
#: interrupted run did not fail (the worker protocol reports it INTERRUPTED, not FAILED), and
#: no public document says otherwise, so the emulator retries it without counting it.
RECLAIM_SOURCE = (
    "botocore deadline model: failureRetryCount, maxRetriesPerTask documentation; "
    "deadline-cloud-worker-agent docs/worker_api_protocol.md (worker-initiated drains)"
)
RECLAIM_NOTICE_SECONDS = 120.0  # an EC2 Spot interruption notice comes two minutes ahead


# --- session actions --------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionPlan:
    """One action of a session: what it runs, when, and how it ends."""

    number: int
    kind: str  # syncInputJobAttachments | envEnter | taskRun | envExit
    index: int | None  # a taskRun's task
    attempt: Attempt
    appears: float  # listed from this time on
    start: float | None  # None: NEVER_ATTEMPTED
    end: float
    status: str  # how it ends (a taskRun's comes from its attempt)
    exit_code: int | None = None
    message: str | None = None


def session_plan(job: JobSpec, members: list[tuple[int, Attempt]]) -> list[ActionPlan]:
    """Every action of the session whose tasks (in order) are ``members``."""
    head = members[0][1]
    plans: list[ActionPlan] = []
    failed_at: float | None = None
    enter_start = head.starting_at
    if job.attachments:
        if head.failed_action == "syncInputJobAttachments":
            failed_at = head.ended_at
            plans.append(
                ActionPlan(
                    0,
                    "syncInputJobAttachments",
                    None,
                    head,
                    head.assigned_at,
                    head.starting_at,
                    failed_at,
                    "FAILED",
                    head.exit_code,
                    head.message,
                )
            )
        else:
            enter_start = head.starting_at + (head.scheduled_at - head.starting_at) * 0.4
            plans.append(
                ActionPlan(
                    0,
                    "syncInputJobAttachments",
                    None,
                    head,
                    head.assigned_at,
                    head.starting_at,
                    enter_start,
                    "SUCCEEDED",
                )
            )
    number = len(plans)
    entered = failed_at is None
    if failed_at is not None:
        plans.append(
            ActionPlan(
                number, "envEnter", None, head, failed_at, None, failed_at, "NEVER_ATTEMPTED"
            )
        )
    elif head.failed_action == "envEnter":
        failed_at = head.ended_at
        plans.append(
            ActionPlan(
                number,
                "envEnter",
                None,
                head,
                head.assigned_at,
                enter_start,
                failed_at,
                "FAILED",
                head.exit_code,
                head.message,
            )
        )
    else:
        plans.append(
            ActionPlan(
                number,
                "envEnter",
                None,
                head,
                head.assigned_at,
                enter_start,
                head.scheduled_at,
                "SUCCEEDED",
                0,
            )
        )
    number += 1
    for pos, (index, attempt) in enumerate(members):
        if failed_at is not None:
            plans.append(
                ActionPlan(
                    number + pos,
                    "taskRun",
                    index,
                    attempt,
                    failed_at,
                    None,
                    failed_at,
                    "NEVER_ATTEMPTED",
                )
            )
        else:
            plans.append(
                ActionPlan(
                    number + pos,
                    "taskRun",
                    index,
                    attempt,
                    attempt.assigned_at,
                    attempt.running_at,
                    attempt.ended_at,
                    attempt.outcome,
                )
            )
    number += len(members)
    last = members[-1][1]
    if not entered:
        return plans  # no environment was entered: nothing to exit
    if failed_at is not None:
        exit_start = failed_at + 1.0
    elif last.outcome in ("RECLAIMED", "INTERRUPTED"):
        plans.append(
            ActionPlan(
                number, "envExit", None, last, last.ended_at, None, last.ended_at, "NEVER_ATTEMPTED"
            )
        )
        return plans
    else:
        exit_start = last.task_run_end
    if exit_start == float("inf"):
        return plans
    plans.append(
        ActionPlan(
            number,
            "envExit",
            None,
            last,
            exit_start,
            exit_start,
            exit_start + last.exit_seconds,
            "SUCCEEDED",
            0,
        )
    )
    return plans


def action_state(plan: ActionPlan, t: float) -> dict[str, Any] | None:
    """The action's status members at ``t`` (None: not listed yet)."""
    if t < plan.appears:
        return None
    a = plan.attempt
    if plan.start is None:
        return {"status": "NEVER_ATTEMPTED"}
    if plan.kind == "taskRun" and plan.status in ("SUCCEEDED", "FAILED"):
        return session_action_state(a, 1, t)
    if t < plan.start:
        return {"status": "ASSIGNED"}
    if plan.kind == "taskRun":
        notice = plan.end - RECLAIM_NOTICE_SECONDS if plan.status == "RECLAIMED" else plan.end
        if t < notice:
            pct = round(min(100.0 * (t - plan.start) / max(a.ended_at - plan.start, 1.0), 99.0), 1)
            return {
                "status": "RUNNING",
                "startedAt": plan.start,
                "progressPercent": pct,
                "workerUpdatedAt": t - (t % 15.0),
                "progressMessage": f"Rendering: {pct:.0f}%",
            }
        if t < plan.end:
            return {
                "status": "RECLAIMING",
                "startedAt": plan.start,
                "progressMessage": "EC2 Spot interruption notice: instance reclaimed in 2 min",
            }
        answer: dict[str, Any] = {
            "status": plan.status,
            "startedAt": plan.start,
            "endedAt": plan.end,
            "progressPercent": a.fail_progress,
            "progressMessage": a.message,
        }
        if a.exit_code is not None:
            answer["processExitCode"] = a.exit_code
        return answer
    if t < plan.end:
        return {"status": "RUNNING", "startedAt": plan.start}
    answer = {"status": plan.status, "startedAt": plan.start, "endedAt": plan.end}
    answer["progressPercent"] = 100.0 if plan.status == "SUCCEEDED" else 0.0
    if plan.exit_code is not None:
        answer["processExitCode"] = plan.exit_code
    if plan.message:
        answer["progressMessage"] = plan.message
    return answer


def task_run_number(job: JobSpec, attempt: Attempt) -> int:
    """The action number of an attempt's taskRun in its session."""
    return (1 if job.attachments else 0) + 1 + attempt.session_pos


def definition(job: JobSpec, step: StepSpec, plan: ActionPlan, task: dict[str, Any]) -> dict:
    """The action's ``definition`` union (``task``: a taskRun's taskId and parameters)."""
    if plan.kind == "taskRun":
        return {"taskRun": {"stepId": step.step_id, **task}}
    if plan.kind == "syncInputJobAttachments":
        return {"syncInputJobAttachments": {}}
    return {plan.kind: {"environmentId": f"JOB:{job.job_id}:RenderEnvironment"}}
