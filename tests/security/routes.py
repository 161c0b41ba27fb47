"""Every URL pattern of the project, found by walking the resolver (new pages are covered
without touching these tests), and ways to fill in their path parameters."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

_PLACEHOLDER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    """One URL pattern: its name, its route text and its converters by parameter name."""

    name: str | None
    route: str
    converters: Mapping[str, Any]

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(m.group("name") for m in _PLACEHOLDER.finditer(self.route))

    def build(self, values: Mapping[str, str], encode: Callable[[str], str] = str) -> str:
        """The path with each parameter replaced by ``encode(values[name])``."""
        return "/" + _PLACEHOLDER.sub(lambda m: encode(values[m.group("name")]), self.route)

    def __str__(self) -> str:
        return self.name or self.route


def _walk(resolver: URLResolver, prefix: str, found: list[Route]) -> None:
    for entry in resolver.url_patterns:
        pattern = entry.pattern
        if isinstance(pattern, RoutePattern):
            text = str(pattern)
        elif isinstance(pattern, RegexPattern) and isinstance(entry, URLPattern) and entry.name:
            if pattern.regex.groups:
                raise AssertionError(f"re_path {pattern} has groups: teach routes.py about it")
            text = reverse(entry.name).lstrip("/")
            text = text[len(prefix) :] if text.startswith(prefix) else text
        else:
            raise AssertionError(f"unexpected URL pattern {entry!r}: teach routes.py about it")
        if isinstance(entry, URLResolver):
            _walk(entry, prefix + text, found)
        else:
            converters = dict(getattr(pattern, "converters", {}) or {})
            found.append(Route(name=entry.name, route=prefix + text, converters=converters))


def all_routes() -> list[Route]:
    found: list[Route] = []
    _walk(get_resolver(), "", found)
    return found


#: Pages that read the dashboard's own database (the audit of actions, notifications), not the
#: API: tests without a database leave them out; tests/tasks_app/views/test_actions.py and
#: test_notifications.py cover them.
DATABASE_PAGES = frozenset(
    {
        "audit",
        "action_result",
        "notifications",
        "notification_deliveries",
        "notification_rule_create",
        "notification_rule_remove",
        "notification_rule_test",
        "notification_rule_snooze",
        "notification_follow",
        "notification_read",
        "notification_job_snooze",
        "machine_action_result",
        # The attention list and its count read the acknowledgements.
        "attention",
        "attention_count",
    }
)


def page_urls(
    ids: Mapping[str, str], *, skip: frozenset[str] = frozenset(), database: bool = False
) -> dict[str, str]:
    """route name -> URL for every route whose parameters ``ids`` fills (e.g. the hostile
    job's IDs), except the names in ``skip`` (and the database's pages unless ``database``)."""
    urls = {}
    if not database:
        skip = skip | DATABASE_PAGES
    for route in all_routes():
        if str(route) in skip or not set(route.parameters) <= set(ids):
            continue
        urls[str(route)] = route.build(ids)
    return urls
