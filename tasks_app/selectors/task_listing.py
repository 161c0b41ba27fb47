"""A step's whole task list (ListTasks, every page), and the task-table pages the dashboard cuts
from it: where SearchTasks cannot serve a page (past its 10,000-item window, a name the
account refuses or ignores, frames held in chunks).

ListTasks is how the official CLI and its job TUI list a step's tasks. It has no filter or
sort, so the listing is read once, cached for DEADLINE_LISTING_CACHE_SECONDS, and every page of
the step that needs it (any filter, sort or page) is cut from that one copy: a warm page costs
no call at all. The copy keeps each task as the API's own compact summary (``StepRows``):
filters and sorts read those as they are (times in one ISO form sort as text), and a
``TaskSummary`` is built only for the rows a page shows, so a page of a 50,000-task step does
not rebuild 50,000 objects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from ..deadline.cache import cached_read
from ..deadline.calls import list_every
from ..deadline.ids import ID_PATTERNS
from ..deadline.types import (
    Cacheable,
    SearchWindow,
    TaskListing,
    TaskParameter,
    TaskSearchPage,
    TaskSummary,
)
from .search_sorting import digest, sort_rows
from .task_find import holds_frame

#: How many parameters a free-text search looks in besides the task ID (the model allows three
#: filters per group: the task ID term and two parameters).
MAX_SEARCH_FILTERS = 3


@dataclass(frozen=True)
class StepIds:
    farm_id: str
    queue_id: str
    job_id: str
    step_id: str

    def kwargs(self) -> dict[str, str]:
        return {
            "farm_id": self.farm_id,
            "queue_id": self.queue_id,
            "job_id": self.job_id,
            "step_id": self.step_id,
        }


@dataclass(frozen=True)
class RowQuery:
    """What a page of the table asks of its rows: filter, search, sort and cut."""

    run_status: str
    search: str
    sort_field: str  # a SearchTasks field name (TASK_ID, RUN_STATUS...)
    descending: bool
    offset: int
    page_size: int


# --- what a row must look like ----------------------------------------------------------------


def parameter_equals(parameter: TaskParameter | None, wanted: str) -> bool:
    """The service's EQUAL on a parameter value: numbers as numbers, the rest as text; a chunk
    of frames equals every frame it holds."""
    if parameter is None:
        return False
    if parameter.type == "chunkInt":
        return wanted.lstrip("-").isdigit() and holds_frame(parameter, wanted)
    if parameter.type in ("int", "float"):
        try:
            return float(parameter.value) == float(wanted)
        except ValueError:
            pass
    return parameter.value == wanted


def parameter_of(task: TaskSummary, name: str) -> TaskParameter | None:
    return next((p for p in task.parameters if p.name == name), None)


def search_matcher(
    text: str,
    parameter_names: tuple[str, ...] = (),
    *,
    task_id: Callable[[Any], str] = lambda task: task.task_id,
    parameter: Callable[[Any, str], TaskParameter | None] = parameter_of,
) -> Callable[[Any], bool] | None:
    """The rows a search box's text asks for, as a predicate (what ``task_search_filter``
    asks SearchTasks for); on TaskSummary rows, or any rows given ``task_id``/``parameter``."""
    text = text.strip()
    if not text:
        return None
    name, equals, value = text.partition("=")
    if equals and name.strip() and value.strip():
        wanted_name, wanted = name.strip(), value.strip()
        return lambda task: parameter_equals(parameter(task, wanted_name), wanted)
    if ID_PATTERNS["task_id"].fullmatch(text):
        return lambda task: task_id(task) == text
    term = (f"-{text}" if text.isdigit() else text).casefold()
    names = parameter_names[: MAX_SEARCH_FILTERS - 1]

    def matches(task: Any) -> bool:
        if term in task_id(task).casefold():
            return True
        return any(parameter_equals(parameter(task, n), text) for n in names)

    return matches


SORT_VALUES: dict[str, Callable[[TaskSummary], Any]] = {
    "TASK_ID": lambda t: t.index,
    "RUN_STATUS": lambda t: t.run_status.value,
    "FAILURE_RETRY_COUNT": lambda t: t.failure_retry_count,
    "STARTED_AT": lambda t: t.started_at,
    "ENDED_AT": lambda t: t.ended_at,
    "UPDATED_AT": lambda t: t.updated_at,
}


# --- the step's rows: the cached listing, filtered and sorted as it is ----------------------

Row = Mapping[str, Any]


def _row_index(row: Row) -> int | None:
    head, _, index = str(row.get("taskId") or "").rpartition("-")
    return int(index) if head and index.isdigit() else None


def _row_parameter(row: Row, name: str) -> TaskParameter | None:
    union = (row.get("parameters") or {}).get(name)
    return TaskParameter.from_api(name, union) if union else None


#: SORT_VALUES on compact rows: the same order (times are one ISO form, text sorts them).
ROW_SORT_VALUES: dict[str, Callable[[Row], Any]] = {
    "TASK_ID": _row_index,
    "RUN_STATUS": lambda r: r.get("runStatus"),
    "FAILURE_RETRY_COUNT": lambda r: r.get("failureRetryCount"),
    "STARTED_AT": lambda r: r.get("startedAt"),
    "ENDED_AT": lambda r: r.get("endedAt"),
    "UPDATED_AT": lambda r: r.get("updatedAt"),
}


@dataclass(frozen=True)
class StepRows(Cacheable):
    """Every task of a step as the API's compact summaries (the listing's cached form)."""

    rows: tuple[Row, ...]
    complete: bool = True

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> StepRows:
        rows = answer.get("tasks") or ()
        if not answer.get("compact"):  # botocore's answer: datetimes to one text form
            rows = [_compact(row) for row in rows]
        return cls(rows=tuple(rows), complete=bool(answer.get("complete", True)))

    def to_cache(self) -> dict[str, Any]:
        return {"tasks": list(self.rows), "complete": self.complete, "compact": True}

    def summaries(self, rows: Iterable[Row], step_id: str) -> tuple[TaskSummary, ...]:
        return tuple(TaskSummary.from_api({**row, "stepId": step_id}) for row in rows)


def _compact(row: Row) -> dict[str, Any]:
    data = TaskSummary.from_api(row).to_cache()
    data.pop("stepId", None)  # the step's own: said once, by the cache key
    return data


def filtered_sorted(
    rows: Iterable[Row], query: RowQuery, parameter_names: tuple[str, ...]
) -> list[Row]:
    """The rows ``query`` asks for among a step's compact rows, in its order (ties on the task
    index), as SearchTasks would give them."""
    found = [r for r in rows if not query.run_status or r.get("runStatus") == query.run_status]
    matches = search_matcher(
        query.search,
        parameter_names,
        task_id=lambda r: str(r.get("taskId") or ""),
        parameter=_row_parameter,
    )
    if matches is not None:
        found = [r for r in found if matches(r)]
    keys: list[tuple[Callable[[Row], Any], bool]] = [
        (ROW_SORT_VALUES[query.sort_field], query.descending)
    ]
    if query.sort_field != "TASK_ID":
        keys.append((ROW_SORT_VALUES["TASK_ID"], False))
    return sort_rows(found, keys)


# --- the listing and its pages ----------------------------------------------------------------


def step_rows(ids: StepIds) -> StepRows:
    """Every task of the step (ListTasks, every page however many), cached for
    DEADLINE_LISTING_CACHE_SECONDS: the input of every page the dashboard cuts itself. (The
    entry also parses as a ``TaskListing``: its rows are TaskSummary's cache form.)"""
    return cached_read(
        kind="tasks-listing",
        ids=(ids.farm_id, ids.queue_id, ids.job_id, ids.step_id),
        ttl=settings.DEADLINE_LISTING_CACHE_SECONDS,
        fetch=lambda: _list_tasks(ids),
        parse=StepRows,
    )


def list_step_tasks(ids: StepIds) -> TaskListing:
    """Every task of the step as TaskSummary rows (``step_rows``, the same cached listing)."""
    listing = step_rows(ids)
    return TaskListing(
        tasks=listing.summaries(listing.rows, ids.step_id), complete=listing.complete
    )


def _list_tasks(ids: StepIds) -> dict[str, Any]:
    tasks = list_every(
        "ListTasks",
        "tasks",
        farmId=ids.farm_id,
        queueId=ids.queue_id,
        jobId=ids.job_id,
        stepId=ids.step_id,
    )
    return {"tasks": tasks, "complete": True}


def page_from_listing(
    ids: StepIds, query: RowQuery, parameter_names: tuple[str, ...], note: str
) -> TaskSearchPage:
    """The page ``query`` asks for, filtered, sorted and cut by the dashboard from the step's
    listing (the page itself cached like a search answer, so polls do not redo the work)."""
    return cached_read(
        kind="tasks-fallback-page",
        ids=(ids.farm_id, ids.queue_id, ids.job_id, ids.step_id, digest(vars(query))),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: _cut(ids, query, parameter_names, note).to_cache(),
        parse=TaskSearchPage,
    )


def _cut(
    ids: StepIds, query: RowQuery, parameter_names: tuple[str, ...], note: str
) -> TaskSearchPage:
    listing = step_rows(ids)
    rows = filtered_sorted(listing.rows, query, parameter_names)
    offset = query.offset
    if rows and offset >= len(rows):  # past the end (the step shrank, or a typed page)
        offset = (len(rows) - 1) // query.page_size * query.page_size
    shown = listing.summaries(rows[offset : offset + query.page_size], ids.step_id)
    window = SearchWindow(
        offset=offset, page_size=query.page_size, total=len(rows), shown=len(shown)
    )
    notes = [note.replace("{listed}", f"{len(listing.rows):,}")] if note else []
    if not listing.complete:  # a listing cached before every listing was read to the end
        notes.append(f"Only the first {len(listing.rows):,} tasks of the step are listed.")
    return TaskSearchPage(tasks=shown, window=window, notes=tuple(notes))
