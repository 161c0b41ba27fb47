"""Sending what evaluation wrote: each due row is claimed by one conditional update (pending ->
sending), so however many processes and hosts run ``deliver_due`` a row goes out once. A
timeout, a 5xx or a 429 puts it back as pending with a backoff (a 429's Retry-After wins) until
DASHBOARD_NOTIFY_MAX_ATTEMPTS tries were made; then it is failed, and the log says why. A 4xx
other than 429 fails it at once. A sender that died mid-send leaves its claim to lapse; the row
is then tried again (the receiver sees the same X-Dashboard-Delivery ID)."""

from __future__ import annotations

import json
import logging
import smtplib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F, Q
from django.utils import timezone

from ...models import NotificationDelivery, NotificationRule
from . import messages, targets

logger = logging.getLogger(__name__)
Status = NotificationDelivery.Status
BATCH = 100


@dataclass(frozen=True)
class Outcome:
    sent: bool
    error: str = ""
    retry: bool = False
    retry_after: float | None = None


def _claim_lease() -> timedelta:
    return timedelta(seconds=float(settings.DASHBOARD_NOTIFY_TIMEOUT_SECONDS) * 3 + 30)


def _due(now: datetime) -> Q:
    return Q(status=Status.PENDING, next_attempt_at__lte=now) | Q(
        status=Status.SENDING, claimed_until__lt=now
    )


def _from_answer(answer: targets.Answer) -> Outcome:
    if 200 <= answer.status < 300:
        return Outcome(True)
    if answer.status == 0:
        return Outcome(False, answer.error or "no answer", retry=True)
    error = f"HTTP {answer.status}"
    if answer.status == 429:
        return Outcome(False, error, retry=True, retry_after=answer.retry_after)
    return Outcome(False, error, retry=answer.status >= 500)


def _post(url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    try:
        return _from_answer(targets.post(url, body, headers))
    except targets.TargetRefused as exc:
        return Outcome(False, f"refused: {exc}")


def send(delivery: NotificationDelivery) -> Outcome:
    """Send one message on its rule's channel."""
    rule = delivery.rule
    if rule.channel == NotificationRule.Channel.SLACK:
        body = json.dumps(messages.slack(delivery)).encode()
        return _post(rule.target, body, {"Content-Type": "application/json"})
    if rule.channel == NotificationRule.Channel.WEBHOOK:
        body, headers = messages.webhook_body_and_headers(delivery)
        return _post(rule.target, body, headers)
    if rule.channel == NotificationRule.Channel.EMAIL:
        # A follower's mail goes to the address the account holds now, never elsewhere.
        address = rule.owner.email if rule.owner_id else rule.target
        if not address:
            return Outcome(False, "the account has no e-mail address")
        subject, body = messages.email(delivery)
        try:
            EmailMessage(subject, body, to=[address]).send(fail_silently=False)
        except (smtplib.SMTPException, OSError) as exc:
            permanent = isinstance(exc, smtplib.SMTPRecipientsRefused)
            return Outcome(False, f"{type(exc).__name__}: {exc}"[:500], retry=not permanent)
        return Outcome(True)
    return Outcome(True)  # in-app: the row is the message


def _backoff(attempts: int, outcome: Outcome) -> float:
    if outcome.retry_after is not None:
        return outcome.retry_after
    return float(settings.DASHBOARD_NOTIFY_RETRY_SECONDS) * 2 ** max(0, attempts - 1)


def _record(delivery: NotificationDelivery, outcome: Outcome, owner: datetime) -> None:
    now = timezone.now()
    mine = NotificationDelivery.objects.filter(
        pk=delivery.pk, status=Status.SENDING, claimed_until=owner
    )
    if outcome.sent:
        mine.update(status=Status.SENT, sent_at=now, claimed_until=None, last_error="")
        return
    attempts = delivery.attempts
    if outcome.retry and attempts < int(settings.DASHBOARD_NOTIFY_MAX_ATTEMPTS):
        mine.update(
            status=Status.PENDING,
            next_attempt_at=now + timedelta(seconds=_backoff(attempts, outcome)),
            claimed_until=None,
            last_error=outcome.error,
        )
    else:
        mine.update(status=Status.FAILED, claimed_until=None, last_error=outcome.error)
        logger.warning(
            "notification failed delivery=%s rule=%s attempts=%s error=%s",
            delivery.pk,
            delivery.rule_id,
            attempts,
            json.dumps(outcome.error),
        )


def deliver_one(pk: int, *, now: datetime | None = None) -> bool:
    """Claim one row and send it; False when another process has it or it is not due."""
    now = now or timezone.now()
    claim = now + _claim_lease()
    claimed = (
        NotificationDelivery.objects.filter(_due(now), pk=pk)
        .filter(rule__active=True)
        .update(status=Status.SENDING, claimed_until=claim, attempts=F("attempts") + 1)
    )
    if not claimed:
        return False
    delivery = NotificationDelivery.objects.select_related("rule", "rule__owner").get(pk=pk)
    _record(delivery, send(delivery), claim)
    return True


def deliver_due(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Send every due row this process can claim (at most ``limit``); how many it sent or
    tried."""
    now = now or timezone.now()
    due = list(
        NotificationDelivery.objects.filter(_due(now), rule__active=True)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(1 for pk in due if deliver_one(pk, now=now))


def send_test(rule_id: int, *, username: str, request_id: str = "") -> NotificationDelivery:
    """Send a test message on an active rule now (same claim, retries and log as any other);
    the row as it ended."""
    from .rules import audit  # rules imports nothing of delivery: no cycle either way

    rule = NotificationRule.objects.get(pk=rule_id, active=True)
    now = timezone.now()
    key = f"test:{now.isoformat()}:{uuid.uuid4().hex[:8]}"
    delivery = NotificationDelivery.objects.create(
        rule=rule,
        event="test",
        subject_key=key,
        event_key=key,
        created_at=now,
        next_attempt_at=now,
        status=Status.SENT if rule.channel == NotificationRule.Channel.IN_APP else Status.PENDING,
        sent_at=now if rule.channel == NotificationRule.Channel.IN_APP else None,
        title="Test message",
        payload={
            "title": "Test message",
            "summary": f"Rule {rule.pk} ({rule.event}) reaches this channel.",
            "url": "/notifications/",
        },
        farm_id=rule.farm_id,
        queue_id=rule.queue_id,
        job_id=rule.job_id,
    )
    deliver_one(delivery.pk, now=now)
    audit("tested", rule, username=username, request_id=request_id)
    delivery.refresh_from_db()
    return delivery
