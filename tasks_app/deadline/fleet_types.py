"""Types of the farm side's answers: fleets (ListFleets/GetFleet), queue-fleet associations,
a fleet's workers with their host properties and log, and a worker's log events.

Like ``types``, each has ``from_api`` (a botocore answer, or pages folded into one API-shaped
dict) and ``to_cache`` in the API's own member names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .types import Cacheable, compact, format_datetime, parse_datetime

#: GetFleet/ListFleets members kept, as the API names them (the rest is configuration).
_FLEET_MEMBERS = (
    "fleetId",
    "farmId",
    "displayName",
    "status",
    "statusMessage",
    "autoScalingStatus",
    "targetWorkerCount",
    "workerCount",
    "minWorkerCount",
    "maxWorkerCount",
    "description",
)


@dataclass(frozen=True)
class FleetInfo:
    """One fleet: status, scaling and what its machines are."""

    fleet_id: str
    farm_id: str
    display_name: str
    status: str
    status_message: str | None = None
    autoscaling_status: str | None = None
    worker_count: int | None = None
    target_worker_count: int | None = None
    min_worker_count: int | None = None
    max_worker_count: int | None = None
    description: str | None = None
    managed: str = ""  # "service-managed" | "customer-managed" | ""
    instance_types: tuple[str, ...] = ()
    os_family: str | None = None
    vcpu_min: int | None = None
    memory_mib_min: int | None = None
    created_at: datetime | None = None

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> FleetInfo:
        configuration = answer.get("configuration") or {}
        if "serviceManagedEc2" in configuration:
            managed, inner = "service-managed", configuration["serviceManagedEc2"]
            capabilities = inner.get("instanceCapabilities") or {}
        elif "customerManaged" in configuration:
            managed, inner = "customer-managed", configuration["customerManaged"]
            capabilities = inner.get("workerCapabilities") or {}
        else:
            managed, capabilities = "", {}

        def number(member: str) -> int | None:
            value = answer.get(member)
            return None if value is None else int(value)

        return cls(
            fleet_id=str(answer["fleetId"]),
            farm_id=str(answer.get("farmId", "")),
            display_name=str(answer.get("displayName", "")),
            status=str(answer.get("status", "")),
            status_message=answer.get("statusMessage"),
            autoscaling_status=answer.get("autoScalingStatus"),
            worker_count=number("workerCount"),
            target_worker_count=number("targetWorkerCount"),
            min_worker_count=number("minWorkerCount"),
            max_worker_count=number("maxWorkerCount"),
            description=answer.get("description"),
            managed=managed,
            instance_types=tuple(capabilities.get("allowedInstanceTypes") or ()),
            os_family=capabilities.get("osFamily"),
            vcpu_min=(capabilities.get("vCpuCount") or {}).get("min"),
            memory_mib_min=(capabilities.get("memoryMiB") or {}).get("min"),
            created_at=parse_datetime(answer.get("createdAt")),
        )

    def to_cache(self) -> dict[str, Any]:
        capabilities = compact(
            {
                "allowedInstanceTypes": list(self.instance_types) or None,
                "osFamily": self.os_family,
                "vCpuCount": None if self.vcpu_min is None else {"min": self.vcpu_min},
                "memoryMiB": None if self.memory_mib_min is None else {"min": self.memory_mib_min},
            }
        )
        configuration: dict[str, Any] = {}
        if self.managed == "service-managed":
            configuration = {"serviceManagedEc2": {"instanceCapabilities": capabilities}}
        elif self.managed == "customer-managed":
            configuration = {"customerManaged": {"workerCapabilities": capabilities}}
        values = {
            "fleetId": self.fleet_id,
            "farmId": self.farm_id,
            "displayName": self.display_name,
            "status": self.status,
            "statusMessage": self.status_message,
            "autoScalingStatus": self.autoscaling_status,
            "targetWorkerCount": self.target_worker_count,
            "workerCount": self.worker_count,
            "minWorkerCount": self.min_worker_count,
            "maxWorkerCount": self.max_worker_count,
            "description": self.description,
        }
        assert set(values) == set(_FLEET_MEMBERS)
        return compact(
            {
                **values,
                "configuration": configuration,
                "createdAt": format_datetime(self.created_at),
            }
        )


@dataclass(frozen=True)
class FleetInfos(Cacheable):
    """ListFleets of one farm, every page (or GetFleet of one fleet: a list of one)."""

    fleets: tuple[FleetInfo, ...]

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> FleetInfos:
        return cls(
            fleets=tuple(
                FleetInfo.from_api(item) for item in answer.get("fleets") or () if "fleetId" in item
            )
        )

    def to_cache(self) -> dict[str, Any]:
        return {"fleets": [fleet.to_cache() for fleet in self.fleets]}


@dataclass(frozen=True)
class Association:
    queue_id: str
    fleet_id: str
    status: str


@dataclass(frozen=True)
class Associations(Cacheable):
    """ListQueueFleetAssociations of one farm, every page."""

    associations: tuple[Association, ...]

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> Associations:
        return cls(
            associations=tuple(
                Association(str(a["queueId"]), str(a["fleetId"]), str(a.get("status", "")))
                for a in answer.get("queueFleetAssociations") or ()
                if "queueId" in a and "fleetId" in a
            )
        )

    def to_cache(self) -> dict[str, Any]:
        return {
            "queueFleetAssociations": [
                {"queueId": a.queue_id, "fleetId": a.fleet_id, "status": a.status}
                for a in self.associations
            ]
        }


@dataclass(frozen=True)
class WorkerInfo:
    """One worker as ListWorkers, SearchWorkers or GetWorker tell it."""

    worker_id: str
    fleet_id: str
    status: str
    host_name: str | None = None
    ip_addresses: tuple[str, ...] = ()
    instance_type: str | None = None
    instance_arn: str | None = None
    log_group: str | None = None
    log_stream: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> WorkerInfo:
        host = answer.get("hostProperties") or {}
        ips = host.get("ipAddresses") or {}
        options = (answer.get("log") or {}).get("options") or {}
        return cls(
            worker_id=str(answer["workerId"]),
            fleet_id=str(answer.get("fleetId", "")),
            status=str(answer.get("status", "")),
            host_name=host.get("hostName"),
            ip_addresses=tuple(ips.get("ipV4Addresses") or ())
            + tuple(ips.get("ipV6Addresses") or ()),
            instance_type=host.get("ec2InstanceType"),
            instance_arn=host.get("ec2InstanceArn"),
            log_group=options.get("logGroupName"),
            log_stream=options.get("logStreamName"),
            created_at=parse_datetime(answer.get("createdAt")),
            updated_at=parse_datetime(answer.get("updatedAt")),
        )

    def to_cache(self) -> dict[str, Any]:
        host = compact(
            {
                "hostName": self.host_name,
                "ec2InstanceType": self.instance_type,
                "ec2InstanceArn": self.instance_arn,
                "ipAddresses": {"ipV4Addresses": list(self.ip_addresses)}
                if self.ip_addresses
                else None,
            }
        )
        log = None
        if self.log_group and self.log_stream:
            log = {"options": {"logGroupName": self.log_group, "logStreamName": self.log_stream}}
        return compact(
            {
                "workerId": self.worker_id,
                "fleetId": self.fleet_id,
                "status": self.status,
                "hostProperties": host,
                "log": log,
                "createdAt": format_datetime(self.created_at),
                "updatedAt": format_datetime(self.updated_at),
            }
        )

    @property
    def label(self) -> str:
        return self.host_name.split(".")[0] if self.host_name else self.worker_id

    @property
    def changed_at(self) -> datetime | None:
        return self.updated_at or self.created_at


@dataclass(frozen=True)
class WorkerInfos(Cacheable):
    """A fleet's workers: every ListWorkers page, or one SearchWorkers page with its total."""

    workers: tuple[WorkerInfo, ...]
    total: int | None = None  # SearchWorkers' totalResults (None: the list is whole)

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> WorkerInfos:
        total = answer.get("totalResults")
        return cls(
            workers=tuple(
                WorkerInfo.from_api(w) for w in answer.get("workers") or () if "workerId" in w
            ),
            total=None if total is None else int(total),
        )

    def to_cache(self) -> dict[str, Any]:
        return compact(
            {"workers": [w.to_cache() for w in self.workers], "totalResults": self.total}
        )


@dataclass(frozen=True)
class LogEvents(Cacheable):
    """Events of one log stream (GetLogEvents or FilterLogEvents pages), oldest first."""

    events: tuple[tuple[int, str], ...]  # (timestamp ms, message)
    complete: bool = True
    forward_token: str | None = None

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> LogEvents:
        return cls(
            events=tuple(
                (int(e["timestamp"]), str(e.get("message", "")))
                for e in answer.get("events") or ()
                if "timestamp" in e
            ),
            complete=bool(answer.get("complete", True)),
            forward_token=answer.get("nextForwardToken"),
        )

    def to_cache(self) -> dict[str, Any]:
        return compact(
            {
                "events": [{"timestamp": t, "message": m} for t, m in self.events],
                "complete": self.complete,
                "nextForwardToken": self.forward_token,
            }
        )
