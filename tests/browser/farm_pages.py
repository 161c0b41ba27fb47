"""The farm side's page types, as URLs into the emulator's demo world: a farm's fleets, a
fleet, a busy worker, the workers of the job with a bad worker, and a task page with its
attempt's worker log (shared by the accessibility and farm-side browser tests)."""

from __future__ import annotations

from typing import Any


def farm_urls(emulator: Any) -> dict[str, str]:
    backend = emulator.backend
    fleet = backend.world.fleets[0]
    busy = next(
        w for w in backend.world.workers if w.fleet_id == fleet.fleet_id and w.status == "RUNNING"
    )
    big = backend.landmarks()["big_job"]
    farm = f"/farms/{fleet.farm_id}/"
    timeline = backend.worker_timeline(fleet.farm_id, fleet.fleet_id, busy.worker_id)
    killed = next(
        a for a in reversed(timeline["attempts"]) if a["exitCode"] == 137 and a["outcome"]
    )
    action = "sessionaction-" + killed["sessionId"].removeprefix("session-") + "-1"
    task = (
        f"{farm}queues/{killed['queueId']}/jobs/{killed['jobId']}/steps/{killed['stepId']}"
        f"/tasks/{killed['taskId']}/?attempt={action}&log=worker"
    )
    return {
        "fleets": f"{farm}fleets/",
        "fleet": f"{farm}fleets/{fleet.fleet_id}/",
        "worker": f"{farm}fleets/{fleet.fleet_id}/workers/{busy.worker_id}/",
        "job-workers": f"{farm}queues/{big['queueId']}/jobs/{big['jobId']}/workers/?wait=60",
        "task-worker-log": task,
    }
