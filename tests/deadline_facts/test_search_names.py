"""The confirmed/assumed table: every name it lists names a real member, the confirmed ones
cite a public client, and the emulator and docs/search.md read the same table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from deadline_emulator.search import (
    JOB_FIELDS,
    STEP_FIELDS,
    TASK_FIELDS,
    WORKER_FIELDS,
    SearchFields,
)
from deadline_emulator.service_model import deadline_model
from deadline_facts import search_names as sn

REPO = Path(__file__).resolve().parents[2]
SUMMARIES = {
    "SearchJobs": "JobSearchSummary",
    "SearchSteps": "StepSearchSummary",
    "SearchTasks": "TaskSearchSummary",
    "SearchWorkers": "WorkerSearchSummary",
}


@pytest.mark.parametrize("row", sn.SEARCH_NAMES, ids=lambda r: f"{r.operation}-{r.kind}-{r.name}")
def test_every_name_names_a_member_of_the_search_summary(row: sn.SearchName) -> None:
    members = deadline_model().shape(SUMMARIES[row.operation])["members"]
    assert row.member in members
    if row.kind in (sn.STRING, sn.DATE_TIME, sn.FIELD):
        # The naming rule: the upper-snake form of the member.
        assert row.name == re.sub(r"(?<!^)([A-Z])", r"_\1", row.member).upper()


def test_confirmed_names_cite_released_versions_and_a_file_and_assumed_ones_the_convention() -> (
    None
):
    released = "deadline " + ", ".join(sn.RELEASES_READ) + ": client/"
    for row in sn.SEARCH_NAMES:
        if row.confirmed:
            assert row.source.startswith(released), row
            assert re.search(r"client/[\w/]+\.py", row.source), row
        else:
            assert row.status == sn.ASSUMED and row.source == sn.CONVENTION, row


def test_the_releases_read_are_three_consecutive_released_versions() -> None:
    assert sn.RELEASES_READ == ("0.60.8", "0.60.9", "0.60.10")


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        (sn.DATE_TIME, "STARTED_AT"),
        (sn.DATE_TIME, "UPDATED_AT"),
        (sn.FIELD, "STARTED_AT"),
        (sn.FIELD, "ENDED_AT"),
        (sn.FIELD, "UPDATED_AT"),
    ],
)
def test_job_dates_no_released_client_sends_are_assumed(kind: str, name: str) -> None:
    # Only the unreleased client/api/_list_jobs_recent_by_timestamp_field.py sends these.
    row = sn.lookup("SearchJobs", kind, name)
    assert row is not None and not row.confirmed and row.source == sn.CONVENTION


def test_what_public_clients_send_is_confirmed() -> None:
    # Read in the `deadline` package: job list / TUI / recent-by-timestamp / _mcp / downloads.
    assert sn.is_confirmed("SearchJobs", sn.STRING, "TASK_RUN_STATUS")
    assert sn.is_confirmed("SearchJobs", sn.FIELD, "CREATED_AT")
    assert sn.is_confirmed("SearchJobs", sn.DATE_TIME, "ENDED_AT")
    assert sn.is_confirmed("SearchJobs", sn.DATE_TIME, "CREATED_AT")
    assert sn.is_confirmed("SearchJobs", sn.SEARCH_TERM, "CONTAINS")
    # Never sent by a public client: the step page's names.
    for kind, name in [(sn.STRING, "RUN_STATUS"), (sn.STRING, "STEP_ID"), (sn.FIELD, "TASK_ID")]:
        assert not sn.is_confirmed("SearchTasks", kind, name)
        assert sn.lookup("SearchTasks", kind, name) is not None
    assert not sn.is_confirmed("SearchJobs", sn.FIELD, "PRIORITY")


def test_task_run_status_is_not_a_task_field() -> None:
    assert sn.lookup("SearchTasks", sn.STRING, "TASK_RUN_STATUS") is None
    assert sn.lookup("SearchTasks", sn.FIELD, "TASK_RUN_STATUS") is None
    assert "runStatus" in sn.MISNAMED["SearchTasks", "TASK_RUN_STATUS"]


@pytest.mark.parametrize(
    "fields", [JOB_FIELDS, STEP_FIELDS, TASK_FIELDS, WORKER_FIELDS], ids=lambda f: f.operation
)
def test_the_emulator_understands_every_name_of_the_table(fields: SearchFields) -> None:
    for row in sn.names(fields.operation):
        table = {sn.STRING: fields.strings, sn.DATE_TIME: fields.datetimes, sn.FIELD: fields.sorts}
        if row.kind in table:
            assert row.name in table[row.kind], row
        elif row.kind in (sn.PARAMETER_FILTER, sn.PARAMETER_SORT):
            assert fields.parameters == row.member


def test_the_readme_shows_the_table() -> None:
    assert sn.markdown_table() in (REPO / "docs" / "search.md").read_text()
