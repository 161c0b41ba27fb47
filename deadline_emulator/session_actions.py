"""The backend's session actions: three per attempt for the closed-form jobs (envEnter,
taskRun, envExit), and for scripted steps the sessions ``real_sessions.py`` plans (input sync,
environment, several task runs, exit; failures, reclaims and interruptions)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from deadline_emulator.real_sessions import (
    action_state,
    definition,
    session_plan,
    task_run_number,
)
from deadline_emulator.seed import JobSpec, StepSpec, digest
from deadline_emulator.simulation import Attempt


def _when(value: Any) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, tz=UTC)


class SessionActions:
    """Mixed into ``DeadlineBackend``: the actions of a session, or of one task's attempt."""

    def _session_members(
        self, job: JobSpec, step: StepSpec, index: int, attempt: Attempt, t: float
    ) -> list[tuple[int, Attempt]]:
        """The tasks (and their attempts) of the session ``attempt`` belongs to, as far as
        they have begun by ``t``; the first is the one whose ID the session carries."""
        if attempt.session_head < 0:
            return [(index, attempt)]
        head = attempt.session_head
        members: list[tuple[int, Attempt]] = []
        for member in range(head, min(head + step.session_tasks, step.task_count)):
            state = self._task_state(job, step, member, t)  # type: ignore[attr-defined]
            found = next((a for a in state.attempts if a.session_head == head), None)
            if found is None:
                break
            members.append((member, found))
        return members

    def _actions_of(
        self,
        job: JobSpec,
        step: StepSpec,
        index: int,
        attempt: Attempt,
        t: float,
        *,
        full: bool = False,
        whole: bool = True,
    ) -> list[tuple[int, dict[str, Any]]]:
        """(action number, answer) of the session of ``attempt``; with ``whole`` False, only
        the actions of that task (its own taskRun in a session shared with other tasks)."""
        if step.mode != "scripted":
            answers = [
                (n, self._action_answer(job, step, index, attempt, n, t, full))  # type: ignore[attr-defined]
                for n in range(3)
            ]
            return [(n, answer) for n, answer in answers if answer is not None]
        members = self._session_members(job, step, index, attempt, t)
        if not members:
            return []
        head_index, head = members[0]
        session_hex = self._session_hex(job, step, head_index, head)  # type: ignore[attr-defined]
        plans = session_plan(job, members)
        if not whole and attempt.session_head >= 0:
            plans = [p for p in plans if p.kind == "taskRun" and p.index == index]
        found = []
        for plan in plans:
            state = action_state(plan, t)
            if state is None:
                continue
            answer: dict[str, Any] = {
                "sessionActionId": f"sessionaction-{session_hex}-{plan.number}",
                "status": state["status"],
            }
            for member in ("startedAt", "endedAt", "workerUpdatedAt"):
                if state.get(member) is not None:
                    answer[member] = _when(state[member])
            if state.get("progressPercent") is not None:
                answer["progressPercent"] = state["progressPercent"]
            task: dict[str, Any] = {}
            if plan.index is not None:
                task = {
                    "taskId": self._task_id(step, plan.index),  # type: ignore[attr-defined]
                    "parameters": self._parameters(step, plan.index),  # type: ignore[attr-defined]
                }
            answer["definition"] = definition(job, step, plan, task)
            if plan.kind == "taskRun" and job.attachments and state["status"] == "SUCCEEDED":
                answer["manifests"] = [_output_manifest(job, plan.number, session_hex)]
            if full:
                answer["sessionId"] = f"session-{session_hex}"
                for member in ("processExitCode", "progressMessage"):
                    if state.get(member) is not None:
                        answer[member] = state[member]
            found.append((plan.number, answer))
        return found

    def _session_timeline(
        self,
        job: JobSpec,
        step: StepSpec,
        index: int,
        attempt: Attempt,
        answer: dict[str, Any],
        t: float,
    ) -> dict[str, Any]:
        """``attempt_timeline`` of a scripted session: its failed action, its taskRun's number
        and, when it ran several tasks, each task's timeline in order (``members``)."""
        if step.mode != "scripted":
            return answer
        answer["failedAction"] = attempt.failed_action or None
        answer["taskRunActionNumber"] = task_run_number(job, attempt)
        members = self._session_members(job, step, index, attempt, t)
        if len(members) < 2:
            return answer
        timelines = []
        for pos, (member, member_attempt) in enumerate(members):
            one = self._attempt_timeline(  # type: ignore[attr-defined]
                job, step, member, member_attempt, answer["sessionId"], t
            )
            one["taskRunActionNumber"] = task_run_number(job, member_attempt)
            one["opensSession"] = pos == 0
            one["closesSession"] = pos == step.session_tasks - 1 or (member == step.task_count - 1)
            timelines.append(one)
        answer["members"] = timelines
        return answer

    def _task_run_action_id(
        self, job: JobSpec, step: StepSpec, index: int, attempt: Attempt
    ) -> str:
        """The ID of the taskRun action of ``attempt`` (a task's latestSessionActionId)."""
        number = task_run_number(job, attempt) if step.mode == "scripted" else 1
        # A task of a shared session carries the session's ID (``_session_hex``).
        session_hex = self._session_hex(job, step, index, attempt)  # type: ignore[attr-defined]
        return f"sessionaction-{session_hex}-{number}"


def _output_manifest(job: JobSpec, number: int, session_hex: str) -> dict[str, str]:
    """Where a task run's outputs were recorded (TaskRunManifestPropertiesResponse)."""
    manifest_hash = digest(0, job.job_id, session_hex, number, size=16).hex()
    return {
        "outputManifestPath": (
            f"Manifests/{job.farm_id}/{job.queue_id}/{job.job_id}/{session_hex}-{number}/"
            f"{manifest_hash}_output.xxh128"
        ),
        "outputManifestHash": manifest_hash,
    }
