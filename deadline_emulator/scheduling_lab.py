"""Scenario builders for the reasons work waits: a farm where every blocker holds at once, and
a full fleet whose queued job starts when the work ahead drains.

- ``add_scheduling_lab``: a farm ("Scheduling lab") with a queue over budget, a queue with no
  fleet, a queue whose fleets are stopping or suspended, a full fleet with a job behind
  another, and a queue with a licence limit at its maximum, a step no fleet can run, a step
  waiting on another, a job at its ``maxWorkerCount`` and a suspended job. Long holders run
  for years, so each blocker holds at any instant until someone removes its cause through the
  API (then the held step starts at that instant).
- ``add_capacity_scenario``: one fleet of N workers, a job of T tasks ahead filling it, and a
  job behind it, held until the work ahead has drained (for start estimates).

Both return the IDs they created, keyed by role.
"""

from __future__ import annotations

import threading
from typing import Any

from deadline_emulator.scenarios import next_job_ref, next_number
from deadline_emulator.seed import (
    ADMIN,
    DEMO_EPOCH,
    USERS,
    FarmSpec,
    FleetSpec,
    Halt,
    JobSpec,
    ParamDef,
    QueueSpec,
    StepSpec,
    WorkerSpec,
    hex_id,
)

SETUP = DEMO_EPOCH - 30 * 86400.0  # when the lab's fleets and queues were made
YEARS = 10 * 365 * 86400.0  # a holder's task runs this long: the blocker holds at any instant
LICENCE = "amount.limit.nuke"
_FRAME = ParamDef("Frame", "INT", start=1001)
_install_lock = threading.Lock()


def lab_fleet(
    seed: int, farm_id: str, key: str, name: str, count: int, *, status: str, os_family: str
) -> tuple[FleetSpec, list[WorkerSpec]]:
    """A customer-managed fleet of ``count`` workers (RUNNING, or STOPPED when not ACTIVE)."""
    fleet_id = hex_id(seed, "fleet", key)
    workers = [
        WorkerSpec(
            worker_id=hex_id(seed, "worker", f"{key}:{n}"),
            farm_id=farm_id,
            fleet_id=fleet_id,
            host_name=f"{key.split(':')[-1]}-{n:03d}.lighthouse.internal",
            ip_address=f"10.90.{len(key) % 200}.{n + 10}",
            status="RUNNING" if status == "ACTIVE" else "STOPPED",
            instance_type=None,
            created_at=SETUP,
            created_by="deadline-fleet-autoscaler",
        )
        for n in range(1, count + 1)
    ]
    fleet = FleetSpec(
        fleet_id=fleet_id,
        farm_id=farm_id,
        display_name=name,
        description=f"{count} {os_family.lower()} workers",
        status=status,
        managed="customerManaged",
        os_family=os_family,
        instance_type=None,
        worker_ids=tuple(w.worker_id for w in workers),
        created_at=SETUP,
        created_by=ADMIN,
    )
    return fleet, workers


def _queue(seed: int, farm_id: str, key: str, name: str, fleets: tuple[str, ...]) -> QueueSpec:
    return QueueSpec(
        queue_id=hex_id(seed, "queue", key),
        farm_id=farm_id,
        display_name=name,
        description=f"{name} (scheduling lab)",
        status="SCHEDULING",
        blocked_reason=None,
        fleet_ids=fleets,
        created_at=SETUP,
        created_by=ADMIN,
        department="lighting",
        stream_weight=0,
    )


def _job(
    backend: Any,
    key: str,
    queue: QueueSpec,
    name: str,
    steps: list[dict[str, Any]],
    *,
    at: float,
    priority: int = 50,
    **extra: Any,
) -> JobSpec:
    seed = backend.seed
    specs = []
    for index, step in enumerate(steps):
        options = {
            "concurrency": 8,
            "slot_seconds": 60.0,
            "run_min": 100.0,
            "run_max": 200.0,
            "fail_rate": 0.0,
            "start_delay": 20.0,
            **step,
        }
        name_of = options.pop("name")
        count = options.pop("tasks")
        specs.append(
            StepSpec(
                hex_id(seed, "step", f"{key}:{index}"),
                index,
                name_of,
                count,
                params=(_FRAME,),
                **options,
            )
        )
    job = JobSpec(
        job_id=hex_id(seed, "job", key),
        job_ref=next_job_ref(backend),
        farm_id=queue.farm_id,
        queue_id=queue.queue_id,
        name=name,
        created_at=at,
        created_by=USERS[len(key) % len(USERS)],
        priority=priority,
        steps=tuple(specs),
        **extra,
    )
    backend.add_job(job)
    return job


def _forever(name: str, tasks: int, **extra: Any) -> dict[str, Any]:
    return {"name": name, "tasks": tasks, "run_min": YEARS, "run_max": YEARS, **extra}


