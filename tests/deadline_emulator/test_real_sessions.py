"""The showcase job through boto3: a session that runs several tasks, spot reclaims and a
worker's drain, a failed environment, a failed input sync, job attachments, chunks and job
parameters of every type."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.seed import DEMO_EPOCH
from deadline_emulator.session_logs import render_session
from deadline_emulator.transport import in_process_client

PINNED_AT = DEMO_EPOCH + 5 * 3600


@pytest.fixture(scope="module")
def world() -> tuple[Emulator, Any, dict[str, str], dict[str, dict[str, str]]]:
    emulator = Emulator(seed=0, clock=Clock(pinned_at=PINNED_AT))
    client = in_process_client(emulator)
    ids = emulator.backend.landmarks()["showcase_job"]
    steps = {s["name"]: {**ids, "stepId": s["stepId"]} for s in client.list_steps(**ids)["steps"]}
    return emulator, client, ids, steps


def _tasks(client: Any, step: dict[str, str]) -> list[dict[str, Any]]:
    return sorted(
        client.list_tasks(**step)["tasks"], key=lambda t: int(t["taskId"].rsplit("-", 1)[1])
    )


def _actions(client: Any, ids: dict[str, str], **where: str) -> list[dict[str, Any]]:
    return client.list_session_actions(**ids, **where)["sessionActions"]


def _number(action: dict[str, Any]) -> int:
    return int(action["sessionActionId"].rsplit("-", 1)[1])


def test_a_worker_runs_several_tasks_in_one_session(world: Any) -> None:
    _, client, ids, steps = world
    tasks = _tasks(client, steps["beauty"])[:4]
    session_ids = {t["latestSessionActionId"].rsplit("-", 1)[0] for t in tasks}
    assert len(session_ids) == 1  # four tasks, one session
    session_id = "session-" + session_ids.pop().removeprefix("sessionaction-")
    actions = _actions(client, ids, sessionId=session_id)
    kinds = [next(iter(a["definition"])) for a in actions]
    assert kinds == ["syncInputJobAttachments", "envEnter", *["taskRun"] * 4, "envExit"]
    assert [_number(a) for a in actions] == list(range(7))
    runs = actions[2:6]
    assert [a["definition"]["taskRun"]["taskId"] for a in runs] == [t["taskId"] for t in tasks]
    assert [a["sessionActionId"] for a in runs] == [t["latestSessionActionId"] for t in tasks]
    for before, after in itertools.pairwise(actions):
        assert before["endedAt"] <= after["startedAt"]  # one after the other
    # A task's own actions in a shared session: its task run alone.
    own = _actions(client, ids, taskId=tasks[2]["taskId"])
    assert [a["sessionActionId"] for a in own] == [tasks[2]["latestSessionActionId"]]
    session = client.get_session(**ids, sessionId=session_id)
    assert session["startedAt"] <= actions[0]["startedAt"]
    assert session["endedAt"] >= actions[-1]["endedAt"]
    listed = [s["sessionId"] for s in client.list_sessions(**ids)["sessions"]]
    assert listed.count(session_id) == 1


def test_the_shared_session_log_holds_every_task_in_order(world: Any) -> None:
    emulator, client, ids, steps = world
    tasks = _tasks(client, steps["beauty"])[:4]
    session_id = (
        "session-"
        + tasks[0]["latestSessionActionId"].removeprefix("sessionaction-").rsplit("-", 1)[0]
    )
    log = render_session(emulator.backend.attempt_timeline(session_id), seed=0, now=PINNED_AT)
    messages = log.messages()
    stamps = [log.timestamp(i) for i in range(log.count)]
    assert stamps == sorted(stamps)
    assert sum(m.startswith("--------- AWS Deadline Cloud Worker Agent") for m in messages) == 1
    assert sum(m.startswith("--------- Entering Environment") for m in messages) == 1
    assert sum(m.startswith("--------- Exiting Environment") for m in messages) == 1
    assert sum(m == "--------- Running Task" for m in messages) == 4
    # Each task's run prints inside its own action's time range.
    actions = _actions(client, ids, sessionId=session_id)[2:6]
    task_starts = [stamps[i] for i, m in enumerate(messages) if m == "--------- Running Task"]
    for action, start in zip(actions, task_starts, strict=True):
        begun = int(action["startedAt"].timestamp() * 1000)
        assert begun - 5_000 <= start <= begun


def test_a_reclaimed_attempt_is_retried_without_counting_as_a_failure(world: Any) -> None:
    _, client, ids, steps = world
    task = _tasks(client, steps["spot_fg_chars"])[0]
    assert task["runStatus"] == "SUCCEEDED" and task["failureRetryCount"] == 0
    runs = [a for a in _actions(client, ids, taskId=task["taskId"]) if "taskRun" in a["definition"]]
    assert [a["status"] for a in runs] == ["RECLAIMED", "SUCCEEDED"]
    sessions = {s["sessionId"]: s["workerId"] for s in client.list_sessions(**ids)["sessions"]}
    workers = [sessions["session-" + a["sessionActionId"][14:].rsplit("-", 1)[0]] for a in runs]
    assert workers[0] != workers[1]  # the reclaimed instance is gone
    exit_action = _actions(client, ids, taskId=task["taskId"])[3]
    assert exit_action["status"] == "NEVER_ATTEMPTED" and "startedAt" not in exit_action
    # Two minutes before the instance goes, the run is RECLAIMING.
    notice = runs[0]["endedAt"] - timedelta(seconds=60)
    earlier = Emulator(seed=0, clock=Clock(pinned_at=notice.timestamp()))
    again = in_process_client(earlier).get_session_action(
        **ids, sessionActionId=runs[0]["sessionActionId"]
    )
    assert again["status"] == "RECLAIMING"
    # Only the four failing tasks count their two retries each; the reclaim and the drain none.
    assert client.get_job(**ids)["taskFailureRetryCount"] == 8


def test_a_drained_worker_interrupts_its_run(world: Any) -> None:
    _, client, ids, steps = world
    task = _tasks(client, steps["spot_fg_chars"])[1]
    runs = [a for a in _actions(client, ids, taskId=task["taskId"]) if "taskRun" in a["definition"]]
    assert [a["status"] for a in runs] == ["INTERRUPTED", "SUCCEEDED"]
    first = client.get_session_action(**ids, sessionActionId=runs[0]["sessionActionId"])
    assert first["processExitCode"] == -15 and "drained" in first["progressMessage"]
    assert task["failureRetryCount"] == 0


def test_a_failed_environment_ends_its_session(world: Any) -> None:
    emulator, client, ids, steps = world
    task = _tasks(client, steps["volumes_conda_env"])[0]
    assert task["runStatus"] == "FAILED" and task["failureRetryCount"] == 2
    actions = _actions(client, ids, taskId=task["taskId"])
    first = actions[:4]
    assert [(next(iter(a["definition"])), a["status"]) for a in first] == [
        ("syncInputJobAttachments", "SUCCEEDED"),
        ("envEnter", "FAILED"),
        ("taskRun", "NEVER_ATTEMPTED"),
        ("envExit", "SUCCEEDED"),  # a failed enter still gets its exit
    ]
    assert "startedAt" not in first[2] and "endedAt" not in first[2]
    failed = client.get_session_action(**ids, sessionActionId=first[1]["sessionActionId"])
    assert "PackagesNotFoundError" in failed["progressMessage"]
    assert failed["processExitCode"] == 1
    session_id = "session-" + first[1]["sessionActionId"][14:].rsplit("-", 1)[0]
    log = render_session(emulator.backend.attempt_timeline(session_id), seed=0, now=PINNED_AT)
    text = "\n".join(log.messages())
    assert "PackagesNotFoundError" in text
    assert f"Action {first[1]['sessionActionId']} FAILED" in text
    assert "--------- Exiting Environment" in text and "Running Task" not in text


def test_a_failed_input_sync_never_enters_the_environment(world: Any) -> None:
    emulator, client, ids, steps = world
    task = _tasks(client, steps["aovs_inputs"])[0]
    assert task["runStatus"] == "FAILED"
    actions = _actions(client, ids, taskId=task["taskId"])[:3]
    assert [(next(iter(a["definition"])), a["status"]) for a in actions] == [
        ("syncInputJobAttachments", "FAILED"),
        ("envEnter", "NEVER_ATTEMPTED"),
        ("taskRun", "NEVER_ATTEMPTED"),
    ]
    failed = client.get_session_action(**ids, sessionActionId=actions[0]["sessionActionId"])
    assert "AccessDenied" in failed["progressMessage"]
    session_id = "session-" + actions[0]["sessionActionId"][14:].rsplit("-", 1)[0]
    text = "\n".join(
        render_session(
            emulator.backend.attempt_timeline(session_id), seed=0, now=PINNED_AT
        ).messages()
    )
    assert "Syncing inputs using Job Attachments" in text and "AccessDenied" in text
    assert "Entering Environment" not in text


def test_attachments_chunks_and_every_parameter_type(world: Any) -> None:
    _, client, ids, steps = world
    job = client.get_job(**ids)
    assert job["attachments"]["manifests"][0]["rootPathFormat"] == "posix"
    assert job["storageProfileId"].startswith("sp-") and job["sourceJobId"].startswith("job-")
    kinds = {kind for value in job["parameters"].values() for kind in value}
    model = client.meta.service_model.shape_for("JobParameter")
    assert kinds == set(model.members)
    queue = client.get_queue(farmId=ids["farmId"], queueId=ids["queueId"])
    assert queue["jobAttachmentSettings"]["s3BucketName"]
    step = client.get_step(**steps["beauty"])
    (frames,) = step["parameterSpace"]["parameters"]
    assert frames["type"] == "CHUNK_INT"
    assert frames["chunks"]["rangeConstraint"] == "NONCONTIGUOUS"
    chunks = [t["parameters"]["Frames"]["chunkInt"] for t in _tasks(client, steps["beauty"])]
    assert "1-3,5,7-20:2" in chunks
    run = next(
        a
        for a in _actions(client, ids, sessionId="session-" + _session_hex(client, ids, steps))
        if "taskRun" in a["definition"]
    )
    assert run["manifests"][0]["outputManifestPath"].endswith("_output.xxh128")


def _session_hex(client: Any, ids: dict[str, str], steps: dict[str, Any]) -> str:
    task = _tasks(client, steps["beauty"])[0]
    return task["latestSessionActionId"].removeprefix("sessionaction-").rsplit("-", 1)[0]


def test_the_showcase_is_there_at_any_instant() -> None:
    later = DEMO_EPOCH + 40 * 86400
    client = in_process_client(Emulator(seed=0, clock=Clock(pinned_at=later)))
    ids = Emulator(seed=0).backend.landmarks()["showcase_job"]
    job = client.get_job(**ids)
    assert job["taskRunStatusCounts"]["FAILED"] == 4
    assert datetime.fromtimestamp(later, tz=UTC) > job["endedAt"]
