"""The service layer: typed reads of Deadline Cloud, cached briefly, errors mapped once.

Views call these functions and nothing else: they never see boto3, botocore or the cache.
Every API call goes through ``_call`` (error mapping) and every cached read through
``_cached_read`` (the one place where stale-while-error, coalescing and a circuit breaker
belong).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from botocore import xform_name
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from django.conf import settings
from django.core.cache import cache

from . import access, deadline, resilience
from .exceptions import (
    RESOURCE_KINDS,
    AccessDenied,
    DeadlineError,
    InvalidRequest,
    NotFound,
    Unavailable,
)
from .ids import ID_PATTERNS
from .types import (
    Farm,
    FarmList,
    Job,
    JobSearchPage,
    Queue,
    QueueList,
    Step,
    StepDetail,
    StepList,
    Task,
    TaskPath,
    TaskSearchPage,
)

logger = logging.getLogger(__name__)

# Bump when a cached type's ``to_cache`` form changes incompatibly.
CACHE_SCHEMA = "v1"
DEFAULT_RETRY_AFTER = 5

# Error codes that mean "the credentials are wrong or expired" rather than "not allowed".
_CREDENTIAL_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "ExpiredTokenException",
        "RequestExpired",
        "IncompleteSignature",
        "MissingAuthenticationToken",
    }
)
_THROTTLING_CODES = frozenset(
    {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"}
)

_Read = TypeVar("_Read", Farm, Queue, Job, Step, Task)


# --- Error mapping -----------------------------------------------------------------------------


def _kind_of_id(resource_id: str) -> str | None:
    for kind in RESOURCE_KINDS:
        if ID_PATTERNS[f"{kind}_id"].fullmatch(resource_id):
            return kind
    return None


def _retry_after(response: Mapping[str, Any]) -> int:
    value = response.get("retryAfterSeconds")
    if value is None:
        headers = response.get("ResponseMetadata", {}).get("HTTPHeaders", {})
        value = headers.get("retry-after")
    try:
        return max(1, int(value))
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER


def _no_specific_mapping(
    exc: ClientError, operation: str, params: Mapping[str, Any]
) -> DeadlineError | None:
    return None


@dataclass(frozen=True)
class ApiService:
    """One AWS API the dashboard reads: how to reach it, and how its errors read to operators.

    ``map_specific`` turns the API's own error codes into domain errors first (None: the
    shared mapping below applies).
    """

    name: str  # as operators know it, e.g. "Deadline Cloud"
    iam_prefix: str  # IAM action prefix, e.g. "deadline" (deadline:GetTask)
    endpoint_variable: str  # boto3's service-specific endpoint variable
    client: Callable[[], Any]
    endpoint: Callable[[], str]
    map_specific: Callable[[ClientError, str, Mapping[str, Any]], DeadlineError | None] = (
        _no_specific_mapping
    )


DEADLINE = ApiService(
    name="Deadline Cloud",
    iam_prefix="deadline",
    endpoint_variable="AWS_ENDPOINT_URL_DEADLINE",
    client=lambda: deadline.get_client(),
    endpoint=lambda: deadline.backend_identity().endpoint,
)


def _map_client_error(
    exc: ClientError, operation: str, params: Mapping[str, Any], api: ApiService = DEADLINE
) -> DeadlineError:
    response: Mapping[str, Any] = exc.response
    error = response.get("Error", {})
    code = str(error.get("Code", ""))
    message = str(error.get("Message", ""))
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    action = f"{api.iam_prefix}:{operation}"
    specific = api.map_specific(exc, operation, params)
    if specific is not None:
        return specific

    if code == "ResourceNotFoundException" or status == 404:
        resource_id = str(response.get("resourceId") or "")
        kind = _kind_of_id(resource_id) or str(response.get("resourceType") or "").lower()
        if kind not in RESOURCE_KINDS:
            # Fall back on the resource the operation reads (GetStep -> step).
            kind = operation.removeprefix("Get").lower()
        resource_id = resource_id or str(params.get(f"{kind}Id", ""))
        return NotFound(kind, resource_id)
    if code in _CREDENTIAL_CODES:
        return Unavailable(
            f"AWS rejected the dashboard's credentials ({code}) on {operation}. Refresh them "
            "(e.g. `aws sso login`, or rotate the keys of AWS_PROFILE) and reload.",
            reason="credentials",
            retry_after=60,
        )
    if code == "AccessDeniedException" or status == 403:
        return AccessDenied(action, message)
    if code in _THROTTLING_CODES or status == 429:
        seconds = _retry_after(response)
        return Unavailable(
            f"{api.name} is throttling the dashboard ({operation} refused after "
            f"{settings.DEADLINE_MAX_ATTEMPTS} attempts). Try again in {seconds} s; if it lasts, "
            "fewer open dashboards or a higher API rate quota for the account will help.",
            reason="throttled",
            retry_after=seconds,
        )
    if status >= 500 or code in {"InternalServerErrorException", "ServiceUnavailable"}:
        seconds = _retry_after(response)
        return Unavailable(
            f"{api.name} answered {operation} with a server error ({code or status}). "
            f"This is usually brief: try again in {seconds} s, and check the AWS Health "
            "Dashboard if it persists.",
            reason="server-error",
            retry_after=seconds,
        )
    return InvalidRequest(f"{api.name} refused {operation} as invalid ({code}): {message}")


def _map_botocore_error(
    exc: BotoCoreError, operation: str, api: ApiService = DEADLINE
) -> DeadlineError:
    endpoint = _endpoint_for_messages(api)
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return Unavailable(
            "The dashboard found no usable AWS credentials. Set AWS_PROFILE (run `aws sso "
            "login` for an SSO profile) or give the host an instance/task role.",
            reason="credentials",
            retry_after=60,
        )
    if isinstance(exc, NoRegionError):
        return Unavailable(
            f"No AWS region is configured for {api.name}: set AWS_REGION (or a region in "
            "the AWS_PROFILE's config).",
            reason="configuration",
            retry_after=60,
        )
    if isinstance(exc, ConnectTimeoutError):
        return Unavailable(
            f"Could not connect to the {api.name} endpoint {endpoint} within "
            f"{settings.DEADLINE_CONNECT_TIMEOUT:g} s ({operation}). Check the network path "
            "and proxy; DEADLINE_CONNECT_TIMEOUT sets the limit.",
            reason="timeout",
        )
    if isinstance(exc, ReadTimeoutError):
        return Unavailable(
            f"{api.name} did not answer {operation} within "
            f"{settings.DEADLINE_READ_TIMEOUT:g} s ({endpoint}). DEADLINE_READ_TIMEOUT sets "
            "the limit.",
            reason="timeout",
        )
    if isinstance(exc, (EndpointConnectionError, ConnectionClosedError)):
        return Unavailable(
            f"Cannot reach the {api.name} endpoint {endpoint} ({operation}). Check "
            f"AWS_REGION / {api.endpoint_variable}, DNS and proxy settings.",
            reason="unreachable",
        )
    if isinstance(exc, ParamValidationError):
        return InvalidRequest(f"The request for {operation} was malformed: {exc}")
    # Token refresh (SSO), proxy and other client-side failures: operator-visible, not a 500.
    return Unavailable(
        f"The AWS client failed before {api.name} answered {operation}: "
        f"{type(exc).__name__}. Check the dashboard's AWS configuration and credentials.",
        reason="client-error",
    )


def _endpoint_for_messages(api: ApiService) -> str:
    try:
        return api.endpoint()
    except Exception:  # only decorates a message: never fail because of it
        return "(not configured)"


def _call(operation: str, **params: Any) -> dict[str, Any]:
    """Call one Deadline Cloud operation (e.g. ``GetTask``); botocore errors become ours."""
    return _call_api(DEADLINE, operation, params)


def _call_api(api: ApiService, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Call one operation of ``api``; botocore errors become domain errors.

    The operation family's circuit breaker is asked first (CircuitOpen: no call is made) and
    told the outcome: throttling and outages open it, any answer from the API closes it.
    """
    breaker = resilience.breaker_for(operation)
    breaker.before_call()
    started = time.perf_counter()
    try:
        answer: dict[str, Any] = getattr(api.client(), xform_name(operation))(**params)
    except ClientError as exc:
        mapped = _map_client_error(exc, operation, params, api)
        _settle_breaker(breaker, mapped)
        code = str(exc.response.get("Error", {}).get("Code") or type(mapped).__name__)
        _log_call(operation, params, started, code, _retries(exc.response))
        raise mapped from exc
    except BotoCoreError as exc:
        mapped = _map_botocore_error(exc, operation, api)
        _settle_breaker(breaker, mapped)
        _log_call(operation, params, started, type(exc).__name__, None)
        raise mapped from exc
    except BaseException:
        breaker.release_probe()
        raise
    breaker.record_success()
    _log_call(operation, params, started, "ok", _retries(answer))
    return answer


