"""The dashboard's page types, as URLs into the emulator's demo world (from its landmarks):
shared by the look-and-feel tests, the accessibility test and `make screenshots`."""

from __future__ import annotations

from typing import Any


def page_urls(emulator: Any) -> dict[str, str]:
    """One URL per page type, by name."""
    marks = emulator.backend.landmarks()
    big = marks["big_step"]
    farm = f"/farms/{big['farmId']}/"
    queue = f"{farm}queues/{big['queueId']}/"
    job = f"{queue}jobs/{big['jobId']}/"
    failed = marks["failed_with_retries_task"]
    task = (
        f"/farms/{failed['farmId']}/queues/{failed['queueId']}/jobs/{failed['jobId']}"
        f"/steps/{failed['stepId']}/tasks/{failed['taskId']}/"
    )
    hostile = marks["hostile_job"]
    wedged = marks["wedged_running_task"]
    wedged_job = f"/farms/{wedged['farmId']}/queues/{wedged['queueId']}/jobs/{wedged['jobId']}/"
    return {
        # First: building it also serves the stalled badges the wedged job's pages show.
        "attention": "/attention/",
        "home": "/",
        "farms": "/farms/",
        "farm": farm,
        "queue": queue,
        "job": job,
        "step": f"{job}steps/{big['stepId']}/",
        "task": task,
        "job-failures": f"{job}failures/",
        "step-failures": f"{job}steps/{big['stepId']}/failures/",
        "queue-failures": f"{queue}failures/?window=168",
        "hostile-job": (
            f"/farms/{hostile['farmId']}/queues/{hostile['queueId']}/jobs/{hostile['jobId']}/"
        ),
        "wedged-job": wedged_job,
        "wedged-step": f"{wedged_job}steps/{wedged['stepId']}/",
        "wedged-task": f"{wedged_job}steps/{wedged['stepId']}/tasks/{wedged['taskId']}/",
        "go-to-error": "/go/?q=job-123",
        "audit": "/audit/",
        "go-to-matches": "/go/?q=lighting_v038",
        "not-found": f"{farm}queues/queue-{'0' * 32}/",
        # Pictures: render times of the 10,000-task step, a job's timeline, the farm's usage.
        "step-durations": f"{job}steps/{big['stepId']}/durations/",
        "job-timeline": (
            f"/farms/{failed['farmId']}/queues/{failed['queueId']}/jobs/{failed['jobId']}/timeline/"
        ),
        "usage": f"{farm}usage/?days=7&group=queue",
        "budgets": f"{farm}budgets/",
    }
