"""A queue's job list, right whatever the account's SearchJobs does with our names.

The official CLI sends SearchJobs CREATED_AT (sort and dateTime filter), TASK_RUN_STATUS and a
CONTAINS search term (``deadline_facts.search_names``); the list also offers filters and sorts
no public client sends (LIFECYCLE_STATUS, PRIORITY, NAME...). One SearchJobs call serves a
page when the service honours every name, which its rows are checked for; when a name is
refused or was seen ignored, the dashboard remembers it for the backend and builds the page
itself from the queue's jobs read with confirmed names only (newest first, up to the 10,000-item
window), with the same filters, sort and tie-break.

Search* reach items 0..10,000 only. When more jobs match than that (a busy queue's 120-day
history), or a page past the window is asked for, the page is cut by the dashboard from every
job of the queue, listed with ListJobs (every page, cached for DEADLINE_LISTING_CACHE_SECONDS):
the list reaches its oldest job, and the count is exact.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.conf import settings

from deadline_facts import search_names as facts

from ..deadline import search
from ..deadline.cache import cached_read, forget
from ..deadline.calls import list_every
from ..deadline.types import Job, JobListing, JobSearchPage, SearchWindow
from . import job_attention
from .search_sorting import digest, sort_rows, sorted_by

#: Sort fields (URL value = SearchJobs field name) with their labels (first = default).
JOB_SORTS = {
    "CREATED_AT": "Created",
    "PRIORITY": "Priority",
    "NAME": "Name",
    "STARTED_AT": "Started",
    "ENDED_AT": "Ended",
    "UPDATED_AT": "Updated",
    "TASK_RUN_STATUS": "Run status",
    "LIFECYCLE_STATUS": "Lifecycle status",
}
JOB_LIFECYCLE_STATUSES = (
    "CREATE_IN_PROGRESS",
    "CREATE_FAILED",
    "CREATE_COMPLETE",
    "UPLOAD_IN_PROGRESS",
    "UPLOAD_FAILED",
    "UPDATE_IN_PROGRESS",
    "UPDATE_FAILED",
    "UPDATE_SUCCEEDED",
    "ARCHIVED",
)
#: The dashboard's own sort (not a SearchJobs field): trouble first (``job_attention``).
ATTENTION = "ATTENTION"
SEARCH_WINDOW = 10_000
_LISTING_PAGE = 100


@dataclass(frozen=True)
class JobQuery:
    """Filter, sort and page of a queue's job list (SearchJobs)."""

    run_status: str = ""
    lifecycle_status: str = ""
    name: str = ""
    sort: str = "CREATED_AT"
    descending: bool = True
    offset: int = 0
    page_size: int = 50
    #: Jobs with a stalled task (the attention list's): only the ATTENTION sort reads it.
    stalled: frozenset[str] = field(default=frozenset(), compare=False)

    def key(self) -> dict[str, Any]:
        """What a page cut by the dashboard depends on (its cache key)."""
        return {k: v for k, v in vars(self).items() if k != "stalled"}

    def request(self) -> dict[str, Any]:
        """The SearchJobs members this query sets (filters, sort, window)."""
        filters: list[dict[str, Any]] = []
        if self.run_status:
            filters.append(search.string_filter("TASK_RUN_STATUS", self.run_status))
        if self.lifecycle_status:
            filters.append(search.string_filter("LIFECYCLE_STATUS", self.lifecycle_status))
        if self.name:
            filters.append({"searchTermFilter": {"searchTerm": self.name, "matchType": "CONTAINS"}})
        sorts = [{"fieldSort": {"name": self.sort, "sortOrder": _order(self.descending)}}]
        if self.sort != "CREATED_AT":  # a stable order across pages while values tie
            sorts.append({"fieldSort": {"name": "CREATED_AT", "sortOrder": "ASCENDING"}})
        request: dict[str, Any] = {
            "itemOffset": self.offset,
            "pageSize": self.page_size,
            "sortExpressions": sorts,
        }
        if filters:
            request["filterExpressions"] = {"operator": "AND", "filters": filters}
        return request


def _order(descending: bool) -> str:
    return "DESCENDING" if descending else "ASCENDING"


_SORT_VALUES: dict[str, Callable[[Job], Any]] = {
    "CREATED_AT": lambda j: j.created_at,
    "PRIORITY": lambda j: j.priority,
    "NAME": lambda j: j.name,
    "STARTED_AT": lambda j: j.started_at,
    "ENDED_AT": lambda j: j.ended_at,
    "UPDATED_AT": lambda j: j.updated_at,
    "TASK_RUN_STATUS": lambda j: j.task_run_status and j.task_run_status.value,
    "LIFECYCLE_STATUS": lambda j: j.lifecycle_status or None,
}


