"""The job table's date sorts that no released client sends (STARTED_AT, ENDED_AT, UPDATED_AT
are assumed names): refused (strict) or ignored (ignore), the table still shows the queue's
jobs in that order, built by the dashboard, and says why."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.core.cache import cache

from deadline_emulator import Emulator
from deadline_facts import search_names as facts
from tasks_app.deadline.types import Job
from tasks_app.selectors.job_table import JobQuery, queue_jobs

DATE_SORTS = {"STARTED_AT": "started_at", "ENDED_AT": "ended_at", "UPDATED_AT": "updated_at"}


def _values(jobs: tuple[Job, ...], attribute: str) -> list[datetime | None]:
    return [getattr(job, attribute) for job in jobs]


def _in_order(values: list[datetime | None], descending: bool) -> bool:
    known = [v for v in values if v is not None]
    return known == sorted(known, reverse=descending)


@pytest.mark.parametrize("mode", ["strict", "ignore"])
@pytest.mark.parametrize("sort", sorted(DATE_SORTS))
def test_an_assumed_date_sort_falls_back_to_the_dashboards_own_order(
    emulator: Emulator, mode: str, sort: str
) -> None:
    assert not facts.is_confirmed("SearchJobs", facts.FIELD, sort)
    queue = emulator.backend.landmarks()["queues"]["Feature Lighting"]
    ids = {"farm_id": queue["farmId"], "queue_id": queue["queueId"]}
    emulator.search.set("lenient")
    # Newest first: an ignored sort leaves the tie-break (CREATED_AT ascending) in charge, an
    # order the rows show is not the one asked for. (Oldest first an ignored sort can go
    # unnoticed, the rows being in that order anyway: then nothing is wrong on the page.)
    query = JobQuery(sort=sort, descending=True, page_size=100)
    honoured = queue_jobs(**ids, query=query)
    assert honoured.notes == () and len(honoured.jobs) > 10

    emulator.search.set(mode)
    cache.clear()
    searches = emulator.calls["SearchJobs"]
    page = queue_jobs(**ids, query=query)

    verb = {"strict": "refused", "ignore": "ignored"}[mode]
    assert page.notes and f"SearchJobs {verb} {sort}" in page.notes[0]
    assert emulator.calls["SearchJobs"] > searches  # the name was tried first
    assert _in_order(_values(page.jobs, DATE_SORTS[sort]), descending=True)
    assert [j.job_id for j in page.jobs] == [j.job_id for j in honoured.jobs]
