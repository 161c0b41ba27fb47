"""Probe what this account's Search* does with each name the dashboard may send.

Read-only and small (a few dozen calls): each filter is sent with a value that must narrow the
answer (a value some rows lack, or none has), each sort both ways; the rows then tell whether
the service honoured the name (``accepted``), answered ValidationException (``refused``) or
answered as if it were not there (``ignored``). ``untested`` when the data cannot tell (every
row alike). ``manage.py probe_api`` prints the verdicts; refusals and ignored names are also
remembered for this backend, as the dashboard would learn them at run time.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from deadline_facts import search_names as facts

from . import probe_targets as targets
from . import search
from .calls import call
from .errors import InvalidRequest
from .probe_targets import NothingToProbe as NothingToProbe  # raised by run()

ACCEPTED = search.ACCEPTED
REFUSED = search.REFUSED
IGNORED = search.IGNORED
UNTESTED = "untested"

#: What the dashboard sends: SearchJobs (the queue's job list) and SearchTasks (the step page).
JOB_FILTERS = ("TASK_RUN_STATUS", "LIFECYCLE_STATUS")
JOB_SORTS = {
    "CREATED_AT": "createdAt",
    "PRIORITY": "priority",
    "NAME": "name",
    "STARTED_AT": "startedAt",
    "ENDED_AT": "endedAt",
    "UPDATED_AT": "updatedAt",
    "TASK_RUN_STATUS": "taskRunStatus",
    "LIFECYCLE_STATUS": "lifecycleStatus",
}
TASK_SORTS = {
    "TASK_ID": "taskId",
    "RUN_STATUS": "runStatus",
    "FAILURE_RETRY_COUNT": "failureRetryCount",
    "STARTED_AT": "startedAt",
    "ENDED_AT": "endedAt",
    "UPDATED_AT": "updatedAt",
}
_PAGE = targets.PAGE
_NO_SUCH_TEXT = "zz-probe-no-such-text-5f1c"


@dataclass(frozen=True)
class Verdict:
    operation: str
    use: str  # "filter" or "sort"
    kind: str
    name: str
    verdict: str
    detail: str = ""

    @property
    def label(self) -> str:
        return facts.label(self.kind, self.name)

    @property
    def line(self) -> str:
        return f"{self.operation} {self.use} {self.label} {self.verdict}"

    @property
    def status(self) -> str:
        """confirmed or assumed, from the table."""
        row = facts.lookup(self.operation, self.kind, self.name)
        return row.status if row is not None else "not in the table"


@dataclass
class Probe:
    """The resources probed and the verdicts, in the order they were found."""

    farm_id: str = ""
    queue_id: str = ""
    job_id: str = ""
    verdicts: list[Verdict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def run(*, farm_id: str | None = None, queue_id: str | None = None) -> Probe:
    """Probe SearchJobs on a queue with jobs and SearchTasks on one of its jobs."""
    probe = Probe()
    probe.farm_id = farm_id or targets.first_farm()
    queue_id, jobs = targets.queue_with_jobs(probe.farm_id, queue_id)
    probe.queue_id = queue_id
    _probe_jobs(probe, jobs)
    job = targets.job_with_steps(probe.farm_id, queue_id, jobs)
    if job is None:
        probe.notes.append("No job of this queue has tasks: SearchTasks was not probed.")
    else:
        _probe_tasks(probe, *job)
    for verdict in probe.verdicts:
        if verdict.verdict in (REFUSED, IGNORED):
            use = search.NameUse(verdict.operation, verdict.kind, verdict.name, "")
            search.remember(use, verdict.verdict)
    return probe


# --- probing ---------------------------------------------------------------------------------


def _try(operation: str, params: dict[str, Any]) -> dict[str, Any] | None:
    """The answer, or None when the service refused the request (ValidationException)."""
    try:
        return call(operation, **params)
    except InvalidRequest:
        return None


def _narrows(
    answer: dict[str, Any] | None,
    rows_key: str,
    baseline_total: int,
    matches: Callable[[Mapping[str, Any]], bool],
    expected_total: int | None = None,
) -> str:
    if answer is None:
        return REFUSED
    rows = answer.get(rows_key) or []
    total = int(answer.get("totalResults") or 0)
    if not all(matches(row) for row in rows):
        return IGNORED
    if expected_total is not None:
        return ACCEPTED if total == expected_total else IGNORED
    return ACCEPTED if total < baseline_total else IGNORED


def _ordered(values: list[Any], descending: bool) -> bool:
    present = [v for v in values if v is not None]
    pairs = itertools.pairwise(present)
    return all((a >= b) if descending else (a <= b) for a, b in pairs)


def _probe_sort(
    probe: Probe, operation: str, params: dict[str, Any], name: str, member: str, key: str
) -> None:
    answers = {}
    for order in ("ASCENDING", "DESCENDING"):
        answers[order] = _try(
            operation,
            {**params, "sortExpressions": [{"fieldSort": {"name": name, "sortOrder": order}}]},
        )
    if any(a is None for a in answers.values()):
        verdict = REFUSED
    else:
        up = [_value(row.get(member)) for row in answers["ASCENDING"].get(key) or []]
        down = [_value(row.get(member)) for row in answers["DESCENDING"].get(key) or []]
        if len({v for v in up if v is not None}) < 2:
            verdict = UNTESTED
        else:
            verdict = ACCEPTED if _ordered(up, False) and _ordered(down, True) else IGNORED
    probe.verdicts.append(Verdict(operation, "sort", facts.FIELD, name, verdict))


def _value(raw: Any) -> Any:
    if isinstance(raw, str) and raw.startswith("task-"):
        tail = raw.rsplit("-", 1)[1]
        return int(tail) if tail.isdigit() else raw
    if isinstance(raw, datetime):
        return raw.timestamp()
    return raw


def _filtered(params: dict[str, Any], *filters: dict[str, Any]) -> dict[str, Any]:
    return {**params, "filterExpressions": {"operator": "AND", "filters": list(filters)}}


def _probe_jobs(probe: Probe, baseline: dict[str, Any]) -> None:
    params = {
        "farmId": probe.farm_id,
        "queueIds": [probe.queue_id],
        "itemOffset": 0,
        "pageSize": _PAGE,
    }
    jobs = baseline.get("jobs") or []
    total = int(baseline.get("totalResults") or len(jobs))
    for name, member in (
        ("TASK_RUN_STATUS", "taskRunStatus"),
        ("LIFECYCLE_STATUS", "lifecycleStatus"),
    ):
        value = _narrowing_value(jobs, member, name)
        answer = _try("SearchJobs", _filtered(params, search.string_filter(name, value)))
        verdict = _narrows(answer, "jobs", total, lambda row, m=member, v=value: row.get(m) == v)
        probe.verdicts.append(Verdict("SearchJobs", "filter", facts.STRING, name, verdict))
    term = {"searchTermFilter": {"searchTerm": _NO_SUCH_TEXT, "matchType": "CONTAINS"}}
    answer = _try("SearchJobs", _filtered(params, term))
    verdict = _narrows(answer, "jobs", total, lambda row: False, expected_total=0)
    probe.verdicts.append(Verdict("SearchJobs", "filter", facts.SEARCH_TERM, "CONTAINS", verdict))
    for name, member in JOB_SORTS.items():
        _probe_sort(probe, "SearchJobs", params, name, member, "jobs")


_STATUSES = (
    "PENDING", "READY", "ASSIGNED", "STARTING", "SCHEDULED", "INTERRUPTING", "RUNNING",
    "SUSPENDED", "CANCELED", "FAILED", "SUCCEEDED", "NOT_COMPATIBLE",
)  # fmt: skip
_LIFECYCLES = ("ARCHIVED", "UPDATE_FAILED", "CREATE_FAILED", "CREATE_COMPLETE")


def _narrowing_value(rows: list[Mapping[str, Any]], member: str, name: str) -> str:
    """A value some rows lack: the rarest seen, or one none has."""
    seen = [str(row.get(member)) for row in rows if row.get(member) is not None]
    choices = _STATUSES if "STATUS" in name and "LIFECYCLE" not in name else _LIFECYCLES
    absent = [c for c in choices if c not in seen]
    if absent:
        return absent[0]
    return min(set(seen), key=seen.count)


@dataclass(frozen=True)
class _TaskSearch:
    """What the task probes share: the job's search, its unfiltered total, the verdicts."""

    probe: Probe
    params: dict[str, Any]
    total: int

    def record(self, kind: str, name: str, verdict: str) -> None:
        self.probe.verdicts.append(Verdict("SearchTasks", "filter", kind, name, verdict))

    def narrows(
        self,
        search_filter: dict[str, Any],
        matches: Callable[[Mapping[str, Any]], bool],
        expected_total: int | None = None,
    ) -> str:
        """The verdict on one filter sent with the job's search."""
        answer = _try("SearchTasks", _filtered(self.params, search_filter))
        return _narrows(answer, "tasks", self.total, matches, expected_total=expected_total)


