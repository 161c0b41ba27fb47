"""One evaluation: every active rule against what the dashboard judges now.

Each (rule, event) becomes at most one delivery row: ``bulk_create(ignore_conflicts=True)``
against the unique (rule, event key), so two processes or hosts evaluating at once write one
row. A rule's first look writes its rows as *baseline* (recorded, not announced); a snoozed
rule or job writes *snoozed*. A failing job that fails more gets a digest row (key: subject and
count) at most once per DASHBOARD_NOTIFY_DIGEST_SECONDS.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from ...deadline.types import Job
from ...models import NotificationDelivery, NotificationRule, NotificationSnooze
from ...selectors import attention
from .events import Event, finished_events, jobs_of, queues_of, report_events

Status = NotificationDelivery.Status


@dataclass(frozen=True)
class Evaluation:
    rules: int
    events: int
    proposed: int  # rows offered; the unique key drops those another process wrote


def _queues_watched(rules: Iterable[NotificationRule]) -> set[tuple[str, str]]:
    """The queues whose job lists matter (cache only): the rules' own, every queue of a
    farm-wide rule's farm."""
    found = set()
    for rule in rules:
        if rule.queue_id:
            found.add((rule.farm_id, rule.queue_id))
        else:
            found |= {(rule.farm_id, q) for q in queues_of(rule.farm_id)}
    return found


def collect(rules: list[NotificationRule], *, now: datetime) -> list[Event]:
    """Every event any rule may want: the report's, and finished jobs of watched queues."""
    report = attention.get_report()
    queues = _queues_watched(rules)
    queues |= {(i.farm_id, i.queue_id) for i in report.items if i.queue_id}
    jobs: dict[str, Job] = {}
    events: list[Event] = []
    wants_finished = {(r.farm_id, r.queue_id) for r in rules if r.event == "job_finished"}
    for farm_id, queue_id in sorted(queues):
        listed = jobs_of(farm_id, queue_id)
        jobs.update({job.job_id: job for job in listed})
        if (farm_id, queue_id) in wants_finished or (farm_id, "") in wants_finished:
            events += finished_events(farm_id, queue_id, listed)
    return report_events(report, jobs, now=now) + events


def matches(rule: NotificationRule, event: Event) -> bool:
    if rule.event != event.event or rule.farm_id != event.farm_id:
        return False
    if rule.queue_id and rule.queue_id != event.queue_id:
        return False
    if rule.job_id and rule.job_id != event.job_id:
        return False
    return not rule.only_user or rule.only_user.lower() in event.submitted_by.lower()


def _history(
    rules: list[NotificationRule], events: list[Event]
) -> dict[tuple[int, str], tuple[datetime, int]]:
    """(rule, subject) -> (last row's time, highest count announced or recorded)."""
    rows = (
        NotificationDelivery.objects.filter(
            rule__in=rules, subject_key__in={e.subject_key for e in events}
        )
        .values("rule_id", "subject_key")
        .annotate(last=Max("created_at"), count=Max("count"))
    )
    return {(r["rule_id"], r["subject_key"]): (r["last"], r["count"]) for r in rows}


def _row(
    rule: NotificationRule, event: Event, *, key: str, status: str, now: datetime
) -> NotificationDelivery:
    return NotificationDelivery(
        rule=rule,
        event=event.event,
        subject_key=event.subject_key,
        event_key=key,
        status=status,
        created_at=now,
        next_attempt_at=now,
        sent_at=now if status == Status.SENT else None,
        count=event.count,
        title=event.title[:512],
        payload=event.payload(),
        farm_id=event.farm_id,
        queue_id=event.queue_id,
        job_id=event.job_id,
        task_id=event.task_id,
        worker_id=event.worker_id,
    )


def _status(rule: NotificationRule, event: Event, snoozed: set[str], now: datetime) -> str:
    if rule.baseline_at is None:
        return Status.BASELINE
    if (rule.snoozed_until and rule.snoozed_until > now) or event.job_id in snoozed:
        return Status.SNOOZED
    # In-app: the row is the notification; the bell shows it.
    return Status.SENT if rule.channel == NotificationRule.Channel.IN_APP else Status.PENDING


def evaluate(*, now: datetime | None = None) -> Evaluation:
    """Write the delivery rows of what changed since each rule last looked (see the module
    docstring); ``deliver_due`` sends them."""
    now = now or timezone.now()
    rules = list(NotificationRule.objects.filter(active=True).select_related("owner"))
    if not rules:
        return Evaluation(0, 0, 0)
    events = collect(rules, now=now)
    history = _history(rules, events)
    snoozed = set(NotificationSnooze.objects.filter(until__gt=now).values_list("job_id", flat=True))
    digest = timedelta(seconds=float(settings.DASHBOARD_NOTIFY_DIGEST_SECONDS))
    rows = []
    for rule in rules:
        for event in events:
            if not matches(rule, event):
                continue
            seen = history.get((rule.pk, event.subject_key))
            status = _status(rule, event, snoozed, now)
            if seen is None:
                rows.append(_row(rule, event, key=event.subject_key, status=status, now=now))
            elif event.event == "job_failed" and event.count > seen[1] and now - seen[0] >= digest:
                key = f"{event.subject_key}:{event.count}"
                rows.append(_row(rule, event, key=key, status=status, now=now))
    NotificationDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    NotificationRule.objects.filter(
        pk__in=[r.pk for r in rules if r.baseline_at is None], baseline_at__isnull=True
    ).update(baseline_at=now)
    return Evaluation(len(rules), len(events), len(rows))