def queue_jobs(
    *, farm_id: str, queue_id: str, query: JobQuery, exact: bool = True
) -> JobSearchPage:
    """One page of a queue's jobs: one SearchJobs call, or the dashboard's own page (names
    refused or ignored, or more jobs than the search window holds). ``exact=False``: a caller
    that only wants the first page and whether there are more takes a full window as it is
    (its total then means "at least")."""
    if query.sort == ATTENTION:
        return _by_attention(farm_id, queue_id, query)
    if query.offset + query.page_size > SEARCH_WINDOW:
        return beyond_window(farm_id, queue_id, query)
    request = query.request()
    key = (farm_id, queue_id, digest(request))
    try:
        page = cached_read(
            kind="jobs-search",
            ids=key,
            ttl=settings.DEADLINE_CACHE_SECONDS,
            fetch=lambda: _search(farm_id, queue_id, request),
            parse=JobSearchPage,
        )
    except search.NamesUnusable as exc:
        return from_listing(farm_id, queue_id, query, exc.uses, exc.verdict)
    ignored = ignored_names(query, request, page)
    if not ignored:
        # A full window may hide more jobs: the whole list counts them and reaches them all.
        if page.window.total < SEARCH_WINDOW or not exact:
            return page
        return beyond_window(farm_id, queue_id, query)
    for use in ignored:
        search.remember(use, search.IGNORED)
    forget("jobs-search", *key)
    return from_listing(farm_id, queue_id, query, ignored, search.IGNORED)


def _by_attention(farm_id: str, queue_id: str, query: JobQuery) -> JobSearchPage:
    """Trouble first. A run status or lifecycle filter leaves jobs of one kind: newest first
    then. A backend refusing the status filter, or a queue with more jobs than a search
    reaches, gets the page sorted and cut from every job of the queue."""
    if query.run_status or query.lifecycle_status:
        newest = replace(query, sort="CREATED_AT", stalled=frozenset())
        return queue_jobs(farm_id=farm_id, queue_id=queue_id, query=newest)
    stalled = query.stalled
    if query.offset + query.page_size <= SEARCH_WINDOW:
        try:
            page = job_attention.attention_page(
                farm_id=farm_id,
                queue_id=queue_id,
                name=query.name,
                offset=query.offset,
                size=query.page_size,
                stalled=stalled,
            )
        except search.NamesUnusable:
            pass
        else:
            if page.window.total < SEARCH_WINDOW:
                return page
    return _attention_from_listing(farm_id, queue_id, query, stalled)


