"""The one way the dashboard writes a moment as ISO 8601: in UTC, ending in ``Z``
(``2026-11-17T08:10:10.664Z``), as the Deadline Cloud API writes its own timestamps. JSON
answers, CSV cells, ``<time datetime>`` attributes and cache forms all use it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

Timespec = Literal["seconds", "milliseconds", "microseconds"]


def iso8601(moment: datetime | float, *, timespec: Timespec = "milliseconds") -> str:
    """``moment`` (a datetime, or seconds since the epoch) in UTC with a ``Z``. A naive
    datetime is taken to be UTC already (the API's and the database's are)."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, tz=UTC)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def iso8601_or_none(
    moment: datetime | float | None, *, timespec: Timespec = "milliseconds"
) -> str | None:
    """``iso8601``, with None for no moment (JSON's null)."""
    return None if moment is None else iso8601(moment, timespec=timespec)