def add_scheduling_lab(backend: Any) -> dict[str, Any]:
    """The farm where every blocker holds (see the module docstring); returns its IDs."""
    seed = backend.seed
    key = f"lab:{next_number(backend)}"
    now = backend.clock.now()
    farm = FarmSpec(
        hex_id(seed, "farm", key),
        "Scheduling lab",
        "Why work waits",
        now - 30 * 86400,
        ADMIN,
        1.0,
    )
    full, full_workers = lab_fleet(
        seed, farm.farm_id, f"{key}:full", "Lab full fleet", 4, status="ACTIVE", os_family="LINUX"
    )
    spare, spare_workers = lab_fleet(
        seed, farm.farm_id, f"{key}:spare", "Lab spare fleet", 8, status="ACTIVE", os_family="LINUX"
    )
    paused, paused_workers = lab_fleet(
        seed,
        farm.farm_id,
        f"{key}:paused",
        "Lab suspended fleet",
        2,
        status="SUSPENDED",
        os_family="WINDOWS",
    )
    queues = {
        "budget": _queue(seed, farm.farm_id, f"{key}:budget", "Lab over budget", (spare.fleet_id,)),
        "no_fleet": _queue(seed, farm.farm_id, f"{key}:nofleet", "Lab without fleet", ()),
        "stopping": _queue(
            seed,
            farm.farm_id,
            f"{key}:stopping",
            "Lab stopping fleets",
            (spare.fleet_id, paused.fleet_id),
        ),
        "capacity": _queue(
            seed, farm.farm_id, f"{key}:capacity", "Lab full fleet queue", (full.fleet_id,)
        ),
        "work": _queue(
            seed, farm.farm_id, f"{key}:work", "Lab licences and order", (spare.fleet_id,)
        ),
    }
    backend.add_farm(
        farm,
        [full, spare, paused],
        full_workers + spare_workers + paused_workers,
        list(queues.values()),
    )
    backend.set_fleet_status_message(
        paused.fleet_id, "Suspended by an administrator: Windows licences are being renewed"
    )
    backend.update_queue_fleet_association(
        farm_id=farm.farm_id,
        queue_id=queues["stopping"].queue_id,
        fleet_id=spare.fleet_id,
        status="STOP_SCHEDULING_AND_COMPLETE_TASKS",
    )
    ids: dict[str, Any] = {
        "farmId": farm.farm_id,
        "fleets": {"full": full.fleet_id, "spare": spare.fleet_id, "suspended": paused.fleet_id},
        "queues": {role: q.queue_id for role, q in queues.items()},
        "jobs": {},
    }
    jobs = ids["jobs"]
    t0 = now - 1800.0
    waiting = {"name": "render", "tasks": 6}
    # Over budget: the budget's stop action has fired.
    budget = backend.create_budget(
        farm_id=farm.farm_id,
        display_name="Lab monthly budget",
        usage_tracking_resource={"queueId": queues["budget"].queue_id},
        approximate_dollar_limit=1000.0,
        actions=[{"type": "STOP_SCHEDULING_AND_COMPLETE_TASKS", "thresholdPercentage": 100.0}],
        schedule={"fixed": {"startTime": now - 15 * 86400, "endTime": now + 15 * 86400}},
    )["budgetId"]
    backend.set_budget_usage(budget, 1180.0)
    ids["budgetId"] = budget
    for role in ("budget", "no_fleet", "stopping"):
        job = _job(backend, f"{key}:{role}", queues[role], f"lab_{role}_v001", [waiting], at=t0)
        backend.gate(job.job_id, 0)
        jobs[role] = job.job_id
    # A full fleet: four renders hold every worker, a job of the same priority waits behind.
    ahead = _job(
        backend,
        f"{key}:ahead",
        queues["capacity"],
        "lab_full_fleet_hold_v003",
        [_forever("render", 4, concurrency=4)],
        at=t0 - 600,
    )
    behind = _job(backend, f"{key}:behind", queues["capacity"], "lab_behind_v001", [waiting], at=t0)
    backend.gate(behind.job_id, 0)
    backend.sched_gate(behind.job_id, 0).behind = (ahead.job_id,)
    jobs.update(ahead=ahead.job_id, behind=behind.job_id)
    ids["limitId"] = backend.create_limit(
        farm_id=farm.farm_id,
        display_name="Nuke licences",
        amount_requirement_name=LICENCE,
        max_count=2,
        description="Floating Nuke render licences",
    )["limitId"]
    backend.create_queue_limit_association(
        farm_id=farm.farm_id, queue_id=queues["work"].queue_id, limit_id=ids["limitId"]
    )
    _work_queue(backend, key, queues["work"], t0, jobs)
    return ids


