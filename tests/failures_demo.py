"""Ground truth for failures tests: the cause of every failed task of a demo-world job, read
from the emulator's own state (no API call), so groups can be checked against it."""

from __future__ import annotations

from collections import defaultdict

from deadline_emulator import Emulator
from deadline_emulator.render_logs import failure_kind


def causes_of_failed_tasks(
    emulator: Emulator, job: dict[str, str], step_id: str = ""
) -> dict[str, str]:
    """task ID -> the emulator's failure kind (texture, oom, nfs...) of its failing attempt."""
    backend = emulator.backend
    ids = {"farm_id": job["farmId"], "queue_id": job["queueId"], "job_id": job["jobId"]}
    causes = {}
    for step in backend.list_steps(**ids)["steps"]:
        if step_id and step["stepId"] != step_id:
            continue
        token = None
        while True:
            page = backend.list_tasks(
                **ids, step_id=step["stepId"], next_token=token, max_results=100
            )
            for task in page["tasks"]:
                if task["runStatus"] != "FAILED":
                    continue
                action = backend.get_session_action(
                    **ids, session_action_id=task["latestSessionActionId"]
                )
                causes[task["taskId"]] = failure_kind(action["progressMessage"])
            token = page.get("nextToken")
            if not token:
                break
    return causes


def partition(groups: dict[str, set[str]]) -> list[frozenset[str]]:
    """The groups' task sets, for comparing two groupings regardless of their keys."""
    return sorted((frozenset(tasks) for tasks in groups.values()), key=sorted)


def by_cause(causes: dict[str, str]) -> dict[str, set[str]]:
    grouped: dict[str, set[str]] = defaultdict(set)
    for task_id, cause in causes.items():
        grouped[cause].add(task_id)
    return grouped
