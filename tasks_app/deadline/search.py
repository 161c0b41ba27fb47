"""Search* names at run time: which names a request uses, what this backend did with them, and
the one call that learns from a refusal.

The table of names (confirmed by a public client, or only assumed) is
``deadline_facts.search_names``; the emulator reads it too. An account may refuse a name
(ValidationException) or silently ignore it. ``search`` calls a Search* operation and, when
the service refuses a name the request used, remembers it for this backend (shared cache) and
raises ``NamesUnusable``, so the caller falls back on what is confirmed and the next page does
not pay for the refusal again. Names the service ignores are caught by the callers' checks of
the answer (``remember(..., IGNORED)``), since only they know what the rows should look like.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError
from django.conf import settings

from deadline_facts import search_names as facts

from . import resilience
from .cache import cache_key
from .calls import call
from .errors import InvalidRequest

logger = logging.getLogger(__name__)

ACCEPTED = "accepted"
REFUSED = "refused"
IGNORED = "ignored"


@dataclass(frozen=True)
class NameUse:
    """One name a Search* request uses, and where in it (``sortExpressions[0].fieldSort``)."""

    operation: str
    kind: str  # a deadline_facts kind: stringFilter, fieldSort, searchTermFilter, ...
    name: str  # the field name, the matchType, or "*" for a parameter filter/sort
    path: str

    @property
    def confirmed(self) -> bool:
        return facts.is_confirmed(self.operation, self.kind, self.name)

    @property
    def label(self) -> str:
        return facts.label(self.kind, self.name)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.operation, self.kind, self.name)


class NamesUnusable(InvalidRequest):
    """The service refuses (or is known to refuse or ignore) names this request uses."""

    def __init__(self, uses: list[NameUse], verdict: str) -> None:
        self.uses = uses
        self.verdict = verdict
        labels = ", ".join(sorted({use.label for use in uses}))
        super().__init__(f"{uses[0].operation} {verdict} {labels}")


def names_in(operation: str, request: Mapping[str, Any]) -> list[NameUse]:
    """Every filter and sort name ``request`` uses (nested groups included)."""
    uses = list(_filter_names(operation, request.get("filterExpressions"), "filterExpressions"))
    for n, expression in enumerate(request.get("sortExpressions") or ()):
        for kind, body in expression.items():
            path = f"sortExpressions[{n}].{kind}"
            if kind == "fieldSort":
                uses.append(NameUse(operation, facts.FIELD, str(body.get("name")), path))
            elif kind == "parameterSort":
                uses.append(NameUse(operation, facts.PARAMETER_SORT, facts.ANY_PARAMETER, path))
    return uses


def _filter_names(operation: str, group: Any, path: str) -> Iterator[NameUse]:
    if not isinstance(group, Mapping):
        return
    for n, expression in enumerate(group.get("filters") or ()):
        for kind, body in expression.items():
            where = f"{path}.filters[{n}].{kind}"
            if kind == "groupFilter":
                yield from _filter_names(operation, body, f"{path}.filters[{n}].groupFilter")
            elif kind in ("stringFilter", "stringListFilter"):
                yield NameUse(operation, facts.STRING, str(body.get("name")), where)
            elif kind == "dateTimeFilter":
                yield NameUse(operation, facts.DATE_TIME, str(body.get("name")), where)
            elif kind == "searchTermFilter":
                match_type = str(body.get("matchType") or "FUZZY_MATCH")
                yield NameUse(operation, facts.SEARCH_TERM, match_type, where)
            elif kind == "parameterFilter":
                yield NameUse(operation, facts.PARAMETER_FILTER, facts.ANY_PARAMETER, where)


def _verdict_key(use: NameUse) -> str:
    return cache_key("search-verdict", *use.key)


def verdict(use: NameUse) -> str | None:
    """What this backend was seen doing with the name (None: nothing learned yet)."""
    key = _verdict_key(use)
    return resilience.get_many([key]).get(key)


def remember(use: NameUse, what: str) -> None:
    """Record, for this backend and DEADLINE_SEARCH_VERDICT_SECONDS, what it did with a name."""
    if verdict(use) != what:
        logger.warning("%s %s the %s %s", use.operation, what, use.kind, use.label)
    resilience.set_many({_verdict_key(use): what}, settings.DEADLINE_SEARCH_VERDICT_SECONDS)


def unusable(uses: list[NameUse]) -> tuple[list[NameUse], str] | None:
    """The names this backend is known to refuse or ignore, and which of the two (one cache
    round trip for them all)."""
    keys = {use: _verdict_key(use) for use in uses}
    known = resilience.get_many(list(keys.values()))
    for bad in (REFUSED, IGNORED):
        found = [use for use, key in keys.items() if known.get(key) == bad]
        if found:
            return found, bad
    return None


def string_filter(name: str, value: str) -> dict[str, Any]:
    """A Search* filter: ``name`` EQUAL ``value``."""
    return {"stringFilter": {"name": name, "operator": "EQUAL", "value": value}}


def string_list_filter(name: str, values: Iterable[str]) -> dict[str, Any]:
    """A Search* filter: ``name`` ANY_EQUALS one of ``values``."""
    return {"stringListFilter": {"name": name, "operator": "ANY_EQUALS", "values": list(values)}}


def since_filter(name: str, when: datetime) -> dict[str, Any]:
    """A Search* filter: the date ``name`` at or after ``when``."""
    return {"dateTimeFilter": {"name": name, "operator": "GREATER_THAN_EQUAL_TO", "dateTime": when}}


def search(operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Call a Search* operation, unless it uses names this backend refuses or ignores.

    Raises ``NamesUnusable`` (known names: no call made; a fresh refusal: remembered), any
    other ``DeadlineError`` as ``calls.call`` does.
    """
    uses = names_in(operation, params)
    known = unusable(uses)
    if known is not None:
        raise NamesUnusable(*known)
    try:
        return call(operation, **params)
    except InvalidRequest as exc:
        refused = refused_names(exc, uses)
        if not refused:
            raise
        for use in refused:
            remember(use, REFUSED)
        raise NamesUnusable(refused, REFUSED) from exc


def refused_names(exc: InvalidRequest, uses: list[NameUse]) -> list[NameUse]:
    """Which of ``uses`` a ValidationException refused: those its ``fieldList`` points at, else
    those its message names, else (it names none) every unconfirmed one; [] when the error is
    not about names (only confirmed names were sent and none is named)."""
    cause = exc.__cause__
    if not isinstance(cause, ClientError):
        return []
    response = cause.response
    if str(response.get("Error", {}).get("Code")) != "ValidationException":
        return []
    fields = [f for f in response.get("fieldList") or () if isinstance(f, Mapping)]
    paths = [str(f.get("name", "")) for f in fields]
    pointed = [
        use
        for use in uses
        if any(
            "[" in path and (path == use.path or path.startswith(use.path + ".")) for path in paths
        )
    ]
    if pointed:
        return pointed
    text = " ".join(
        [str(response.get("Error", {}).get("Message", ""))]
        + [str(f.get("message", "")) for f in fields]
    )
    named = [
        use
        for use in uses
        if use.name != facts.ANY_PARAMETER
        and re.search(rf"(?<![A-Z_]){re.escape(use.name)}(?![A-Z_])", text)
    ]
    if named:
        return named
    return [use for use in uses if not use.confirmed]
