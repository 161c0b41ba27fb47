"""The step page's task table, right whatever the account's SearchTasks does with our names.

No public client sends SearchTasks a field name (``deadline_facts.search_names``): the
official CLI lists a step's tasks with ListTasks(stepId). So the table is read in three ways:

1. a task index typed in the search box is GetTask ``task-<step hex>-<N>`` (real task IDs
   reuse their step's hex), no search at all;
2. otherwise one SearchTasks call filters, sorts and pages, and every answer is checked: rows
   of another step, rows of another status, rows that do not match the search, or an order
   that is not the one asked for mean the service ignored a name;
3. when a name is refused (ValidationException) or was seen ignored, the dashboard remembers
   it for the backend and builds the page itself from the step's cached ListTasks listing,
   with the same semantics (filters, sort, tie-break on the task index, pages).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from deadline_facts import search_names as facts

from ..deadline import search
from ..deadline.cache import cached_read, forget
from ..deadline.calls import list_all
from ..deadline.errors import NotFound
from ..deadline.ids import ID_PATTERNS
from ..deadline.types import (
    SearchWindow,
    StepDetail,
    TaskListing,
    TaskParameter,
    TaskRunStatus,
    TaskSearchPage,
    TaskSummary,
)
from . import resources
from .search_sorting import digest, sort_rows, sorted_by

#: Sorts offered (URL value -> label; first = default) and the SearchTasks field each uses.
TASK_SORTS = {
    "TASK_ID": "Task ID",
    "TASK_RUN_STATUS": "Run status",
    "FAILURE_RETRY_COUNT": "Retries",
    "STARTED_AT": "Started",
    "ENDED_AT": "Ended",
    "UPDATED_AT": "Updated",
}
SORT_FIELDS = {
    "TASK_ID": "TASK_ID",
    "TASK_RUN_STATUS": "RUN_STATUS",  # the task member is runStatus
    "FAILURE_RETRY_COUNT": "FAILURE_RETRY_COUNT",
    "STARTED_AT": "STARTED_AT",
    "ENDED_AT": "ENDED_AT",
    "UPDATED_AT": "UPDATED_AT",
}
#: Search* can reach items at offsets 0..10,000 only; the fallback listing stops there too.
SEARCH_WINDOW = 10_000
LISTING_MAX_PAGES = SEARCH_WINDOW // 100
MAX_SEARCH_FILTERS = 3  # per filter group (the model's SearchFilterExpressions max)
_INDEX_DIGITS = 10  # task IDs end in -(0|[1-9][0-9]{0,9})


@dataclass(frozen=True)
class TaskQuery:
    """Filter, search, sort and page of a step's task table.

    ``search`` is what an operator types: a task index (``1042``), ``Name=value`` for one
    parameter, or a value looked for in every parameter and in the task ID.
    """

    run_status: str = ""
    search: str = ""
    sort: str = "TASK_ID"
    descending: bool = False
    offset: int = 0
    page_size: int = 50

    @property
    def index(self) -> int | None:
        """The task index the search names, if it is just a number."""
        text = self.search.strip()
        if text.isascii() and text.isdigit() and len(text) <= _INDEX_DIGITS:
            return int(text)
        return None

    @property
    def needs_parameter_names(self) -> bool:
        return bool(self.search.strip()) and "=" not in self.search

    @property
    def sort_field(self) -> str:
        return SORT_FIELDS.get(self.sort, "TASK_ID")

    def request(self, *, step_id: str, parameter_names: tuple[str, ...] = ()) -> dict[str, Any]:
        """The SearchTasks members this query sets; a STEP_ID filter scopes it to one step."""
        filters: list[dict[str, Any]] = [search.string_filter("STEP_ID", step_id)]
        if self.run_status:
            filters.append(search.string_filter("RUN_STATUS", self.run_status))
        found = task_search_filter(self.search, parameter_names)
        if found is not None:
            filters.append(found)
        return {
            "itemOffset": self.offset,
            "pageSize": self.page_size,
            "filterExpressions": {"operator": "AND", "filters": filters},
            "sortExpressions": _sorts(self.sort_field, self.descending),
        }


def task_search_filter(text: str, parameter_names: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """One filter expression for a task search box, or None for an empty search.

    ``1042`` (when GetTask found no task 1042) looks for ``-1042`` in task IDs and 1042 in the
    first parameters; ``Frame=1042`` one parameter; a whole task ID that task; other text a
    task ID fragment or a parameter value.
    """
    text = text.strip()
    if not text:
        return None
    name, equals, value = text.partition("=")
    if equals and name.strip() and value.strip():
        return _parameter_filter(name.strip(), value.strip())
    if ID_PATTERNS["task_id"].fullmatch(text):
        return search.string_filter("TASK_ID", text)
    term = f"-{text}" if text.isdigit() else text
    alternatives = [{"searchTermFilter": {"searchTerm": term, "matchType": "CONTAINS"}}]
    alternatives += [
        _parameter_filter(parameter, text)
        for parameter in parameter_names[: MAX_SEARCH_FILTERS - 1]
    ]
    if len(alternatives) == 1:
        return alternatives[0]
    return {"groupFilter": {"operator": "OR", "filters": alternatives}}


def _parameter_filter(name: str, value: str) -> dict[str, Any]:
    return {"parameterFilter": {"name": name, "operator": "EQUAL", "value": value}}


def _sorts(field_name: str, descending: bool) -> list[dict[str, Any]]:
    order = "DESCENDING" if descending else "ASCENDING"
    sorts = [{"fieldSort": {"name": field_name, "sortOrder": order}}]
    if field_name != "TASK_ID":  # a stable order across pages while values tie
        sorts.append({"fieldSort": {"name": "TASK_ID", "sortOrder": "ASCENDING"}})
    return sorts


# --- what a row must look like: the checks, and the fallback's own filter and sort --------------


def _parameter_equals(parameter: TaskParameter | None, wanted: str) -> bool:
    """The service's EQUAL on a parameter value: numbers as numbers, the rest as text."""
    if parameter is None:
        return False
    if parameter.type in ("int", "float"):
        try:
            return float(parameter.value) == float(wanted)
        except ValueError:
            pass
    return parameter.value == wanted


