"""Search* filters and sorts: grouped AND/OR filter expressions, field/parameter sorts.

Which names each operation understands comes from ``deadline_facts.search_names``, the table
the dashboard reads too; what the emulator does with a name depends on its search mode
(``SearchPolicy``), so tests can play every way a real account may answer:

- ``lenient`` (default): confirmed and conventional (assumed) names work; anything else is a
  ValidationException naming the field.
- ``strict``: only confirmed names work; every other name is a ValidationException.
- ``ignore``: confirmed names work; the names ``strict`` refuses are silently ignored, as a
  service that does not know them might: such a filter matches everything, such a sort is
  dropped.

``TASK_RUN_STATUS`` on tasks is not a name in any mode (the task member is ``runStatus``).
Operators a filter kind does not support are ValidationExceptions in every mode. Results
stop at the service's 10,000-item window (``totalResults`` <= 10,000).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from deadline_emulator.exceptions import ValidationException
from deadline_facts import search_names as names

SEARCH_WINDOW = 10_000
DEFAULT_PAGE_SIZE = 100
MAX_GROUP_DEPTH = 2  # "two groupings per search": the top level and one nested groupFilter

LENIENT = "lenient"
STRICT = "strict"
IGNORE = "ignore"
SEARCH_MODES = (LENIENT, STRICT, IGNORE)
ENV_VARIABLE = "DEADLINE_EMULATOR_SEARCH"

Getter = Callable[[dict[str, Any]], Any]


class SearchPolicy:
    """The emulator's search mode (thread-safe; changeable while serving)."""

    def __init__(self, mode: str = LENIENT) -> None:
        self._mode = _checked(mode)
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> SearchPolicy:
        """From ``DEADLINE_EMULATOR_SEARCH`` (unset or empty: lenient); ValueError if bad."""
        value = environ.get(ENV_VARIABLE, "").strip()
        try:
            return cls(value or LENIENT)
        except ValueError as exc:
            raise ValueError(f"bad {ENV_VARIABLE}: {exc}") from None

    @property
    def mode(self) -> str:
        return self._mode

    def set(self, mode: str) -> str:
        """Switch to ``mode`` (one of SEARCH_MODES); returns it."""
        checked = _checked(mode)
        with self._lock:
            self._mode = checked
        return checked

    def admit(self, operation: str, kind: str, name: str, where: str) -> bool:
        """True: honour the name. False: ignore it. Raises ValidationException: refuse it."""
        row = names.lookup(operation, kind, name)
        mode = self._mode
        if row is not None and (row.confirmed or mode == LENIENT):
            return True
        if mode == IGNORE:
            return False
        if kind in (names.PARAMETER_FILTER, names.PARAMETER_SORT):
            raise _invalid(f"{operation} does not support {kind}", where)
        message = f"Unsupported {_KIND_NOUNS[kind]} for {operation}: {name}"
        hint = names.MISNAMED.get((operation, name)) if row is None else None
        raise _invalid(f"{message} ({hint})" if hint else message, where)


_KIND_NOUNS = {
    names.STRING: "string filter field",
    names.DATE_TIME: "dateTime filter field",
    names.FIELD: "sort field",
    names.SEARCH_TERM: "searchTermFilter matchType",
}


def _checked(mode: str) -> str:
    if mode not in SEARCH_MODES:
        raise ValueError(f"search mode must be one of {', '.join(SEARCH_MODES)}, not {mode!r}")
    return mode


_DEFAULT_POLICY = SearchPolicy()


@dataclass(frozen=True)
class SearchFields:
    """What one resource's search understands (from the shared table)."""

    operation: str
    resource: str
    strings: dict[str, str]  # FIELD -> summary member
    datetimes: dict[str, str]
    sorts: dict[str, str]
    text: tuple[str, ...]  # members searchTermFilter looks in
    parameters: str | None  # member holding parameters (parameterFilter / parameterSort)