def _settle_breaker(breaker: resilience.CircuitBreaker, error: DeadlineError) -> None:
    if isinstance(error, Unavailable) and error.reason in resilience.TRANSIENT_REASONS:
        breaker.record_failure(error.reason)
    elif isinstance(error, Unavailable):
        breaker.release_probe()  # credentials/configuration: says nothing about the API's health
    else:
        breaker.record_success()  # NotFound, AccessDenied, InvalidRequest: the API answered


def _retries(response: Mapping[str, Any]) -> int | None:
    retries = response.get("ResponseMetadata", {}).get("RetryAttempts")
    return retries if isinstance(retries, int) else None


def _log_call(
    operation: str,
    params: Mapping[str, Any],
    started: float,
    outcome: str,
    retries: int | None = None,
) -> None:
    resilience.log_api_call(
        operation, params, (time.perf_counter() - started) * 1000, outcome, retries
    )


# --- Caching -----------------------------------------------------------------------------------


def cache_key(kind: str, *ids: str) -> str:
    """Cache key for one resource: backend + region + endpoint + resource path, hashed.

    Hashing keeps keys short and free of characters memcached/Redis dislike; the kind stays
    readable for debugging (``dtd:v1:task:3f2a...``).
    """
    try:
        identity = deadline.backend_identity().as_key()
    except BotoCoreError as exc:  # creating the client failed (no region, bad profile...)
        raise _map_botocore_error(exc, f"Get{kind.title()}") from exc
    # Lists are filtered by the farm allow-list: dashboards with different lists sharing one
    # Redis must not read each other's answers.
    farms = ",".join(sorted(settings.DASHBOARD_FARMS))
    raw = f"{identity}|{farms}|{kind}|{'/'.join(ids)}"
    return f"dtd:{CACHE_SCHEMA}:{kind}:{hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()}"


