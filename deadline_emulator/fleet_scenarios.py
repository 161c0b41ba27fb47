"""Scenario builder for the farm side: a big fleet (thousands of workers) in a demo farm.

``add_big_fleet`` adds one service-managed fleet of ``workers`` workers to an existing farm
(the first demo farm unless named), with a deterministic mix of statuses, instance types and
host names, for the fleet page's paging, sorting and filtering and its budgets. The fleet
serves no queue, so its workers run no tasks; their worker logs are idle.
"""

from __future__ import annotations

import threading
from typing import Any

from deadline_emulator.seed import ADMIN, FleetSpec, WorkerSpec, digest, hex_id

MAX_WORKERS = 20_000
# (status, share): most work, some idle, a few stopped or silent.
_STATUSES = (
    ("RUNNING", 0.58),
    ("IDLE", 0.27),
    ("STOPPED", 0.08),
    ("NOT_RESPONDING", 0.04),
    ("STARTED", 0.03),
)
_FLEET_STATUSES = (
    "ACTIVE",
    "CREATE_IN_PROGRESS",
    "UPDATE_IN_PROGRESS",
    "CREATE_FAILED",
    "UPDATE_FAILED",
    "SUSPENDED",
)
_INSTANCE_TYPES = ("c6i.8xlarge", "r6i.4xlarge", "m6i.4xlarge", "g5.2xlarge")
_numbers = threading.Lock()


def _status(u: float) -> str:
    for status, share in _STATUSES:
        if u < share:
            return status
        u -= share
    return _STATUSES[0][0]


def add_big_fleet(
    backend: Any,
    *,
    workers: int = 5_000,
    farm_id: str | None = None,
    name: str | None = None,
    status: str = "ACTIVE",
    status_message: str | None = None,
) -> dict[str, Any]:
    """Add a fleet of ``workers`` workers to ``farm_id`` (default: the first demo farm), in
    ``status`` (GetFleet's FleetStatus) with its ``status_message``."""
    if status not in _FLEET_STATUSES:
        raise ValueError(f"status must be one of {', '.join(_FLEET_STATUSES)}")
    if isinstance(workers, bool) or not isinstance(workers, int):
        raise ValueError("workers must be an integer")
    if not 1 <= workers <= MAX_WORKERS:
        raise ValueError(f"workers must be between 1 and {MAX_WORKERS}")
    farm_id = farm_id or backend.world.farms[0].farm_id
    with _numbers:
        number = 1 + sum(f.display_name.startswith("Big fleet ") for f in backend.world.fleets)
        seed = backend.seed
        key = f"big-fleet:{number}"
        now = backend.clock.now()
        setup = now - 14 * 86400.0
        fleet_id = hex_id(seed, "fleet", key)
        specs = []
        for n in range(1, workers + 1):
            u = digest(seed, key, n, size=4)
            specs.append(
                WorkerSpec(
                    worker_id=hex_id(seed, "worker", f"{key}:{n}"),
                    farm_id=farm_id,
                    fleet_id=fleet_id,
                    host_name=f"bf{number}-{n:05d}.lighthouse.internal",
                    ip_address=f"10.{100 + number % 100}.{n // 250}.{n % 250 + 2}",
                    status=_status(int.from_bytes(u[:2], "big") / 65536),
                    instance_type=_INSTANCE_TYPES[u[2] % len(_INSTANCE_TYPES)],
                    created_at=setup + n * 7.0,
                    created_by="deadline-fleet-autoscaler",
                )
            )
        fleet = FleetSpec(
            fleet_id=fleet_id,
            farm_id=farm_id,
            display_name=name or f"Big fleet {number} ({workers:,} workers)",
            description=f"{workers} linux spot workers",
            status=status,
            managed="serviceManagedEc2",
            os_family="LINUX",
            instance_type=None,
            worker_ids=tuple(w.worker_id for w in specs),
            created_at=setup,
            created_by=ADMIN,
        )
        backend.add_fleet(fleet, specs)
        if status_message is not None:
            backend.set_fleet_status_message(fleet_id, str(status_message))
    return {"farmId": farm_id, "fleetId": fleet_id, "workerIds": list(fleet.worker_ids)}
