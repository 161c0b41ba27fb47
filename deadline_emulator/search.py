"""Search* filters and sorts: grouped AND/OR filter expressions, field/parameter sorts.

Field names follow the service's convention (UPPER_SNAKE of the summary member, as the
``deadline`` CLI sends them: ``TASK_RUN_STATUS``, ``CREATED_AT``, ``ENDED_AT``...). For
tasks, ``TASK_RUN_STATUS`` and ``RUN_STATUS`` both name ``runStatus``. Unknown names and
operators a filter kind does not support are ValidationExceptions naming the field.
Results stop at the service's 10,000-item window (``totalResults`` <= 10,000).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from deadline_emulator.exceptions import ValidationException

SEARCH_WINDOW = 10_000
DEFAULT_PAGE_SIZE = 100
MAX_GROUP_DEPTH = 2  # "two groupings per search": the top level and one nested groupFilter

Getter = Callable[[dict[str, Any]], Any]


@dataclass(frozen=True)
class SearchFields:
    """What one resource's search understands."""

    resource: str
    strings: dict[str, str]  # FIELD -> summary member
    datetimes: dict[str, str]
    sorts: dict[str, str]
    text: tuple[str, ...]  # members searchTermFilter looks in
    parameters: str | None  # member holding parameters (parameterFilter / parameterSort)


JOB_FIELDS = SearchFields(
    "jobs",
    strings={
        "TASK_RUN_STATUS": "taskRunStatus",
        "TARGET_TASK_RUN_STATUS": "targetTaskRunStatus",
        "LIFECYCLE_STATUS": "lifecycleStatus",
        "NAME": "name",
        "CREATED_BY": "createdBy",
        "UPDATED_BY": "updatedBy",
        "JOB_ID": "jobId",
        "QUEUE_ID": "queueId",
    },
    datetimes={
        "CREATED_AT": "createdAt",
        "STARTED_AT": "startedAt",
        "ENDED_AT": "endedAt",
        "UPDATED_AT": "updatedAt",
    },
    sorts={
        "CREATED_AT": "createdAt",
        "STARTED_AT": "startedAt",
        "ENDED_AT": "endedAt",
        "UPDATED_AT": "updatedAt",
        "PRIORITY": "priority",
        "NAME": "name",
        "TASK_RUN_STATUS": "taskRunStatus",
        "LIFECYCLE_STATUS": "lifecycleStatus",
        "CREATED_BY": "createdBy",
        "JOB_ID": "jobId",
    },
    text=("name",),
    parameters="jobParameters",
)

STEP_FIELDS = SearchFields(
    "steps",
    strings={
        "TASK_RUN_STATUS": "taskRunStatus",
        "TARGET_TASK_RUN_STATUS": "targetTaskRunStatus",
        "LIFECYCLE_STATUS": "lifecycleStatus",
        "NAME": "name",
        "STEP_ID": "stepId",
        "JOB_ID": "jobId",
        "QUEUE_ID": "queueId",
        "CREATED_BY": "createdBy",
    },
    datetimes=JOB_FIELDS.datetimes,
    sorts={
        "CREATED_AT": "createdAt",
        "STARTED_AT": "startedAt",
        "ENDED_AT": "endedAt",
        "UPDATED_AT": "updatedAt",
        "NAME": "name",
        "TASK_RUN_STATUS": "taskRunStatus",
        "LIFECYCLE_STATUS": "lifecycleStatus",
        "STEP_ID": "stepId",
    },
    text=("name",),
    parameters=None,
)

TASK_FIELDS = SearchFields(
    "tasks",
    strings={
        "TASK_RUN_STATUS": "runStatus",
        "RUN_STATUS": "runStatus",
        "TARGET_RUN_STATUS": "targetRunStatus",
        "TASK_ID": "taskId",
        "STEP_ID": "stepId",
        "JOB_ID": "jobId",
        "QUEUE_ID": "queueId",
        "UPDATED_BY": "updatedBy",
    },
    datetimes={
        "STARTED_AT": "startedAt",
        "ENDED_AT": "endedAt",
        "UPDATED_AT": "updatedAt",
    },
    sorts={
        "TASK_ID": "_taskNumber",
        "STARTED_AT": "startedAt",
        "ENDED_AT": "endedAt",
        "UPDATED_AT": "updatedAt",
        "TASK_RUN_STATUS": "runStatus",
        "RUN_STATUS": "runStatus",
        "FAILURE_RETRY_COUNT": "failureRetryCount",
    },
    text=("taskId",),
    parameters="parameters",
)