def _cached_read(
    *,
    kind: str,
    ids: tuple[str, ...],
    ttl: float,
    fetch: Callable[[], Mapping[str, Any]],
    parse: type[_Read],
) -> _Read:
    """Return the cached ``parse`` value for ``kind``/``ids``, fetching it on a miss.

    Entries are compact JSON text ``{"at": epoch, "data": <to_cache()>}``: "at" is when the
    answer was fetched. ``resilience.read_through`` adds stale-while-error (the entry is kept
    DEADLINE_STALE_SECONDS past its TTL), in-process and cross-process (Redis) coalescing.
    """
    return resilience.read_through(
        key=cache_key(kind, *ids),
        kind=kind,
        ids=ids,
        ttl=ttl,
        fetch=lambda: parse.from_api(fetch()),
        encode=lambda value: value.to_cache(),
        decode=parse.from_cache,
    )


def forget(kind: str, *ids: str) -> None:
    """Drop one cached resource (after a write, or to force a refresh)."""
    cache.delete(cache_key(kind, *ids))


# --- Reads -------------------------------------------------------------------------------------


def get_farm(*, farm_id: str) -> Farm:
    """One farm (display name, description), cached for DEADLINE_NAME_CACHE_SECONDS."""
    return _cached_read(
        kind="farm",
        ids=(farm_id,),
        ttl=settings.DEADLINE_NAME_CACHE_SECONDS,
        fetch=lambda: _call("GetFarm", farmId=farm_id),
        parse=Farm,
    )


