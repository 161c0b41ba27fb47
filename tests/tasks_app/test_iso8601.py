"""The one ISO 8601 formatter: UTC with a Z whatever the moment's zone, at the precision asked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from tasks_app.iso8601 import iso8601, iso8601_or_none

MOMENT = datetime(2026, 11, 17, 8, 10, 10, 664_321, tzinfo=UTC)


def test_utc_with_a_z_at_milliseconds_by_default() -> None:
    assert iso8601(MOMENT) == "2026-11-17T08:10:10.664Z"
    assert iso8601(MOMENT, timespec="seconds") == "2026-11-17T08:10:10Z"
    assert iso8601(MOMENT.replace(microsecond=0)) == "2026-11-17T08:10:10.000Z"


def test_another_zone_is_written_as_the_same_moment_in_utc() -> None:
    paris = MOMENT.astimezone(timezone(timedelta(hours=1)))
    assert iso8601(paris) == "2026-11-17T08:10:10.664Z"


def test_naive_datetimes_and_epoch_seconds_are_utc() -> None:
    assert iso8601(MOMENT.replace(tzinfo=None)) == "2026-11-17T08:10:10.664Z"
    assert iso8601(MOMENT.timestamp()) == "2026-11-17T08:10:10.664Z"


def test_no_moment_is_none() -> None:
    assert iso8601_or_none(None) is None
    assert iso8601_or_none(MOMENT, timespec="seconds") == "2026-11-17T08:10:10Z"
