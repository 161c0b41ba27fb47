"""The step listing's compact rows sort and filter exactly as the TaskSummary rows they stand
for, and their cached form still reads as a TaskListing (the render-times summary peeks it)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from tasks_app.deadline.types import TaskListing
from tasks_app.selectors.search_sorting import sort_rows
from tasks_app.selectors.task_listing import (
    SORT_VALUES,
    RowQuery,
    StepRows,
    filtered_sorted,
    search_matcher,
)

STEP = "a" * 32
BASE = datetime(2026, 11, 23, 5, tzinfo=UTC)


def api_rows(count: int) -> list[dict]:
    """ListTasks summaries as botocore gives them: datetimes, some members missing."""
    pick = random.Random(7)
    rows = []
    for i in range(count):
        row = {
            "taskId": f"task-{STEP}-{i}",
            "runStatus": pick.choice(["SUCCEEDED", "FAILED", "RUNNING", "READY"]),
            "createdAt": BASE,
            "createdBy": "ana",
            "parameters": {"Frame": {"int": str(i + 1)}, "Layer": {"string": pick.choice("ab")}},
        }
        if pick.random() < 0.8:
            row["failureRetryCount"] = pick.randrange(3)
        if pick.random() < 0.7:
            row["startedAt"] = BASE + timedelta(seconds=pick.randrange(50), microseconds=1000)
            row["endedAt"] = row["startedAt"] + timedelta(seconds=pick.randrange(50))
            row["updatedAt"] = row["endedAt"]
        rows.append(row)
    return rows


@pytest.fixture(scope="module")
def listing() -> StepRows:
    return StepRows.from_api({"tasks": api_rows(400)})


@pytest.mark.parametrize("field", sorted(SORT_VALUES))
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize(("status", "search"), [("", ""), ("FAILED", ""), ("", "Layer=a")])
def test_rows_sort_and_filter_as_their_summaries_do(
    listing: StepRows, field: str, descending: bool, status: str, search: str
) -> None:
    query = RowQuery(status, search, field, descending, offset=0, page_size=50)
    summaries = listing.summaries(listing.rows, f"step-{STEP}")
    wanted = [t for t in summaries if not status or t.run_status.value == status]
    matches = search_matcher(search, ("Frame", "Layer"))
    wanted = [t for t in wanted if matches is None or matches(t)]
    keys = [(SORT_VALUES[field], descending)]
    if field != "TASK_ID":
        keys.append((SORT_VALUES["TASK_ID"], False))

    found = filtered_sorted(listing.rows, query, ("Frame", "Layer"))

    assert [r["taskId"] for r in found] == [t.task_id for t in sort_rows(wanted, keys)]


def test_the_cached_form_is_compact_and_reads_as_a_task_listing(listing: StepRows) -> None:
    cached = listing.to_cache()

    assert StepRows.from_cache(cached).rows == listing.rows
    assert all("stepId" not in row and "createdBy" not in row for row in cached["tasks"])
    as_listing = TaskListing.from_cache(cached)
    assert [t.task_id for t in as_listing.tasks] == [r["taskId"] for r in listing.rows]
    assert as_listing.tasks[0].parameters == listing.summaries(listing.rows[:1], "x")[0].parameters
