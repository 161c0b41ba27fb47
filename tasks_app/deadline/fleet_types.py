"""Types of the farm side's answers: fleets (ListFleets/GetFleet), queue-fleet associations,
a fleet's workers with their host properties and log, and a worker's log events.

Like ``types``, each declares its members once (``codec.member``): ``from_api`` reads a
botocore answer, or pages folded into one API-shaped dict, and ``to_cache`` writes the API's
own member names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .codec import (
    DATETIME,
    INT,
    STR,
    Cacheable,
    Conv,
    compact,
    complete,
    declared,
    has,
    many,
    member,
)
from .session_types import IP_ADDRESSES


def _capabilities(answer: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """Which kind of fleet (the member of the configuration union) and its capabilities."""
    configuration = answer.get("configuration") or {}
    if "serviceManagedEc2" in configuration:
        inner = configuration["serviceManagedEc2"]
        return "service-managed", inner.get("instanceCapabilities") or {}
    if "customerManaged" in configuration:
        inner = configuration["customerManaged"]
        return "customer-managed", inner.get("workerCapabilities") or {}
    return "", {}


def _configuration(fleet: FleetInfo) -> dict[str, Any]:
    capabilities = compact(
        {
            "allowedInstanceTypes": list(fleet.instance_types) or None,
            "osFamily": fleet.os_family,
            "vCpuCount": None if fleet.vcpu_min is None else {"min": fleet.vcpu_min},
            "memoryMiB": None if fleet.memory_mib_min is None else {"min": fleet.memory_mib_min},
        }
    )
    if fleet.managed == "service-managed":
        return {"configuration": {"serviceManagedEc2": {"instanceCapabilities": capabilities}}}
    if fleet.managed == "customer-managed":
        return {"configuration": {"customerManaged": {"workerCapabilities": capabilities}}}
    return {}


def _capability(read: Callable[[Mapping[str, Any]], Any]) -> Conv:
    """A field read from the fleet's capabilities (written back by ``managed``)."""
    return Conv(lambda answer: read(_capabilities(answer)[1]), whole=True)


@declared
@dataclass(frozen=True)
class FleetInfo:
    """One fleet: status, scaling and what its machines are."""

    fleet_id: str = member("fleetId", STR, required=True)
    farm_id: str = member("farmId", STR, missing="")
    display_name: str = member("displayName", STR, missing="")
    status: str = member("status", STR, missing="")
    status_message: str | None = member("statusMessage", default=None)
    autoscaling_status: str | None = member("autoScalingStatus", default=None)
    worker_count: int | None = member("workerCount", INT, default=None)
    target_worker_count: int | None = member("targetWorkerCount", INT, default=None)
    min_worker_count: int | None = member("minWorkerCount", INT, default=None)
    max_worker_count: int | None = member("maxWorkerCount", INT, default=None)
    description: str | None = member("description", default=None)
    # "service-managed" | "customer-managed" | "": the configuration union's member
    managed: str = member(
        "", Conv(lambda answer: _capabilities(answer)[0], _configuration, whole=True), default=""
    )
    instance_types: tuple[str, ...] = member(
        "", _capability(lambda caps: tuple(caps.get("allowedInstanceTypes") or ())), default=()
    )
    os_family: str | None = member("", _capability(lambda caps: caps.get("osFamily")), default=None)
    vcpu_min: int | None = member(
        "", _capability(lambda caps: (caps.get("vCpuCount") or {}).get("min")), default=None
    )
    memory_mib_min: int | None = member(
        "", _capability(lambda caps: (caps.get("memoryMiB") or {}).get("min")), default=None
    )
    created_at: datetime | None = member("createdAt", DATETIME, default=None)


@declared
@dataclass(frozen=True)
class FleetInfos(Cacheable):
    """ListFleets of one farm, every page (or GetFleet of one fleet: a list of one)."""

    fleets: tuple[FleetInfo, ...] = member(
        "fleets", many(FleetInfo, take=has("fleetId")), missing=()
    )


@declared
@dataclass(frozen=True)
class Association:
    queue_id: str = member("queueId", STR, required=True)
    fleet_id: str = member("fleetId", STR, required=True)
    status: str = member("status", STR, missing="")


@declared
@dataclass(frozen=True)
class Associations(Cacheable):
    """ListQueueFleetAssociations of one farm, every page."""

    associations: tuple[Association, ...] = member(
        "queueFleetAssociations",
        many(Association, take=lambda a: "queueId" in a and "fleetId" in a),
        missing=(),
    )


@declared
@dataclass(frozen=True)
class WorkerInfo:
    """One worker as ListWorkers, SearchWorkers or GetWorker tell it."""

    worker_id: str = member("workerId", STR, required=True)
    fleet_id: str = member("fleetId", STR, missing="")
    status: str = member("status", STR, missing="")
    host_name: str | None = member("hostProperties.hostName", default=None)
    ip_addresses: tuple[str, ...] = member("hostProperties.ipAddresses", IP_ADDRESSES, default=())
    instance_type: str | None = member("hostProperties.ec2InstanceType", default=None)
    instance_arn: str | None = member("hostProperties.ec2InstanceArn", default=None)
    log_group: str | None = member("log.options.logGroupName", default=None)
    log_stream: str | None = member("log.options.logStreamName", default=None)
    created_at: datetime | None = member("createdAt", DATETIME, default=None)
    updated_at: datetime | None = member("updatedAt", DATETIME, default=None)

    @property
    def label(self) -> str:
        return self.host_name.split(".")[0] if self.host_name else self.worker_id

    @property
    def changed_at(self) -> datetime | None:
        return self.updated_at or self.created_at


@declared
@dataclass(frozen=True)
class WorkerInfos(Cacheable):
    """A fleet's workers: every ListWorkers page, or one SearchWorkers page with its total."""

    workers: tuple[WorkerInfo, ...] = member(
        "workers", many(WorkerInfo, take=has("workerId")), missing=()
    )
    # SearchWorkers' totalResults (None: the list is whole)
    total: int | None = member("totalResults", INT, default=None)


#: ``events``: (timestamp ms, message) pairs; an event without its time is left out.
EVENTS = Conv(
    lambda events: tuple(
        (int(e["timestamp"]), str(e.get("message", ""))) for e in events if "timestamp" in e
    ),
    lambda events: [{"timestamp": t, "message": m} for t, m in events],
    collection=True,
)


@declared
@dataclass(frozen=True)
class LogEvents(Cacheable):
    """Events of one log stream (GetLogEvents or FilterLogEvents pages), oldest first."""

    events: tuple[tuple[int, str], ...] = member("events", EVENTS, missing=())
    complete: bool = complete()
    forward_token: str | None = member("nextForwardToken", default=None)
