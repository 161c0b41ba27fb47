"""Every Search* filter and sort name the dashboard or the emulator uses: confirmed or assumed.

botocore's model types a Search filter's or sort's ``name`` as a free string ("The field name
to search") and lists no valid values. So each name here is either

- **confirmed**: a released version of a public client sends it to the real service (the
  ``deadline`` package on PyPI, source aws-deadline/deadline-cloud; ``source`` names the
  versions read and the file), or
- **assumed**: it follows the service's naming rule, the upper-snake form of the search
  summary's member (every name a released client sends obeys it: ``createdAt`` is
  ``CREATED_AT``, ``endedAt`` ``ENDED_AT``, ``taskRunStatus`` ``TASK_RUN_STATUS``), but no
  released client sends it, so a real account may refuse or silently ignore it.

Read in the wheels of ``RELEASES_READ`` (the newest on PyPI when last checked and the two
before it). A file that only exists in the repository's main branch is no evidence: the
job-list helper ``client/api/_list_jobs_recent_by_timestamp_field.py`` (STARTED_AT,
UPDATED_AT...) is in none of them, so SearchJobs STARTED_AT and UPDATED_AT (filter) and
STARTED_AT, ENDED_AT and UPDATED_AT (sort) are assumed, and the job table probes them.

Besides field names, two filter kinds carry no field name but are just as unconfirmed per
operation: ``searchTermFilter`` (the row's name is its ``matchType``) and
``parameterFilter``/``parameterSort`` (name ``*``: any parameter).

Why a package of its own: the emulator must not import the dashboard, and the dashboard's
AWS boundary should not depend on the emulator to know what the real service accepts. Both
import this module; it imports nothing but the standard library.

Names that break the rule are kept out of the table on purpose: ``TASK_RUN_STATUS`` on
tasks (the task member is ``runStatus``), see ``MISNAMED``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

CONFIRMED: Final = "confirmed"
ASSUMED: Final = "assumed"

FILTER: Final = "filter"
SORT: Final = "sort"

#: Kinds of name, as the wire names the expression (STRING covers stringListFilter too).
#: A searchTermFilter row's name is its matchType; a parameter row's name is "*".
STRING: Final = "stringFilter"
DATE_TIME: Final = "dateTimeFilter"
FIELD: Final = "fieldSort"
SEARCH_TERM: Final = "searchTermFilter"
PARAMETER_FILTER: Final = "parameterFilter"
PARAMETER_SORT: Final = "parameterSort"
ANY_PARAMETER: Final = "*"
_SORT_KINDS = frozenset({FIELD, PARAMETER_SORT})

CONVENTION: Final = "convention: upper-snake form of the search summary's member"

#: The released ``deadline`` wheels whose source the confirmed names were read in.
RELEASES_READ: Final = ("0.60.8", "0.60.9", "0.60.10")
_RELEASED = "deadline " + ", ".join(RELEASES_READ)

# Public sources: files of those wheels (aws-deadline/deadline-cloud), each read in all three.
_JOB_LIST = (
    f"{_RELEASED}: client/cli/_groups/job_group.py `job list` and "
    "client/cli/_groups/_job_helpers.py `job get <term>` (fieldSort CREATED_AT)"
)
_BY_FILTER = (
    f"{_RELEASED}: client/api/_list_jobs_by_filter_expression.py "
    "(fieldSort CREATED_AT, dateTimeFilter CREATED_AT)"
)
_STATUS = (
    f"{_RELEASED}: client/api/_mcp.py (stringFilter) and client/cli/_incremental_download.py "
    "(stringListFilter ANY_EQUALS)"
)
_ENDED = f"{_RELEASED}: client/cli/_incremental_download.py (dateTimeFilter ENDED_AT)"
_CONTAINS = (
    f"{_RELEASED}: client/cli/_groups/_job_helpers.py (`job get <term>`: matchType CONTAINS)"
)
_FUZZY = f"{_RELEASED}: client/api/_mcp.py (searchTermFilter without matchType: FUZZY_MATCH)"
_WORKER_TERM = f"{_RELEASED}: client/cli/_suggest_resources.py (SearchWorkers searchTermFilter)"


@dataclass(frozen=True)
class SearchName:
    """One name one Search* operation may be sent, what it names, and how sure we are."""

    operation: str  # SearchJobs | SearchSteps | SearchTasks | SearchWorkers
    kind: str  # STRING | DATE_TIME | FIELD | SEARCH_TERM | PARAMETER_FILTER | PARAMETER_SORT
    name: str  # what goes on the wire: "TASK_RUN_STATUS", a matchType, or "*"
    member: str  # the search summary member it names ("taskRunStatus")
    status: str  # CONFIRMED | ASSUMED
    source: str  # the public source, or CONVENTION

    @property
    def use(self) -> str:
        """FILTER or SORT."""
        return SORT if self.kind in _SORT_KINDS else FILTER

    @property
    def confirmed(self) -> bool:
        return self.status == CONFIRMED

    @property
    def label(self) -> str:
        """How probes and notes print it: the field name, or the filter kind."""
        return label(self.kind, self.name)


def label(kind: str, name: str) -> str:
    """``TASK_RUN_STATUS``, ``searchTermFilter(CONTAINS)`` or ``parameterFilter``."""
    if kind == SEARCH_TERM:
        return f"searchTermFilter({name})"
    if kind in (PARAMETER_FILTER, PARAMETER_SORT):
        return kind
    return name


def _rows(
    operation: str, kind: str, status: str, source: str, names: dict[str, str]
) -> list[SearchName]:
    return [
        SearchName(operation, kind, name, member, status, source) for name, member in names.items()
    ]


_JOB_DATES = {
    "CREATED_AT": "createdAt",
    "STARTED_AT": "startedAt",
    "ENDED_AT": "endedAt",
    "UPDATED_AT": "updatedAt",
}

SEARCH_NAMES: Final[tuple[SearchName, ...]] = tuple(
    [
        # --- SearchJobs ------------------------------------------------------------------
        *_rows("SearchJobs", STRING, CONFIRMED, _STATUS, {"TASK_RUN_STATUS": "taskRunStatus"}),
        *_rows(
            "SearchJobs",
            STRING,
            ASSUMED,
            CONVENTION,
            {
                "LIFECYCLE_STATUS": "lifecycleStatus",
                "TARGET_TASK_RUN_STATUS": "targetTaskRunStatus",
                "NAME": "name",
                "CREATED_BY": "createdBy",
                "UPDATED_BY": "updatedBy",
                "JOB_ID": "jobId",
                "QUEUE_ID": "queueId",
            },
        ),
        *_rows("SearchJobs", DATE_TIME, CONFIRMED, _BY_FILTER, {"CREATED_AT": "createdAt"}),
        *_rows("SearchJobs", DATE_TIME, CONFIRMED, _ENDED, {"ENDED_AT": "endedAt"}),
        *_rows(
            "SearchJobs",
            DATE_TIME,
            ASSUMED,
            CONVENTION,
            {"STARTED_AT": "startedAt", "UPDATED_AT": "updatedAt"},
        ),
        *_rows("SearchJobs", FIELD, CONFIRMED, _JOB_LIST, {"CREATED_AT": "createdAt"}),
        *_rows(
            "SearchJobs",
            FIELD,
            ASSUMED,
            CONVENTION,
            {"STARTED_AT": "startedAt", "ENDED_AT": "endedAt", "UPDATED_AT": "updatedAt"},
        ),
        *_rows(
            "SearchJobs",
            FIELD,
            ASSUMED,
            CONVENTION,
            {
                "PRIORITY": "priority",
                "NAME": "name",
                "TASK_RUN_STATUS": "taskRunStatus",
                "LIFECYCLE_STATUS": "lifecycleStatus",
                "CREATED_BY": "createdBy",
                "JOB_ID": "jobId",
            },
        ),
        *_rows("SearchJobs", SEARCH_TERM, CONFIRMED, _CONTAINS, {"CONTAINS": "name"}),
        *_rows("SearchJobs", SEARCH_TERM, CONFIRMED, _FUZZY, {"FUZZY_MATCH": "name"}),
        *_rows("SearchJobs", PARAMETER_FILTER, ASSUMED, CONVENTION, {"*": "jobParameters"}),
        *_rows("SearchJobs", PARAMETER_SORT, ASSUMED, CONVENTION, {"*": "jobParameters"}),
        # --- SearchSteps (the emulator serves it; the dashboard does not send it) ---------
        *_rows(
            "SearchSteps",
            STRING,
            ASSUMED,
            CONVENTION,
            {
                "TASK_RUN_STATUS": "taskRunStatus",
                "TARGET_TASK_RUN_STATUS": "targetTaskRunStatus",
                "LIFECYCLE_STATUS": "lifecycleStatus",
                "NAME": "name",
                "STEP_ID": "stepId",
                "JOB_ID": "jobId",
                "QUEUE_ID": "queueId",
                "CREATED_BY": "createdBy",
            },
        ),
        *_rows("SearchSteps", DATE_TIME, ASSUMED, CONVENTION, _JOB_DATES),
        *_rows(
            "SearchSteps",
            FIELD,
            ASSUMED,
            CONVENTION,
            {
                **_JOB_DATES,
                "NAME": "name",
                "TASK_RUN_STATUS": "taskRunStatus",
                "LIFECYCLE_STATUS": "lifecycleStatus",
                "STEP_ID": "stepId",
            },
        ),
        *_rows("SearchSteps", SEARCH_TERM, ASSUMED, CONVENTION, {"CONTAINS": "name"}),
        *_rows("SearchSteps", SEARCH_TERM, ASSUMED, CONVENTION, {"FUZZY_MATCH": "name"}),
        # --- SearchTasks: no public client sends any name; the CLI and its TUI list a step's
        # tasks with ListTasks(stepId=...) instead. RUN_STATUS follows the rule (runStatus).
        *_rows(
            "SearchTasks",
            STRING,
            ASSUMED,
            CONVENTION,
            {
                "RUN_STATUS": "runStatus",
                "TARGET_RUN_STATUS": "targetRunStatus",
                "TASK_ID": "taskId",
                "STEP_ID": "stepId",
                "JOB_ID": "jobId",
                "QUEUE_ID": "queueId",
                "UPDATED_BY": "updatedBy",
            },
        ),
        *_rows(
            "SearchTasks",
            DATE_TIME,
            ASSUMED,
            CONVENTION,
            {"STARTED_AT": "startedAt", "ENDED_AT": "endedAt", "UPDATED_AT": "updatedAt"},
        ),
        *_rows(
            "SearchTasks",
            FIELD,
            ASSUMED,
            CONVENTION,
            {
                "TASK_ID": "taskId",
                "RUN_STATUS": "runStatus",
                "FAILURE_RETRY_COUNT": "failureRetryCount",
                "STARTED_AT": "startedAt",
                "ENDED_AT": "endedAt",
                "UPDATED_AT": "updatedAt",
            },
        ),
        *_rows("SearchTasks", SEARCH_TERM, ASSUMED, CONVENTION, {"CONTAINS": "taskId"}),
        *_rows("SearchTasks", SEARCH_TERM, ASSUMED, CONVENTION, {"FUZZY_MATCH": "taskId"}),
        *_rows("SearchTasks", PARAMETER_FILTER, ASSUMED, CONVENTION, {"*": "parameters"}),
        *_rows("SearchTasks", PARAMETER_SORT, ASSUMED, CONVENTION, {"*": "parameters"}),
        # --- SearchWorkers: `deadline worker list` sends none; its suggestions a search term.
        *_rows("SearchWorkers", SEARCH_TERM, CONFIRMED, _WORKER_TERM, {"FUZZY_MATCH": "workerId"}),
        *_rows(
            "SearchWorkers",
            STRING,
            ASSUMED,
            CONVENTION,
            {"STATUS": "status", "WORKER_ID": "workerId", "FLEET_ID": "fleetId"},
        ),
        *_rows(
            "SearchWorkers",
            DATE_TIME,
            ASSUMED,
            CONVENTION,
            {"CREATED_AT": "createdAt", "UPDATED_AT": "updatedAt"},
        ),
        *_rows(
            "SearchWorkers",
            FIELD,
            ASSUMED,
            CONVENTION,
            {
                "CREATED_AT": "createdAt",
                "UPDATED_AT": "updatedAt",
                "STATUS": "status",
                "WORKER_ID": "workerId",
            },
        ),
    ]
)

#: Names that look plausible but break the naming rule: refused by the emulator in every mode
#: that refuses unknown names, with this hint.
MISNAMED: Final[dict[tuple[str, str], str]] = {
    ("SearchTasks", "TASK_RUN_STATUS"): (
        "tasks have no taskRunStatus member: their run status is runStatus (RUN_STATUS)"
    ),
}

_INDEX: dict[tuple[str, str, str], SearchName] = {
    (row.operation, row.kind, row.name): row for row in SEARCH_NAMES
}


def lookup(operation: str, kind: str, name: str) -> SearchName | None:
    """The row for ``name`` of ``kind`` on ``operation``, or None if nobody uses it."""
    return _INDEX.get((operation, kind, name))


def is_confirmed(operation: str, kind: str, name: str) -> bool:
    """Whether a public client sends ``name`` of ``kind`` to ``operation``."""
    row = lookup(operation, kind, name)
    return row is not None and row.confirmed


def names(
    operation: str | None = None,
    *,
    use: str | None = None,
    kind: str | None = None,
    status: str | None = None,
) -> tuple[SearchName, ...]:
    """The rows matching every criterion given, in table order."""
    return tuple(
        row
        for row in SEARCH_NAMES
        if (operation is None or row.operation == operation)
        and (use is None or row.use == use)
        and (kind is None or row.kind == kind)
        and (status is None or row.status == status)
    )


_KIND_LABELS = {
    STRING: "stringFilter / stringListFilter",
    DATE_TIME: "dateTimeFilter",
    FIELD: "fieldSort",
    SEARCH_TERM: "searchTermFilter (matchType)",
    PARAMETER_FILTER: "parameterFilter",
    PARAMETER_SORT: "parameterSort",
}


def markdown_table() -> str:
    """The table as Markdown, one line per operation, kind, status and source (docs/search.md)."""
    lines = ["| operation | kind | names | status | source |", "|---|---|---|---|---|"]
    groups: list[tuple[tuple[str, str, str, str], list[str]]] = []
    for row in SEARCH_NAMES:
        key = (row.operation, row.kind, row.status, row.source)
        if groups and groups[-1][0] == key:
            groups[-1][1].append(row.name)
        else:
            groups.append((key, [row.name]))
    for (operation, kind, status, source), group in groups:
        shown = "any parameter" if group == [ANY_PARAMETER] else ", ".join(f"`{n}`" for n in group)
        where = "follows the convention" if source == CONVENTION else source
        lines.append(f"| {operation} | {_KIND_LABELS[kind]} | {shown} | {status} | {where} |")
    return "\n".join(lines)
