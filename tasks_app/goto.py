"""The "go to" box: whatever an operator pastes, resolved to the deepest level it names.

Pure functions (no Django, no API): a dashboard URL, an API path
(``/2023-10-12/farms/.../tasks/...``), an ``aws deadline get-task --farm-id ...`` command line
(flags in any order, ``--flag=value`` too), an ARN
(``arn:aws:deadline:<region>:<account>:farm/<id>/queue/<id>/job/<id>``), a Deadline Cloud
monitor link (``https://<sub>.<region>.deadlinecloud.amazonaws.com/<region>/farms/<id>/queues/<id>
?jobId=...&stepId=...&taskId=...``) or bare IDs in any order. Malformed IDs are reported, never
passed on, so nothing reaches the API that the API would refuse.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from .deadline.ids import ID_PATTERNS

LEVELS = ("farm", "queue", "job", "step", "task")
#: The farm side's levels: a fleet in a farm, a worker in a fleet.
FARM_SIDE = ("farm", "fleet", "worker")
MAX_INPUT = 4000

# Path segments (dashboard and API paths alike) naming the ID that follows them.
_COLLECTIONS = {"farms": "farm", "queues": "queue", "jobs": "job", "steps": "step", "tasks": "task"}
_COLLECTIONS.update(fleets="fleet", workers="worker")
_ALL_LEVELS = (*LEVELS, *FARM_SIDE[1:])
_FLAGS = {f"--{level}-id": level for level in _ALL_LEVELS}
# Query-string keys of monitor links (camelCase) and of the dashboard's own forms.
_QUERY_KEYS = {
    **{f"{level}Id": level for level in _ALL_LEVELS},
    **{f"{k}_id": k for k in _ALL_LEVELS},
}
# An ID-looking token: a known prefix, a dash, then anything up to a separator.
_PREFIXED = re.compile(r"^(farm|queue|job|step|task|fleet|worker)-", re.IGNORECASE)
_OTHER_KINDS = {
    "session": "session",
    "sessionaction": "session action",
}
_SEPARATORS = re.compile(r"[\s,;/|]+")
# arn:<partition>:deadline:<region>:<account>:<resource path>. IAM's resource types name the
# path's pairs in the singular (farm/<id>/queue/<id>/job/<id>); fleets, workers, monitors,
# budgets... have ARNs too, but no page here.
_ARN = re.compile(r"arn:([a-z-]*):([a-z0-9-]*):([a-z0-9-]*):(\d*):(\S*)", re.IGNORECASE)
_ARN_LEVELS = {level: level for level in _ALL_LEVELS}
_ARN_OTHER_KINDS = {
    "monitor": "monitor",
    "budget": "budget",
    "license-endpoint": "license endpoint",
    "metered-product": "metered product",
    "storage-profile": "storage profile",
    "queue-environment": "queue environment",
}


MAX_NAME = 512


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


@dataclass(frozen=True)
class JobLookup:
    """A job named without its farm and queue, to be found by reading the visible queues: by
    ID (with any step and task IDs below it, and the farm when given), or by its name."""

    job_id: str = ""
    name: str = ""
    farm_id: str = ""
    deeper: tuple[tuple[str, str], ...] = ()  # (level, id) pairs below the job


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


def _from_arn(text: str, found: dict[str, str]) -> None:
    """``arn:aws:deadline:us-west-2:123456789012:farm/farm-.../queue/queue-.../job/job-...``
    (anywhere in the text, e.g. inside a JSON answer); deeper ``/step/.../task/...`` pairs too."""
    match = _ARN.search(text)
    if match is None:
        raise GotoError("This ARN could not be read.")
    service, resource = match.group(2).lower(), match.group(5).strip("'\",;)]}>")
    if service != "deadline":
        raise GotoError(f"This is an ARN of `{service or '?'}`, not of AWS Deadline Cloud.")
    parts = [unquote(part) for part in resource.split("/")]
    if len(parts) < 2 or not parts[1]:
        raise GotoError("This ARN names no farm, queue, job, step or task.")
    for position in range(0, len(parts) - 1, 2):
        kind, value = parts[position].lower(), parts[position + 1]
        if not value:
            raise GotoError(f"The ARN ends at `{kind}/` without an ID.")
        if kind in _ARN_OTHER_KINDS:
            raise GotoError(
                f"This is the ARN of a {_ARN_OTHER_KINDS[kind]}: the dashboard opens farms, "
                "queues, jobs, steps and tasks."
            )
        level = _ARN_LEVELS.get(kind)
        if level is None:
            shown = kind if len(kind) <= 40 else kind[:37] + "..."
            raise GotoError(f"`{shown}` in this ARN is not a farm, queue, job, step or task.")
        _put(found, level, value)
    if len(parts) % 2:
        raise GotoError(f"The ARN ends at `{parts[-1]}/` without an ID.")


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


def _looks_like_an_id(token: str) -> bool:
    token = token.strip("'\"<>()[]{}")
    kind = token.split("-", 1)[0].lower()
    return _PREFIXED.match(token) is not None or (kind in _OTHER_KINDS and "-" in token)


def _is_a_name(text: str) -> bool:
    """Plain words with no ID among them: a job name (or a piece of one) to search for."""
    return not any(_looks_like_an_id(token) for token in _SEPARATORS.split(text) if token)


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


def _farm_side(found: dict[str, str]) -> Destination:
    """A fleet (farm and fleet IDs) or a worker (farm, fleet and worker IDs)."""
    mixed = [level for level in LEVELS[1:] if level in found]
    if mixed:
        raise GotoError(f"A {mixed[0]} ID and a fleet or worker ID name two different pages.")
    deepest = "worker" if "worker" in found else "fleet"
    for level in FARM_SIDE[: FARM_SIDE.index(deepest)]:
        if level not in found:
            raise GotoError(f"A {level} ID is needed to open {_article(deepest)} {deepest}.")
    return Destination(ids=tuple((level, found[level]) for level in FARM_SIDE if level in found))


def resolve(text: str) -> Destination | JobLookup:
    """The deepest level ``text`` names, with every level above it; a JobLookup for a job ID
    without its queue or for plain words (a job name); GotoError otherwise."""
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
    elif _ARN.search(text) is not None:
        _from_arn(text, found)
    elif "://" in text or text.startswith(("/", "?")):
        _from_url(text, found)
    elif _is_a_name(text):
        name = " ".join(text.split())
        if len(name) > MAX_NAME or any(ord(c) < 32 or ord(c) == 127 for c in name):
            raise GotoError("That is not a job name: too long, or with control characters.")
        return JobLookup(name=name)
    else:
        _from_bare_ids(text, found)
    if not found:
        raise GotoError("No farm, queue, job, step or task ID was found in the input.")
    if "fleet" in found or "worker" in found:
        return _farm_side(found)
    if "job" in found and "queue" not in found:
        # A job ID alone (its queue not given): found by reading the visible queues.
        deeper = tuple((level, found[level]) for level in ("step", "task") if level in found)
        if "task" in found and "step" not in found:
            raise GotoError("A step ID is needed to open a task.")
        return JobLookup(job_id=found["job"], farm_id=found.get("farm", ""), deeper=deeper)
    deepest = max(found, key=LEVELS.index)
    for level in LEVELS[: LEVELS.index(deepest)]:
        if level not in found:
            raise GotoError(
                f"{_article(level).capitalize()} {level} ID is needed to open "
                f"{_article(deepest)} {deepest}."
            )
    return Destination(ids=tuple((level, found[level]) for level in LEVELS if level in found))