def install_scheduling_lab(backend: Any) -> dict[str, Any]:
    """The lab, once per backend (demo mode's DEADLINE_DEMO_LAB, the server's
    ``--scheduling-lab``): its IDs."""
    with _install_lock:
        ids = getattr(backend, "scheduling_lab_ids", None)
        if ids is None:
            ids = backend.scheduling_lab_ids = add_scheduling_lab(backend)
        return ids


def _work_queue(backend: Any, key: str, queue: QueueSpec, t0: float, jobs: dict) -> None:
    """Licences, compatibility, dependencies, a worker cap and a suspended job."""
    licence = {"attributes": [], "amounts": [{"name": LICENCE, "min": 1.0}]}
    holder = _job(
        backend,
        f"{key}:holder",
        queue,
        "lab_licence_holder_comp_v012",
        [_forever("nuke", 2, required_capabilities=licence)],
        at=t0 - 600,
    )
    licensed = _job(
        backend,
        f"{key}:licensed",
        queue,
        "lab_needs_licence_comp_v004",
        [{"name": "nuke", "tasks": 4, "required_capabilities": licence}],
        at=t0,
    )
    backend.gate(licensed.job_id, 0)
    windows = {
        "attributes": [{"name": "attr.worker.os.family", "anyOf": ["windows"]}],
        "amounts": [{"name": "amount.worker.vcpu", "min": 8.0}],
    }
    incompatible = _job(
        backend,
        f"{key}:incompatible",
        queue,
        "lab_windows_only_v002",
        [
            {
                "name": "max_render",
                "tasks": 3,
                "mode": "not_compatible",
                "required_capabilities": windows,
            }
        ],
        at=t0,
    )
    upstream = _job(
        backend,
        f"{key}:upstream",
        queue,
        "lab_sim_then_render_v007",
        [_forever("simulate", 1), {"name": "render", "tasks": 5}],
        at=t0,
    )
    capped = _job(
        backend,
        f"{key}:capped",
        queue,
        "lab_one_worker_v001",
        [_forever("cache", 1), {"name": "render", "tasks": 3, "depends_on_previous": False}],
        at=t0,
        max_worker_count=1,
    )
    backend.gate(capped.job_id, 1)
    suspended = _job(
        backend,
        f"{key}:suspended",
        queue,
        "lab_on_hold_v002",
        [{"name": "render", "tasks": 4, "start_delay": 120.0}],
        at=t0,
        halt=Halt(t0 + 60.0, "SUSPENDED", USERS[1]),
    )
    jobs.update(
        holder=holder.job_id,
        licensed=licensed.job_id,
        incompatible=incompatible.job_id,
        upstream=upstream.job_id,
        capped=capped.job_id,
        suspended=suspended.job_id,
    )


def add_capacity_scenario(
    backend: Any, *, workers: int = 4, ahead_tasks: int = 40, slot_seconds: float = 300.0
) -> dict[str, Any]:
    """A fleet of ``workers`` filled by a job of ``ahead_tasks`` tasks (one wave of
    ``workers`` tasks per ``slot_seconds``), and a job behind it held until the work ahead has
    drained: its real start is when the last wave ahead has finished its slot."""
    seed = backend.seed
    key = f"capacity:{next_number(backend)}"
    now = backend.clock.now()
    farm = FarmSpec(
        hex_id(seed, "farm", key), "Capacity lab", "Start estimates", now - 86400, ADMIN, 1.0
    )
    fleet, fleet_workers = lab_fleet(
        seed,
        farm.farm_id,
        f"{key}:fleet",
        "Capacity fleet",
        workers,
        status="ACTIVE",
        os_family="LINUX",
    )
    queue = _queue(seed, farm.farm_id, f"{key}:queue", "Capacity queue", (fleet.fleet_id,))
    backend.add_farm(farm, [fleet], fleet_workers, [queue])
    run = {
        "run_min": slot_seconds * 0.6,
        "run_max": slot_seconds * 0.75,
        "slot_seconds": slot_seconds,
    }
    ahead = _job(
        backend,
        f"{key}:ahead",
        queue,
        "capacity_ahead_v001",
        [{"name": "render", "tasks": ahead_tasks, "concurrency": workers, **run}],
        at=now,
    )
    ready = now + 20.0  # the step's start_delay
    waves = -(-ahead_tasks // workers)
    drained = ready + waves * slot_seconds
    behind = _job(
        backend,
        f"{key}:behind",
        queue,
        "capacity_behind_v001",
        [{"name": "render", "tasks": workers, "concurrency": workers, **run}],
        at=now + 1.0,
    )
    backend.gate(behind.job_id, 0, natural=drained)
    backend.sched_gate(behind.job_id, 0).behind = (ahead.job_id,)
    return {
        "farmId": farm.farm_id,
        "fleetId": fleet.fleet_id,
        "queueId": queue.queue_id,
        "aheadJobId": ahead.job_id,
        "behindJobId": behind.job_id,
        "drainedAt": drained,
    }