def _probe_tasks(probe: Probe, job_id: str, steps: list[dict[str, Any]]) -> None:
    probe.job_id = job_id
    params = {
        "farmId": probe.farm_id,
        "queueIds": [probe.queue_id],
        "jobId": job_id,
        "itemOffset": 0,
        "pageSize": _PAGE,
    }
    baseline = call("SearchTasks", **params)
    tasks = _TaskSearch(probe, params, int(baseline.get("totalResults") or 0))
    step = min(steps, key=_task_count)
    ids = {"farmId": probe.farm_id, "queueId": probe.queue_id, "jobId": job_id}
    sample = call("ListTasks", **ids, stepId=step["stepId"], maxResults=_PAGE).get("tasks") or []
    _probe_step_filter(tasks, step, len(steps))
    _probe_status_filter(tasks, steps)
    if sample:
        _probe_sample_filters(tasks, sample[len(sample) // 2])
    for name, member in TASK_SORTS.items():
        _probe_sort(probe, "SearchTasks", params, name, member, "tasks")


def _task_count(step: Mapping[str, Any]) -> int:
    return sum((step.get("taskRunStatusCounts") or {}).values())


def _probe_step_filter(tasks: _TaskSearch, step: Mapping[str, Any], steps: int) -> None:
    """STEP_ID: only a job with two steps can tell a step filter from none."""
    step_count = _task_count(step)
    if steps < 2 or step_count >= tasks.total:
        tasks.record(facts.STRING, "STEP_ID", UNTESTED)
        return
    verdict = tasks.narrows(
        search.string_filter("STEP_ID", step["stepId"]),
        lambda row: row.get("stepId") == step["stepId"],
        expected_total=min(step_count, 10_000),
    )
    tasks.record(facts.STRING, "STEP_ID", verdict)


def _probe_status_filter(tasks: _TaskSearch, steps: list[dict[str, Any]]) -> None:
    """RUN_STATUS with the rarest status of the job (or one none of its tasks has)."""
    counts: dict[str, int] = {}
    for each in steps:
        for status, n in (each.get("taskRunStatusCounts") or {}).items():
            counts[str(status).upper()] = counts.get(str(status).upper(), 0) + int(n)
    rarest = min((s for s, n in counts.items() if n), key=lambda s: counts[s], default=None)
    wanted = (
        rarest
        if rarest is not None and counts[rarest] < tasks.total
        else next(s for s in _STATUSES if not counts.get(s))
    )
    verdict = tasks.narrows(
        search.string_filter("RUN_STATUS", wanted), lambda r: r.get("runStatus") == wanted
    )
    tasks.record(facts.STRING, "RUN_STATUS", verdict)


def _probe_sample_filters(tasks: _TaskSearch, task: Mapping[str, Any]) -> None:
    """TASK_ID, a CONTAINS search term and a parameter filter, from one task of the job."""
    task_id = task["taskId"]
    verdict = tasks.narrows(
        search.string_filter("TASK_ID", task_id), lambda r: r.get("taskId") == task_id
    )
    tasks.record(facts.STRING, "TASK_ID", verdict)
    term = "-" + task_id.rsplit("-", 1)[1]
    contains = {"searchTermFilter": {"searchTerm": term, "matchType": "CONTAINS"}}
    verdict = tasks.narrows(contains, lambda r: term in str(r.get("taskId", "")))
    tasks.record(facts.SEARCH_TERM, "CONTAINS", verdict)
    parameters = task.get("parameters") or {}
    if not parameters:
        tasks.record(facts.PARAMETER_FILTER, facts.ANY_PARAMETER, UNTESTED)
        return
    name, union = sorted(parameters.items())[0]
    value = str(next(iter(union.values())))
    by_parameter = {"parameterFilter": {"name": name, "operator": "EQUAL", "value": value}}
    verdict = tasks.narrows(by_parameter, lambda r: (r.get("parameters") or {}).get(name) == union)
    tasks.record(facts.PARAMETER_FILTER, facts.ANY_PARAMETER, verdict)


# --- what the dashboard does about it --------------------------------------------------------

_FALLBACKS = {
    "SearchTasks": (
        "the step page lists the step's tasks with ListTasks (cached) and filters, sorts and "
        "pages them itself"
    ),
    "SearchJobs": (
        "the job list reads the queue's jobs newest first with confirmed names and filters, "
        "sorts and pages them itself"
    ),
}


def consequence(verdict: Verdict) -> str:
    """One sentence: what the dashboard does about ``verdict``."""
    if verdict.verdict == ACCEPTED:
        return "used as is (every answer is still checked)"
    if verdict.verdict == UNTESTED:
        return (
            "not probed (the data cannot tell); the dashboard checks each answer and falls "
            "back if the name turns out ignored"
        )
    return _FALLBACKS[verdict.operation]
