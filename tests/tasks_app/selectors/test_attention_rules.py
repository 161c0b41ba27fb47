"""The attention rules as pure functions: stalled, slow, sick workers, ranking, the JSON item,
and the ETA model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tasks_app.deadline.farm_types import TaskRow
from tasks_app.deadline.types import TaskRunStatus
from tasks_app.selectors import eta
from tasks_app.selectors.attention import AttentionItem, rank
from tasks_app.selectors.attention import rules as attention_rules
from tasks_app.selectors.attention.rules import (
    DurationStats,
    WorkerTally,
    assess_slow,
    assess_stall,
    assess_worker,
    clean_durations,
    percentile,
    span,
)

NOW = datetime(2026, 11, 23, 12, 0, 0, tzinfo=UTC)
STALL = timedelta(minutes=15)
RUNNING = TaskRunStatus.RUNNING


def test_a_dead_worker_stalls_every_task_it_holds() -> None:
    for status in ("NOT_RESPONDING", "STOPPED"):
        for run_status in (RUNNING, TaskRunStatus.ASSIGNED, TaskRunStatus.STARTING):
            verdict = assess_stall(
                run_status=run_status,
                now=NOW,
                worker_label="render-c-004",
                worker_status=status,
                after=STALL,
            )
            assert verdict is not None and verdict.kind == "stalled"
            assert "render-c-004" in verdict.reason
            assert status.replace("_", " ").lower() in verdict.reason


def test_a_worker_that_no_longer_runs_it_stalls_it() -> None:
    ended = NOW - timedelta(minutes=3)
    verdict = assess_stall(
        run_status=RUNNING,
        now=NOW,
        worker_label="render-a-005",
        worker_status="IDLE",
        session_open=False,
        session_ended_at=ended,
        after=STALL,
    )
    assert verdict is not None and "no longer running it" in verdict.reason
    assert verdict.since == ended


def test_a_silent_log_stalls_it_only_past_the_threshold() -> None:
    quiet = assess_stall(
        run_status=RUNNING, now=NOW, last_log_at=NOW - timedelta(minutes=16), after=STALL
    )
    talking = assess_stall(
        run_status=RUNNING, now=NOW, last_log_at=NOW - timedelta(minutes=14), after=STALL
    )
    assert quiet is not None and "no new log line for 16 min" in quiet.reason
    assert talking is None


def test_no_log_at_all_stalls_an_old_attempt_but_not_a_young_one() -> None:
    old = assess_stall(
        run_status=RUNNING,
        now=NOW,
        log_missing=True,
        attempt_started_at=NOW - timedelta(hours=1),
        after=STALL,
    )
    young = assess_stall(
        run_status=RUNNING,
        now=NOW,
        log_missing=True,
        attempt_started_at=NOW - timedelta(minutes=5),
        after=STALL,
    )
    assert old is not None and "no log line at all" in old.reason
    assert young is None


def test_healthy_or_unknown_inputs_never_stall() -> None:
    assert assess_stall(run_status=RUNNING, now=NOW, after=STALL) is None
    assert (
        assess_stall(
            run_status=RUNNING,
            now=NOW,
            worker_status="RUNNING",
            session_open=True,
            last_log_at=NOW - timedelta(seconds=20),
            after=STALL,
        )
        is None
    )
    # Finished or queued work is never "stalled", whatever its worker does now.
    for status in (TaskRunStatus.SUCCEEDED, TaskRunStatus.FAILED, TaskRunStatus.READY):
        assert (
            assess_stall(run_status=status, now=NOW, worker_status="NOT_RESPONDING", after=STALL)
            is None
        )


def test_the_stall_threshold_comes_from_the_setting(settings) -> None:
    settings.DASHBOARD_STALL_SECONDS = 3600
    assert (
        assess_stall(run_status=RUNNING, now=NOW, last_log_at=NOW - timedelta(minutes=30)) is None
    )
    settings.DASHBOARD_STALL_SECONDS = 600
    assert assess_stall(run_status=RUNNING, now=NOW, last_log_at=NOW - timedelta(minutes=30))


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 21)]  # 1..20
    assert percentile(values, 50) == 10
    assert percentile(values, 95) == 19
    assert percentile(values, 100) == 20
    stats = DurationStats.of(reversed(values))
    assert stats is not None and (stats.count, stats.p25, stats.p50, stats.p95) == (20, 5, 10, 19)
    assert DurationStats.of([]) is None


def test_slow_is_past_twice_the_p95_with_enough_samples() -> None:
    durations = [600.0 + 10 * n for n in range(20)]  # p95 = 780 s
    slow = assess_slow(elapsed=timedelta(seconds=1600), durations=durations, needed=8, factor=2)
    fine = assess_slow(elapsed=timedelta(seconds=1500), durations=durations, needed=8, factor=2)
    assert slow.slow and not fine.slow
    verdict = slow.verdict(NOW)
    assert verdict is not None and verdict.kind == "slow"
    assert "2.1 times the step's p95 of 13 min" in verdict.reason
    assert "20 finished tasks" in verdict.reason
    assert fine.verdict(NOW) is None
    assert "median 12 min, p95 13 min (20 finished)" in fine.summary


def test_too_few_samples_say_so_and_never_flag() -> None:
    check = assess_slow(elapsed=timedelta(days=3), durations=[60.0, 70.0, 80.0], needed=8)
    assert check.too_few and not check.slow and check.verdict(NOW) is None
    assert check.summary == (
        "Not checked for slowness: 3 of this step's tasks have finished cleanly, 8 are needed."
    )


def test_only_first_attempt_successes_are_duration_samples() -> None:
    start = NOW - timedelta(hours=1)
    rows = [
        TaskRow("task-" + "a" * 32 + "-0", TaskRunStatus.SUCCEEDED, started_at=start,
                ended_at=start + timedelta(minutes=5), failure_retry_count=0),
        # Retried: its startedAt is the first attempt's, so start-to-end spans two runs.
        TaskRow("task-" + "a" * 32 + "-1", TaskRunStatus.SUCCEEDED, started_at=start,
                ended_at=start + timedelta(minutes=40), failure_retry_count=1),
        TaskRow("task-" + "a" * 32 + "-2", TaskRunStatus.FAILED, started_at=start,
                ended_at=start + timedelta(minutes=2), failure_retry_count=0),
        TaskRow("task-" + "a" * 32 + "-3", RUNNING, started_at=start),
    ]  # fmt: skip
    assert clean_durations(rows) == [300.0]


def _tally(attempts: int, failures: int, status: str = "RUNNING", **extra: int) -> WorkerTally:
    return WorkerTally(
        worker_id="worker-" + "1" * 32,
        label="render-a-017",
        status=status,
        attempts=attempts,
        failures=failures,
        **extra,
    )


def test_a_worker_failing_far_more_than_the_others_is_sick() -> None:
    reason = assess_worker(_tally(20, 16), others_attempts=400, others_failures=20)
    assert reason == "failed 16 of its 20 recent attempts (80%; 5% on the other workers)"


def test_a_broken_job_failing_everywhere_does_not_make_a_worker_sick() -> None:
    assert assess_worker(_tally(20, 12), others_attempts=200, others_failures=110) is None


def test_too_few_attempts_prove_nothing() -> None:
    assert assess_worker(_tally(3, 3), others_attempts=400, others_failures=4) is None


def test_a_dead_worker_with_work_assigned_is_sick() -> None:
    reason = assess_worker(
        _tally(0, 0, status="NOT_RESPONDING", stalls=3), others_attempts=0, others_failures=0
    )
    assert reason == "not responding with 3 tasks still assigned to it"
    # Dead but holding nothing: nothing waits on it.
    assert (
        assess_worker(_tally(0, 0, status="STOPPED"), others_attempts=0, others_failures=0) is None
    )


def _item(kind: str, impact: float, title: str = "x") -> AttentionItem:
    return AttentionItem(
        kind=kind, reason="r", impact=impact, url="/", farm_id="farm-" + "0" * 32, title=title
    )


def test_items_rank_by_impact_then_kind() -> None:
    ranked = rank(
        [
            _item("slow_task", 100),
            _item("failed_job", 5000),
            _item("slow_task", 700),
            _item("stalled_task", 700),
        ]
    )
    assert [(i.kind, i.impact) for i in ranked] == [
        ("failed_job", 5000),
        ("stalled_task", 700),
        ("slow_task", 700),
        ("slow_task", 100),
    ]


def test_the_json_item_has_exactly_the_issues_members() -> None:
    item = AttentionItem(
        kind="stalled_task",
        reason="worker render-c-004 is not responding",
        impact=1234.56,
        url="/farms/x/",
        farm_id="farm-" + "1" * 32,
        queue_id="queue-" + "2" * 32,
        job_id="job-" + "3" * 32,
        step_id="step-" + "4" * 32,
        task_id="task-" + "4" * 32 + "-0",
        worker_id="worker-" + "5" * 32,
        title="not in the JSON",
        where="not in the JSON either",
    )
    assert item.as_json() == {
        "kind": "stalled_task",
        "reason": "worker render-c-004 is not responding",
        "impact": 1234.6,
        "url": "/farms/x/",
        "farm_id": "farm-" + "1" * 32,
        "queue_id": "queue-" + "2" * 32,
        "job_id": "job-" + "3" * 32,
        "step_id": "step-" + "4" * 32,
        "task_id": "task-" + "4" * 32 + "-0",
        "worker_id": "worker-" + "5" * 32,
    }
    # IDs that do not apply are absent, not null.
    assert set(_item("blocked_queue", 1).as_json()) == {
        "kind",
        "reason",
        "impact",
        "url",
        "farm_id",
    }
    assert AttentionItem.from_api(item.to_cache()) == item


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (45, "45 s"),
        (600, "10 min"),
        (3 * 3600 + 300, "3 h 05 min"),
        (2 * 86400 + 4 * 3600, "2 d 4 h"),
    ],
)
def test_span_reads_like_a_person_would_say_it(seconds: float, text: str) -> None:
    assert span(seconds) == text


# --- ETA ---------------------------------------------------------------------------------------

COUNTS = {TaskRunStatus.SUCCEEDED: 20, TaskRunStatus.RUNNING: 4, TaskRunStatus.READY: 16}


def _completions(count: int, every: float) -> list[datetime]:
    """``count`` finishes, one every ``every`` seconds, the latest half a period ago."""
    return [NOW - timedelta(seconds=every * (n + 0.5)) for n in range(count)]


def test_eta_is_a_range_around_the_likely_finish() -> None:
    result = eta.estimate(
        counts=COUNTS,
        durations=[600.0] * 20,
        completions=_completions(20, 150.0),  # 4 tasks every 10 min
        running_elapsed=[300.0, 300.0, 60.0, 60.0],
        now=NOW,
        needed=8,
    )
    assert result.eta is not None
    low, mid, high = result.eta.low, result.eta.mid, result.eta.high
    # 16 queued at 1 per 150 s start over 40 min, and the last runs 10 min more.
    assert mid == timedelta(minutes=50)
    assert low < mid < high
    # Low: throughput 1.25^1.5 faster and p25 runs; high: 1.25 slower and p95 x 1.25 runs.
    assert (low, high) == (timedelta(seconds=2400 / 1.25**1.5 + 600), timedelta(seconds=3750))
    assert result.eta.text == "about 50 min, 39\u201362 min"
    assert result.eta.finishes[1] == NOW + mid


def test_eta_of_the_last_running_tasks_is_their_remaining_time() -> None:
    result = eta.estimate(
        counts={TaskRunStatus.SUCCEEDED: 30, TaskRunStatus.RUNNING: 2},
        durations=[600.0] * 30,
        completions=_completions(30, 60.0),
        running_elapsed=[400.0, 100.0],
        now=NOW,
        needed=8,
    )
    assert result.eta is not None and result.eta.mid == timedelta(seconds=500)


def test_no_eta_with_too_few_samples_or_nothing_left() -> None:
    few = eta.estimate(
        counts=COUNTS,
        durations=[600.0] * 3,
        completions=_completions(3, 60.0),
        running_elapsed=[1.0],
        now=NOW,
        needed=8,
    )
    assert few.eta is None and few.left
    assert few.reason == "no ETA yet: 3 of the 8 finished tasks it needs"
    done = eta.estimate(
        counts={TaskRunStatus.SUCCEEDED: 9, TaskRunStatus.FAILED: 1},
        durations=[60.0] * 9,
        completions=_completions(10, 60.0),
        running_elapsed=[],
        now=NOW,
        needed=8,
    )
    assert done.eta is None and not done.left


def test_no_eta_when_nothing_finished_lately() -> None:
    result = eta.estimate(
        counts=COUNTS,
        durations=[60.0] * 20,
        completions=[NOW - timedelta(hours=5)] * 20,
        running_elapsed=[30.0],
        now=NOW,
        needed=8,
    )
    assert result.eta is None and result.reason == "no ETA: no task finished in the last 30 min"


def test_a_step_that_fails_allows_for_one_more_run_of_its_last_task() -> None:
    common = {
        "counts": COUNTS,
        "durations": [600.0] * 20,
        "completions": _completions(20, 150.0),
        "running_elapsed": [300.0],
        "now": NOW,
        "needed": 8,
    }
    clean = eta.estimate(**common)
    failing = eta.estimate(**common, failed_attempts=3)
    assert clean.eta and failing.eta
    assert failing.eta.mid == clean.eta.mid
    assert failing.eta.high == clean.eta.high + timedelta(seconds=600 * eta.TAIL_MARGIN)


def test_min_samples_default_comes_from_the_setting(settings) -> None:
    settings.DASHBOARD_MIN_SAMPLES = 3
    assert attention_rules.min_samples() == 3
    result = eta.estimate(
        counts=COUNTS,
        durations=[60.0] * 3,
        completions=_completions(3, 60.0),
        running_elapsed=[1.0],
        now=NOW,
    )
    assert result.eta is not None
