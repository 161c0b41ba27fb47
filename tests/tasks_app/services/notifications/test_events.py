"""Events from the attention report's items: each kind its event and subject key, so a kind
the report gains (a waiting job, a budget threshold) is announced with no change here."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tasks_app.models import NotificationRule
from tasks_app.selectors.attention import AttentionItem, AttentionReport
from tasks_app.services.notifications.evaluation import matches
from tasks_app.services.notifications.events import Event, report_events

FARM = "farm-" + "1" * 32
QUEUE = "queue-" + "2" * 32
JOB = "job-" + "3" * 32
NOW = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)


def item(kind: str, **ids: str) -> AttentionItem:
    return AttentionItem(
        kind=kind, reason="why", impact=1.0, url="/x/", farm_id=FARM, title="t", **ids
    )


@pytest.mark.parametrize(
    ("kind", "ids", "event", "key"),
    [
        ("failed_job", {"queue_id": QUEUE, "job_id": JOB}, "job_failed", f"job_failed:{JOB}"),
        ("stalled_task", {"task_id": "task-" + "4" * 32 + "-7"}, "task_stalled",
         "task_stalled:task-" + "4" * 32 + "-7"),
        ("sick_worker", {"worker_id": "worker-" + "5" * 32}, "worker_sick",
         "worker_sick:worker-" + "5" * 32 + ":2026-12-07"),
        ("blocked_queue", {"queue_id": QUEUE}, "queue_blocked",
         f"queue_blocked:{QUEUE}:2026-12-07"),
        ("waiting_job", {"queue_id": QUEUE, "job_id": JOB}, "waiting_job",
         f"waiting_job:{JOB}:2026-12-07"),
        ("budget_threshold", {"queue_id": QUEUE}, "budget_threshold",
         f"budget_threshold:{QUEUE}:2026-12-07"),
    ],
)  # fmt: skip
def test_each_kind_becomes_its_event(kind: str, ids: dict[str, str], event: str, key: str) -> None:
    report = AttentionReport(items=(item(kind, **ids),), checked_at=NOW)
    (found,) = report_events(report, {}, now=NOW)
    assert (found.event, found.subject_key) == (event, key)


def test_slow_tasks_are_not_announced() -> None:
    report = AttentionReport(
        items=(item("slow_task", task_id="task-" + "4" * 32 + "-1"),), checked_at=NOW
    )
    assert report_events(report, {}, now=NOW) == []


def test_a_rule_matches_its_scope_and_its_submitter_only() -> None:
    event = Event(
        event="job_failed",
        subject_key=f"job_failed:{JOB}",
        title="t",
        summary="s",
        url="/",
        farm_id=FARM,
        queue_id=QUEUE,
        job_id=JOB,
        submitted_by="arn:aws:sts::123456789012:assumed-role/Artist/Maria.Chen",
    )
    rule = NotificationRule(event="job_failed", farm_id=FARM)
    assert matches(rule, event)
    assert not matches(NotificationRule(event="job_finished", farm_id=FARM), event)
    assert not matches(NotificationRule(event="job_failed", farm_id=FARM, queue_id="q"), event)
    assert matches(
        NotificationRule(event="job_failed", farm_id=FARM, only_user="maria.chen"), event
    )
    assert not matches(NotificationRule(event="job_failed", farm_id=FARM, only_user="ana"), event)
