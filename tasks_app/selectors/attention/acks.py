"""Which incidents are acknowledged or snoozed now (the rows ``services.attention_acks``
writes, shared by every process through the database): a snooze holds until its time, an
acknowledgement until its time or until the incident's state differs from the one
acknowledged. Reads only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from django.utils import timezone

from ...models import AttentionAck
from .stories import Ack, Incident


def with_acks(found: Sequence[Incident], current: datetime | None = None) -> list[Incident]:
    """``found`` with each incident's acknowledgement or snooze in effect (``ack``)."""
    current = current or timezone.now()
    keys = [incident.key for incident in found]
    rows = AttentionAck.objects.filter(
        item_key__in=keys, ended_at__isnull=True, until__gt=current
    ).only("item_key", "kind", "state", "username", "until", "created_at")
    by_key = {row.item_key: row for row in rows}
    shown = []
    for incident in found:
        row = by_key.get(incident.key)
        if row is not None and (
            row.kind == AttentionAck.Kind.SNOOZE or row.state == incident.state
        ):
            ack = Ack(
                kind=row.kind,
                label=row.get_kind_display(),
                username=row.username,
                until=row.until,
                since=row.created_at,
            )
            incident = replace(incident, ack=ack)
        shown.append(incident)
    return shown


def unacknowledged(found: Sequence[Incident]) -> int:
    """How many of ``found`` nobody has acknowledged or snoozed (the header's count)."""
    return sum(1 for incident in with_acks(found) if incident.ack is None)
