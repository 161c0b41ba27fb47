"""Deterministic scenario builders: grow a running emulator's world for a test or a benchmark.

- ``add_failed_job``: a job whose N failed tasks, spread over K independent steps, failed
  every attempt with one of several distinct causes (missing texture, out of memory,
  segfault, licence, NFS), with sessions on the queue's workers, session actions, exit codes
  and render logs exactly like the demo world's own failures.
- ``add_farm``: a synthetic farm of Q queues x J active jobs on one fleet (the attention
  page's benchmark uses 20 x 50).
- ``add_big_job``: a finished job of N tasks in one step (frames 1..N), with F failed and C
  canceled tasks spread evenly over the whole step; N up to 200,000.

Each returns the IDs it created. Builders are pure functions of (seed, how many scenarios
this backend has built, their arguments, the clock): the same calls on a fresh emulator give
the same IDs. Both are reachable in-process (``Emulator.add_failed_job``/``add_farm`` or these
functions on a backend) and through the admin API (``POST /_emulator/scenarios/failed-job``
, ``/_emulator/scenarios/farm`` and ``/_emulator/scenarios/big-job``, the same keywords in
camelCase).
"""

from __future__ import annotations

import math
import threading
from typing import Any

from deadline_emulator.seed import (
    ADMIN,
    USERS,
    FarmSpec,
    FleetSpec,
    JobSpec,
    ParamDef,
    QueueSpec,
    StepSpec,
    WorkerSpec,
    hex_id,
    rng,
)
from deadline_emulator.simulation import CAUSE_NAMES, FAILURE_CAUSES, SCRIPT_CANCELED

SCENARIO_JOB_REF_BASE = 1 << 29  # landmarks 0..63, stream jobs 1 << 30 + k
MAX_STEPS = 50
MAX_FAILED_TASKS = 5_000
MAX_QUEUES = 100
MAX_JOBS_PER_QUEUE = 200
DEFAULT_CAUSES = ("texture", "oom", "segfault", "license")
MAX_BIG_JOB_TASKS = 200_000

_counter_lock = threading.Lock()


def next_number(backend: Any) -> int:
    """The backend's scenario counter (IDs depend on it, so builds are reproducible)."""
    with _counter_lock:
        number = getattr(backend, "_scenario_count", 0)
        backend._scenario_count = number + 1
    return number


def next_job_ref(backend: Any) -> int:
    with _counter_lock:
        ref = getattr(backend, "_scenario_job_refs", 0)
        backend._scenario_job_refs = ref + 1
    return SCENARIO_JOB_REF_BASE + ref


