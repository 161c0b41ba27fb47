"""What the notifications page, its JSON and the bell read: rules, the delivery log, a user's
in-app notifications."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.utils import timezone

from ...models import (
    NotificationDelivery,
    NotificationRule,
    NotificationRuleChange,
    NotificationSnooze,
)
from .rules import masked_target

Status = NotificationDelivery.Status
#: Rows of the delivery log a page or its JSON shows.
LOG_ROWS = 200
#: A user's notifications the bell's page lists.
INBOX_ROWS = 50
#: States the log shows (a baseline or snoozed row was never a message).
LOGGED = (Status.PENDING, Status.SENDING, Status.SENT, Status.FAILED, Status.CANCELED)


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def scope_of(rule: NotificationRule) -> str:
    return "job" if rule.job_id else "queue" if rule.queue_id else "farm"


def page_path(delivery: NotificationDelivery) -> str:
    """The dashboard page a notification links to: a path on this site, or "" (a stored URL
    is never trusted as a link elsewhere)."""
    url = str(delivery.payload.get("url") or "")
    return url if url.startswith("/") and not url.startswith("//") else ""


def _with_pages(rows: list[NotificationDelivery]) -> list[NotificationDelivery]:
    for row in rows:
        row.page = page_path(row)  # type: ignore[attr-defined]
    return rows


def delivery_log(*, limit: int = LOG_ROWS) -> list[NotificationDelivery]:
    """The newest messages, every channel (each with ``page``, its link)."""
    return _with_pages(
        list(
            NotificationDelivery.objects.filter(status__in=LOGGED)
            .select_related("rule")
            .order_by("-created_at", "-id")[:limit]
        )
    )


def delivery_json(delivery: NotificationDelivery) -> dict[str, Any]:
    """One row of ``/notifications/deliveries/`` in the issue's shape."""
    return {
        "rule_id": delivery.rule_id,
        "event": delivery.event,
        "scope": scope_of(delivery.rule),
        "channel": delivery.rule.channel,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "created_at": _iso(delivery.created_at),
        "sent_at": _iso(delivery.sent_at),
        "farm_id": delivery.farm_id or None,
        "queue_id": delivery.queue_id or None,
        "job_id": delivery.job_id or None,
        "task_id": delivery.task_id or None,
        "worker_id": delivery.worker_id or None,
    }


def team_rules() -> list[NotificationRule]:
    """Active team rules, each with ``target_shown`` (a URL's path masked)."""
    rules = list(NotificationRule.objects.filter(active=True, owner__isnull=True).order_by("id"))
    for rule in rules:
        rule.target_shown = masked_target(rule)  # type: ignore[attr-defined]
    return rules


def follows(user: AbstractBaseUser) -> QuerySet[NotificationRule]:
    return NotificationRule.objects.filter(active=True, owner=user).order_by("id")


def recent_changes(*, limit: int = 20) -> QuerySet[NotificationRuleChange]:
    return NotificationRuleChange.objects.order_by("-created_at", "-id")[:limit]


def snoozed_jobs() -> QuerySet[NotificationSnooze]:
    return NotificationSnooze.objects.filter(until__gt=timezone.now()).order_by("until")


def _inbox(user: AbstractBaseUser) -> QuerySet[NotificationDelivery]:
    return NotificationDelivery.objects.filter(
        rule__owner=user, rule__channel=NotificationRule.Channel.IN_APP, status=Status.SENT
    )


def unread_count(user: AbstractBaseUser) -> int:
    """What the bell counts: one query."""
    return _inbox(user).filter(read_at__isnull=True).count()


def inbox(user: AbstractBaseUser, *, limit: int = INBOX_ROWS) -> list[NotificationDelivery]:
    return _with_pages(list(_inbox(user).order_by("-created_at", "-id")[:limit]))


def mark_read(user: AbstractBaseUser) -> int:
    return _inbox(user).filter(read_at__isnull=True).update(read_at=timezone.now())
