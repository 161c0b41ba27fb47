"""The official CLI on what a real farm does: a session shared by several tasks (``job logs``
on one task's action of it, ``job trace-schedule``), queue environments (``queue paramdefs``)
and a queue's job-attachments settings (``queue get``)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from tests.official_cli.conftest import CliEmulator
from tests.official_cli.test_cli_commands import ids_args


@pytest.fixture(scope="module")
def showcase(served_cli: CliEmulator) -> dict[str, str]:
    """The demo world's showcase job (shared sessions, spot reclaims, failed env and sync)."""
    client = served_cli.client
    for farm in client.list_farms()["farms"]:
        for queue in client.list_queues(farmId=farm["farmId"])["queues"]:
            ids = {"farmId": farm["farmId"], "queueId": queue["queueId"]}
            for page in client.get_paginator("list_jobs").paginate(**ids):
                for job in page["jobs"]:
                    if job["name"].startswith("sq070_sh0300_lighting_v012 (copy"):
                        return {**ids, "jobId": job["jobId"]}
    raise AssertionError("no showcase job in the demo world")


def _shared_session_actions(client: Any, job: dict[str, str]) -> list[dict[str, Any]]:
    steps = {s["name"]: s["stepId"] for s in client.list_steps(**job)["steps"]}
    tasks = client.list_tasks(**job, stepId=steps["beauty"])["tasks"]
    first = min(tasks, key=lambda t: int(t["taskId"].rsplit("-", 1)[1]))
    session_id = "session-" + first["latestSessionActionId"][14:].rsplit("-", 1)[0]
    return client.list_session_actions(**job, sessionId=session_id)["sessionActions"]


def test_job_logs_of_one_task_in_a_shared_session(
    served_cli: CliEmulator, showcase: dict[str, str]
) -> None:
    client = served_cli.client
    actions = _shared_session_actions(client, showcase)
    runs = [a for a in actions if "taskRun" in a["definition"]]
    assert len(runs) == 4
    middle = runs[1]
    out = served_cli.cli(
        "job", "logs", *ids_args(showcase), "--session-action-id", middle["sessionActionId"],
        "--output", "json", "--limit", "10000",
    ).stdout  # fmt: skip
    printed = json.loads(out)
    session_id = "session-" + middle["sessionActionId"][14:].rsplit("-", 1)[0]
    assert printed["logStream"] == session_id
    events = printed["events"]
    assert events, printed
    start = middle["startedAt"].timestamp() * 1000
    end = middle["endedAt"].timestamp() * 1000
    stamps = [_ms(event["timestamp"]) for event in events]
    assert all(start <= stamp <= end for stamp in stamps)  # the action's own window
    messages = [event["message"] for event in events]
    assert not any("Exiting Environment" in m or "Entering Environment" in m for m in messages)
    assert len(messages) > 10  # the renderer's own output for its frames


def _ms(value: Any) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp() * 1000


def test_trace_schedule_reads_shared_sessions(
    served_cli: CliEmulator, showcase: dict[str, str], tmp_path: Any
) -> None:
    trace = tmp_path / "trace.json"
    out = served_cli.cli(
        "job", "trace-schedule", *ids_args(showcase), "--trace-format", "chrome",
        "--trace-file", str(trace),
    ).stdout  # fmt: skip
    assert "Session count" in out or "session" in out.lower()
    events = json.loads(trace.read_text())
    events = events.get("traceEvents", events) if isinstance(events, dict) else events
    client = served_cli.client
    sessions = client.list_sessions(**showcase)["sessions"]
    assert len(sessions) < 24  # 20 tasks, 30 attempts, three of them sharing sessions
    named = json.dumps(events)
    for session in sessions:
        assert session["sessionId"] in named or session["workerId"] in named


def test_queue_paramdefs_lists_the_queue_environments_parameters(served_cli: CliEmulator) -> None:
    client = served_cli.client
    farm = next(
        f["farmId"] for f in client.list_farms()["farms"] if f["displayName"].endswith("Main")
    )
    queue = next(
        q["queueId"]
        for q in client.list_queues(farmId=farm)["queues"]
        if q["displayName"] == "Feature Lighting"
    )
    out = served_cli.cli("queue", "paramdefs", "--farm-id", farm, "--queue-id", queue).stdout
    for name in ("CondaPackages", "CondaChannels", "ProjectRoot"):
        assert name in out


def test_queue_get_shows_the_attachments_bucket(served_cli: CliEmulator) -> None:
    client = served_cli.client
    farm = client.list_farms()["farms"][0]["farmId"]
    queue = client.list_queues(farmId=farm)["queues"][0]["queueId"]
    out = served_cli.cli("queue", "get", "--farm-id", farm, "--queue-id", queue).stdout
    answer = client.get_queue(farmId=farm, queueId=queue)
    assert f"queueId: {queue}" in out
    assert answer["jobAttachmentSettings"]["s3BucketName"] in out
