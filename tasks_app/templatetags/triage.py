"""Template helpers for the triage sections: attempt durations and log timestamps."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from django import template

from tasks_app.deadline.session_types import LogLine
from tasks_app.iso8601 import iso8601
from tasks_app.selectors.triage import Attempt

register = template.Library()


@register.filter
def attempt_duration(attempt: Attempt, now: datetime) -> timedelta | None:
    """How long the attempt ran (so far, while it runs)."""
    return attempt.duration(now)


@register.filter
def log_utc(line: LogLine) -> str:
    """``2026-11-20 10:05:00.123`` in UTC (the page script can switch it to local time)."""
    value = line.timestamp.astimezone(UTC)
    return f"{value:%Y-%m-%d %H:%M:%S}.{value.microsecond // 1000:03d}"


@register.filter
def log_iso(line: LogLine) -> str:
    """ISO 8601 with milliseconds for ``<time datetime>``."""
    return iso8601(line.timestamp)


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f\x80-\x9f]")


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # U+2400 CONTROL PICTURES: ESC shows as a visible symbol
    return "\u2421" if code == 0x7F else "\ufffd"


@register.filter
def inert(value: str) -> str:
    """Control characters (terminal escapes' ESC, bells, NULs) as visible symbols, so a log
    line shows what it holds and nothing in it acts; tabs stay tabs. HTML escaping is the
    template's, as for any string."""
    return _CONTROL.sub(_picture, str(value))


@register.filter
def cli_words(command: str) -> list[tuple[str, bool]]:
    """The words of a command line, each flag marked: the page keeps a flag on one line
    (``--step-id``, never ``-`` then ``-step-id``), values may still break."""
    return [(word, word.startswith("--")) for word in command.split(" ")]
