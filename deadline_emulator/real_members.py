"""Members a real farm sets that the closed-form world does not need, derived from the seed.

Every farm, queue, fleet and worker of a real account was updated at some point (``updatedAt``
/``updatedBy``); queues carry their job-attachments bucket, role and run-as user; fleets their
host configuration script and autoscaling; service-managed workers their EC2 instance ARN.
``tests/deadline_emulator/test_members_set.py`` walks the world and fails on any modelled
output member that is never set, except the few it lists with the reason.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from deadline_emulator.seed import ADMIN, FarmSpec, FleetSpec, QueueSpec, WorkerSpec, hex_id
from deadline_emulator.showcase import ATTACHMENTS_BUCKET, ATTACHMENTS_ROOT

ACCOUNT = "123456789012"
REGION = "us-west-2"
DAY = 86400.0


def _when(value: float) -> datetime:
    return datetime.fromtimestamp(value, tz=UTC)


def _updated(created_at: float, days: float, by: str = ADMIN) -> dict[str, Any]:
    return {"updatedAt": _when(created_at + days * DAY), "updatedBy": by}


def farm_members(farm: FarmSpec, index: int) -> dict[str, Any]:
    """A farm's last update; the second farm is encrypted with a customer managed key."""
    answer = _updated(farm.created_at, 30 + index)
    if index == 1:
        key = hex_id(0, "kms", farm.farm_id)[4:40]
        answer["kmsKeyArn"] = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key}"
    return answer


def queue_summary_members(queue: QueueSpec) -> dict[str, Any]:
    return _updated(queue.created_at, 12)


def queue_members(seed: int, queue: QueueSpec, windows: bool) -> dict[str, Any]:
    """GetQueue's job attachments, role, run-as user, file-system and storage settings."""
    profile = hex_id(seed, "sp", "windows-workstations" if windows else "linux-workstations")
    if windows:
        run_as = {
            "runAs": "QUEUE_CONFIGURED_USER",
            "windows": {
                "user": "LIGHTHOUSE\\render",
                "passwordArn": (
                    f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:deadline/render-Ab12Cd"
                ),
            },
        }
    else:
        run_as = {"runAs": "QUEUE_CONFIGURED_USER", "posix": {"user": "jobuser", "group": "render"}}
    return {
        "jobAttachmentSettings": {
            "s3BucketName": ATTACHMENTS_BUCKET,
            "rootPrefix": ATTACHMENTS_ROOT,
        },
        "roleArn": f"arn:aws:iam::{ACCOUNT}:role/LighthouseQueueRole-{queue.department}",
        "jobRunAsUser": run_as,
        "requiredFileSystemLocationNames": ["ProjectFiles"],
        "allowedStorageProfileIds": [profile],
    }


#: Seeded scheduling configurations other than priorityFifo (queue key -> configuration).
SCHEDULING = {
    "fx": {"priorityBalanced": {"renderingTaskBuffer": 1}},
    "comp": {
        "weightedBalanced": {
            "priorityWeight": 100.0,
            "errorWeight": -10.0,
            "submissionTimeWeight": 3.0,
            "renderingTaskBuffer": 1,
            "renderingTaskWeight": -100.0,
            "maxPriorityOverride": {"alwaysScheduleFirst": {}},
            "minPriorityOverride": {"alwaysScheduleLast": {}},
        }
    },
}


def scheduling_configuration(seed: int, queue: QueueSpec) -> dict[str, Any]:
    for key, configuration in SCHEDULING.items():
        if queue.queue_id == hex_id(seed, "queue", key):
            return configuration
    return {"priorityFifo": {}}


