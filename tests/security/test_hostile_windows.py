"""Every hostile value, in turn, in each parameter of the pages that read a time window, a
grouping or an htmx part (usage, a job's timeline, blockers, fleets, a task's worker log): the
random fuzzing of test_hostile_input.py seldom pairs such a name with a value that reaches the
parsing, so each pairing is tried here once. Never a 500, never a malformed ID."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client

from tasks_app.selectors.usage.usage import GROUPS
from tests.security.conftest import ApiCalls, Hostile
from tests.security.fuzz import SAMPLES, recent_moments
from tests.security.routes import page_urls
from tests.security.test_hostile_input import EXPECTED

pytestmark = pytest.mark.read_only_world

#: route name -> the parameters it reads (beyond those every page reads).
READERS = {
    "farm_usage": ("days", "start", "end", "group", "queue", "format"),
    "job_timeline": ("start", "end"),
    "job_blockers": ("part",),
    "step_blockers": ("part",),
    "fleet_list": ("summary",),
    "task_detail": ("log",),
}
VALUES = [
    *SAMPLES,
    *GROUPS,
    *recent_moments(),
    *("worker", "line", "graph", "links", "csv", "json", "1", "7", "90", "91"),
    "<a\u00e9'%" * 700,
]
#: Parameters read only by an htmx request (the others are tried without htmx).
HTMX_ONLY = {"part", "summary", "queue"}
#: Pages that refuse a malformed window or grouping with a 400 (proof the value was parsed).
VALIDATED = {"farm_usage", "job_timeline"}


@pytest.mark.parametrize("name", sorted(READERS))
def test_each_window_parameter_survives_each_hostile_value(
    name: str, client: Client, hostile: Hostile, api_calls: ApiCalls
) -> None:
    url = page_urls(hostile.kwargs())[name]
    problems: list[tuple[object, ...]] = []
    statuses: set[int] = set()
    for parameter in READERS[name]:
        # Beside a valid other end of the window, so the parsing of both is reached.
        partner = {"start": "end", "end": "start"}.get(parameter)
        for value in VALUES:
            query = {parameter: value}
            if partner:
                two_days_ago, _, two_minutes_ago, _ = recent_moments()
                query[partner] = two_days_ago if partner == "start" else two_minutes_ago
            headers = {"HX-Request": "true"} if parameter in HTMX_ONLY else {}
            api_calls.clear()
            response = client.get(f"{url}?{urlencode(query)}", headers=headers)
            statuses.add(response.status_code)
            if response.status_code not in EXPECTED or api_calls.problems:
                problems.append((query, headers, response.status_code, api_calls.problems))
    assert problems == []
    assert 200 in statuses
    if name in VALIDATED:
        assert 400 in statuses
