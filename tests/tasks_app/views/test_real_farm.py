"""The dashboard on what a real farm does (the demo world's showcase job): a task's attempt in
a session shared with other tasks and its own log window, a reclaimed attempt that is no
failure, an environment and an input sync that failed grouped by their own cause, and a frame
found inside a non-contiguous chunk."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import LazySettings
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from tasks_app.deadline.session_types import ActionStatus
from tasks_app.selectors.triage import LOG_WINDOW_SLACK, AttemptReads
from tests.demo import task_url

ROW = re.compile(r'<tr class="task-row" data-task-id="(task-[0-9a-f]{32}-\d+)">')


def _steps(emulator: Emulator) -> dict[str, dict[str, str]]:
    job = emulator.backend.landmarks()["showcase_job"]
    ids = {"farm_id": job["farmId"], "queue_id": job["queueId"], "job_id": job["jobId"]}
    return {
        s["name"]: {**job, "stepId": s["stepId"]}
        for s in emulator.backend.list_steps(**ids)["steps"]
    }


def _task(step: dict[str, str], index: int) -> dict[str, str]:
    return {**step, "taskId": step["stepId"].replace("step-", "task-") + f"-{index}"}


def attempts_url(task: dict[str, str]) -> str:
    return reverse(
        "task_attempts",
        kwargs={
            "farm_id": task["farmId"],
            "queue_id": task["queueId"],
            "job_id": task["jobId"],
            "step_id": task["stepId"],
            "task_id": task["taskId"],
        },
    )


def _reads(task: dict[str, str], log_of: str | None = None) -> AttemptReads:
    return AttemptReads(
        farm_id=task["farmId"],
        queue_id=task["queueId"],
        job_id=task["jobId"],
        task_id=task["taskId"],
        log_of=log_of,
    )


def test_a_frame_is_found_inside_a_non_contiguous_chunk(client: Client, emulator: Emulator) -> None:
    beauty = _steps(emulator)["beauty"]  # chunks "1-3,5,7-20:2", "4,6,8-20:2", "21-30", ...
    url = reverse(
        "step_detail",
        kwargs={
            "farm_id": beauty["farmId"],
            "queue_id": beauty["queueId"],
            "job_id": beauty["jobId"],
            "step_id": beauty["stepId"],
        },
    )

    def found(text: str) -> list[int]:
        html = client.get(url, {"q": text}).content.decode()
        return [int(t.rsplit("-", 1)[1]) for t in ROW.findall(html)]

    assert found("9") == [0]
    assert found("8") == [1]
    assert found("47") == [4]
    assert found("48") == [5]
    assert found("101") == []


def test_an_attempt_in_a_shared_session_reads_its_own_log_window(emulator: Emulator) -> None:
    task = _task(_steps(emulator)["beauty"], 1)  # the second of four tasks in one session
    reads = _reads(task, log_of="latest")
    attempts = reads.attempts()
    (attempt,) = attempts.attempts
    assert attempt.status is ActionStatus.SUCCEEDED
    others = [_reads(_task(_steps(emulator)["beauty"], i)).summaries()[0] for i in (0, 2, 3)]
    assert {a.session_id for a in others} == {attempt.session_id}  # one session, four tasks
    assert attempt.session_action_id not in {a.session_action_id for a in others}

    chosen, page = reads.log_tail()
    assert chosen.session_action_id == attempt.session_action_id
    assert not isinstance(page, Exception) and page.lines
    start = attempt.action.started_at - LOG_WINDOW_SLACK
    end = attempt.action.ended_at + LOG_WINDOW_SLACK
    assert all(start.timestamp() * 1000 <= line.epoch_ms <= end.timestamp() * 1000
               for line in page.lines)  # fmt: skip
    messages = [line.message for line in page.lines]
    assert not any("Entering Environment" in m or "Exiting Environment" in m for m in messages)
    assert "Process exited with exit code: 0" in messages


def test_a_reclaimed_attempt_is_shown_as_reclaimed_and_is_no_failure(
    client: Client, emulator: Emulator
) -> None:
    task = _task(_steps(emulator)["spot_fg_chars"], 0)
    attempts = _reads(task).attempts()
    assert [a.status for a in attempts.attempts] == [
        ActionStatus.SUCCEEDED,
        ActionStatus.RECLAIMED,
    ]
    assert attempts.failed == () and attempts.verdict is None
    assert attempts.attempts[0].worker_id != attempts.attempts[1].worker_id

    assert (
        '<span class="retries retries--nonzero">' not in client.get(task_url(task)).content.decode()
    )
    html = client.get(attempts_url(task), headers={"HX-Request": "true"}).content.decode()
    assert 'data-status="RECLAIMED"' in html
    assert 'id="failure-cluster"' not in html


def test_a_failed_environment_is_the_attempts_cause_on_the_task_page(
    client: Client, emulator: Emulator
) -> None:
    task = _task(_steps(emulator)["volumes_conda_env"], 0)
    attempts = _reads(task).attempts()
    assert [a.status for a in attempts.attempts] == [ActionStatus.FAILED] * 3
    assert {a.failed_in for a in attempts.attempts} == {"environment enter"}
    assert len(attempts.failed) == 3
    latest = attempts.attempts[0]
    assert latest.cause.kind == "envEnter"
    assert "PackagesNotFoundError" in (latest.cause.progress_message or "")

    html = client.get(attempts_url(task), headers={"HX-Request": "true"}).content.decode()
    assert html.split('id="task-verdict"')[0].count("in its environment enter") == 3
    assert "PackagesNotFoundError" in html
    # The verdict (out of band) says where the latest attempt failed.
    assert "in its environment enter" in html.split('id="task-verdict"')[1]


@pytest.fixture
def complete_pages(settings: LazySettings) -> None:
    settings.DASHBOARD_FAILURES_FIRST_PAINT_SECONDS = 60


def test_environment_and_input_sync_failures_are_grouped_by_their_own_cause(
    client: Client, emulator: Emulator, complete_pages: None
) -> None:
    job = emulator.backend.landmarks()["showcase_job"]
    url = reverse(
        "job_failures",
        kwargs={"farm_id": job["farmId"], "queue_id": job["queueId"], "job_id": job["jobId"]},
    )
    data: dict[str, Any] = client.get(url, {"format": "json"}).json()

    assert data["complete"] is True and data["failed_tasks"] == 4
    titles = sorted(group["title"] for group in data["groups"])
    assert len(titles) == 4, titles  # each task's own cause: conda, license, S3, missing input
    assert sum(t.startswith("Failed in its environment enter") for t in titles) == 2
    assert sum(t.startswith("Failed in its job attachments input sync") for t in titles) == 2
    text = " ".join(titles)
    for cause in ("PackagesNotFoundError", "RLM error", "AccessDenied", "input missing"):
        assert cause in text, (cause, titles)
    assert "reclaim" not in text.lower()


def test_the_job_page_shows_where_inputs_and_outputs_live_and_every_parameter(
    client: Client, emulator: Emulator
) -> None:
    job = emulator.backend.landmarks()["showcase_job"]
    url = reverse(
        "job_detail",
        kwargs={"farm_id": job["farmId"], "queue_id": job["queueId"], "job_id": job["jobId"]},
    )
    html = client.get(url).content.decode()
    answer = emulator.backend.get_job(
        farm_id=job["farmId"], queue_id=job["queueId"], job_id=job["jobId"]
    )
    root = answer["attachments"]["manifests"][0]
    assert f"<bdi>{root['rootPath']}</bdi>" in html
    assert all(f"<bdi>{out}</bdi>" in html for out in root["outputRelativeDirectories"])
    assert answer["storageProfileId"] in html and answer["sourceJobId"] in html
    for name, value in answer["parameters"].items():
        (kind,) = value
        assert (
            f'data-job-parameter="{name}"><th scope="row"><bdi>{name}</bdi></th><td>{kind}<' in html
        )
    assert "<bdi>beauty, fg_chars, volumes</bdi>" in html  # a stringList
    assert "<bdi>[1, 2], [3, 4]</bdi>" in html  # an intListList


def test_worker_health_counts_failed_setups_and_no_reclaim_as_failures(emulator: Emulator) -> None:
    from tasks_app.selectors.farm.activity import job_tallies

    job = emulator.backend.landmarks()["showcase_job"]
    task = _task(_steps(emulator)["spot_fg_chars"], 0)
    reclaimed = _reads(task).attempts().attempts[1]
    assert reclaimed.status is ActionStatus.RECLAIMED
    tallies = job_tallies(farm_id=job["farmId"], queue_id=job["queueId"], job_id=job["jobId"])
    # Finished attempts: the 12 runs of the shared sessions, the 4 spot runs that succeeded and
    # the 12 attempts whose environment or input sync failed (each a failure of its worker);
    # the reclaimed and the interrupted run are neither attempts nor failures of their worker.
    assert sum(t.attempts for t in tallies.values()) == 28
    assert sum(t.failures for t in tallies.values()) == 12
