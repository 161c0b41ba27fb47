"""Trouble first: the order of the queue list and the home board's counts."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from tasks_app.deadline.types import Job, TaskRunStatus
from tasks_app.selectors import job_attention

_T0 = datetime(2026, 12, 1, tzinfo=UTC)


def job(n: int, status: str, counts: dict[str, int] | None = None, *, age: int = 0) -> Job:
    return Job.from_api(
        {
            "jobId": f"job-{n:032x}",
            "name": f"job {n}",
            "taskRunStatus": status,
            "taskRunStatusCounts": counts or {status: 1},
            "createdAt": (_T0 - timedelta(hours=age)).isoformat(),
        }
    )


def test_standing_of_each_kind_of_job() -> None:
    assert job_attention.standing(job(1, "PENDING", {"FAILED": 113, "PENDING": 4})) == "failed"
    assert job_attention.standing(job(2, "FAILED", {"FAILED": 1, "SUCCEEDED": 9})) == "failed"
    assert job_attention.standing(job(3, "RUNNING"), {job(3, "RUNNING").job_id}) == "stalled"
    assert job_attention.standing(job(4, "RUNNING", {"RUNNING": 2, "READY": 5})) == "running"
    assert job_attention.standing(job(5, "READY", {"READY": 5})) == "waiting"
    assert job_attention.standing(job(6, "PENDING", {"PENDING": 5})) == "waiting"
    assert job_attention.standing(job(7, "SUCCEEDED")) == "other"
    assert job_attention.standing(job(8, "CANCELED", {"CANCELED": 3})) == "other"


def test_order_is_failed_stalled_waiting_running_then_the_rest() -> None:
    jobs = [
        job(1, "SUCCEEDED", age=1),
        job(2, "RUNNING", age=2),
        job(3, "READY", age=3),
        job(4, "RUNNING", age=4),  # stalled
        job(5, "PENDING", {"FAILED": 113, "PENDING": 10}, age=50),
        job(6, "FAILED", {"FAILED": 2, "SUCCEEDED": 8}, age=5),
        job(7, "READY", age=0),
        job(8, "CANCELED", age=9),
        job(9, "RUNNING", age=1),
    ]
    stalled = {jobs[3].job_id}
    shuffled = list(jobs)
    random.Random(4).shuffle(shuffled)

    ordered = job_attention.by_attention(shuffled, stalled)

    assert [j.name for j in ordered] == [
        "job 5",  # the most failed tasks first, however old
        "job 6",
        "job 4",
        "job 7",  # waiting, newest first
        "job 3",
        "job 9",  # running, newest first
        "job 2",
        "job 1",
        "job 8",
    ]
    standings = [job_attention.standing(j, stalled) for j in ordered]
    assert standings == sorted(standings, key=job_attention.STANDINGS.index)


def test_open_and_settled_statuses_split_every_known_status() -> None:
    known = {s.value for s in TaskRunStatus.known()}
    assert set(job_attention.OPEN_STATUSES) | set(job_attention.SETTLED_STATUSES) == known
    assert not set(job_attention.OPEN_STATUSES) & set(job_attention.SETTLED_STATUSES)
