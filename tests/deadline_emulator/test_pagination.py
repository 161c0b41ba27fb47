"""List* tokens and Search* offsets, filters and sorts, called on the backend directly."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from deadline_emulator.clock import Clock
from deadline_emulator.exceptions import ValidationException
from deadline_emulator.models import DeadlineBackend
from deadline_emulator.pagination import encode_token
from deadline_emulator.seed import DEMO_EPOCH


def kw(ids: dict[str, Any]) -> dict[str, Any]:
    return {re.sub(r"[A-Z]", lambda m: "_" + m.group().lower(), k): v for k, v in ids.items()}


@pytest.fixture
def b() -> DeadlineBackend:
    return DeadlineBackend(seed=0, clock=Clock(pinned_at=DEMO_EPOCH + 3600))


def test_list_tasks_pages_through_the_10000_task_step(b: DeadlineBackend) -> None:
    lm = b.landmarks()
    ids, token, calls = [], None, 0
    while True:
        page = b.list_tasks(**kw(lm["big_step"]), next_token=token, max_results=100)
        calls += 1
        assert len(page["tasks"]) == 100
        ids += [t["taskId"] for t in page["tasks"]]
        token = page.get("nextToken")
        if token is None:
            break
    assert calls == 100
    assert len(set(ids)) == 10_000
    assert ids[-1] == lm["big_last_task"]["taskId"]


def test_default_page_is_100(b: DeadlineBackend) -> None:
    page = b.list_tasks(**kw(b.landmarks()["big_step"]))
    assert len(page["tasks"]) == 100 and "nextToken" in page


def test_search_tasks_reaches_the_end_with_item_offset(b: DeadlineBackend) -> None:
    lm = b.landmarks()
    big = lm["big_job"]
    offset: int | None = 0
    seen = 0
    while offset is not None:
        page = b.search_tasks(
            farm_id=big["farmId"],
            queue_ids=[big["queueId"]],
            job_id=big["jobId"],
            item_offset=offset,
            page_size=100,
        )
        assert page["totalResults"] == 10_000
        seen += len(page["tasks"])
        offset = page.get("nextItemOffset")
    assert seen == 10_000


@pytest.mark.parametrize(
    "token",
    ["garbage!!", encode_token("0123456789ab", [5]), "eyJxIjogMX0"],
)
def test_foreign_or_broken_tokens_are_validation_errors(b: DeadlineBackend, token: str) -> None:
    with pytest.raises(ValidationException):
        b.list_tasks(**kw(b.landmarks()["big_step"]), next_token=token)


def test_a_token_from_another_query_is_refused(b: DeadlineBackend) -> None:
    lm = b.landmarks()
    token = b.list_tasks(**kw(lm["big_step"]), max_results=1)["nextToken"]
    with pytest.raises(ValidationException) as excinfo:
        b.list_steps(**kw(lm["big_job"]), next_token=token)
    assert excinfo.value.members["fieldList"][0]["name"] == "nextToken"


def test_list_jobs_pages_are_stable_while_new_jobs_arrive(b: DeadlineBackend) -> None:
    queue = b.landmarks()["queues"]["Feature Lighting"]
    first = b.list_jobs(**kw(queue), max_results=5)
    b.clock.advance(3600)
    rest, token = [], first["nextToken"]
    while token:
        page = b.list_jobs(**kw(queue), max_results=5, next_token=token)
        rest += page["jobs"]
        token = page.get("nextToken")
    ids = [j["jobId"] for j in first["jobs"] + rest]
    assert len(ids) == len(set(ids))
    created = [j["createdAt"] for j in first["jobs"] + rest]
    assert created == sorted(created, reverse=True)


def search(b: DeadlineBackend, **extra: Any) -> dict[str, Any]:
    queue = b.landmarks()["queues"]["Feature Lighting"]
    return b.search_tasks(
        farm_id=queue["farmId"], queue_ids=[queue["queueId"]], item_offset=0, **extra
    )


def test_search_tasks_filters_failed_tasks(b: DeadlineBackend) -> None:
    big = b.landmarks()["big_job"]
    answer = b.search_tasks(
        farm_id=big["farmId"],
        queue_ids=[big["queueId"]],
        job_id=big["jobId"],
        item_offset=0,
        filter_expressions={
            "filters": [
                {
                    "stringFilter": {
                        "name": "RUN_STATUS",
                        "operator": "EQUAL",
                        "value": "FAILED",
                    }
                }
            ],
            "operator": "AND",
        },
    )
    step = b.get_step(**kw(b.landmarks()["big_step"]))
    assert answer["totalResults"] == step["taskRunStatusCounts"]["FAILED"]
    assert {t["runStatus"] for t in answer["tasks"]} == {"FAILED"}


def test_grouped_or_and_string_list_filters(b: DeadlineBackend) -> None:
    either = search(
        b,
        filter_expressions={
            "operator": "OR",
            "filters": [
                {
                    "stringFilter": {
                        "name": "RUN_STATUS",
                        "operator": "EQUAL",
                        "value": "FAILED",
                    }
                },
                {
                    "stringFilter": {
                        "name": "RUN_STATUS",
                        "operator": "EQUAL",
                        "value": "CANCELED",
                    }
                },
            ],
        },
    )
    listed = search(
        b,
        filter_expressions={
            "operator": "AND",
            "filters": [
                {
                    "groupFilter": {
                        "operator": "AND",
                        "filters": [
                            {
                                "stringListFilter": {
                                    "name": "RUN_STATUS",
                                    "operator": "ANY_EQUALS",
                                    "values": ["FAILED", "CANCELED"],
                                }
                            }
                        ],
                    }
                }
            ],
        },
    )
    assert either["totalResults"] == listed["totalResults"] > 0


def test_date_filter_and_descending_sort(b: DeadlineBackend) -> None:
    cutoff = b.clock.now_datetime() - timedelta(hours=2)
    answer = search(
        b,
        filter_expressions={
            "operator": "AND",
            "filters": [
                {
                    "dateTimeFilter": {
                        "name": "ENDED_AT",
                        "operator": "GREATER_THAN",
                        "dateTime": cutoff,
                    }
                }
            ],
        },
        sort_expressions=[{"fieldSort": {"name": "ENDED_AT", "sortOrder": "DESCENDING"}}],
    )
    ended = [t["endedAt"] for t in answer["tasks"]]
    assert ended and all(e > cutoff for e in ended)
    assert ended == sorted(ended, reverse=True)


def test_parameter_filter_and_sort(b: DeadlineBackend) -> None:
    big = b.landmarks()["big_job"]
    answer = b.search_tasks(
        farm_id=big["farmId"],
        queue_ids=[big["queueId"]],
        job_id=big["jobId"],
        item_offset=0,
        page_size=10,
        filter_expressions={
            "operator": "AND",
            "filters": [
                {
                    "parameterFilter": {
                        "name": "Frame",
                        "operator": "GREATER_THAN_EQUAL_TO",
                        "value": "9990",
                    }
                }
            ],
        },
        sort_expressions=[{"parameterSort": {"name": "Frame", "sortOrder": "DESCENDING"}}],
    )
    frames = [t["parameters"]["Frame"]["int"] for t in answer["tasks"]]
    assert answer["totalResults"] == 11
    assert frames == [str(f) for f in range(10000, 9990, -1)]


def test_search_jobs_sorts_and_filters(b: DeadlineBackend) -> None:
    queues = [
        q["queueId"]
        for q in b.landmarks()["queues"].values()
        if q["farmId"] == b.landmarks()["farm_main"]
    ]
    answer = b.search_jobs(
        farm_id=b.landmarks()["farm_main"],
        queue_ids=queues,
        item_offset=0,
        page_size=100,
        filter_expressions={
            "operator": "AND",
            "filters": [{"searchTermFilter": {"searchTerm": "lighting"}}],
        },
        sort_expressions=[{"fieldSort": {"name": "PRIORITY", "sortOrder": "DESCENDING"}}],
    )
    priorities = [j["priority"] for j in answer["jobs"]]
    assert priorities == sorted(priorities, reverse=True)
    assert all("lighting" in j["name"].lower() for j in answer["jobs"])
    assert answer["totalResults"] == len(answer["jobs"]) > 0


def test_user_jobs_first(b: DeadlineBackend) -> None:
    lm = b.landmarks()
    queues = [q["queueId"] for q in lm["queues"].values() if q["farmId"] == lm["farm_main"]]
    user = "maria.chen@lighthouse.example"
    answer = b.search_jobs(
        farm_id=lm["farm_main"],
        queue_ids=queues,
        item_offset=0,
        sort_expressions=[{"userJobsFirst": {"userIdentityId": user}}],
    )
    mine = [j["createdBy"] == user for j in answer["jobs"]]
    assert mine[0] and mine == sorted(mine, reverse=True)


@pytest.mark.parametrize(
    ("filters", "sorts", "named"),
    [
        (
            {
                "operator": "AND",
                "filters": [
                    {"stringFilter": {"name": "COLOUR", "operator": "EQUAL", "value": "x"}}
                ],
            },
            None,
            "COLOUR",
        ),
        (
            {
                "operator": "AND",
                "filters": [
                    {
                        "stringFilter": {
                            "name": "RUN_STATUS",
                            "operator": "LESS_THAN",
                            "value": "x",
                        }
                    }
                ],
            },
            None,
            "LESS_THAN",
        ),
        (None, [{"fieldSort": {"name": "SHOE_SIZE", "sortOrder": "ASCENDING"}}], "SHOE_SIZE"),
    ],
)
def test_unsupported_names_are_validation_errors(
    b: DeadlineBackend, filters: Any, sorts: Any, named: str
) -> None:
    with pytest.raises(ValidationException) as excinfo:
        search(b, filter_expressions=filters, sort_expressions=sorts)
    assert named in excinfo.value.message


def test_search_window_caps_total_results(b: DeadlineBackend) -> None:
    queue = b.landmarks()["queues"]["Feature Lighting"]
    assert search(b)["totalResults"] == 10_000  # the queue holds more tasks than the window
    last = b.search_tasks(
        farm_id=queue["farmId"], queue_ids=[queue["queueId"]], item_offset=9_950, page_size=100
    )
    assert len(last["tasks"]) == 50 and "nextItemOffset" not in last
