"""Listing a scope's failed tasks: SearchTasks filtered on ``RUN_STATUS`` (an *assumed* name,
see ``deadline_facts.search_names``), checked item by item; when the service refuses the filter
or ignores it (an item that is not FAILED comes back), ListTasks per failing step (what the
official ``deadline`` CLI does), filtered here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from typing import Any

from ...deadline import search
from ...deadline.types import TaskRunStatus
from ..browse import list_steps
from ..task_table import StepIds, list_step_tasks
from .records import FailedTask, FailureScope

#: Search* pages are at most 100 items; Search* reaches offsets up to 10,000.
PAGE_SIZE = 100
SEARCH_WINDOW = 10_000

SEARCH = "search"  # SearchTasks with RUN_STATUS honoured
LIST = "list"  # ListTasks of every failing step, filtered here


class FilterNotHonoured(Exception):
    """SearchTasks refused the filter (ValidationException) or ignored it."""

    def __init__(self, verdict: str) -> None:
        super().__init__(verdict)
        self.verdict = verdict


def search_page(
    *, farm_id: str, queue_id: str, job_id: str, filters: list[dict[str, Any]], offset: int
) -> dict[str, Any]:
    """One SearchTasks page through ``deadline.search``: a name this backend refuses (now, or
    known from before, for any page that sent it) raises FilterNotHonoured."""
    params = {
        "farmId": farm_id,
        "queueIds": [queue_id],
        "jobId": job_id,
        "itemOffset": offset,
        "pageSize": PAGE_SIZE,
        "filterExpressions": {"operator": "AND", "filters": filters},
    }
    try:
        return search.search("SearchTasks", params)
    except search.NamesUnusable as exc:
        raise FilterNotHonoured(exc.verdict) from exc


def remember_ignored(filters: list[dict[str, Any]], name: str) -> None:
    """The rows prove the service ignored ``name``: every view learns it (shared cache)."""
    request = {"filterExpressions": {"operator": "AND", "filters": filters}}
    for use in search.names_in("SearchTasks", request):
        if use.name == name and not use.confirmed:
            search.remember(use, search.IGNORED)


def failed_rows(
    answer: Mapping[str, Any],
    *,
    status: str,
    job_id: str,
    step_id: str,
    filters: list[dict[str, Any]],
) -> list[FailedTask]:
    """The page's items of ``status`` (of ``step_id`` if given). An item with another run
    status proves the RUN_STATUS filter was ignored; one of another step, that STEP_ID was
    (those are filtered out here: RUN_STATUS kept the list small)."""
    rows = []
    for item in answer.get("tasks") or ():
        run_status = item.get("runStatus")
        if run_status is not None and run_status != status:
            remember_ignored(filters, "RUN_STATUS")
            raise FilterNotHonoured(search.IGNORED)
        if step_id and item.get("stepId") not in (None, step_id):
            remember_ignored(filters, "STEP_ID")
            continue
        rows.append(FailedTask.from_api(item, job_id=job_id, step_id=step_id))
    return rows


def search_by_status(
    *,
    farm_id: str,
    queue_id: str,
    job_id: str,
    step_id: str,
    status: str,
    limit: int,
    on_rows: Callable[[list[FailedTask]], None],
    pool: Executor,
) -> int:
    """Every task of ``status`` in the job (or step) by SearchTasks, pages after the first
    concurrently; ``on_rows`` gets each page. Returns how many matched in all (past
    ``limit`` they are counted, not listed). Raises FilterNotHonoured."""
    attempts: list[list[dict[str, Any]]] = [[search.string_filter("RUN_STATUS", status)]]
    if step_id:
        # STEP_ID is assumed too: with it first, then without it (filtered here).
        attempts.insert(
            0,
            [search.string_filter("RUN_STATUS", status), search.string_filter("STEP_ID", step_id)],
        )
    first: dict[str, Any] | None = None
    filters: list[dict[str, Any]] = attempts[-1]
    for filters in attempts:
        try:
            first = search_page(
                farm_id=farm_id, queue_id=queue_id, job_id=job_id, filters=filters, offset=0
            )
            break
        except FilterNotHonoured:
            continue
    if first is None:
        raise FilterNotHonoured(search.REFUSED)
    page = dict(farm_id=farm_id, queue_id=queue_id, job_id=job_id, filters=filters)
    keep = dict(status=status, job_id=job_id, step_id=step_id, filters=filters)
    on_rows(failed_rows(first, **keep))
    total = int(first.get("totalResults") or 0)
    reachable = min(total, SEARCH_WINDOW, limit)
    futures = [
        pool.submit(search_page, **page, offset=offset)
        for offset in range(PAGE_SIZE, reachable, PAGE_SIZE)
    ]
    for future in futures:
        on_rows(failed_rows(future.result(), **keep))
    return total


def step_tasks(
    *, farm_id: str, queue_id: str, job_id: str, step_id: str
) -> tuple[list[FailedTask], list[FailedTask]]:
    """Every task of one step by ListTasks (the official CLI's way; the listing the step
    page's own fallback reads, cached): its FAILED tasks, and those that SUCCEEDED after a
    retry."""
    listing = list_step_tasks(StepIds(farm_id, queue_id, job_id, step_id))
    failed, retried = [], []
    for summary in listing.tasks:
        task = FailedTask(job_id=job_id, summary=summary)
        if summary.run_status is TaskRunStatus.FAILED:
            failed.append(task)
        elif summary.run_status is TaskRunStatus.SUCCEEDED and summary.retries:
            retried.append(task)
    return failed, retried


def failing_steps(scope: FailureScope, job_id: str) -> list[str]:
    """The job's steps with failed tasks."""
    steps = list_steps(farm_id=scope.farm_id, queue_id=scope.queue_id, job_id=job_id).steps
    return [s.step_id for s in steps if s.status_counts.get(TaskRunStatus.FAILED, 0)]