def search_matcher(
    text: str, parameter_names: tuple[str, ...] = ()
) -> Callable[[TaskSummary], bool] | None:
    """The rows ``task_search_filter(text, parameter_names)`` asks for, as a predicate."""
    text = text.strip()
    if not text:
        return None
    name, equals, value = text.partition("=")
    if equals and name.strip() and value.strip():
        wanted_name, wanted = name.strip(), value.strip()
        return lambda task: _parameter_equals(_parameter(task, wanted_name), wanted)
    if ID_PATTERNS["task_id"].fullmatch(text):
        return lambda task: task.task_id == text
    term = (f"-{text}" if text.isdigit() else text).casefold()
    names = parameter_names[: MAX_SEARCH_FILTERS - 1]

    def matches(task: TaskSummary) -> bool:
        if term in task.task_id.casefold():
            return True
        return any(_parameter_equals(_parameter(task, n), text) for n in names)

    return matches


def _parameter(task: TaskSummary, name: str) -> TaskParameter | None:
    return next((p for p in task.parameters if p.name == name), None)


def _sort_value(field_name: str) -> Callable[[TaskSummary], Any]:
    getters: dict[str, Callable[[TaskSummary], Any]] = {
        "TASK_ID": lambda t: t.index,
        "RUN_STATUS": lambda t: t.run_status.value,
        "FAILURE_RETRY_COUNT": lambda t: t.failure_retry_count,
        "STARTED_AT": lambda t: t.started_at,
        "ENDED_AT": lambda t: t.ended_at,
        "UPDATED_AT": lambda t: t.updated_at,
    }
    return getters[field_name]


def _filtered_sorted(
    tasks: Iterable[TaskSummary], query: TaskQuery, parameter_names: tuple[str, ...]
) -> list[TaskSummary]:
    rows = [t for t in tasks if not query.run_status or t.run_status.value == query.run_status]
    matches = search_matcher(query.search, parameter_names)
    if matches is not None:
        rows = [t for t in rows if matches(t)]
    keys: list[tuple[Callable[[TaskSummary], Any], bool]] = [
        (_sort_value(query.sort_field), query.descending)
    ]
    if query.sort_field != "TASK_ID":
        keys.append((_sort_value("TASK_ID"), False))
    return sort_rows(rows, keys)