def get_queue(*, farm_id: str, queue_id: str) -> Queue:
    """One queue, cached for DEADLINE_NAME_CACHE_SECONDS."""
    return _cached_read(
        kind="queue",
        ids=(farm_id, queue_id),
        ttl=settings.DEADLINE_NAME_CACHE_SECONDS,
        fetch=lambda: _call("GetQueue", farmId=farm_id, queueId=queue_id),
        parse=Queue,
    )


def get_job(*, farm_id: str, queue_id: str, job_id: str) -> Job:
    """One job, cached for DEADLINE_NAME_CACHE_SECONDS (the task page only needs its name)."""
    return _cached_read(
        kind="job",
        ids=(farm_id, queue_id, job_id),
        ttl=settings.DEADLINE_NAME_CACHE_SECONDS,
        fetch=lambda: _call("GetJob", farmId=farm_id, queueId=queue_id, jobId=job_id),
        parse=Job,
    )


def get_step(*, farm_id: str, queue_id: str, job_id: str, step_id: str) -> Step:
    """One step, cached for DEADLINE_NAME_CACHE_SECONDS (the task page only needs its name)."""
    return _cached_read(
        kind="step",
        ids=(farm_id, queue_id, job_id, step_id),
        ttl=settings.DEADLINE_NAME_CACHE_SECONDS,
        fetch=lambda: _call(
            "GetStep", farmId=farm_id, queueId=queue_id, jobId=job_id, stepId=step_id
        ),
        parse=Step,
    )


def get_task(*, farm_id: str, queue_id: str, job_id: str, step_id: str, task_id: str) -> Task:
    """One task, cached for DEADLINE_CACHE_SECONDS: many viewers inside the TTL cost one call."""
    return _cached_read(
        kind="task",
        ids=(farm_id, queue_id, job_id, step_id, task_id),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: _call(
            "GetTask",
            farmId=farm_id,
            queueId=queue_id,
            jobId=job_id,
            stepId=step_id,
            taskId=task_id,
        ),
        parse=Task,
    )


# --- The task page -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskPage:
    """Everything the task page shows. Ancestors are None when only their name was unreadable."""

    path: TaskPath
    task: Task
    farm: Farm | None
    queue: Queue | None
    job: Job | None
    step: Step | None


_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _pool() -> ThreadPoolExecutor:
    global _executor  # one lazily created pool per process
    if _executor is None:
        with _executor_lock:
            if _executor is None:
                # Tasks run in the caller's context: staleness is recorded per request.
                _executor = resilience.ContextThreadPoolExecutor(
                    max_workers=16, thread_name_prefix="deadline-read"
                )
    return _executor


