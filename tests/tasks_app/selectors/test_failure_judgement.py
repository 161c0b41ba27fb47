"""One judgement, one place: the name a failure has on every page, the worker another page
suspects for it, and whether a retry will help, all from the failures view's own analysis."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from django.test import Client

from deadline_emulator import Emulator
from tasks_app.deadline.types import TaskSummary
from tasks_app.selectors import failures
from tasks_app.selectors.failures.report import FailureGroup, GroupTask
from tasks_app.selectors.failures.retries import judge
from tasks_app.services import failure_runs
from tests.tasks_app.views.test_failures import failures_url

# Tests that write get a world of their own (fresh_world); the others share one.
pytestmark = pytest.mark.read_only_world


def _scope(job: dict[str, str]) -> failures.FailureScope:
    return failures.FailureScope(
        farm_id=job["farmId"], queue_id=job["queueId"], job_id=job["jobId"]
    )


def _page_json(client: Client, job: dict[str, str]) -> dict:
    data = client.get(failures_url(job), {"format": "json", "wait": "30"}).json()
    assert data["complete"] is True
    return data


def _failed_summaries(emulator: Emulator, job: dict[str, str]) -> Iterator[TaskSummary]:
    backend = emulator.backend
    ids = {"farm_id": job["farmId"], "queue_id": job["queueId"], "job_id": job["jobId"]}
    for step in backend.list_steps(**ids)["steps"]:
        token = None
        while True:
            page = backend.list_tasks(
                **ids, step_id=step["stepId"], next_token=token, max_results=100
            )
            for task in page["tasks"]:
                if task["runStatus"] == "FAILED":
                    yield TaskSummary.from_api({**task, "stepId": step["stepId"]})
            token = page.get("nextToken")
            if not token:
                break


def test_one_name_per_failure(client: Client, emulator: Emulator) -> None:
    """The failures page's cause title is the name the step table and the attempts list get
    for every failed task; the progress message rides along as the detail."""
    job = emulator.backend.landmarks()["big_job"]
    data = _page_json(client, job)
    page_name = {task_id: g["title"] for g in data["groups"] for task_id in g["task_ids"]}
    summaries = list(_failed_summaries(emulator, job))
    assert len(summaries) == data["failed_tasks"] == len(page_name)

    scope = _scope(job)
    by_attempt = failures.cause_titles(scope, [t.latest_session_action_id for t in summaries])
    details, _ = failures.task_row_details(
        farm_id=job["farmId"],
        queue_id=job["queueId"],
        job_id=job["jobId"],
        tasks=summaries,
        read=True,
    )
    for task in summaries:
        name = page_name[task.task_id]
        assert by_attempt[task.latest_session_action_id] == name
        detail = details[task.task_id]
        assert detail.error == name  # the step table's "last error"
        assert detail.message  # the agent's progress message, kept as the detail
    # Several causes, several names: not one label stamped on everything.
    assert len(set(page_name.values())) == len(data["groups"]) >= 4


def test_an_attempt_the_analysis_did_not_read_is_named_by_its_exit_code_and_message(
    client: Client, emulator: Emulator
) -> None:
    job = emulator.backend.landmarks()["big_job"]
    data = _page_json(client, job)
    summaries = list(_failed_summaries(emulator, job))
    task = summaries[0]
    action = emulator.backend.get_session_action(
        farm_id=job["farmId"],
        queue_id=job["queueId"],
        job_id=job["jobId"],
        session_action_id=task.latest_session_action_id,
    )
    reported = {
        "sessionaction-earlier-1": (action.get("processExitCode"), action["progressMessage"])
    }
    names = failures.cause_titles(_scope(job), ["sessionaction-earlier-1"], reported=reported)
    group = next(g for g in data["groups"] if task.task_id in g["task_ids"])
    assert names == {"sessionaction-earlier-1": group["title"]}
    # Nothing reported, nothing cached: no name (the caller shows the progress message).
    assert failures.cause_titles(_scope(job), ["sessionaction-unknown-1"]) == {}


def test_the_suspect_worker_is_the_one_the_failures_page_names(
    client: Client, emulator: Emulator
) -> None:
    job = emulator.backend.landmarks()["big_job"]
    data = _page_json(client, job)
    clustered = {c["signature"]: c["worker_id"] for c in data["worker_clusters"]}
    assert clustered  # the demo's unreliable worker
    scope = _scope(job)
    for group in data["groups"]:
        expected = clustered.get(group["signature"])
        for task_id in group["task_ids"][:20]:
            suspect = failures.worker_suspect(scope, task_id=task_id)
            assert (suspect.worker_id if suspect else None) == expected
            if suspect is not None:
                assert suspect.label in suspect.summary and suspect.title == group["title"]
    # A task the analysis has not covered: nothing to say.
    assert failures.worker_suspect(scope, task_id="task-not-analysed-0") is None


@pytest.mark.fresh_world
def test_a_sample_too_small_names_no_worker(client: Client, emulator: Emulator) -> None:
    job = emulator.add_failed_job(failed_tasks=3, steps=1)
    report = failure_runs.report(_scope(job), wait_seconds=60)
    assert report.complete and report.failed_tasks == 3
    task_ids = [t for g in report.groups for t in g.task_ids]
    # Three failures cannot be most of a cause on one worker *and* well past its share of the
    # job's sessions: whatever the workers were, the page names none and neither does this.
    assert report.clusters == ()
    assert all(failures.worker_suspect(_scope(job), task_id=t) is None for t in task_ids)


# --- Will a retry help? --------------------------------------------------------------------------


def _group(signature: str, *, failed: int, retried: int, retried_ok: int) -> FailureGroup:
    """``failed`` failed tasks, ``retried`` of them retried before failing again."""
    when = datetime(2026, 11, 1, tzinfo=UTC)
    tasks = tuple(
        GroupTask(
            task_id=f"task-{signature}-{i}",
            job_id="job-1",
            step_id="step-1",
            session_action_id=None,
            frame=f"frame {i}",
            retries=1 if i < retried else 0,
        )
        for i in range(failed)
    )
    return FailureGroup(
        signature=signature,
        title=signature,
        tasks=tasks,
        workers=(),
        frames="",
        flaky=None,
        retried_ok=retried_ok,
        first_seen=when,
        last_seen=when,
        example=None,
    )


def _advice(groups: list[FailureGroup], *, known: bool = True) -> dict[str, str | None]:
    return {g.signature: g.advice for g in judge(groups, known=known)}


def test_flaky_only_when_retries_of_a_cause_help_notably_more_than_the_others() -> None:
    groups = [
        _group("nfs", failed=10, retried=10, retried_ok=20),  # 20 of 30 retries helped
        _group("texture", failed=30, retried=30, retried_ok=1),  # 1 of 31
        _group("oom", failed=10, retried=10, retried_ok=0),
    ]
    assert _advice(groups) == {
        "nfs": "Retry likely to help",
        "texture": "Fix before requeueing",
        "oom": "Fix before requeueing",
    }
    assert [g.flaky for g in judge(groups, known=True)] == [True, False, False]


def test_no_cause_is_flaky_when_retries_help_them_all_alike() -> None:
    # Every cause has some retried successes (the old badge called them all "Flaky"): none
    # stands out from the others, so none is.
    groups = [_group(name, failed=20, retried=20, retried_ok=6) for name in ("a", "b", "c", "d")]
    assert set(_advice(groups).values()) == {"Fix before requeueing"}


def test_one_lucky_retry_is_too_small_a_sample() -> None:
    groups = [
        _group("lucky", failed=1, retried=0, retried_ok=1),
        _group("other", failed=50, retried=50, retried_ok=0),
    ]
    assert _advice(groups)["lucky"] == "Fix before requeueing"
    # A lone cause is judged against nothing: enough successes make it flaky.
    assert _advice([_group("only", failed=5, retried=5, retried_ok=5)]) == {
        "only": "Retry likely to help"
    }


def test_no_advice_before_the_analysis_ends() -> None:
    groups = [_group("nfs", failed=10, retried=10, retried_ok=20)]
    assert _advice(groups, known=False) == {"nfs": None}


@pytest.mark.parametrize("verdict", ["retry", "fix"])
def test_the_page_gives_each_cause_its_advice(
    client: Client, emulator: Emulator, verdict: str
) -> None:
    job = emulator.backend.landmarks()["big_job"]
    data = _page_json(client, job)
    html = client.get(failures_url(job)).content.decode()
    advised = [g for g in data["groups"] if g["advice"]]
    assert len(advised) == len(data["groups"])  # complete: every cause has its advice
    wanted = "Retry likely to help" if verdict == "retry" else "Fix before requeueing"
    count = sum(g["advice"] == wanted for g in data["groups"])
    assert html.count(f'data-advice="{verdict}"') == count
    assert all(g["flaky"] == (g["advice"] == "Retry likely to help") for g in data["groups"])


def test_names_kept_for_other_pages_go_with_the_listing(client: Client, emulator: Emulator) -> None:
    job = emulator.backend.landmarks()["failed_deps_job"]
    data = _page_json(client, job)
    summaries = list(_failed_summaries(emulator, job))
    ids = [t.latest_session_action_id for t in summaries]
    scope = _scope(job)
    assert set(failures.cause_titles(scope, ids).values()) == {g["title"] for g in data["groups"]}

    failures.forget_listing(scope)  # a requeue, say: the next view lists again
    assert failures.cause_titles(scope, ids) == {}
    assert failures.worker_suspect(scope, task_id=summaries[0].task_id) is None