# --- reading the table -------------------------------------------------------------------------


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
class Attempt:
    """SearchTasks' page for a query, before it is checked (or why it could not be asked)."""

    request: dict[str, Any]
    page: TaskSearchPage | None = None
    unusable: search.NamesUnusable | None = None


def attempt_search(
    ids: StepIds, query: TaskQuery, parameter_names: tuple[str, ...] = ()
) -> Attempt:
    """One SearchTasks page (cached), unless its names are known to be refused or ignored."""
    request = query.request(step_id=ids.step_id, parameter_names=parameter_names)
    try:
        page = cached_read(
            kind="tasks-search",
            ids=(ids.farm_id, ids.queue_id, ids.job_id, ids.step_id, digest(request)),
            ttl=settings.DEADLINE_CACHE_SECONDS,
            fetch=lambda: _search(ids, request),
            parse=TaskSearchPage,
        )
    except search.NamesUnusable as exc:
        return Attempt(request=request, unusable=exc)
    return Attempt(request=request, page=page)


def _search(ids: StepIds, request: dict[str, Any]) -> dict[str, Any]:
    params = {"farmId": ids.farm_id, "queueIds": [ids.queue_id], "jobId": ids.job_id, **request}
    answer = search.search("SearchTasks", params)
    # The window travels with the answer so a cached page knows where it sits.
    return {**answer, "itemOffset": request["itemOffset"], "pageSize": request["pageSize"]}


def settle(ids: StepIds, query: TaskQuery, step: StepDetail, attempt: Attempt) -> TaskSearchPage:
    """The attempt's page if it checks out, else the page built from the step's listing."""
    if attempt.unusable is not None:
        return from_listing(ids, query, step, attempt.unusable.uses, attempt.unusable.verdict)
    assert attempt.page is not None
    ignored = ignored_names(ids, query, step, attempt.request, attempt.page)
    if not ignored:
        return attempt.page
    for use in ignored:
        search.remember(use, search.IGNORED)
    forget(
        "tasks-search", ids.farm_id, ids.queue_id, ids.job_id, ids.step_id, digest(attempt.request)
    )
    return from_listing(ids, query, step, ignored, search.IGNORED)


def step_tasks(ids: StepIds, query: TaskQuery, step: StepDetail) -> TaskSearchPage:
    """One page of the step's task table: by index, by search, or from the listing."""
    index = query.index
    if index is not None:
        found = by_index(ids, query, index)
        if found is not None:
            return found
    return settle(ids, query, step, attempt_search(ids, query, step.parameter_names))


def by_index(ids: StepIds, query: TaskQuery, index: int) -> TaskSearchPage | None:
    """Task ``index`` of the step by GetTask (``task-<step hex>-<index>``); None if no such
    task, so the caller searches instead."""
    task_id = f"task-{ids.step_id.removeprefix('step-')}-{index}"
    try:
        task = resources.get_task(**ids.kwargs(), task_id=task_id)
    except NotFound:
        return None
    row = TaskSummary.from_api({**task.to_cache(), "stepId": ids.step_id})
    rows = [row] if not query.run_status or row.run_status.value == query.run_status else []
    shown = rows if query.offset == 0 else []
    window = SearchWindow(
        offset=query.offset, page_size=query.page_size, total=len(rows), shown=len(shown)
    )
    return TaskSearchPage(tasks=tuple(shown), window=window)