def get_task_page(*, path: TaskPath) -> TaskPage:
    """The task and the names of its farm, queue, job and step, read concurrently when cold.

    A missing resource raises NotFound for the highest missing level (so the 404 page can
    link to the nearest existing parent). Any other failure of a name read degrades to
    showing the ID; a failure of the task read itself is raised.
    """
    ids = path.as_kwargs()
    reads: dict[str, Callable[[], Any]] = {
        "farm": lambda: get_farm(farm_id=path.farm_id),
        "queue": lambda: get_queue(farm_id=path.farm_id, queue_id=path.queue_id),
        "job": lambda: get_job(farm_id=path.farm_id, queue_id=path.queue_id, job_id=path.job_id),
        "step": lambda: get_step(
            farm_id=path.farm_id, queue_id=path.queue_id, job_id=path.job_id, step_id=path.step_id
        ),
        "task": lambda: get_task(**ids),
    }
    futures = {kind: _pool().submit(read) for kind, read in reads.items()}
    results: dict[str, Any] = {}
    errors: dict[str, DeadlineError] = {}
    for kind, future in futures.items():
        try:
            results[kind] = future.result()
        except DeadlineError as exc:
            errors[kind] = exc

    missing = [exc for exc in errors.values() if isinstance(exc, NotFound)]
    if missing:
        raise min(missing, key=lambda exc: _depth(exc.resource_type))
    if "task" in errors:
        raise errors["task"]
    for kind, exc in errors.items():
        logger.info("showing the %s ID instead of its name: %s", kind, exc.message)
    return TaskPage(
        path=path,
        task=results["task"],
        farm=results.get("farm"),
        queue=results.get("queue"),
        job=results.get("job"),
        step=results.get("step"),
    )


def _depth(kind: str) -> int:
    return RESOURCE_KINDS.index(kind) if kind in RESOURCE_KINDS else len(RESOURCE_KINDS)


# --- Misc --------------------------------------------------------------------------------------


def now() -> datetime:
    """The backend's "now", for relative times and running durations."""
    return deadline.backend_now()


@dataclass(frozen=True)
class ExampleTask:
    """A task worth opening, offered on the home page (demo mode only)."""

    label: str
    path: TaskPath


def example_tasks() -> list[ExampleTask]:
    """A few notable tasks of the demo world (running, failed with retries, hostile strings)."""
    if not deadline.is_demo():
        return []
    try:
        return [
            ExampleTask(label=label, path=TaskPath(**ids))
            for label, ids in deadline.demo_tasks()
            if access.is_farm_allowed(ids["farm_id"])
        ]
    except Exception:  # the home page must render even if the demo world changes shape
        logger.exception("could not list the demo world's example tasks")
        return []


# --- Browse ------------------------------------------------------------------------------------
# Lists for the browse pages and the navigation form. One cached entry per API answer (a whole
# list, or one Search* page), keyed by the resource path plus a digest of the query.

