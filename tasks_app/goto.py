"""The "go to" box: whatever an operator pastes, resolved to the deepest level it names.

Pure functions (no Django, no API): a dashboard URL, an API path
(``/2023-10-12/farms/.../tasks/...``), an ``aws deadline get-task --farm-id ...`` command line
(flags in any order, ``--flag=value`` too), a Deadline Cloud monitor link
(``...?jobId=...&stepId=...``) or bare IDs in any order. Malformed IDs are reported, never
passed on, so nothing reaches the API that the API would refuse.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from .ids import ID_PATTERNS

LEVELS = ("farm", "queue", "job", "step", "task")
MAX_INPUT = 4000

# Path segments (dashboard and API paths alike) naming the ID that follows them.
_COLLECTIONS = {"farms": "farm", "queues": "queue", "jobs": "job", "steps": "step", "tasks": "task"}
_FLAGS = {f"--{level}-id": level for level in LEVELS}
# Query-string keys of monitor links (camelCase) and of the dashboard's own forms.
_QUERY_KEYS = {**{f"{level}Id": level for level in LEVELS}, **{f"{k}_id": k for k in LEVELS}}
# An ID-looking token: a known prefix, a dash, then anything up to a separator.
_PREFIXED = re.compile(r"^(farm|queue|job|step|task)-", re.IGNORECASE)
_OTHER_KINDS = {
    "fleet": "fleet",
    "worker": "worker",
    "session": "session",
    "sessionaction": "session action",
}
_SEPARATORS = re.compile(r"[\s,;/|]+")


class GotoError(ValueError):
    """The input does not resolve; ``str(exc)`` tells the operator which part and why."""


@dataclass(frozen=True)
class Destination:
    """The IDs an input names, from the farm down to the deepest level (``level``)."""

    ids: tuple[tuple[str, str], ...]  # (level, id) pairs, farm first

    @property
    def level(self) -> str:
        return self.ids[-1][0]

    def as_kwargs(self) -> dict[str, str]:
        """URL keyword arguments: ``{"farm_id": ..., "queue_id": ...}``."""
        return {f"{level}_id": value for level, value in self.ids}


def _article(level: str) -> str:
    return "an" if level[0] in "aeiou" else "a"


def _check(level: str, value: str) -> str:
    if ID_PATTERNS[f"{level}_id"].fullmatch(value) is None:
        shown = value if len(value) <= 80 else value[:77] + "..."
        raise GotoError(f"`{shown}` is not a valid {level} ID.")
    return value


def _put(found: dict[str, str], level: str, value: str) -> None:
    value = _check(level, value.strip())
    previous = found.get(level)
    if previous is not None and previous != value:
        raise GotoError(f"Two different {level} IDs were given: `{previous}` and `{value}`.")
    found[level] = value


def _from_path(path: str, found: dict[str, str]) -> bool:
    """IDs from ``/farms/<id>/queues/<id>/...`` (any prefix: API version, region...)."""
    segments = [unquote(s) for s in path.split("/") if s]
    named = False
    for position, segment in enumerate(segments):
        level = _COLLECTIONS.get(segment)
        if level is None:
            continue
        if position + 1 >= len(segments):
            raise GotoError(f"The path ends at `{segment}/` without a {level} ID.")
        _put(found, level, segments[position + 1])
        named = True
    return named


def _from_query(query: str, found: dict[str, str]) -> bool:
    named = False
    for key, value in parse_qsl(query, keep_blank_values=False):
        level = _QUERY_KEYS.get(key)
        if level is not None:
            _put(found, level, value)
            named = True
    return named


def _from_url(text: str, found: dict[str, str]) -> None:
    parts = urlsplit(text)
    named = _from_path(parts.path, found)
    named = _from_query(parts.query, found) or named
    if not named:
        raise GotoError("This address names no farm, queue, job, step or task.")


def _tokens(text: str) -> list[str]:
    try:
        return shlex.split(text)
    except ValueError:  # unbalanced quotes: fall back on whitespace
        return text.split()


def _from_command(text: str, found: dict[str, str]) -> None:
    """``aws deadline get-task --farm-id F --queue-id Q ...`` (``--x=y`` and any order)."""
    tokens = _tokens(text)
    position = 0
    while position < len(tokens):
        token = tokens[position]
        flag, equals, value = token.partition("=")
        level = _FLAGS.get(flag.lower())
        if level is not None:
            if not equals:
                position += 1
                if position >= len(tokens) or tokens[position].startswith("--"):
                    raise GotoError(f"`{flag}` has no value.")
                value = tokens[position]
            _put(found, level, value)
        position += 1


def _from_bare_ids(text: str, found: dict[str, str]) -> None:
    for token in _SEPARATORS.split(text):
        token = token.strip("'\"<>()[]{}")
        if not token:
            continue
        match = _PREFIXED.match(token)
        if match is None:
            kind = token.split("-", 1)[0].lower()
            if kind in _OTHER_KINDS and "-" in token:
                raise GotoError(
                    f"`{token}` is a {_OTHER_KINDS[kind]} ID: the dashboard opens farms, "
                    "queues, jobs, steps and tasks."
                )
            shown = token if len(token) <= 80 else token[:77] + "..."
            raise GotoError(f"`{shown}` is not a farm, queue, job, step or task ID.")
        _put(found, match.group(1).lower(), token)


def resolve(text: str) -> Destination:
    """The deepest level ``text`` names, with every level above it; GotoError otherwise."""
    text = (text or "").strip()
    if not text:
        raise GotoError("Paste a dashboard URL, an API path, an AWS CLI command or some IDs.")
    if len(text) > MAX_INPUT:
        raise GotoError(f"That is too long to be an address or IDs ({len(text)} characters).")
    if "\x00" in text:
        raise GotoError("The input contains a null character.")
    found: dict[str, str] = {}
    lowered = text.lower()
    if any(flag in lowered for flag in _FLAGS):
        _from_command(text, found)
    elif "://" in text or text.startswith(("/", "?")):
        _from_url(text, found)
    else:
        _from_bare_ids(text, found)
    if not found:
        raise GotoError("No farm, queue, job, step or task ID was found in the input.")
    deepest = max(found, key=LEVELS.index)
    for level in LEVELS[: LEVELS.index(deepest)]:
        if level not in found:
            raise GotoError(
                f"{_article(level).capitalize()} {level} ID is needed to open "
                f"{_article(deepest)} {deepest}."
            )
    return Destination(ids=tuple((level, found[level]) for level in LEVELS if level in found))
