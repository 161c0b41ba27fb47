"""The pages of why work waits, on the scheduling lab (installed once per emulator)."""

from __future__ import annotations

from typing import Any

from deadline_emulator.scheduling_lab import install_scheduling_lab


def lab_ids(emulator: Any) -> dict[str, Any]:
    return install_scheduling_lab(emulator.backend)


def lab_urls(emulator: Any) -> dict[str, str]:
    """Blockers of a job (several causes, a dependency graph) and of a step, the farm's
    limits and a queue's settings."""
    ids = lab_ids(emulator)
    farm = f"/farms/{ids['farmId']}/"
    work = f"{farm}queues/{ids['queues']['work']}/"
    upstream = f"{work}jobs/{ids['jobs']['upstream']}/"
    steps = emulator.backend.list_steps(
        farm_id=ids["farmId"], queue_id=ids["queues"]["work"], job_id=ids["jobs"]["upstream"]
    )["steps"]
    render = next(s for s in steps if s["name"] == "render")
    stopping = f"{farm}queues/{ids['queues']['stopping']}/"
    return {
        "job-blockers": f"{upstream}blockers/",
        "step-blockers": f"{upstream}steps/{render['stepId']}/blockers/",
        "stopping-job-blockers": f"{stopping}jobs/{ids['jobs']['stopping']}/blockers/",
        "waiting-job": upstream,
        "limits": f"{farm}limits/",
        "queue-settings": f"{stopping}settings/",
        "lab-queue": stopping,
    }
