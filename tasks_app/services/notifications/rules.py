"""Rules and follows: made, removed and snoozed here, each change audited like an action (a
database row and one ``tasks_app.audit`` line). Who may do what is the caller's check (views:
operators for team rules, a signed-in user to follow; the command line is an operator's)."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from ...deadline.ids import is_valid_id
from ...models import (
    NOTIFY_EVENT_CHOICES,
    NotificationDelivery,
    NotificationRule,
    NotificationRuleChange,
    NotificationSnooze,
)
from . import targets

audit_logger = logging.getLogger("tasks_app.audit")
EVENTS = tuple(name for name, _ in NOTIFY_EVENT_CHOICES)
TEAM_CHANNELS = ("slack", "webhook", "email")
#: What following a job or a queue subscribes to.
JOB_FOLLOW_EVENTS = ("job_failed", "job_finished")
QUEUE_FOLLOW_EVENTS = ("job_failed", "job_finished", "task_stalled", "queue_blocked")


class RuleRefused(ValueError):
    """The rule cannot be made as asked; the message says why, in plain words."""


def audit(
    change: str,
    rule: NotificationRule | None,
    *,
    username: str,
    request_id: str = "",
    details: dict[str, Any] | None = None,
) -> None:
    NotificationRuleChange.objects.create(
        username=username,
        change=change,
        rule=rule,
        details=details or {},
        request_id=request_id,
    )
    fields = {
        "rule": rule.pk if rule else "-",
        "user": json.dumps(username),
        "change": change,
        "event": rule.event if rule else "-",
        "channel": rule.channel if rule else "-",
        "farm": rule.farm_id if rule else "-",
        "queue": (rule.queue_id if rule else "") or "-",
        "job": (rule.job_id if rule else "") or "-",
        "details": json.dumps(details or {}, sort_keys=True),
        "request": request_id or "-",
    }
    audit_logger.info("notify %s", " ".join(f"{k}={v}" for k, v in fields.items()))


def _check_scope(farm_id: str, queue_id: str, job_id: str) -> None:
    if not is_valid_id("farm_id", farm_id):
        raise RuleRefused("The farm ID is not a farm ID (farm-<32 hex digits>).")
    if queue_id and not is_valid_id("queue_id", queue_id):
        raise RuleRefused("The queue ID is not a queue ID (queue-<32 hex digits>).")
    if job_id and not is_valid_id("job_id", job_id):
        raise RuleRefused("The job ID is not a job ID (job-<32 hex digits>).")
    if job_id and not queue_id:
        raise RuleRefused("A job's rule needs its queue too.")


def masked_target(rule: NotificationRule) -> str:
    """Where a rule sends, as pages and the audit show it: an e-mail address whole; of a URL
    the scheme, host and the path's last four characters (a Slack webhook's path is its
    secret)."""
    if rule.channel not in ("slack", "webhook"):
        return rule.target
    parts = urlsplit(rule.target)
    tail = parts.path[-4:] if len(parts.path) > 8 else ""
    return f"{parts.scheme}://{parts.netloc}/…{tail}"


def describe(rule: NotificationRule) -> dict[str, Any]:
    """A rule as the audit shows it (never its secret, nor a webhook URL's path)."""
    return {
        "event": rule.event,
        "channel": rule.channel,
        "target": masked_target(rule),
        "farm_id": rule.farm_id,
        "queue_id": rule.queue_id,
        "job_id": rule.job_id,
        "only_user": rule.only_user,
    }


def create_team_rule(
    *,
    username: str,
    event: str,
    farm_id: str,
    channel: str,
    target: str,
    queue_id: str = "",
    job_id: str = "",
    secret: str = "",
    only_user: str = "",
    request_id: str = "",
) -> NotificationRule:
    """An operator's rule to Slack, a webhook or an e-mail address."""
    if event not in EVENTS:
        raise RuleRefused(f"Unknown event {event!r}: one of {', '.join(EVENTS)}.")
    if channel not in TEAM_CHANNELS:
        raise RuleRefused("A team rule sends to Slack, a webhook or an e-mail address.")
    _check_scope(farm_id, queue_id, job_id)
    target = target.strip()
    if channel == "email":
        try:
            validate_email(target)
        except ValidationError:
            raise RuleRefused("That is not an e-mail address.") from None
    else:
        try:
            targets.check(target, resolve=False)
        except targets.TargetRefused as exc:
            raise RuleRefused(str(exc)) from exc
    if channel == "webhook" and not secret:
        raise RuleRefused("A webhook needs a secret: receivers check the signature with it.")
    with transaction.atomic():
        rule = NotificationRule.objects.create(
            created_by=username,
            event=event,
            farm_id=farm_id,
            queue_id=queue_id,
            job_id=job_id,
            channel=channel,
            target=target,
            secret=secret,
            only_user=only_user.strip()[:200],
        )
        audit("created", rule, username=username, request_id=request_id, details=describe(rule))
    return rule


def remove_rule(rule_id: int, *, username: str, request_id: str = "") -> NotificationRule:
    """Stop a rule: it matches nothing more, its unsent messages are canceled; the log stays."""
    with transaction.atomic():
        rule = NotificationRule.objects.select_for_update().get(pk=rule_id, active=True)
        rule.active = False
        rule.save(update_fields=["active"])
        NotificationDelivery.objects.filter(
            rule=rule, status=NotificationDelivery.Status.PENDING
        ).update(status=NotificationDelivery.Status.CANCELED)
        audit("removed", rule, username=username, request_id=request_id, details=describe(rule))
    return rule


def snooze_rule(
    rule_id: int, *, until: datetime | None, username: str, request_id: str = ""
) -> NotificationRule:
    """Hold a rule's messages until ``until`` (None: now). What happens meanwhile is recorded
    as snoozed, not announced later."""
    rule = NotificationRule.objects.get(pk=rule_id, active=True)
    rule.snoozed_until = until
    rule.save(update_fields=["snoozed_until"])
    audit(
        "snoozed" if until else "unsnoozed",
        rule,
        username=username,
        request_id=request_id,
        details={"until": until.isoformat() if until else None},
    )
    return rule


def snooze_job(
    *, farm_id: str, queue_id: str, job_id: str, hours: float, username: str, request_id: str = ""
) -> NotificationSnooze:
    """No message about this job, from any rule, for ``hours`` (0: lift the snooze)."""
    _check_scope(farm_id, queue_id, job_id)
    until = timezone.now() + timedelta(hours=hours)
    snooze, _ = NotificationSnooze.objects.update_or_create(
        job_id=job_id,
        defaults={"farm_id": farm_id, "queue_id": queue_id, "until": until, "created_by": username},
    )
    audit(
        "job snoozed" if hours else "job unsnoozed",
        None,
        username=username,
        request_id=request_id,
        details={"job_id": job_id, "until": until.isoformat()},
    )
    return snooze


def following(user: AbstractBaseUser, *, farm_id: str, queue_id: str, job_id: str = "") -> bool:
    return NotificationRule.objects.filter(
        owner=user, active=True, farm_id=farm_id, queue_id=queue_id, job_id=job_id
    ).exists()


def follow(
    user: AbstractBaseUser, *, farm_id: str, queue_id: str, job_id: str = "", request_id: str = ""
) -> list[NotificationRule]:
    """Follow a job (failed, finished) or a queue (also stalled tasks, blocked): in-app, and by
    e-mail to the account's own address when it has one."""
    _check_scope(farm_id, queue_id, job_id)
    if not queue_id:
        raise RuleRefused("Follow a queue or a job.")
    if following(user, farm_id=farm_id, queue_id=queue_id, job_id=job_id):
        return []
    channels = ["in_app"] + (["email"] if getattr(user, "email", "") else [])
    username = str(user.get_username())
    made = []
    with transaction.atomic():
        for event in JOB_FOLLOW_EVENTS if job_id else QUEUE_FOLLOW_EVENTS:
            for channel in channels:
                made.append(
                    NotificationRule.objects.create(
                        created_by=username,
                        owner=user,
                        event=event,
                        farm_id=farm_id,
                        queue_id=queue_id,
                        job_id=job_id,
                        channel=channel,
                    )
                )
        audit(
            "followed",
            made[0],
            username=username,
            request_id=request_id,
            details={"rules": [r.pk for r in made], "queue_id": queue_id, "job_id": job_id},
        )
    return made


def unfollow(
    user: AbstractBaseUser, *, farm_id: str, queue_id: str, job_id: str = "", request_id: str = ""
) -> int:
    """Stop following; the rules stay (inactive) for the delivery log."""
    rules = NotificationRule.objects.filter(
        owner=user, active=True, farm_id=farm_id, queue_id=queue_id, job_id=job_id
    )
    ids = list(rules.values_list("pk", flat=True))
    if not ids:
        return 0
    with transaction.atomic():
        NotificationRule.objects.filter(pk__in=ids).update(active=False)
        NotificationDelivery.objects.filter(
            rule_id__in=ids, status=NotificationDelivery.Status.PENDING
        ).update(status=NotificationDelivery.Status.CANCELED)
        audit(
            "unfollowed",
            NotificationRule.objects.get(pk=ids[0]),
            username=str(user.get_username()),
            request_id=request_id,
            details={"rules": ids, "queue_id": queue_id, "job_id": job_id},
        )
    return len(ids)