def ignored_names(
    ids: StepIds,
    query: TaskQuery,
    step: StepDetail,
    request: dict[str, Any],
    page: TaskSearchPage,
) -> list[search.NameUse]:
    """The unconfirmed names the answer shows had no effect (an empty list: it checks out).

    A name is only blamed when the rows prove it: another step's task, another status, a row
    the search does not match, an order that is not the one asked for, or a total that a step
    filter cannot give (a step's task count never changes)."""
    uses = [u for u in search.names_in("SearchTasks", request) if not u.confirmed]
    rows = page.tasks
    blamed: list[search.NameUse] = []

    def blame(kind: str, name: str | None = None) -> None:
        blamed.extend(u for u in uses if u.kind == kind and (name is None or u.name == name))

    if any(t.step_id != ids.step_id for t in rows):  # no stepId proves nothing: not trusted
        blame(facts.STRING, "STEP_ID")
    plain = not query.run_status and not query.search.strip()
    if plain and page.window.total != min(step.total_tasks, SEARCH_WINDOW):
        blame(facts.STRING, "STEP_ID")
    if query.run_status:
        if any(t.run_status.value != query.run_status for t in rows):
            blame(facts.STRING, "RUN_STATUS")
        # The step's counts were read beside the search: they differ by no more than the
        # tasks that can change status on their own meanwhile (none once the step settled).
        counts = step.status_counts
        wanted = counts.get(TaskRunStatus.parse(query.run_status), 0)
        moving = sum(n for status, n in counts.items() if not status.is_terminal)
        expected = min(wanted, SEARCH_WINDOW)
        if not query.search.strip() and abs(page.window.total - expected) > moving:
            blame(facts.STRING, "RUN_STATUS")
    matches = search_matcher(query.search, step.parameter_names)
    if matches is not None and not all(matches(t) for t in rows):
        for kind in (facts.SEARCH_TERM, facts.PARAMETER_FILTER):
            blame(kind)
        blame(facts.STRING, "TASK_ID")
    if not sorted_by(rows, _sort_value(query.sort_field), query.descending):
        blame(facts.FIELD, query.sort_field)
    return list(dict.fromkeys(blamed))


def list_step_tasks(ids: StepIds) -> TaskListing:
    """Every task of the step (ListTasks, up to 100 pages), cached for
    DEADLINE_LISTING_CACHE_SECONDS: the input of every fallback page of the step."""
    return cached_read(
        kind="tasks-listing",
        ids=(ids.farm_id, ids.queue_id, ids.job_id, ids.step_id),
        ttl=settings.DEADLINE_LISTING_CACHE_SECONDS,
        fetch=lambda: _list_tasks(ids),
        parse=TaskListing,
    )


def _list_tasks(ids: StepIds) -> dict[str, Any]:
    answer = list_all(
        "ListTasks",
        "tasks",
        max_pages=LISTING_MAX_PAGES,
        farmId=ids.farm_id,
        queueId=ids.queue_id,
        jobId=ids.job_id,
        stepId=ids.step_id,
    )
    # ListTasks' summaries do not say their step: they are this one's.
    answer["tasks"] = [{**task, "stepId": ids.step_id} for task in answer["tasks"]]
    return answer


def from_listing(
    ids: StepIds,
    query: TaskQuery,
    step: StepDetail,
    why: list[search.NameUse],
    verdict: str,
) -> TaskSearchPage:
    """The page the query asks for, filtered, sorted and cut by the dashboard (the page itself
    cached like a search answer, so polls do not redo the work)."""
    labels = ", ".join(sorted({use.label for use in why}))
    return cached_read(
        kind="tasks-fallback-page",
        ids=(ids.farm_id, ids.queue_id, ids.job_id, ids.step_id, digest(vars(query))),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: _page_from_listing(ids, query, step, labels, verdict).to_cache(),
        parse=TaskSearchPage,
    )


def _page_from_listing(
    ids: StepIds, query: TaskQuery, step: StepDetail, labels: str, verdict: str
) -> TaskSearchPage:
    listing = list_step_tasks(ids)
    rows = _filtered_sorted(listing.tasks, query, step.parameter_names)
    shown = rows[query.offset : query.offset + query.page_size]
    window = SearchWindow(
        offset=query.offset, page_size=query.page_size, total=len(rows), shown=len(shown)
    )
    notes = [
        f"Filtered and sorted by the dashboard: this account's SearchTasks {verdict} {labels}."
    ]
    if not listing.complete:
        notes.append(f"Only the first {len(listing.tasks):,} tasks of the step are listed.")
    return TaskSearchPage(tasks=tuple(shown), window=window, notes=tuple(notes))
