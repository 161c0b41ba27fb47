"""The step page's task table, for a step of any size, right whatever the account's
SearchTasks does with our names.

No public client sends SearchTasks a field name (``deadline_facts.search_names``): the
official CLI lists a step's tasks with ListTasks(stepId). And Search* reach items 0..10,000
only. So a page of the table is read in one of these ways:

1. a task index (``#1042``, or a bare number on a step without a frame parameter) is GetTask
   ``task-<step hex>-<N>`` (real task IDs reuse their step's hex), no search at all; a bare
   number on a step with a frame parameter is that frame (``task_find``);
2. a page inside the search window is one SearchTasks call that filters, sorts and pages, and
   every answer is checked: rows of another step, rows of another status, rows that do not
   match the search, or an order that is not the one asked for mean the service ignored a name;
3. a page past the window: the plain table's last 10,000 tasks by the reverse order's search
   (one call), any other from the step's cached ListTasks listing (``task_listing``);
4. when a name is refused (ValidationException) or was seen ignored, the dashboard remembers
   it for the backend and builds the page itself from the same listing, with the same
   semantics (filters, sort, tie-break on the task index, pages).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings

from deadline_facts import search_names as facts

from ..deadline import search
from ..deadline.cache import cached_read, forget
from ..deadline.errors import NotFound
from ..deadline.ids import ID_PATTERNS
from ..deadline.types import (
    SearchWindow,
    StepDetail,
    TaskRunStatus,
    TaskSearchPage,
    TaskSummary,
)
from . import resources
from .search_sorting import digest, sorted_by
from .task_find import bare_index, bare_number, explicit_index, frame_parameter
from .task_listing import (
    MAX_SEARCH_FILTERS,
    SORT_VALUES,
    RowQuery,
    StepIds,
    list_step_tasks,
    page_from_listing,
    search_matcher,
)

__all__ = ["StepIds", "list_step_tasks", "search_matcher"]  # read by failure analysis, tests

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
#: Search* can reach items at offsets 0..10,000 only: past it, pages come from the listing.
SEARCH_WINDOW = 10_000


@dataclass(frozen=True)
class TaskQuery:
    """Filter, search, sort and page of a step's task table.

    ``search`` is what an operator types: a frame (``1042``) or a task index (``#1042``, see
    ``task_find``), ``Name=value`` for one parameter, or a value looked for in every
    parameter and in the task ID.
    """

    run_status: str = ""
    search: str = ""
    sort: str = "TASK_ID"
    descending: bool = False
    offset: int = 0
    page_size: int = 50

    @property
    def index(self) -> int | None:
        """The task index the search may name: ``#N``/``index:N``, or a bare number (an index
        only on a step without a frame parameter: ``for_step`` decides)."""
        explicit = explicit_index(self.search)
        return explicit if explicit is not None else bare_index(self.search)

    @property
    def plain(self) -> bool:
        """No filter and no search: the whole step, whose size its counts give exactly."""
        return not self.run_status and not self.search.strip()

    def for_step(self, step: StepDetail) -> TaskQuery:
        """The query as this step reads it: a bare number is a frame where it has one."""
        number = bare_number(self.search)
        frame = frame_parameter(step)
        if number is None or frame is None:
            return self
        return replace(self, search=f"{frame.name}={number}")

    def rows(self) -> RowQuery:
        return RowQuery(
            run_status=self.run_status,
            search=self.search,
            sort_field=self.sort_field,
            descending=self.descending,
            offset=self.offset,
            page_size=self.page_size,
        )

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


# --- reading the table -------------------------------------------------------------------------


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
    """The attempt's page if it checks out (its total made whole when the window cut it), else
    the page built from the step's listing."""
    if attempt.unusable is not None:
        why = fallback_note(attempt.unusable.uses, attempt.unusable.verdict)
        return from_listing(ids, query, step, why)
    assert attempt.page is not None
    ignored = ignored_names(ids, query, step, attempt.request, attempt.page)
    if not ignored:
        return _whole(ids, query, step, attempt.page)
    for use in ignored:
        search.remember(use, search.IGNORED)
    forget(
        "tasks-search", ids.farm_id, ids.queue_id, ids.job_id, ids.step_id, digest(attempt.request)
    )
    return from_listing(ids, query, step, fallback_note(ignored, search.IGNORED))