def _fields(
    operation: str,
    resource: str,
    *,
    text: tuple[str, ...],
    parameters: str | None = None,
    sort_members: dict[str, str] | None = None,
) -> SearchFields:
    def members(kind: str) -> dict[str, str]:
        return {row.name: row.member for row in names.names(operation, kind=kind)}

    return SearchFields(
        operation,
        resource,
        strings=members(names.STRING),
        datetimes=members(names.DATE_TIME),
        sorts={**members(names.FIELD), **(sort_members or {})},
        text=text,
        parameters=parameters,
    )


JOB_FIELDS = _fields("SearchJobs", "jobs", text=("name",), parameters="jobParameters")
STEP_FIELDS = _fields("SearchSteps", "steps", text=("name",))
# Task IDs sort by their number (task-<hex>-9 before task-<hex>-10), as the index is meant.
TASK_FIELDS = _fields(
    "SearchTasks",
    "tasks",
    text=("taskId",),
    parameters="parameters",
    sort_members={"TASK_ID": "_taskNumber"},
)
WORKER_FIELDS = _fields("SearchWorkers", "workers", text=("workerId", "_hostName"))

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


def _everything(item: dict[str, Any]) -> bool:
    return True


class Matcher:
    """A compiled filterExpressions tree (validated once, applied to every item)."""

    def __init__(
        self,
        fields: SearchFields,
        expression: dict[str, Any] | None,
        policy: SearchPolicy | None = None,
    ) -> None:
        self.fields = fields
        self.policy = policy or _DEFAULT_POLICY
        #: member -> the only values an item can have and match: from honoured EQUAL and
        #: ANY_EQUALS string filters directly under the top AND (a caller may index by them;
        #: every candidate is still tested in full).
        self.required: dict[str, frozenset[Any]] = {}
        self._test = self._group(expression, "filterExpressions", 1) if expression else None

    def __call__(self, item: dict[str, Any]) -> bool:
        return True if self._test is None else self._test(item)

    def _group(self, group: dict[str, Any], path: str, depth: int) -> Callable[[dict], bool]:
        if depth > MAX_GROUP_DEPTH:
            raise _invalid("Search filters allow at most two levels of grouping.", path)
        operator = group.get("operator", "AND")
        if operator not in ("AND", "OR"):
            raise _invalid(f"Unsupported logical operator: {operator}", f"{path}.operator")
        filters = group.get("filters") or []
        tests = [self._filter(f, f"{path}.filters[{n}]", depth) for n, f in enumerate(filters)]
        if depth == 1 and operator == "AND":
            self._note_required(filters, tests)
        if operator == "AND":
            return lambda item: all(test(item) for test in tests)
        return lambda item: any(test(item) for test in tests)

    def _note_required(self, filters: list[Any], tests: list[Callable[[dict], bool]]) -> None:
        for spec, test in zip(filters, tests, strict=True):
            if test is _everything:  # refused by the policy and ignored: no constraint
                continue
            kind, body = next(iter(spec.items()))
            if kind == "stringFilter" and body.get("operator") == "EQUAL":
                values = frozenset([body.get("value")])
            elif kind == "stringListFilter" and body.get("operator") == "ANY_EQUALS":
                values = frozenset(body.get("values") or [])
            else:
                continue
            member = self.fields.strings[body.get("name")]
            known = self.required.get(member)
            self.required[member] = values if known is None else known & values

    def _filter(self, spec: dict[str, Any], path: str, depth: int) -> Callable[[dict], bool]:
        if len(spec) != 1:
            raise _invalid("Each filter must set exactly one filter type.", path)
        kind, body = next(iter(spec.items()))
        fields = self.fields
        if kind == "groupFilter":
            return self._group(body, f"{path}.groupFilter", depth + 1)
        admit = self.policy.admit
        operation = fields.operation
        if kind == "searchTermFilter":
            term = str(body.get("searchTerm", ""))
            match_type = body.get("matchType", "FUZZY_MATCH")
            if not admit(operation, names.SEARCH_TERM, match_type, f"{path}.{kind}"):
                return _everything
            if match_type == "CONTAINS":
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
            if operator not in ("EQUAL", "NOT_EQUAL"):
                raise _invalid(f"stringFilter supports EQUAL and NOT_EQUAL, not {operator}", where)
            if not admit(operation, names.STRING, name, where):
                return _everything
            member = fields.strings[name]
            value = body.get("value")
            if operator == "EQUAL":
                return lambda item: item.get(member) == value
            return lambda item: item.get(member) != value
        if kind == "stringListFilter":
            if operator not in ("ANY_EQUALS", "ALL_NOT_EQUALS"):
                raise _invalid(
                    f"stringListFilter supports ANY_EQUALS and ALL_NOT_EQUALS, not {operator}",
                    where,
                )
            if not admit(operation, names.STRING, name, where):
                return _everything
            member = fields.strings[name]
            values = set(body.get("values") or [])
            if operator == "ANY_EQUALS":
                return lambda item: item.get(member) in values
            return lambda item: item.get(member) not in values
        if kind == "dateTimeFilter":
            compare = _DATE_OPERATORS.get(operator)
            if compare is None:
                raise _invalid(f"dateTimeFilter does not support {operator}", where)
            when = _as_datetime(body.get("dateTime"), f"{path}.{kind}.dateTime")
            if not admit(operation, names.DATE_TIME, name, where):
                return _everything
            member = fields.datetimes[name]

            def test_date(item: dict[str, Any]) -> bool:
                value = item.get(member)
                return value is not None and compare(value, when)

            return test_date
        if kind == "parameterFilter":
            if operator not in _PARAM_OPERATORS:
                raise _invalid(f"parameterFilter does not support {operator}", where)
            if not admit(operation, names.PARAMETER_FILTER, names.ANY_PARAMETER, f"{path}.{kind}"):
                return _everything
            holder = fields.parameters
            assert holder is not None, f"{operation} admits parameterFilter without parameters"
            wanted = str(body.get("value"))
            return lambda item: _compare_parameter(
                (item.get(holder) or {}).get(name), operator, wanted
            )
        raise _invalid(f"Unsupported filter type: {kind}", path)