_DATE_OPERATORS = {
    "EQUAL": lambda a, b: a == b,
    "GREATER_THAN": lambda a, b: a > b,
    "GREATER_THAN_EQUAL_TO": lambda a, b: a >= b,
    "LESS_THAN": lambda a, b: a < b,
    "LESS_THAN_EQUAL_TO": lambda a, b: a <= b,
}
_PARAM_OPERATORS = {**_DATE_OPERATORS, "NOT_EQUAL": lambda a, b: a != b}


def _invalid(message: str, field: str) -> ValidationException:
    return ValidationException(message, field_list=[{"name": field, "message": message}])


def _as_datetime(value: Any, field: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value, tz=UTC)
        parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        raise _invalid(f"Invalid dateTime value: {value!r}", field) from None


def parameter_sort_value(parameter: dict[str, str] | None) -> Any:
    """A comparable value of a TaskParameterValue (numbers as numbers)."""
    if not parameter:
        return None
    kind, raw = next(iter(parameter.items()))
    if kind in ("int", "float"):
        try:
            return (0, float(raw), "")
        except ValueError:
            return (1, 0.0, raw)
    if kind == "chunkInt":
        head = raw.split(",")[0].split(":")[0]
        digits = head[1:].split("-")[0] if head.startswith("-") else head.split("-")[0]
        try:
            return (0, float(("-" if head.startswith("-") else "") + digits), raw)
        except ValueError:
            return (1, 0.0, raw)
    return (1, 0.0, raw)


def _compare_parameter(parameter: dict[str, str] | None, operator: str, wanted: str) -> bool:
    if not parameter:
        return operator == "NOT_EQUAL"
    kind, raw = next(iter(parameter.items()))
    if kind in ("int", "float"):
        try:
            return _PARAM_OPERATORS[operator](float(raw), float(wanted))
        except ValueError:
            pass
    return _PARAM_OPERATORS[operator](raw, wanted)


class Matcher:
    """A compiled filterExpressions tree (validated once, applied to every item)."""

    def __init__(self, fields: SearchFields, expression: dict[str, Any] | None) -> None:
        self.fields = fields
        self._test = self._group(expression, "filterExpressions", 1) if expression else None

    def __call__(self, item: dict[str, Any]) -> bool:
        return True if self._test is None else self._test(item)

    def _group(self, group: dict[str, Any], path: str, depth: int) -> Callable[[dict], bool]:
        if depth > MAX_GROUP_DEPTH:
            raise _invalid("Search filters allow at most two levels of grouping.", path)
        operator = group.get("operator", "AND")
        if operator not in ("AND", "OR"):
            raise _invalid(f"Unsupported logical operator: {operator}", f"{path}.operator")
        tests = [
            self._filter(f, f"{path}.filters[{n}]", depth)
            for n, f in enumerate(group.get("filters") or [])
        ]
        if operator == "AND":
            return lambda item: all(test(item) for test in tests)
        return lambda item: any(test(item) for test in tests)

    def _filter(self, spec: dict[str, Any], path: str, depth: int) -> Callable[[dict], bool]:
        if len(spec) != 1:
            raise _invalid("Each filter must set exactly one filter type.", path)
        kind, body = next(iter(spec.items()))
        fields = self.fields
        if kind == "groupFilter":
            return self._group(body, f"{path}.groupFilter", depth + 1)
        if kind == "searchTermFilter":
            term = str(body.get("searchTerm", ""))
            if body.get("matchType", "FUZZY_MATCH") == "CONTAINS":
                needles = [term.casefold()]
                mode = all
            else:
                needles = [t.casefold() for t in term.split()] or [""]
                mode = any
            members = fields.text
            return lambda item: mode(
                any(n in str(item.get(m, "")).casefold() for m in members) for n in needles
            )
        name = body.get("name")
        operator = body.get("operator")
        where = f"{path}.{kind}.name"
        if kind == "stringFilter":
            member = fields.strings.get(name)
            if member is None:
                raise _invalid(
                    f"Unsupported string filter field for {fields.resource}: {name}", where
                )
            if operator not in ("EQUAL", "NOT_EQUAL"):
                raise _invalid(f"stringFilter supports EQUAL and NOT_EQUAL, not {operator}", where)
            value = body.get("value")
            if operator == "EQUAL":
                return lambda item: item.get(member) == value
            return lambda item: item.get(member) != value
        if kind == "stringListFilter":
            member = fields.strings.get(name)
            if member is None:
                raise _invalid(
                    f"Unsupported string filter field for {fields.resource}: {name}", where
                )
            values = set(body.get("values") or [])
            if operator == "ANY_EQUALS":
                return lambda item: item.get(member) in values
            if operator == "ALL_NOT_EQUALS":
                return lambda item: item.get(member) not in values
            raise _invalid(
                f"stringListFilter supports ANY_EQUALS and ALL_NOT_EQUALS, not {operator}", where
            )
        if kind == "dateTimeFilter":
            member = fields.datetimes.get(name)
            if member is None:
                raise _invalid(
                    f"Unsupported dateTime filter field for {fields.resource}: {name}", where
                )
            compare = _DATE_OPERATORS.get(operator)
            if compare is None:
                raise _invalid(f"dateTimeFilter does not support {operator}", where)
            when = _as_datetime(body.get("dateTime"), f"{path}.{kind}.dateTime")

            def test_date(item: dict[str, Any]) -> bool:
                value = item.get(member)
                return value is not None and compare(value, when)

            return test_date
        if kind == "parameterFilter":
            holder = fields.parameters
            if holder is None:
                raise _invalid(f"{fields.resource} cannot be filtered by parameter", where)
            if operator not in _PARAM_OPERATORS:
                raise _invalid(f"parameterFilter does not support {operator}", where)
            wanted = str(body.get("value"))
            return lambda item: _compare_parameter(
                (item.get(holder) or {}).get(name), operator, wanted
            )
        raise _invalid(f"Unsupported filter type: {kind}", path)


