"""Acknowledging and snoozing an incident of the attention list (docs/attention.md), in the
database every process and host shares: one open row per incident (a partial unique
constraint, so a second acknowledgement anywhere is refused, never recorded twice), closed
rows kept as the audit, and one line per change on the ``tasks_app.audit`` log as actions
write theirs.

- **Acknowledge**: someone is on it; lasts until the incident changes (more failed tasks,
  more tasks held, another reason) or ACK_HOURS pass, whichever is first.
- **Snooze**: hide it until a chosen time (SNOOZE_HOURS), whatever it does meanwhile.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import AttentionAck

audit_logger = logging.getLogger("tasks_app.audit")

#: An acknowledgement ends after this long even if the incident never changes.
ACK_HOURS = 24
#: The snoozes offered (hours).
SNOOZE_HOURS = (1, 4, 24)


class AckRefused(Exception):
    """The change cannot be made (already taken, nothing to clear): the message says why."""


@dataclass(frozen=True)
class Subject:
    """The incident being acknowledged, as the list showed it."""

    key: str
    state: str
    title: str
    farm_id: str


def expire(current: datetime | None = None) -> int:
    """Close the open rows whose time has passed (ended by "expired"); how many."""
    current = current or timezone.now()
    return AttentionAck.objects.filter(ended_at__isnull=True, until__lte=current).update(
        ended_at=current, ended_by="expired"
    )


def take(
    subject: Subject,
    *,
    kind: str,
    hours: int,
    username: str,
    request_id: str = "",
) -> AttentionAck:
    """Acknowledge (``kind`` "ack", ``hours`` ACK_HOURS) or snooze (``hours`` one of
    SNOOZE_HOURS) an incident. AckRefused when it is already acknowledged or snoozed."""
    if kind not in AttentionAck.Kind.values:
        raise AckRefused(f"Unknown change {kind!r}: acknowledge or snooze.")
    if kind == AttentionAck.Kind.SNOOZE and hours not in SNOOZE_HOURS:
        raise AckRefused(f"Snooze for {', '.join(map(str, SNOOZE_HOURS))} hours, not {hours}.")
    now = timezone.now()
    expire(now)
    # An acknowledgement of the incident as it was no longer holds: it changed since.
    AttentionAck.objects.filter(
        item_key=subject.key, ended_at__isnull=True, kind=AttentionAck.Kind.ACK
    ).exclude(state=subject.state).update(ended_at=now, ended_by="changed")
    try:
        with transaction.atomic():
            row = AttentionAck.objects.create(
                item_key=subject.key,
                kind=kind,
                state=subject.state,
                title=subject.title[:300],
                farm_id=subject.farm_id,
                until=now + timedelta(hours=ACK_HOURS if kind == "ack" else hours),
                username=username,
                created_at=now,
                request_id=request_id[:200],
            )
    except IntegrityError:
        held = open_row(subject.key)
        who = f" by {held.username} until {held.until:%H:%M} UTC" if held else ""
        verb = held.get_kind_display().lower() if held else "taken"
        raise AckRefused(f"Already {verb}{who}.") from None
    _log("take", row, username)
    return row


def clear(key: str, *, username: str, request_id: str = "") -> AttentionAck:
    """End an incident's acknowledgement or snooze now. AckRefused when it has none."""
    now = timezone.now()
    row = open_row(key)
    if row is None or not AttentionAck.objects.filter(pk=row.pk, ended_at__isnull=True).update(
        ended_at=now, ended_by=username
    ):
        raise AckRefused("It is neither acknowledged nor snoozed (any more).")
    row.refresh_from_db()
    _log("clear", row, username, request_id=request_id)
    return row


def open_row(key: str) -> AttentionAck | None:
    return AttentionAck.objects.filter(item_key=key, ended_at__isnull=True).first()


def _log(change: str, row: AttentionAck, username: str, *, request_id: str = "") -> None:
    fields = {
        "ack": row.pk,
        "change": change,
        "kind": row.kind,
        "user": json.dumps(username),
        "item": json.dumps(row.item_key),
        "title": json.dumps(row.title),
        "farm": row.farm_id or "-",
        "until": row.until.isoformat(),
        "request": request_id or row.request_id or "-",
    }
    audit_logger.info("attention %s", " ".join(f"{k}={v}" for k, v in fields.items()))