def sort_items(
    items: list[dict[str, Any]],
    fields: SearchFields,
    expressions: list[dict[str, Any]] | None,
    policy: SearchPolicy | None = None,
) -> None:
    """Sort in place by the sortExpressions (stable; missing values last either way).

    Every expression is checked before any sorting, so a refused one fails the whole call."""
    admit = (policy or _DEFAULT_POLICY).admit
    keys: list[tuple[Getter, bool]] = []
    for n, expression in enumerate(expressions or []):
        path = f"sortExpressions[{n}]"
        if len(expression) != 1:
            raise _invalid("Each sort expression must set exactly one sort type.", path)
        kind, body = next(iter(expression.items()))
        if kind == "userJobsFirst":
            if fields.resource != "jobs":
                raise _invalid("userJobsFirst only sorts jobs.", path)
            user = body.get("userIdentityId")
            keys.append((lambda item, user=user: item.get("createdBy") == user, True))
            continue
        descending = body.get("sortOrder") == "DESCENDING"
        name = body.get("name")
        if kind == "fieldSort":
            if not admit(fields.operation, names.FIELD, name, f"{path}.fieldSort.name"):
                continue  # ignored: the sort is dropped

            def value(item: dict[str, Any], member: str = fields.sorts[name]) -> Any:
                return item.get(member)
        elif kind == "parameterSort":
            if not admit(fields.operation, names.PARAMETER_SORT, names.ANY_PARAMETER, path):
                continue
            holder = fields.parameters
            assert holder is not None, f"{fields.operation} admits parameterSort without parameters"

            def value(item: dict[str, Any], holder: str = holder, name: Any = name) -> Any:
                return parameter_sort_value((item.get(holder) or {}).get(name))
        else:
            raise _invalid(f"Unsupported sort type: {kind}", path)
        keys.append((value, descending))
    for value, descending in reversed(keys):
        if descending:
            items.sort(key=lambda i, v=value: (v(i) is not None, v(i)), reverse=True)
        else:
            items.sort(key=lambda i, v=value: (v(i) is None, v(i)))


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