def sort_items(
    items: list[dict[str, Any]], fields: SearchFields, expressions: list[dict[str, Any]] | None
) -> None:
    """Sort in place by the sortExpressions (stable; missing values last either way)."""
    for n, expression in reversed(list(enumerate(expressions or []))):
        path = f"sortExpressions[{n}]"
        if len(expression) != 1:
            raise _invalid("Each sort expression must set exactly one sort type.", path)
        kind, body = next(iter(expression.items()))
        if kind == "userJobsFirst":
            if fields.resource != "jobs":
                raise _invalid("userJobsFirst only sorts jobs.", path)
            user = body.get("userIdentityId")
            items.sort(key=lambda item: item.get("createdBy") != user)
            continue
        descending = body.get("sortOrder") == "DESCENDING"
        name = body.get("name")
        if kind == "fieldSort":
            member = fields.sorts.get(name)
            if member is None:
                raise _invalid(
                    f"Unsupported sort field for {fields.resource}: {name}",
                    f"{path}.fieldSort.name",
                )

            def value(item: dict[str, Any], member: str = member) -> Any:
                return item.get(member)
        elif kind == "parameterSort":
            holder = fields.parameters
            if holder is None:
                raise _invalid(f"{fields.resource} cannot be sorted by parameter", path)

            def value(item: dict[str, Any], holder: str = holder, name: Any = name) -> Any:
                return parameter_sort_value((item.get(holder) or {}).get(name))
        else:
            raise _invalid(f"Unsupported sort type: {kind}", path)
        if descending:
            items.sort(key=lambda i: (value(i) is not None, value(i)), reverse=True)
        else:
            items.sort(key=lambda i: (value(i) is None, value(i)))


def search_page(
    items: list[dict[str, Any]], item_offset: int, page_size: int | None
) -> tuple[list[dict[str, Any]], int, int | None]:
    """(page, totalResults, nextItemOffset) within the 10,000-item window."""
    total = min(len(items), SEARCH_WINDOW)
    size = DEFAULT_PAGE_SIZE if page_size is None else int(page_size)
    start = max(0, int(item_offset))
    stop = min(start + size, total)
    page = items[start:stop] if start < total else []
    return page, total, stop if stop < total else None
