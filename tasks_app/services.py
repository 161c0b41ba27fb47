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

from . import deadline
from .exceptions import (
    RESOURCE_KINDS,
    AccessDenied,
    DeadlineError,
    InvalidRequest,
    NotFound,
    Unavailable,
)
from .ids import ID_PATTERNS
from .types import Farm, Job, Queue, Step, Task, TaskPath

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


def _map_client_error(exc: ClientError, operation: str, params: Mapping[str, Any]) -> DeadlineError:
    response: Mapping[str, Any] = exc.response
    error = response.get("Error", {})
    code = str(error.get("Code", ""))
    message = str(error.get("Message", ""))
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    action = f"deadline:{operation}"

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
            f"Deadline Cloud is throttling the dashboard ({operation} refused after "
            f"{settings.DEADLINE_MAX_ATTEMPTS} attempts). Try again in {seconds} s; if it lasts, "
            "fewer open dashboards or a higher API rate quota for the account will help.",
            reason="throttled",
            retry_after=seconds,
        )
    if status >= 500 or code in {"InternalServerErrorException", "ServiceUnavailable"}:
        seconds = _retry_after(response)
        return Unavailable(
            f"Deadline Cloud answered {operation} with a server error ({code or status}). "
            f"This is usually brief: try again in {seconds} s, and check the AWS Health "
            "Dashboard if it persists.",
            reason="server-error",
            retry_after=seconds,
        )
    return InvalidRequest(f"Deadline Cloud refused {operation} as invalid ({code}): {message}")


def _map_botocore_error(exc: BotoCoreError, operation: str) -> DeadlineError:
    endpoint = _endpoint_for_messages()
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return Unavailable(
            "The dashboard found no usable AWS credentials. Set AWS_PROFILE (run `aws sso "
            "login` for an SSO profile) or give the host an instance/task role.",
            reason="credentials",
            retry_after=60,
        )
    if isinstance(exc, NoRegionError):
        return Unavailable(
            "No AWS region is configured for Deadline Cloud: set AWS_REGION (or a region in "
            "the AWS_PROFILE's config).",
            reason="configuration",
            retry_after=60,
        )
    if isinstance(exc, ConnectTimeoutError):
        return Unavailable(
            f"Could not connect to the Deadline Cloud endpoint {endpoint} within "
            f"{settings.DEADLINE_CONNECT_TIMEOUT:g} s ({operation}). Check the network path "
            "and proxy; DEADLINE_CONNECT_TIMEOUT sets the limit.",
            reason="timeout",
        )
    if isinstance(exc, ReadTimeoutError):
        return Unavailable(
            f"Deadline Cloud did not answer {operation} within "
            f"{settings.DEADLINE_READ_TIMEOUT:g} s ({endpoint}). DEADLINE_READ_TIMEOUT sets "
            "the limit.",
            reason="timeout",
        )
    if isinstance(exc, (EndpointConnectionError, ConnectionClosedError)):
        return Unavailable(
            f"Cannot reach the Deadline Cloud endpoint {endpoint} ({operation}). Check "
            "AWS_REGION / AWS_ENDPOINT_URL_DEADLINE, DNS and proxy settings.",
            reason="unreachable",
        )
    if isinstance(exc, ParamValidationError):
        return InvalidRequest(f"The request for {operation} was malformed: {exc}")
    # Token refresh (SSO), proxy and other client-side failures: operator-visible, not a 500.
    return Unavailable(
        f"The AWS client failed before Deadline Cloud answered {operation}: "
        f"{type(exc).__name__}. Check the dashboard's AWS configuration and credentials.",
        reason="client-error",
    )


def _endpoint_for_messages() -> str:
    try:
        return deadline.backend_identity().endpoint
    except Exception:  # only decorates a message: never fail because of it
        return "(not configured)"


def _call(operation: str, **params: Any) -> dict[str, Any]:
    """Call one Deadline Cloud operation (e.g. ``GetTask``); botocore errors become ours."""
    started = time.perf_counter()
    try:
        client = deadline.get_client()
        answer: dict[str, Any] = getattr(client, xform_name(operation))(**params)
    except ClientError as exc:
        mapped = _map_client_error(exc, operation, params)
        _log_call(operation, params, started, type(mapped).__name__)
        raise mapped from exc
    except BotoCoreError as exc:
        mapped = _map_botocore_error(exc, operation)
        _log_call(operation, params, started, type(mapped).__name__)
        raise mapped from exc
    _log_call(operation, params, started, "ok")
    return answer


def _log_call(operation: str, params: Mapping[str, Any], started: float, outcome: str) -> None:
    logger.debug(
        "api operation=%s ids=%s outcome=%s ms=%.1f",
        operation,
        ",".join(str(v) for k, v in params.items() if k.endswith("Id")),
        outcome,
        (time.perf_counter() - started) * 1000,
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
    raw = f"{identity}|{kind}|{'/'.join(ids)}"
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
    answer was fetched (for "stale since" banners). Stale-while-error, request coalescing and
    a circuit breaker wrap ``fetch`` here and nowhere else.
    """
    key = cache_key(kind, *ids)
    entry = cache.get(key)
    if entry is not None:
        try:
            return parse.from_cache(json.loads(entry)["data"])
        except (ValueError, KeyError, TypeError):
            logger.warning("dropping unreadable cache entry %s", key)
    value = parse.from_api(fetch())
    payload = json.dumps({"at": time.time(), "data": value.to_cache()}, separators=(",", ":"))
    cache.set(key, payload, ttl)
    return value


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
                _executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="deadline-read")
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
            ExampleTask(label=label, path=TaskPath(**ids)) for label, ids in deadline.demo_tasks()
        ]
    except Exception:  # the home page must render even if the demo world changes shape
        logger.exception("could not list the demo world's example tasks")
        return []