def fleet_configuration(seed: int, fleet: FleetSpec, configuration: dict[str, Any]) -> None:
    """Add what real fleets configure: autoscaling, storage profile, instance limits, disks,
    accelerators on the customer-managed side (none installed), a VPC resource."""
    scaling = {"standbyWorkerCount": 0, "workerIdleDurationSeconds": 300,
               "scaleOutWorkersPerMinute": 5}  # fmt: skip
    profile = hex_id(seed, "sp", "windows-workstations" if fleet.os_family == "WINDOWS" else
                     "linux-workstations")  # fmt: skip
    if "serviceManagedEc2" in configuration:
        smf = configuration["serviceManagedEc2"]
        caps = smf["instanceCapabilities"]
        caps["vCpuCount"] = {**caps["vCpuCount"], "max": 64}
        caps["memoryMiB"] = {**caps["memoryMiB"], "max": 262144}
        caps["allowedInstanceTypes"] = ["c5.*", "c6i.*", "m6i.*", "r6i.*"]
        caps["excludedInstanceTypes"] = ["c5.large"]
        caps["rootEbsVolume"] = {"sizeGiB": 250, "iops": 3000, "throughputMiB": 125}
        caps["customAmounts"] = [{"name": "amount.license.arnold", "min": 1.0, "max": 1.0}]
        caps["customAttributes"] = [{"name": "attr.studio.site", "values": ["lighthouse-west"]}]
        caps["acceleratorCapabilities"] = {
            "selections": [{"name": "t4", "runtime": "latest"}],
            "count": {"min": 0, "max": 1},
        }
        caps["softwareAddOns"] = [{"name": "docker"}]
        smf["autoScalingConfiguration"] = scaling
        smf["storageProfileId"] = profile
        smf["vpcConfiguration"] = {
            "resourceConfigurationArns": [
                f"arn:aws:vpc-lattice:{REGION}:{ACCOUNT}:resourceconfiguration/rcfg-0a1b2c3d4e5f67890"
            ]
        }
        smf["persistentVolumeConfiguration"] = {
            "sizeGiB": 500, "iops": 3000, "throughputMiB": 250,
            "mountPath": "/mnt/cache", "lastUsedTtlHours": 48,
        }  # fmt: skip
        return
    cmf = configuration["customerManaged"]
    caps = cmf["workerCapabilities"]
    caps["vCpuCount"] = {**caps["vCpuCount"], "max": 128}
    caps["memoryMiB"] = {**caps["memoryMiB"], "max": 524288}
    caps["acceleratorTypes"] = ["gpu"]
    caps["acceleratorCount"] = {"min": 0, "max": 2}
    caps["acceleratorTotalMemoryMiB"] = {"min": 0, "max": 49152}
    caps["customAmounts"] = [{"name": "amount.license.nuke", "min": 1.0, "max": 4.0}]
    caps["customAttributes"] = [{"name": "attr.studio.site", "values": ["lighthouse-west"]}]
    cmf["autoScalingConfiguration"] = scaling
    cmf["storageProfileId"] = profile
    cmf["tagPropagationMode"] = "PROPAGATE_TAGS_TO_WORKERS_AT_LAUNCH"


def fleet_members(fleet: FleetSpec, full: bool) -> dict[str, Any]:
    """A fleet's last update and, in GetFleet, its host configuration script (service-managed
    fleets)."""
    answer = _updated(fleet.created_at, 20)
    if full and fleet.managed == "serviceManagedEc2":
        answer["hostConfiguration"] = {
            "scriptBody": "#!/bin/bash\nset -euo pipefail\nmount -t nfs fs-lighthouse:/ /mnt\n",
            "scriptTimeoutSeconds": 300,
        }
    return answer


def worker_members(worker: WorkerSpec, host: dict[str, Any]) -> dict[str, Any]:
    """A worker's EC2 instance (service-managed), IPv6 address and last update."""
    if worker.instance_type:
        instance = "i-0" + hex_id(0, "i", worker.worker_id)[2:18]
        host["ec2InstanceArn"] = f"arn:aws:ec2:{REGION}:{ACCOUNT}:instance/{instance}"
        suffix = worker.worker_id[-4:].upper()  # the model's pattern: eight groups, upper case
        host["ipAddresses"]["ipV6Addresses"] = [f"2600:1F14:ABCD:{suffix}:0:0:0:10"]
    return {"updatedAt": _when(worker.created_at + 60.0), "updatedBy": "deadline-worker-agent"}
