"""Hostile input on every URL pattern, query parameter and form field (hypothesis).

Whatever arrives, the dashboard answers 200/204/302/304/400/404 (never 500: the test client
re-raises any exception a view lets escape), and no API request carries an ID that breaks
the API's pattern. Routes come from the resolver, so new pages are fuzzed automatically.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from axes.models import AccessAttempt
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from deadline_emulator import Emulator
from tests.security.conftest import ApiCalls, Hostile
from tests.security.fuzz import (
    ENCODINGS,
    FUZZ,
    PARAMETERS,
    hostile_text,
    htmx_headers,
    matching,
    path_segment,
    query_pairs,
)
from tests.security.routes import DATABASE_PAGES, Route, all_routes, page_urls

# The demo world never denies access nor fails, so 403 and 503 would be bugs here.
EXPECTED = {200, 204, 302, 304, 400, 404}
AUTH_PAGES = frozenset({"login", "logout"})
# The audit's pages read the database (fuzzed with one in tests/tasks_app/views/test_audit.py).
ROUTES = [route for route in all_routes() if str(route) not in DATABASE_PAGES]

# Reprs of 5,000-character examples are large, and fine.
pytestmark = [
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisWarning"),
    pytest.mark.read_only_world,
]


def _real_values(hostile: Hostile, emulator: Emulator) -> list[str]:
    """IDs that exist, so fuzzing reaches past the 404s into the views' real work."""
    actions = emulator.backend.list_session_actions(
        farm_id=hostile.farm_id,
        queue_id=hostile.queue_id,
        job_id=hostile.job_id,
        task_id=hostile.task_id,
    )["sessionActions"]
    return [*hostile.kwargs().values(), *(a["sessionActionId"] for a in actions)]


def _fill(route: Route, hostile: Hostile, data: st.DataObject) -> str:
    real = hostile.kwargs()
    values: dict[str, str] = {}
    encoders: dict[str, str] = {}
    for name in route.parameters:
        converter = route.converters.get(name)
        choices = [hostile_text()]
        if converter is not None:
            choices.append(matching(converter.regex))
        if name in real:
            choices.append(st.just(real[name]))
        values[name] = data.draw(st.one_of(*choices), label=name)
        encoders[name] = data.draw(ENCODINGS, label=f"{name} encoding")
    return "/" + re.sub(
        r"<(?:[^>:]+:)?([^>]+)>",
        lambda m: path_segment(values[m.group(1)], encoders[m.group(1)]),
        route.route,
    )


@pytest.mark.parametrize("route", ROUTES, ids=str)
@FUZZ
@given(data=st.data())
def test_every_url_survives_hostile_input(
    route: Route,
    client: Client,
    emulator: Emulator,
    hostile: Hostile,
    api_calls: ApiCalls,
    data: st.DataObject,
) -> None:
    real = _real_values(hostile, emulator)
    pages = list(page_urls(hostile.kwargs(), skip=AUTH_PAGES).values())
    path = _fill(route, hostile, data)
    query = urlencode(data.draw(query_pairs(tuple(real)), label="query"))
    headers = data.draw(htmx_headers(tuple(pages)), label="headers")

    api_calls.clear()
    response = client.get(f"{path}?{query}" if query else path, headers=headers)

    assert response.status_code in EXPECTED, (path, query, headers)
    assert api_calls.problems == []
    assert "Content-Security-Policy" in response


@FUZZ
@given(data=st.data())
def test_sign_in_form_survives_hostile_input(
    client: Client, operator: object, emulator: Emulator, data: st.DataObject
) -> None:
    # The failed-sign-in lockout (in the database here) would answer 429 after five examples.
    AccessAttempt.objects.all().delete()
    fields = data.draw(
        st.fixed_dictionaries(
            {},
            optional={
                "username": st.one_of(hostile_text(), st.just("ada")),
                "password": hostile_text(),
                "next": st.one_of(hostile_text(), st.just("/farms/")),
                "csrfmiddlewaretoken": hostile_text(),
            },
        ),
        label="form",
    )
    next_url = data.draw(hostile_text(), label="next in query")
    response = client.post(f"/login/?{urlencode({'next': next_url})}", fields)
    assert response.status_code in {200, 302, 400}
    if response.status_code == 302:  # never an open redirect
        location = urlsplit(response["Location"])
        assert not location.netloc and not location.scheme
        assert not response["Location"].startswith(("//", "/\\"))
    response = client.get("/login/", {"next": next_url})
    assert response.status_code == 200


@FUZZ
@given(data=st.data())
def test_without_a_session_nothing_reaches_the_api(
    client: Client,
    login_mode: None,
    emulator: Emulator,
    hostile: Hostile,
    api_calls: ApiCalls,
    data: st.DataObject,
) -> None:
    route = data.draw(st.sampled_from([r for r in all_routes() if str(r) not in {"readyz"}]))
    real = _real_values(hostile, emulator)
    path = _fill(route, hostile, data)
    query = urlencode(data.draw(query_pairs(tuple(real)), label="query"))
    headers = data.draw(htmx_headers(()), label="headers")
    api_calls.clear()
    response = client.get(f"{path}?{query}", headers=headers)
    assert response.status_code in {200, 302, 404}, (path[:200], query[:200], headers)
    assert api_calls.calls == []


@FUZZ
@given(name=hostile_text())
def test_remote_user_header_survives_hostile_names(
    client: Client, remote_user_mode: None, hostile: Hostile, name: str
) -> None:
    response = client.get("/farms/", headers={"X-Forwarded-User": name})
    assert response.status_code in {200, 403}


class _FieldNames(HTMLParser):
    """Names of form fields, and query parameter names of same-site links."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in {"input", "select", "textarea", "button"} and attributes.get("name"):
            self.names.add(str(attributes["name"]))
        for attribute in ("href", "hx-get", "action", "data-poll-url"):
            url = attributes.get(attribute)
            if url and not urlsplit(url).netloc:
                self.names.update(key for key, _ in parse_qsl(urlsplit(url).query))


def test_parameter_names_cover_every_form_field_and_link(
    client: Client, hostile: Hostile, emulator: Emulator
) -> None:
    """The fuzzed parameter names include every field and link parameter pages use."""
    urls = list(page_urls(hostile.kwargs(), skip=AUTH_PAGES).values())
    step = page_urls(hostile.kwargs())["step_detail"]
    urls += ["/?" + urlencode(hostile.kwargs()), f"{step}?status=FAILED", "/go/?q=x"]
    parser = _FieldNames()
    for url in urls:
        parser.feed(client.get(url, follow=True).content.decode())
    ignored = {"csrfmiddlewaretoken"}
    assert parser.names - ignored - set(PARAMETERS) == set()
    assert {"q", "farm_id", "task_search", "sort", "attempt"} <= parser.names
