"""The one call path to AWS: every Deadline Cloud and CloudWatch Logs call goes through
``call_api``, which asks the circuit breaker first, maps every botocore error once to a domain
error (``errors``), and logs one line per call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

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

from . import client, resilience
from .errors import (
    RESOURCE_KINDS,
    AccessDenied,
    DeadlineError,
    InvalidRequest,
    NotFound,
    Unavailable,
)
from .ids import ID_PATTERNS
from .text import repair_answer

#: Retry-After (seconds) when the API gives none.
DEFAULT_RETRY_AFTER = 5
#: List* pages of 100 followed per list: enough for any real farm.
MAX_LIST_PAGES = 50

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
    # Tries per call the client makes (botocore retries), for messages.
    max_attempts: Callable[[], int] = lambda: int(settings.DEADLINE_MAX_ATTEMPTS)


DEADLINE = ApiService(
    name="Deadline Cloud",
    iam_prefix="deadline",
    endpoint_variable="AWS_ENDPOINT_URL_DEADLINE",
    client=lambda: client.get_client(),
    endpoint=lambda: client.backend_identity().endpoint,
)


#: Actions (UpdateTask/UpdateStep/UpdateJob) go through their own client: standard retries, and
#: connections for the bulk executor's threads (``client.get_write_client``).
DEADLINE_WRITES = ApiService(
    name="Deadline Cloud",
    iam_prefix="deadline",
    endpoint_variable="AWS_ENDPOINT_URL_DEADLINE",
    client=lambda: client.get_write_client(),
    endpoint=lambda: client.backend_identity().endpoint,
    max_attempts=lambda: int(settings.DASHBOARD_ACTION_MAX_ATTEMPTS),
)

#: The only operations ``write`` sends: what docs/operating.md's optional write statement grants.
WRITE_OPERATIONS = ("UpdateTask", "UpdateStep", "UpdateJob", "BatchUpdateTask")
#: The farm side's writes (services/machine_actions): remove a worker, size a fleet.
WRITE_OPERATIONS += ("DeleteWorker", "UpdateFleet")


def map_client_error(
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
            f"{api.max_attempts()} attempts). Try again in {seconds} s; if it lasts, "
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


def map_botocore_error(
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


def call(operation: str, **params: Any) -> dict[str, Any]:
    """Call one Deadline Cloud operation (e.g. ``GetTask``); botocore errors become ours."""
    return call_api(DEADLINE, operation, params)


def write(operation: str, **params: Any) -> dict[str, Any]:
    """Send one Deadline Cloud write (``UpdateTask``, ``UpdateStep`` or ``UpdateJob``) through
    the write client; errors map exactly as for reads (AccessDenied names the IAM action)."""
    if operation not in WRITE_OPERATIONS:
        raise ValueError(f"{operation} is not one of the dashboard's writes")
    return call_api(DEADLINE_WRITES, operation, params)


def call_api(api: ApiService, operation: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Call one operation of ``api``; botocore errors become domain errors.

    The circuit breakers of the operation's family and of the resource the call names are
    asked first (CircuitOpen: no call is made) and told the outcome: throttling and outages
    open them, any answer from the API closes them.
    """
    breaker = resilience.breakers_for(operation, params)
    breaker.before_call()
    started = time.perf_counter()
    try:
        answer: dict[str, Any] = getattr(api.client(), xform_name(operation))(**params)
    except ClientError as exc:
        mapped = map_client_error(exc, operation, params, api)
        _settle_breaker(breaker, mapped)
        code = str(exc.response.get("Error", {}).get("Code") or type(mapped).__name__)
        _log_call(operation, params, started, code, _retries(exc.response))
        raise mapped from exc
    except BotoCoreError as exc:
        mapped = map_botocore_error(exc, operation, api)
        _settle_breaker(breaker, mapped)
        _log_call(operation, params, started, type(exc).__name__, None)
        raise mapped from exc
    except BaseException:
        breaker.release_probe()
        raise
    breaker.record_success()
    _log_call(operation, params, started, "ok", _retries(answer))
    # Submitters' text, once, for everything downstream: no lone surrogate reaches a page.
    return repair_answer(answer)  # type: ignore[no-any-return]


def _settle_breaker(breaker: resilience.CallBreakers, error: DeadlineError) -> None:
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


def list_all(
    operation: str, result_key: str, *, max_pages: int = MAX_LIST_PAGES, **params: Any
) -> dict[str, Any]:
    """Up to ``max_pages`` pages of a List* operation as one answer; ``complete`` is false
    when the bound cut the list short. A bounded read: each caller is declared in
    ``bounded_reads`` (a sample, or its cut shown); a read that drives a write or a count
    uses ``list_every``."""
    items: list[Any] = []
    token: str | None = None
    for _ in range(max_pages):
        answer = call(
            operation, **params, maxResults=100, **({"nextToken": token} if token else {})
        )
        items.extend(answer.get(result_key) or [])
        token = answer.get("nextToken")
        if not token:
            break
    return {result_key: items, "complete": not token}


def list_every(operation: str, result_key: str, **params: Any) -> list[Any]:
    """Every item of a List* operation, however many pages: for reads that drive a write or a
    count, where a cut list would silently change less than the operator was shown."""
    items: list[Any] = []
    token: str | None = None
    while True:
        answer = call(
            operation, **params, maxResults=100, **({"nextToken": token} if token else {})
        )
        items.extend(answer.get(result_key) or [])
        next_token = answer.get("nextToken")
        if not next_token or next_token == token:
            return items
        token = next_token