#: Sort fields SearchJobs/SearchTasks accept, with their labels (first = default).
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
TASK_SORTS = {
    "TASK_ID": "Task ID",
    "TASK_RUN_STATUS": "Run status",
    "FAILURE_RETRY_COUNT": "Retries",
    "STARTED_AT": "Started",
    "ENDED_AT": "Ended",
    "UPDATED_AT": "Updated",
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
#: Search* can reach items at offsets 0..10,000 only.
SEARCH_WINDOW = 10_000
_MAX_LIST_PAGES = 50  # List* pages of 100 followed per list: enough for any real farm
_MAX_SEARCH_FILTERS = 3  # per filter group (the model's SearchFilterExpressions max)


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

    def request(self) -> dict[str, Any]:
        """The SearchJobs members this query sets (filters, sort, window)."""
        filters: list[dict[str, Any]] = []
        if self.run_status:
            filters.append(_string_filter("TASK_RUN_STATUS", self.run_status))
        if self.lifecycle_status:
            filters.append(_string_filter("LIFECYCLE_STATUS", self.lifecycle_status))
        if self.name:
            filters.append({"searchTermFilter": {"searchTerm": self.name, "matchType": "CONTAINS"}})
        request: dict[str, Any] = {
            "itemOffset": self.offset,
            "pageSize": self.page_size,
            "sortExpressions": _sorts(self.sort, self.descending, tiebreak="CREATED_AT"),
        }
        if filters:
            request["filterExpressions"] = {"operator": "AND", "filters": filters}
        return request


@dataclass(frozen=True)
class TaskQuery:
    """Filter, search, sort and page of a step's task table (SearchTasks).

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
    def needs_parameter_names(self) -> bool:
        return bool(self.search) and "=" not in self.search

    def request(self, *, step_id: str, parameter_names: tuple[str, ...] = ()) -> dict[str, Any]:
        """The SearchTasks members this query sets; the STEP_ID filter scopes it to one step."""
        filters: list[dict[str, Any]] = [_string_filter("STEP_ID", step_id)]
        if self.run_status:
            filters.append(_string_filter("TASK_RUN_STATUS", self.run_status))
        search = task_search_filter(self.search, parameter_names)
        if search is not None:
            filters.append(search)
        return {
            "itemOffset": self.offset,
            "pageSize": self.page_size,
            "filterExpressions": {"operator": "AND", "filters": filters},
            "sortExpressions": _sorts(self.sort, self.descending, tiebreak="TASK_ID"),
        }


def task_search_filter(text: str, parameter_names: tuple[str, ...] = ()) -> dict[str, Any] | None:
    """One filter expression for a task search box, or None for an empty search.

    ``1042`` finds task index 1042 (task IDs end in ``-<index>``) and any parameter equal to
    1042; ``Frame=1042`` one parameter; other text a task ID fragment or a parameter value.
    """
    text = text.strip()
    if not text:
        return None
    name, equals, value = text.partition("=")
    if equals and name.strip() and value.strip():
        return _parameter_filter(name.strip(), value.strip())
    if ID_PATTERNS["task_id"].fullmatch(text):
        return _string_filter("TASK_ID", text)
    term = f"-{text}" if text.isdigit() else text
    alternatives = [{"searchTermFilter": {"searchTerm": term, "matchType": "CONTAINS"}}]
    alternatives += [
        _parameter_filter(parameter, text)
        for parameter in parameter_names[: _MAX_SEARCH_FILTERS - 1]
    ]
    if len(alternatives) == 1:
        return alternatives[0]
    return {"groupFilter": {"operator": "OR", "filters": alternatives}}


def _string_filter(name: str, value: str) -> dict[str, Any]:
    return {"stringFilter": {"name": name, "operator": "EQUAL", "value": value}}


def _parameter_filter(name: str, value: str) -> dict[str, Any]:
    return {"parameterFilter": {"name": name, "operator": "EQUAL", "value": value}}


def _sorts(field_name: str, descending: bool, *, tiebreak: str) -> list[dict[str, Any]]:
    order = "DESCENDING" if descending else "ASCENDING"
    sorts = [{"fieldSort": {"name": field_name, "sortOrder": order}}]
    if field_name != tiebreak:  # a stable order across pages while values tie
        sorts.append({"fieldSort": {"name": tiebreak, "sortOrder": "ASCENDING"}})
    return sorts


def _digest(request: Mapping[str, Any]) -> str:
    text = json.dumps(request, sort_keys=True, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def _list_all(operation: str, result_key: str, **params: Any) -> dict[str, Any]:
    """Every page of a List* operation as one answer (bounded: _MAX_LIST_PAGES calls)."""
    items: list[Any] = []
    token: str | None = None
    for _ in range(_MAX_LIST_PAGES):
        answer = _call(
            operation, **params, maxResults=100, **({"nextToken": token} if token else {})
        )
        items.extend(answer.get(result_key) or [])
        token = answer.get("nextToken")
        if not token:
            break
    return {result_key: items}


def _search(operation: str, **params: Any) -> dict[str, Any]:
    answer = _call(operation, **params)
    # The window travels with the answer so a cached page knows where it sits.
    return {**answer, "itemOffset": params["itemOffset"], "pageSize": params["pageSize"]}


def list_farms() -> FarmList:
    """Every farm the credentials can see, by display name."""
    return _cached_read(
        kind="farms",
        ids=("all",),
        ttl=settings.DEADLINE_NAME_CACHE_SECONDS,
        fetch=lambda: _list_all("ListFarms", "farms"),
        parse=FarmList,
    )


def list_queues(*, farm_id: str) -> QueueList:
    """A farm's queues (status and blocked reason are live: short TTL)."""
    return _cached_read(
        kind="queues",
        ids=(farm_id,),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: _list_all("ListQueues", "queues", farmId=farm_id),
        parse=QueueList,
    )


def search_jobs(*, farm_id: str, queue_id: str, query: JobQuery) -> JobSearchPage:
    """One page of a queue's jobs: one SearchJobs call filters, sorts and pages."""
    request = query.request()
    return _cached_read(
        kind="jobs-search",
        ids=(farm_id, queue_id, _digest(request)),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: _search("SearchJobs", farmId=farm_id, queueIds=[queue_id], **request),
        parse=JobSearchPage,
    )


def get_job_status(*, farm_id: str, queue_id: str, job_id: str) -> Job:
    """One job with live counts (DEADLINE_CACHE_SECONDS, unlike ``get_job``'s name TTL)."""
    return _cached_read(
        kind="job-live",
        ids=(farm_id, queue_id, job_id),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: _call("GetJob", farmId=farm_id, queueId=queue_id, jobId=job_id),
        parse=Job,
    )


def list_steps(*, farm_id: str, queue_id: str, job_id: str) -> StepList:
    """A job's steps with their counts, in the job's order."""
    return _cached_read(
        kind="steps",
        ids=(farm_id, queue_id, job_id),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: _list_all(
            "ListSteps", "steps", farmId=farm_id, queueId=queue_id, jobId=job_id
        ),
        parse=StepList,
    )


def get_step_status(*, farm_id: str, queue_id: str, job_id: str, step_id: str) -> StepDetail:
    """One step with live counts and its parameter names."""
    return _cached_read(
        kind="step-live",
        ids=(farm_id, queue_id, job_id, step_id),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: _call(
            "GetStep", farmId=farm_id, queueId=queue_id, jobId=job_id, stepId=step_id
        ),
        parse=StepDetail,
    )


def search_step_tasks(
    *,
    farm_id: str,
    queue_id: str,
    job_id: str,
    step_id: str,
    query: TaskQuery,
    parameter_names: tuple[str, ...] = (),
) -> TaskSearchPage:
    """One page of a step's tasks: one SearchTasks call (jobId + a STEP_ID filter)."""
    request = query.request(step_id=step_id, parameter_names=parameter_names)
    return _cached_read(
        kind="tasks-search",
        ids=(farm_id, queue_id, job_id, step_id, _digest(request)),
        ttl=settings.DEADLINE_CACHE_SECONDS,
        fetch=lambda: _search(
            "SearchTasks", farmId=farm_id, queueIds=[queue_id], jobId=job_id, **request
        ),
        parse=TaskSearchPage,
    )


@dataclass(frozen=True)
class FarmOverview:
    """The farm page: the farm's name (None if unreadable) and its queues."""

    farm: Farm | None
    queues: QueueList


@dataclass(frozen=True)
class QueueOverview:
    farm: Farm | None
    queue: Queue | None
    jobs: JobSearchPage


@dataclass(frozen=True)
class JobOverview:
    farm: Farm | None
    queue: Queue | None
    job: Job
    steps: StepList


@dataclass(frozen=True)
class StepOverview:
    farm: Farm | None
    queue: Queue | None
    job: Job | None
    step: StepDetail
    tasks: TaskSearchPage


def _read_concurrently(
    reads: Mapping[str, Callable[[], Any]], *, optional: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Run independent reads at once. NotFound for the highest level wins (nearest-parent
    404); other failures of ``optional`` reads (names) degrade to None, the rest raise."""
    futures = {kind: _pool().submit(read) for kind, read in reads.items()}
    results: dict[str, Any] = {}
    errors: dict[str, DeadlineError] = {}
    for kind, future in futures.items():
        try:
            results[kind] = future.result()
        except DeadlineError as exc:
            errors[kind] = exc
    missing = [exc for exc in errors.values() if isinstance(exc, NotFound)]
    if missing:
        raise min(missing, key=lambda exc: _depth(exc.resource_type))
    for kind, exc in errors.items():
        if kind not in optional:
            raise exc
        logger.info("showing the %s ID instead of its name: %s", kind, exc.message)
        results[kind] = None
    return results


def _names(farm_id: str, queue_id: str | None = None) -> dict[str, Callable[[], Any]]:
    reads: dict[str, Callable[[], Any]] = {"farm": lambda: get_farm(farm_id=farm_id)}
    if queue_id is not None:
        reads["queue"] = lambda: get_queue(farm_id=farm_id, queue_id=queue_id)
    return reads


_NAMES = frozenset({"farm", "queue", "job"})


def get_farm_overview(*, farm_id: str, with_names: bool = True) -> FarmOverview:
    """The farm page (queues); ``with_names=False`` for polls, which only refresh the list."""
    reads = _names(farm_id) if with_names else {}
    reads["queues"] = lambda: list_queues(farm_id=farm_id)
    got = _read_concurrently(reads, optional=_NAMES)
    return FarmOverview(farm=got.get("farm"), queues=got["queues"])


def get_queue_overview(
    *, farm_id: str, queue_id: str, query: JobQuery, with_names: bool = True
) -> QueueOverview:
    """The queue page: its name and status, and one page of its jobs."""
    reads = _names(farm_id, queue_id) if with_names else {}
    reads["jobs"] = lambda: search_jobs(farm_id=farm_id, queue_id=queue_id, query=query)
    got = _read_concurrently(reads, optional=_NAMES)
    return QueueOverview(farm=got.get("farm"), queue=got.get("queue"), jobs=got["jobs"])


def get_job_overview(
    *, farm_id: str, queue_id: str, job_id: str, with_names: bool = True
) -> JobOverview:
    """The job page: the job (live counts) and its steps, in two concurrent calls."""
    ids = {"farm_id": farm_id, "queue_id": queue_id, "job_id": job_id}
    reads = _names(farm_id, queue_id) if with_names else {}
    reads["job"] = lambda: get_job_status(**ids)
    reads["steps"] = lambda: list_steps(**ids)
    got = _read_concurrently(reads, optional=_NAMES)
    return JobOverview(
        farm=got.get("farm"), queue=got.get("queue"), job=got["job"], steps=got["steps"]
    )


def get_step_overview(
    *,
    farm_id: str,
    queue_id: str,
    job_id: str,
    step_id: str,
    query: TaskQuery,
    with_names: bool = True,
) -> StepOverview:
    """The step page: the step (live counts) and one page of its tasks.

    A free-text search needs the step's parameter names first; otherwise every read runs
    concurrently.
    """
    ids = {"farm_id": farm_id, "queue_id": queue_id, "job_id": job_id, "step_id": step_id}
    reads = _names(farm_id, queue_id) if with_names else {}
    if with_names:
        reads["job"] = lambda: get_job(farm_id=farm_id, queue_id=queue_id, job_id=job_id)
    reads["step"] = lambda: get_step_status(**ids)
    if query.needs_parameter_names:
        got = _read_concurrently(reads, optional=_NAMES)
        tasks = search_step_tasks(**ids, query=query, parameter_names=got["step"].parameter_names)
    else:
        reads["tasks"] = lambda: search_step_tasks(**ids, query=query)
        got = _read_concurrently(reads, optional=_NAMES)
        tasks = got["tasks"]
    return StepOverview(
        farm=got.get("farm"),
        queue=got.get("queue"),
        job=got.get("job"),
        step=got["step"],
        tasks=tasks,
    )