def fallback_note(why: list[search.NameUse], verdict: str) -> str:
    labels = ", ".join(sorted({use.label for use in why}))
    return f"Filtered and sorted by the dashboard: this account's SearchTasks {verdict} {labels}."


BEYOND_NOTE = (
    "More than 10,000 tasks match, the most a search reaches: this page was cut by the "
    "dashboard from the step's {listed} tasks, listed with ListTasks."
)
CHUNK_NOTE = (
    "This step's tasks hold chunks of frames: the task holding the frame was found by the "
    "dashboard among the step's {listed} tasks, listed with ListTasks."
)


def known_total(query: TaskQuery, step: StepDetail) -> int | None:
    """How many tasks the query finds, when the step's counts say it (no search in it)."""
    if query.search.strip():
        return None
    if not query.run_status:
        return step.total_tasks
    return step.status_counts.get(TaskRunStatus.parse(query.run_status), 0)


def _whole(
    ids: StepIds, query: TaskQuery, step: StepDetail, page: TaskSearchPage
) -> TaskSearchPage:
    """A search page whose total the window did not cut, or with the total the step's counts
    give; when neither, the listing's page (it counts every match)."""
    if page.window.total < SEARCH_WINDOW:
        return page
    total = known_total(query, step)
    if total is None:
        return from_listing(ids, query, step, BEYOND_NOTE)
    return replace(page, window=replace(page.window, total=max(total, page.window.total)))


def step_tasks(ids: StepIds, query: TaskQuery, step: StepDetail) -> TaskSearchPage:
    """One page of the step's task table: by index, by search, from the reverse order's
    search, or from the listing."""
    query = query.for_step(step)
    index = query.index
    if index is not None:
        found = by_index(ids, query, index)
        if found is not None:
            return found
        if explicit_index(query.search) is not None:  # #N asks for that index only
            return _empty(query)
    frame = frame_parameter(step)
    if frame is not None and frame.chunked and query.search.startswith(f"{frame.name}="):
        return from_listing(ids, query, step, CHUNK_NOTE)
    total = known_total(query, step)
    if total is not None and total and query.offset >= total:  # a page past the end
        query = replace(query, offset=(total - 1) // query.page_size * query.page_size)
    if query.offset + query.page_size > SEARCH_WINDOW:
        return beyond_window(ids, query, step, total)
    return settle(ids, query, step, attempt_search(ids, query, step.parameter_names))


def beyond_window(
    ids: StepIds, query: TaskQuery, step: StepDetail, total: int | None
) -> TaskSearchPage:
    """A page past the search's 10,000-item window. The plain table's last 10,000 tasks are
    the first 10,000 of the reverse order: one search, its rows turned round. Any other page
    is cut from the step's listing."""
    if query.plain and query.sort_field == "TASK_ID" and total is not None:
        stop = min(query.offset + query.page_size, total)
        if total - query.offset <= SEARCH_WINDOW and stop > query.offset:
            reverse = replace(
                query,
                descending=not query.descending,
                offset=total - stop,
                page_size=stop - query.offset,
            )
            page = settle(ids, reverse, step, attempt_search(ids, reverse))
            if not page.notes:  # the search served it (a fallback page is cut another way)
                rows = tuple(reversed(page.tasks))
                window = SearchWindow(
                    offset=query.offset, page_size=query.page_size, total=total, shown=len(rows)
                )
                return TaskSearchPage(tasks=rows, window=window)
    return from_listing(ids, query, step, BEYOND_NOTE)


def _empty(query: TaskQuery) -> TaskSearchPage:
    window = SearchWindow(offset=query.offset, page_size=query.page_size, total=0, shown=0)
    return TaskSearchPage(tasks=(), window=window)


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
    if not sorted_by(rows, SORT_VALUES[query.sort_field], query.descending):
        blame(facts.FIELD, query.sort_field)
    return list(dict.fromkeys(blamed))


def from_listing(ids: StepIds, query: TaskQuery, step: StepDetail, note: str) -> TaskSearchPage:
    """The page the query asks for, cut by the dashboard from the step's listing; ``note``
    says why on the page (``{listed}``: how many tasks the listing holds)."""
    return page_from_listing(ids, query.rows(), step.parameter_names, note)
