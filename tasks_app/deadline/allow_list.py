"""The farm allow-list (``DASHBOARD_FARMS``): farms not on it are invisible.

Enforced in three places, each on its own enough for what it guards:

- ``views.middleware.FarmAllowListMiddleware``: a URL naming another farm answers 404 before
  its view runs (no API call), whatever the page.
- ``guard_deadline_client`` / ``guard_logs_client`` (here): botocore event hooks on the
  process's clients refuse, before anything is sent, any call whose ``farmId`` (at any depth:
  BatchGet* identifiers too) or log group names another farm, and drop other farms from every
  ListFarms answer, so every list, select and form built from the API omits them.
- ``forms.validate_farm_visible``: the form validator that rejects a typed or pasted farm ID.

An empty allow-list (the default) shows every farm the credentials can read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.conf import settings

from .errors import NotFound

_LOG_GROUP_PREFIX = "/aws/deadline/"

#: Every IAM action the dashboard's reads need (docs/operating.md "IAM permissions" lists
#: them with an example policy; tests/security/test_iam.py fails when a page calls anything else).
REQUIRED_IAM_ACTIONS = (
    "deadline:ListFarms",
    "deadline:GetFarm",
    "deadline:ListQueues",
    "deadline:GetQueue",
    "deadline:SearchJobs",
    "deadline:GetJob",
    "deadline:ListSteps",
    "deadline:GetStep",
    "deadline:SearchTasks",
    "deadline:GetTask",
    "deadline:ListSessionActions",
    "deadline:GetSessionAction",
    "deadline:GetSession",
    "deadline:BatchGetSessionAction",
    "deadline:BatchGetSession",
    "deadline:ListSessions",
    "deadline:ListTasks",
    "deadline:GetWorker",
    "deadline:GetFleet",
    # What needs attention (selectors/attention/): fleets and their workers, and the work
    # held by a worker that stopped responding.
    "deadline:ListFleets",
    "deadline:ListWorkers",
    "deadline:ListSessionsForWorker",
    # Why work waits (selectors/blockers): the queue's jobs, fleet and limit associations,
    # limits, budgets and step dependencies.
    "deadline:ListJobs",
    "deadline:ListQueueFleetAssociations",
    "deadline:ListQueueLimitAssociations",
    "deadline:ListLimits",
    "deadline:ListBudgets",
    "deadline:GetBudget",
    "deadline:ListStepDependencies",
    # The farm side (selectors/farm): a fleet's workers page by page, the host names of a
    # job's workers, and a worker log searched.
    "deadline:SearchWorkers",
    "deadline:BatchGetWorker",
    # Usage (selectors/usage): worker-hours and cost from the sessions statistics aggregation.
    "deadline:StartSessionsStatisticsAggregation",
    "deadline:GetSessionsStatisticsAggregation",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
)
#: The optional statement actions need on top (docs/operating.md "IAM permissions"): the
#: three writes.
#: (An action lists the tasks it changes with ListTasks, which the reads already need.)
ACTION_IAM_ACTIONS = (
    "deadline:UpdateTask",
    "deadline:UpdateStep",
    "deadline:UpdateJob",
    # Batch writes, and the re-read of each batch's tasks just before it is sent.
    "deadline:BatchUpdateTask",
    "deadline:BatchGetTask",
)


#: The optional statement machine actions need (docs/operating.md "IAM permissions"): remove
#: a stopped worker, set a fleet's minimum and maximum worker counts.
MACHINE_IAM_ACTIONS = ("deadline:DeleteWorker", "deadline:UpdateFleet")


def allowed_farms() -> frozenset[str] | None:
    """The allow-list, or None when every farm is shown (read when called)."""
    farms = getattr(settings, "DASHBOARD_FARMS", None) or ()
    return frozenset(farms) if farms else None


def is_farm_allowed(farm_id: str) -> bool:
    allowed = allowed_farms()
    return allowed is None or farm_id in allowed


def check_farm(farm_id: str) -> None:
    """Raise NotFound, exactly as for a farm that does not exist, unless the farm is shown."""
    if not is_farm_allowed(farm_id):
        raise NotFound("farm", farm_id)


# --- API clients -------------------------------------------------------------------------------


def _farm_ids(value: Any) -> Iterator[str]:
    """Every ``farmId`` member in a request, at any depth."""
    if isinstance(value, Mapping):
        for key, member in value.items():
            if key == "farmId" and isinstance(member, str):
                yield member
            else:
                yield from _farm_ids(member)
    elif isinstance(value, (list, tuple)):
        for member in value:
            yield from _farm_ids(member)


def _refuse_other_farms(params: Mapping[str, Any], **_: Any) -> None:
    if allowed_farms() is None:
        return
    for farm_id in _farm_ids(params):
        check_farm(farm_id)


def _drop_other_farms(parsed: dict[str, Any], **_: Any) -> None:
    allowed = allowed_farms()
    if allowed is not None and isinstance(parsed.get("farms"), list):
        parsed["farms"] = [f for f in parsed["farms"] if f.get("farmId") in allowed]


def log_group_farm(log_group: str) -> str | None:
    """``/aws/deadline/<farmId>/<queueId or fleetId>`` -> the farm ID (else None)."""
    if not log_group.startswith(_LOG_GROUP_PREFIX):
        return None
    return log_group[len(_LOG_GROUP_PREFIX) :].split("/", 1)[0] or None


def _refuse_other_farms_logs(params: Mapping[str, Any], **_: Any) -> None:
    if allowed_farms() is None:
        return
    for key in ("logGroupName", "logGroupIdentifier"):
        group = params.get(key)
        if isinstance(group, str):
            farm_id = log_group_farm(group) or ""
            check_farm(farm_id)


def guard_deadline_client(client: Any) -> None:
    """Install the allow-list on a boto3 ``deadline`` client (idempotent)."""
    events, service = client.meta.events, _event_service(client)
    events.register(
        f"provide-client-params.{service}", _refuse_other_farms, unique_id="dtd-farm-allow-list"
    )
    events.register(
        f"after-call.{service}.ListFarms", _drop_other_farms, unique_id="dtd-farm-allow-list-list"
    )


def guard_logs_client(client: Any) -> None:
    """Install the allow-list on a boto3 ``logs`` client: only allowed farms' log groups."""
    client.meta.events.register(
        f"provide-client-params.{_event_service(client)}",
        _refuse_other_farms_logs,
        unique_id="dtd-farm-allow-list",
    )


def _event_service(client: Any) -> str:
    """The service part of botocore event names (``deadline``, ``cloudwatch-logs``)."""
    return str(client.meta.service_model.service_id.hyphenize())
