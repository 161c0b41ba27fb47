"""Failure groups on the demo world: one group per cause, counts that add up to the FAILED
count, the unreliable worker's NFS failures as a worker cluster, within an API budget."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.conf import LazySettings

from deadline_emulator import Emulator
from deadline_emulator.logs import group_not_found, stream_not_found
from tasks_app.deadline import search
from tasks_app.deadline.session_types import SessionAction
from tasks_app.selectors import failures
from tasks_app.selectors.failures import FailureReport, FailureScope, listing, signatures
from tasks_app.selectors.triage import Attempt, get_log_tail
from tasks_app.services.failure_analysis import runner
from tasks_app.services.failure_runs import report as failure_report
from tests.failures_demo import by_cause, causes_of_failed_tasks, partition

# Tests that write get a world of their own (fresh_world); the others share one.
pytestmark = pytest.mark.read_only_world


def _scope(ids: dict[str, str], **extra: str) -> FailureScope:
    return FailureScope(
        farm_id=ids["farmId"], queue_id=ids["queueId"], job_id=ids["jobId"], **extra
    )


def _report(scope: FailureScope, **kwargs: object) -> FailureReport:
    """The complete report (waits for the analysis, bounded)."""
    report = failure_report(scope, wait_seconds=60, **kwargs)  # type: ignore[arg-type]
    assert report.complete, (report.analysed, report.listed, report.error)
    return report


def _failed_count(emulator: Emulator, ids: dict[str, str], step_id: str = "") -> int:
    backend = emulator.backend
    kwargs = {"farm_id": ids["farmId"], "queue_id": ids["queueId"], "job_id": ids["jobId"]}
    counts = (
        backend.get_step(**kwargs, step_id=step_id) if step_id else backend.get_job(**kwargs)
    )["taskRunStatusCounts"]
    return counts["FAILED"]


def _groups(report: FailureReport) -> dict[str, set[str]]:
    return {g.signature: set(g.task_ids) for g in report.groups}


def test_a_job_and_its_step_show_one_group_per_cause_adding_up(emulator: Emulator) -> None:
    job = emulator.backend.landmarks()["big_job"]
    step_id = emulator.backend.landmarks()["big_step"]["stepId"]
    causes = causes_of_failed_tasks(emulator, job)
    assert len(set(causes.values())) >= 4  # the demo job fails for several reasons

    report = _report(_scope(job))
    assert report.failed_tasks == _failed_count(emulator, job) == len(causes)
    assert sum(g.task_count for g in report.groups) == report.failed_tasks
    assert partition(_groups(report)) == partition(by_cause(causes))
    assert all(g.from_log for g in report.groups)  # every signature came from a log line
    assert sum(g.attempts for g in report.groups) == sum(
        t.retries + 1 for g in report.groups for t in g.tasks
    )

    step = _report(_scope(job, step_id=step_id))
    assert step.failed_tasks == _failed_count(emulator, job, step_id) == len(causes)
    assert partition(_groups(step)) == partition(by_cause(causes))

    nfs = next(g for g in report.groups if "stale file handle" in g.signature)
    unreliable = emulator.backend.landmarks()["unreliable_worker"]["workerId"]
    assert [w.worker_id for w in nfs.workers] == [unreliable]
    (cluster,) = report.clusters
    assert (cluster.worker_id, cluster.label) == (unreliable, "render-a-017")
    assert cluster.signature == nfs.signature
    assert cluster.failures == cluster.total == nfs.task_count
    assert cluster.baseline_kind == "sessions" and cluster.baseline < 0.2


def test_groups_carry_frames_workers_times_and_an_example_line(emulator: Emulator) -> None:
    job = emulator.backend.landmarks()["failed_deps_job"]
    report = _report(_scope(job))
    backend = emulator.backend
    ids = {"farm_id": job["farmId"], "queue_id": job["queueId"], "job_id": job["jobId"]}
    for group in report.groups:
        frames = []
        for task in group.tasks:
            answer = backend.get_task(**ids, step_id=task.step_id, task_id=task.task_id)
            frames.append(int(answer["parameters"]["Frame"]["int"]))
            assert task.retries == answer["failureRetryCount"]
            assert task.session_action_id == answer["latestSessionActionId"]
        assert group.frames == signatures.compact_ranges(frames)
        assert sum(w.attempts for w in group.workers) == group.task_count
        assert group.first_seen is not None and group.first_seen <= group.last_seen
        assert group.flaky is not None
        # The example points at the line the signature came from, in the very log page the
        # task page shows for that attempt.
        example = group.example
        assert example is not None and example.line is not None
        action = SessionAction.from_api(
            backend.get_session_action(**ids, session_action_id=example.session_action_id)
        )
        attempt = Attempt(number=1, action=action)
        page = get_log_tail(
            farm_id=job["farmId"],
            queue_id=job["queueId"],
            session_id=action.session_id,
            start=attempt.log_start,
            end=attempt.log_end,
        )
        line = page.lines[example.line - 1]
        assert line.epoch_ms == example.line_at_ms
        assert signatures.normalise(line.message) == group.signature


def test_a_second_viewer_costs_no_api_call(emulator: Emulator) -> None:
    job = emulator.backend.landmarks()["failed_deps_job"]
    emulator.calls.reset()
    cold = _report(_scope(job))
    calls = emulator.calls.snapshot()
    assert calls["BatchGetSessionAction"] >= 1 and calls["BatchGetSession"] == 1
    # One log tail per failing attempt; a tail shorter than a page is completed by following
    # its backward token until CloudWatch hands it back (the start): at most one more read.
    assert cold.failed_tasks <= calls["GetLogEvents"] <= 2 * cold.failed_tasks
    assert "GetSessionAction" not in calls and "GetSession" not in calls
    emulator.calls.reset()
    warm = _report(_scope(job))
    assert emulator.calls.snapshot() == {}
    assert [(g.signature, g.task_ids) for g in warm.groups] == [
        (g.signature, g.task_ids) for g in cold.groups
    ]


def test_finished_attempts_stay_cached_after_the_list_expires(emulator: Emulator) -> None:
    job = emulator.backend.landmarks()["failed_deps_job"]
    _report(_scope(job))
    # The list of failed tasks lasts seconds; the finished attempts' analyses last hours.
    failures.forget_listing(_scope(job))
    emulator.calls.reset()
    _report(_scope(job))
    calls = emulator.calls.snapshot()
    assert "GetLogEvents" not in calls and "BatchGetSessionAction" not in calls
    assert calls["SearchTasks"] >= 1


def _run_status_filter() -> dict[str, Any]:
    return {"stringFilter": {"name": "RUN_STATUS", "operator": "EQUAL", "value": "FAILED"}}


@pytest.mark.parametrize("mode", ["strict", "ignore"])
def test_groups_hold_when_search_refuses_or_ignores_run_status(
    emulator: Emulator, mode: str
) -> None:
    job = emulator.backend.landmarks()["failed_deps_job"]
    causes = causes_of_failed_tasks(emulator, job)
    emulator.search.set(mode)
    emulator.calls.reset()
    report = _report(_scope(job))
    assert report.method == listing.LIST
    assert emulator.calls.snapshot()["ListTasks"] >= 1
    assert report.failed_tasks == len(causes)
    assert partition(_groups(report)) == partition(by_cause(causes))
    # Recorded in deadline.search's shared verdicts (no memory of the failures views' own),
    # where the step page and the job table look before sending RUN_STATUS.
    (run_status,) = search.names_in(
        "SearchTasks", {"filterExpressions": {"filters": [_run_status_filter()]}}
    )
    assert search.verdict(run_status) == {"strict": search.REFUSED, "ignore": search.IGNORED}[mode]
    # What the service did with RUN_STATUS is remembered for every view (the step page too):
    # the next listing goes straight to the (cached) ListTasks listing, no SearchTasks.
    failures.forget_listing(_scope(job))
    emulator.calls.reset()
    again = _report(_scope(job))
    assert "SearchTasks" not in emulator.calls.snapshot()
    assert partition(_groups(again)) == partition(by_cause(causes))


def test_past_the_log_cap_counts_stay_exact(emulator: Emulator, settings: LazySettings) -> None:
    settings.DASHBOARD_FAILURES_MAX_LOGS = 20
    job = emulator.backend.landmarks()["big_job"]
    causes = causes_of_failed_tasks(emulator, job)
    emulator.calls.reset()
    report = _report(_scope(job))
    # 20 log tails, each completed to its start by at most one more read (backward token).
    assert 20 <= emulator.calls.snapshot()["GetLogEvents"] <= 40
    assert report.not_read == len(causes) - 20
    assert sum(g.task_count for g in report.groups) == len(causes)
    # Grouped by exit code and message, the unread ones join the causes whose logs were read.
    assert partition(_groups(report)) == partition(by_cause(causes))
    assert report.inferred == len(causes) - 20

    emulator.calls.reset()
    more = _report(_scope(job), more_logs=True)
    assert 20 <= emulator.calls.snapshot()["GetLogEvents"] <= 40
    assert more.not_read == len(causes) - 40


@pytest.mark.fresh_world
def test_a_big_job_streams_in(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    job = emulator.backend.landmarks()["big_job"]
    # Hold every log read after the fifth until the partial report has been looked at.
    release = threading.Event()
    served = []
    real = emulator.logs_backend.get_log_events

    def held(**kwargs: object) -> object:
        served.append(1)
        if len(served) > 5:
            assert release.wait(60)
        return real(**kwargs)

    monkeypatch.setattr(emulator.logs_backend, "get_log_events", held)
    progress = runner.start(_scope(job))
    try:
        assert progress is not None and progress.first.wait(60)
        partial = failure_report(_scope(job), wait_seconds=0)
    finally:
        release.set()
    assert partial.running and not partial.complete
    assert 1 <= partial.analysed < partial.listed <= 113
    assert partial.groups and sum(g.task_count for g in partial.groups) == partial.analysed
    assert runner.drain()
    done = failure_report(_scope(job), wait_seconds=0)
    assert done.complete and done.analysed == done.failed_tasks == 113


def test_a_queue_window_and_one_workers_failures(emulator: Emulator) -> None:
    job = emulator.backend.landmarks()["big_job"]
    unreliable = emulator.backend.landmarks()["unreliable_worker"]["workerId"]
    scope = FailureScope(farm_id=job["farmId"], queue_id=job["queueId"], window_hours=168)
    report = _report(scope)
    assert job["jobId"] in {j.job_id for j in report.jobs}
    assert report.failed_tasks == sum(j.failed for j in report.jobs)
    assert sum(g.task_count for g in report.groups) == report.failed_tasks
    on_worker = failure_report(scope, worker_id=unreliable, wait_seconds=0)
    assert on_worker.complete and on_worker.groups
    assert {w.worker_id for g in on_worker.groups for w in g.workers} == {unreliable}
    assert on_worker.failed_tasks == sum(
        w.attempts for g in report.groups for w in g.workers if w.worker_id == unreliable
    )


def _logs_moved(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, job: dict[str, str]
) -> list[str]:
    """Every session of ``job``'s queue logs to another group and stream, as GetSession's
    ``log.options`` say; nothing is where the convention puts it. Returns the groups read."""
    conventional = f"/aws/deadline/{job['farmId']}/{job['queueId']}"
    moved = "/studio/render-logs/lighting"
    serve_group = emulator.logs_backend.log_group
    serve_stream = emulator.logs_backend.session_log
    real_session = emulator.backend.get_session
    groups_read: list[str] = []

    def log_group(name: str | None, identifier: str | None) -> Any:
        groups_read.append(str(name))
        if name == conventional:
            raise group_not_found()
        return serve_group(conventional if name == moved else name, identifier)

    def session_log(group: Any, stream: str) -> Any:
        if not stream.startswith("agent/"):
            raise stream_not_found()
        return serve_stream(group, stream.removeprefix("agent/"))

    def get_session(**kwargs: Any) -> dict[str, Any]:
        answer = real_session(**kwargs)
        options = {"logGroupName": moved, "logStreamName": "agent/" + answer["sessionId"]}
        return {**answer, "log": {"logDriver": "awslogs", "options": options}}

    monkeypatch.setattr(emulator.logs_backend, "log_group", log_group)
    monkeypatch.setattr(emulator.logs_backend, "session_log", session_log)
    monkeypatch.setattr(emulator.backend, "get_session", get_session)
    return groups_read


@pytest.mark.fresh_world
def test_logs_are_read_where_get_session_says_even_when_the_sessions_come_last(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = emulator.backend.landmarks()["failed_deps_job"]
    causes = causes_of_failed_tasks(emulator, job)
    groups_read = _logs_moved(emulator, monkeypatch, job)
    # BatchGetSession answers after the session actions, and after the first log read if
    # one is (wrongly) asked for before the sessions are known.
    actions_served = threading.Event()
    log_asked = threading.Event()
    real_actions = emulator.backend.batch_get_session_action
    real_sessions = emulator.backend.batch_get_session
    real_events = emulator.logs_backend.get_log_events

    def batch_get_session_action(**kwargs: Any) -> Any:
        try:
            return real_actions(**kwargs)
        finally:
            actions_served.set()

    def batch_get_session(**kwargs: Any) -> Any:
        assert actions_served.wait(60)
        log_asked.wait(1)  # bounded: a correct analysis asks for no log before this answers
        return real_sessions(**kwargs)

    def get_log_events(**kwargs: Any) -> Any:
        log_asked.set()
        return real_events(**kwargs)

    monkeypatch.setattr(emulator.backend, "batch_get_session_action", batch_get_session_action)
    monkeypatch.setattr(emulator.backend, "batch_get_session", batch_get_session)
    monkeypatch.setattr(emulator.logs_backend, "get_log_events", get_log_events)

    report = _report(_scope(job))

    assert set(groups_read) == {"/studio/render-logs/lighting"}
    assert all(g.from_log for g in report.groups)
    assert partition(_groups(report)) == partition(by_cause(causes))


@pytest.mark.fresh_world
def test_without_log_options_the_conventional_log_is_read(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    job = emulator.backend.landmarks()["failed_deps_job"]
    causes = causes_of_failed_tasks(emulator, job)
    real_session = emulator.backend.get_session

    def get_session(**kwargs: Any) -> dict[str, Any]:
        return {**real_session(**kwargs), "log": {"logDriver": "awslogs"}}

    monkeypatch.setattr(emulator.backend, "get_session", get_session)
    report = _report(_scope(job))
    assert all(g.from_log for g in report.groups)
    assert partition(_groups(report)) == partition(by_cause(causes))