def _bounded(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
    return value


def add_failed_job(
    backend: Any,
    *,
    failed_tasks: int = 12,
    steps: int = 3,
    tasks_per_step: int | None = None,
    causes: tuple[str, ...] | list[str] = DEFAULT_CAUSES,
    queue_id: str | None = None,
    name: str | None = None,
    age_seconds: float = 3 * 3600.0,
) -> dict[str, Any]:
    """Add a finished job with ``failed_tasks`` FAILED tasks over ``steps`` steps.

    Failed task ``i`` sits in step ``i % steps`` and fails with ``causes[i % len(causes)]``
    on each of its three attempts; every other task succeeded on its first. The job was
    submitted ``age_seconds`` before the backend's clock (long enough to have finished).
    """
    failed_tasks = _bounded("failed_tasks", failed_tasks, 0, MAX_FAILED_TASKS)
    steps = _bounded("steps", steps, 1, MAX_STEPS)
    causes = tuple(causes)
    unknown = [c for c in causes if c not in FAILURE_CAUSES]
    if not causes or unknown:
        raise ValueError(f"causes must be some of {', '.join(CAUSE_NAMES)}, not {unknown}")
    per_step = math.ceil(failed_tasks / steps)
    needed = max(2 * per_step, 4)
    if tasks_per_step is None:
        tasks_per_step = needed
    tasks_per_step = _bounded("tasks_per_step", tasks_per_step, max(per_step, 1), 10_000)
    if age_seconds < 3600:
        raise ValueError("age_seconds must be at least 3600: the job has to have finished")
    seed = backend.seed
    queue = backend.world.queues[0] if queue_id is None else backend._queues.get(queue_id)
    if queue is None:
        raise ValueError(f"no queue {queue_id}")
    number = next_number(backend)
    # Spread failures: failed task i goes to step i % steps; within a step, every other
    # task (odd indices while they last) fails, so failures sit among successes.
    scripts = [[-1] * tasks_per_step for _ in range(steps)]
    placed: list[tuple[int, int, str]] = []
    for i in range(failed_tasks):
        step_index, position = i % steps, i // steps
        index = 2 * position + 1 if 2 * position + 1 < tasks_per_step else position
        while scripts[step_index][index] >= 0:
            index = (index + 1) % tasks_per_step
        cause = causes[i % len(causes)]
        scripts[step_index][index] = CAUSE_NAMES.index(cause)
        placed.append((step_index, index, cause))
    step_names = ("render_beauty", "render_mattes", "denoise", "comp", "encode")
    step_specs = tuple(
        StepSpec(
            step_id=hex_id(seed, "step", f"scenario:{number}:{k}"),
            index=k,
            name=step_names[k % len(step_names)] + (f"_{k // len(step_names)}" if k >= 5 else ""),
            task_count=tasks_per_step,
            params=(ParamDef("Frame", "INT", start=1001),),
            concurrency=tasks_per_step,
            slot_seconds=300.0,
            run_min=60.0,
            run_max=150.0,
            fail_rate=0.0,
            start_delay=20.0 + 5 * k,
            depends_on_previous=False,
            failure_script=tuple(scripts[k]),
        )
        for k in range(steps)
    )
    r = rng(seed, "scenario", number)
    sequence = r.randrange(10, 130, 10)
    job = JobSpec(
        job_id=hex_id(seed, "job", f"scenario:{number}"),
        job_ref=next_job_ref(backend),
        farm_id=queue.farm_id,
        queue_id=queue.queue_id,
        name=name or f"sq{sequence:03d}_scenario_{failed_tasks}_failed_v{number:03d}",
        created_at=backend.clock.now() - age_seconds,
        created_by=r.choice(USERS),
        priority=50,
        steps=step_specs,
        description=f"Scenario: {failed_tasks} failed tasks over {steps} steps",
        max_failed_tasks_count=max(100, failed_tasks + 1),
    )
    backend.add_job(job)
    return {
        "farmId": job.farm_id,
        "queueId": job.queue_id,
        "jobId": job.job_id,
        "steps": [
            {"stepId": s.step_id, "name": s.name, "taskCount": s.task_count} for s in step_specs
        ],
        "failedTasks": [
            {
                "stepId": step_specs[k].step_id,
                "taskId": f"task-{step_specs[k].step_id[5:]}-{index}",
                "cause": cause,
                "exitCode": FAILURE_CAUSES[cause][0],
                "message": FAILURE_CAUSES[cause][1],
            }
            for k, index, cause in sorted(placed)
        ],
    }


def add_farm(
    backend: Any,
    *,
    queues: int = 20,
    jobs_per_queue: int = 50,
    workers: int = 40,
    name: str | None = None,
) -> dict[str, Any]:
    """Add a farm of ``queues`` queues, each with ``jobs_per_queue`` jobs still running when
    built (submitted within the last 30 minutes, each at least 40 minutes of work), on one
    fleet of ``workers`` workers. Some tasks fail, some jobs have a broken frame."""
    queues = _bounded("queues", queues, 1, MAX_QUEUES)
    jobs_per_queue = _bounded("jobs_per_queue", jobs_per_queue, 0, MAX_JOBS_PER_QUEUE)
    workers = _bounded("workers", workers, 1, 1_000)
    seed = backend.seed
    number = next_number(backend)
    key = f"scenario:{number}"
    now = backend.clock.now()
    setup = now - 30 * 86400.0
    farm = FarmSpec(
        hex_id(seed, "farm", key),
        name or f"Synthetic farm {number} ({queues} queues x {jobs_per_queue} jobs)",
        "Scenario farm for load and attention tests",
        setup,
        ADMIN,
        1.0,
    )
    fleet_id = hex_id(seed, "fleet", key)
    worker_specs = [
        WorkerSpec(
            worker_id=hex_id(seed, "worker", f"{key}:{n}"),
            farm_id=farm.farm_id,
            fleet_id=fleet_id,
            host_name=f"synth{number}-{n:03d}.lighthouse.internal",
            ip_address=f"10.{60 + number % 100}.{n // 250}.{n % 250 + 2}",
            status="RUNNING",
            instance_type="c6i.8xlarge",
            created_at=setup + n,
            created_by="deadline-fleet-autoscaler",
        )
        for n in range(1, workers + 1)
    ]
    fleet = FleetSpec(
        fleet_id=fleet_id,
        farm_id=farm.farm_id,
        display_name=f"Synthetic fleet {number}",
        description=f"{workers} linux workers",
        status="ACTIVE",
        managed="serviceManagedEc2",
        os_family="LINUX",
        instance_type="c6i.8xlarge",
        worker_ids=tuple(w.worker_id for w in worker_specs),
        created_at=setup,
        created_by=ADMIN,
    )
    queue_specs = [
        QueueSpec(
            queue_id=hex_id(seed, "queue", f"{key}:{q}"),
            farm_id=farm.farm_id,
            display_name=f"Synthetic queue {q + 1:02d}",
            description="Scenario queue",
            status="SCHEDULING",
            blocked_reason=None,
            fleet_ids=(fleet_id,),
            created_at=setup + 60 * q,
            created_by=ADMIN,
            department="lighting",
            stream_weight=0,
        )
        for q in range(queues)
    ]
    backend.add_farm(farm, [fleet], worker_specs, queue_specs)
    created = []
    for q, queue in enumerate(queue_specs):
        job_ids = []
        for j in range(jobs_per_queue):
            job = _active_job(backend, seed, f"{key}:{q}:{j}", queue, now)
            backend.add_job(job)
            job_ids.append(job.job_id)
        created.append({"queueId": queue.queue_id, "jobIds": job_ids})
    return {
        "farmId": farm.farm_id,
        "fleetId": fleet_id,
        "workerIds": list(fleet.worker_ids),
        "queues": created,
    }


def _active_job(backend: Any, seed: int, key: str, queue: QueueSpec, now: float) -> JobSpec:
    r = rng(seed, "scenario-job", key)
    concurrency = r.randint(2, 6)
    steps = []
    for k in range(r.choice((1, 1, 2))):
        slot = r.uniform(400.0, 700.0)
        steps.append(
            StepSpec(
                step_id=hex_id(seed, "step", f"{key}:{k}"),
                index=k,
                name=("beauty", "denoise")[k],
                task_count=concurrency * r.randint(6, 12),
                params=(ParamDef("Frame", "INT", start=1001),),
                concurrency=concurrency,
                slot_seconds=slot,
                run_min=slot * 0.4,
                run_max=slot * 0.9,
                fail_rate=r.uniform(0.0, 0.08),
                doomed_rate=0.05 if r.random() < 0.2 else 0.0,
                start_delay=r.uniform(10.0, 60.0),
            )
        )
    shot = r.randrange(10, 990, 10)
    return JobSpec(
        job_id=hex_id(seed, "job", key),
        job_ref=next_job_ref(backend),
        farm_id=queue.farm_id,
        queue_id=queue.queue_id,
        name=f"sq{r.randrange(10, 130, 10):03d}_sh{shot:04d}_synthetic_v{r.randint(1, 40):03d}",
        created_at=now - r.uniform(60.0, 1800.0),
        created_by=r.choice(USERS),
        priority=r.choice((50, 50, 25, 75, 90, 10)),
        steps=tuple(steps),
    )


def spread(count: int, total: int, phase: float = 0.5) -> list[int]:
    """``count`` distinct indices of ``range(total)`` spaced evenly over all of it: index k
    sits ``phase`` of the way into the k-th of ``count`` equal slices."""
    return [int((k + phase) * total / count) for k in range(count)]


def add_big_job(
    backend: Any,
    *,
    tasks: int = 10_000,
    failed_tasks: int = 0,
    canceled_tasks: int = 0,
    causes: tuple[str, ...] | list[str] = DEFAULT_CAUSES,
    queue_id: str | None = None,
    name: str | None = None,
    age_seconds: float = 3 * 3600.0,
) -> dict[str, Any]:
    """Add a finished job of ``tasks`` tasks in one step (parameter ``Frame`` = 1..N, INT).

    ``failed_tasks`` FAILED tasks (every attempt, with ``causes`` in turn) and then
    ``canceled_tasks`` CANCELED ones (by their owner, before they ran) sit evenly spread over
    the whole step, so every page and the last tenth of the step hold some; every other task
    SUCCEEDED. Building is instant: task states are computed on first read, in bulk (measured
    1.7 s for 100,000 tasks on a quiet core, 3-5 s under load; 10,000: 0.2 s), then kept.
    """
    tasks = _bounded("tasks", tasks, 1, MAX_BIG_JOB_TASKS)
    failed_tasks = _bounded("failed_tasks", failed_tasks, 0, tasks)
    canceled_tasks = _bounded("canceled_tasks", canceled_tasks, 0, tasks - failed_tasks)
    causes = tuple(causes)
    unknown = [c for c in causes if c not in FAILURE_CAUSES]
    if not causes or unknown:
        raise ValueError(f"causes must be some of {', '.join(CAUSE_NAMES)}, not {unknown}")
    if age_seconds < 3600:
        raise ValueError("age_seconds must be at least 3600: the job has to have finished")
    queue = backend.world.queues[0] if queue_id is None else backend._queues.get(queue_id)
    if queue is None:
        raise ValueError(f"no queue {queue_id}")
    script = [-1] * tasks
    failed = spread(failed_tasks, tasks) if failed_tasks else []
    for k, index in enumerate(failed):
        script[index] = CAUSE_NAMES.index(causes[k % len(causes)])
    canceled = []
    for index in spread(canceled_tasks, tasks, phase=0.0) if canceled_tasks else []:
        while script[index] != -1:  # beside a failed task: the next free one
            index = (index + 1) % tasks
        script[index] = SCRIPT_CANCELED
        canceled.append(index)
    seed = backend.seed
    number = next_number(backend)
    step = StepSpec(
        step_id=hex_id(seed, "step", f"scenario:{number}:0"),
        index=0,
        name="render",
        task_count=tasks,
        params=(ParamDef("Frame", "INT", start=1),),
        concurrency=tasks,  # one wave: the job has finished long before the clock
        slot_seconds=300.0,
        run_min=60.0,
        run_max=150.0,
        fail_rate=0.0,
        start_delay=20.0,
        depends_on_previous=False,
        failure_script=tuple(script),
    )
    r = rng(seed, "scenario", number)
    job = JobSpec(
        job_id=hex_id(seed, "job", f"scenario:{number}"),
        job_ref=next_job_ref(backend),
        farm_id=queue.farm_id,
        queue_id=queue.queue_id,
        name=name or f"sq{r.randrange(10, 130, 10):03d}_big_{tasks}_frames_v{number:03d}",
        created_at=backend.clock.now() - age_seconds,
        created_by=r.choice(USERS),
        priority=50,
        steps=(step,),
        description=f"Scenario: {tasks} tasks, {failed_tasks} failed, {canceled_tasks} canceled",
        max_failed_tasks_count=max(100, failed_tasks + 1),
    )
    backend.add_job(job)
    prefix = f"task-{step.step_id[5:]}-"
    return {
        "farmId": job.farm_id,
        "queueId": job.queue_id,
        "jobId": job.job_id,
        "stepId": step.step_id,
        "taskCount": tasks,
        "failedTaskIds": [prefix + str(i) for i in failed],
        "canceledTaskIds": [prefix + str(i) for i in sorted(canceled)],
    }