def _attention_from_listing(
    farm_id: str, queue_id: str, query: JobQuery, stalled: frozenset[str]
) -> JobSearchPage:
    listing = list_every_job(farm_id, queue_id)
    rows = job_attention.by_attention(_filtered_sorted(listing.jobs, query, JobQuery()), stalled)
    offset = min(query.offset, max(0, (len(rows) - 1) // query.page_size * query.page_size))
    shown = rows[offset : offset + query.page_size]
    window = SearchWindow(
        offset=offset, page_size=query.page_size, total=len(rows), shown=len(shown)
    )
    note = f"Sorted by the dashboard from the queue's {len(rows):,} jobs (listed with ListJobs)."
    return JobSearchPage(jobs=tuple(shown), window=window, notes=(note,))


def _search(farm_id: str, queue_id: str, request: dict[str, Any]) -> dict[str, Any]:
    answer = search.search("SearchJobs", {"farmId": farm_id, "queueIds": [queue_id], **request})
    return {**answer, "itemOffset": request["itemOffset"], "pageSize": request["pageSize"]}


def ignored_names(
    query: JobQuery, request: dict[str, Any], page: JobSearchPage
) -> list[search.NameUse]:
    """The unconfirmed names the rows show had no effect (empty: the page checks out)."""
    uses = [u for u in search.names_in("SearchJobs", request) if not u.confirmed]
    rows = page.jobs
    blamed: list[search.NameUse] = []
    if query.lifecycle_status and any(j.lifecycle_status != query.lifecycle_status for j in rows):
        blamed += [u for u in uses if u.kind == facts.STRING and u.name == "LIFECYCLE_STATUS"]
    if query.run_status and any(
        j.task_run_status is None or j.task_run_status.value != query.run_status for j in rows
    ):
        blamed += [u for u in uses if u.kind == facts.STRING and u.name == "TASK_RUN_STATUS"]
    if not sorted_by(rows, _SORT_VALUES[query.sort], query.descending):
        blamed += [u for u in uses if u.kind == facts.FIELD and u.name == query.sort]
    return list(dict.fromkeys(blamed))


def listing_query(query: JobQuery) -> JobQuery:
    """What the listing asks the service: newest first, and only the confirmed filters it is
    not known to refuse or ignore; the rest the dashboard applies itself."""
    base = JobQuery(run_status=query.run_status, name=query.name, offset=0, page_size=_LISTING_PAGE)
    usable = {
        (use.kind, use.name)
        for use in search.names_in("SearchJobs", base.request())
        if use.confirmed and search.verdict(use) is None
    }
    return replace(
        base,
        run_status=base.run_status if (facts.STRING, "TASK_RUN_STATUS") in usable else "",
        name=base.name if (facts.SEARCH_TERM, "CONTAINS") in usable else "",
    )


def list_queue_jobs(farm_id: str, queue_id: str, query: JobQuery) -> JobListing:
    """Every job the listing query finds (SearchJobs pages of 100 up to the 10,000-item
    window), cached for DEADLINE_LISTING_CACHE_SECONDS."""
    request = query.request()
    return cached_read(
        kind="jobs-listing",
        ids=(farm_id, queue_id, digest(request)),
        ttl=settings.DEADLINE_LISTING_CACHE_SECONDS,
        fetch=lambda: _list_jobs(farm_id, queue_id, request),
        parse=JobListing,
    )


def _list_jobs(farm_id: str, queue_id: str, request: dict[str, Any]) -> dict[str, Any]:
    jobs: list[Any] = []
    offset: int | None = 0
    while offset is not None and offset < SEARCH_WINDOW:
        answer = search.search(
            "SearchJobs",
            {"farmId": farm_id, "queueIds": [queue_id], **request, "itemOffset": offset},
        )
        jobs.extend(answer.get("jobs") or [])
        offset = answer.get("nextItemOffset")
    return {"jobs": jobs, "complete": offset is None}


def _filtered_sorted(jobs: Iterable[Job], query: JobQuery, asked: JobQuery) -> list[Job]:
    """``query``'s rows among ``jobs`` (found with ``asked``: its filters are not repeated)."""
    rows = list(jobs)
    if query.run_status and not asked.run_status:
        rows = [
            j for j in rows if j.task_run_status and j.task_run_status.value == query.run_status
        ]
    if query.lifecycle_status:
        rows = [j for j in rows if j.lifecycle_status == query.lifecycle_status]
    if query.name and not asked.name:  # the service looks in more than the name
        needle = query.name.casefold()
        rows = [j for j in rows if needle in j.name.casefold()]
    sort = query.sort if query.sort in _SORT_VALUES else "CREATED_AT"
    keys = [(_SORT_VALUES[sort], query.descending)]
    if sort != "CREATED_AT":
        keys.append((_SORT_VALUES["CREATED_AT"], False))
    return sort_rows(rows, keys)


def from_listing(
    farm_id: str,
    queue_id: str,
    query: JobQuery,
    why: list[search.NameUse],
    verdict: str,
) -> JobSearchPage:
    """The page the query asks for, filtered, sorted and cut by the dashboard (the page itself
    cached like a search answer, so polls do not redo the work)."""
    labels = ", ".join(sorted({use.label for use in why}))
    return cached_read(
        kind="jobs-fallback-page",
        ids=(farm_id, queue_id, digest(query.key())),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: _page_from_listing(farm_id, queue_id, query, labels, verdict).to_cache(),
        parse=JobSearchPage,
    )


def _page_from_listing(
    farm_id: str, queue_id: str, query: JobQuery, labels: str, verdict: str
) -> JobSearchPage:
    note = f"Filtered and sorted by the dashboard: this account's SearchJobs {verdict} {labels}."
    asked = listing_query(query)
    listing = list_queue_jobs(farm_id, queue_id, asked)
    if not listing.complete:  # the search window cut it: every job of the queue instead
        asked, listing = JobQuery(), list_every_job(farm_id, queue_id)
    return _cut(listing, query, asked, [note])


def _cut(listing: JobListing, query: JobQuery, asked: JobQuery, notes: list[str]) -> JobSearchPage:
    rows = _filtered_sorted(listing.jobs, query, asked)
    offset = query.offset
    if rows and offset >= len(rows):  # past the end (a typed page, or jobs gone meanwhile)
        offset = (len(rows) - 1) // query.page_size * query.page_size
    shown = rows[offset : offset + query.page_size]
    window = SearchWindow(
        offset=offset, page_size=query.page_size, total=len(rows), shown=len(shown)
    )
    if not listing.complete:
        notes.append(f"Only the newest {len(listing.jobs):,} jobs of the queue are listed.")
    return JobSearchPage(jobs=tuple(shown), window=window, notes=tuple(notes))


def list_every_job(farm_id: str, queue_id: str) -> JobListing:
    """Every job of the queue (ListJobs, every page however many), cached for
    DEADLINE_LISTING_CACHE_SECONDS: what pages past the search window are cut from."""
    return cached_read(
        kind="jobs-every",
        ids=(farm_id, queue_id),
        ttl=settings.DEADLINE_LISTING_CACHE_SECONDS,
        fetch=lambda: {
            "jobs": list_every("ListJobs", "jobs", farmId=farm_id, queueId=queue_id),
            "complete": True,
        },
        parse=JobListing,
    )


def beyond_window(farm_id: str, queue_id: str, query: JobQuery) -> JobSearchPage:
    """A page of a list longer than the search window, cut by the dashboard from every job
    of the queue (the page cached like a search answer, so polls do not redo the work)."""

    def fetch() -> dict[str, Any]:
        listing = list_every_job(farm_id, queue_id)
        note = (
            "More than 10,000 jobs match, the most a search reaches: this page was cut by the "
            f"dashboard from the queue's {len(listing.jobs):,} jobs, listed with ListJobs."
        )
        return _cut(listing, query, JobQuery(), [note]).to_cache()

    return cached_read(
        kind="jobs-beyond-page",
        ids=(farm_id, queue_id, digest(query.key())),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=fetch,
        parse=JobSearchPage,
    )
