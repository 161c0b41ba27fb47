"""The deterministic demo world: farms, queues, fleets, workers and job blueprints.

Everything here is a pure function of the seed. Nothing is materialised per task: a job
blueprint says how many tasks each step has and how they behave; ``simulation.py`` turns
a blueprint plus the clock into task states on demand.

The world has a fixed epoch (``DEMO_EPOCH``). Landmark jobs (the 10,000-task step, the
hostile job, the wedged job...) were submitted a few days before it and are always
present; ordinary jobs arrive as a stream, job ``k`` at ``DEMO_EPOCH + k * STREAM_INTERVAL``
(plus jitter), and stay visible for ``STREAM_RETENTION``, so the farm stays busy however
long the server runs.
"""

from __future__ import annotations

import hashlib
import operator
import random
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from deadline_emulator import showcase

DEMO_EPOCH: float = datetime(2026, 11, 20, 8, 0, 0, tzinfo=UTC).timestamp()

STREAM_INTERVAL = 15 * 60.0
STREAM_RETENTION = 24 * 3600.0
LANDMARK_SUBMITTED = DEMO_EPOCH - 3 * 24 * 3600.0

MAX_ATTEMPTS = 3  # failureRetryCount goes up to 2

USERS = (
    "maria.chen@lighthouse.example",
    "dev.patel@lighthouse.example",
    "sofia.rossi@lighthouse.example",
    "kenji.watanabe@lighthouse.example",
    "amara.okafor@lighthouse.example",
    "lucas.moreau@lighthouse.example",
    "ingrid.larsen@lighthouse.example",
    "tomas.novak@lighthouse.example",
)
ADMIN = "pipeline-admin@lighthouse.example"

# Hostile strings: markup, template syntax, quotes, right-to-left override, emoji.
XSS_SCRIPT = "<script>alert(1)</script>"
XSS_IMG = '"><img src=x onerror=alert(1)>'
TEMPLATE_SYNTAX = "{{ template }} {% tag %} {{ request.user }}"
RTL_TEXT = "\u202etxt.exe \u05e9\u05dc\u05d5\u05dd \u0645\u0631\u062d\u0628\u0627"
EMOJI_TEXT = "\U0001f3ac\U0001f525 render \U0001f9e8 \U0001f469\u200d\U0001f4bb"
QUOTES = 'it\'s "quoted" `backticked` & <ampersanded>'
LONG_VALUE = ("<b>1024</b>" + "\u00e9\U0001f600x" * 400)[:1024]


# --- hashing: every random choice comes from (seed, kind, key) ------------------------------


def digest(seed: int, *parts: object, size: int = 32) -> bytes:
    """A stable hash of the seed and key parts (blake2b; no Python hash randomisation)."""
    text = "\x1f".join([str(seed), *(str(p) for p in parts)])
    return hashlib.blake2b(text.encode(), digest_size=size).digest()


def hex_id(seed: int, kind: str, key: object) -> str:
    """A resource ID such as ``job-<32 hex>`` derived from (seed, kind, key)."""
    return f"{kind}-{digest(seed, kind, key, size=16).hex()}"


_UNIFORMS = struct.Struct(">32H")
#: Every 16-bit number's uniform in [0, 1), made once: n * 2**-16 (exact).
_UNIFORM_OF = tuple(n / 65536.0 for n in range(65536))


def uniforms(seed: int, *parts: object) -> tuple[float, ...]:
    """32 uniform numbers in [0, 1) from one hash: cheap per-task randomness."""
    # Looked up in one C call: a third of uniforms' time went to 32 multiplications.
    return operator.itemgetter(*_UNIFORMS.unpack(digest(seed, *parts, size=64)))(_UNIFORM_OF)


def rng(seed: int, *parts: object) -> random.Random:
    """A seeded ``random.Random`` for building one blueprint (not used per task)."""
    return random.Random(int.from_bytes(digest(seed, *parts, size=8), "big"))


# --- blueprints -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FarmSpec:
    farm_id: str
    display_name: str
    description: str
    created_at: float
    created_by: str
    cost_scale_factor: float


@dataclass(frozen=True, slots=True)
class WorkerSpec:
    worker_id: str
    farm_id: str
    fleet_id: str
    host_name: str
    ip_address: str
    status: str
    instance_type: str | None
    created_at: float
    created_by: str
    unreliable: bool = False


@dataclass(frozen=True, slots=True)
class FleetSpec:
    fleet_id: str
    farm_id: str
    display_name: str
    description: str
    status: str
    managed: str  # "serviceManagedEc2" | "customerManaged"
    os_family: str
    instance_type: str | None
    worker_ids: tuple[str, ...]
    created_at: float
    created_by: str


@dataclass(frozen=True, slots=True)
class QueueSpec:
    queue_id: str
    farm_id: str
    display_name: str
    description: str
    status: str
    blocked_reason: str | None
    fleet_ids: tuple[str, ...]
    created_at: float
    created_by: str
    department: str
    stream_weight: int  # 0: no stream jobs land here


@dataclass(frozen=True, slots=True)
class ParamDef:
    """One task parameter of a step: a value per task index."""

    name: str
    type: str  # INT | FLOAT | STRING | PATH | CHUNK_INT
    start: int = 1
    chunk: int = 1
    values: tuple[str, ...] = ()

    def value(self, index: int) -> str:
        if self.values:
            return self.values[index % len(self.values)]
        if self.type == "CHUNK_INT":
            first = self.start + index * self.chunk
            return f"{first}-{first + self.chunk - 1}"
        return str(self.start + index)


WIRE_PARAM_KEY = {
    "INT": "int",
    "FLOAT": "float",
    "STRING": "string",
    "PATH": "path",
    "CHUNK_INT": "chunkInt",
}


@dataclass(frozen=True, slots=True)
class Halt:
    """A job-wide stop (UpdateJob-like): non-settled tasks go to ``status`` at ``time``."""

    time: float
    status: str  # SUSPENDED | CANCELED
    user: str


@dataclass(frozen=True, slots=True)
class StepSpec:
    step_id: str
    index: int
    name: str
    task_count: int
    params: tuple[ParamDef, ...] = ()
    description: str | None = None
    concurrency: int = 8
    slot_seconds: float = 300.0  # one "wave" of `concurrency` tasks per slot
    run_min: float = 120.0
    run_max: float = 240.0
    fail_rate: float = 0.03  # per attempt, healthy worker
    doomed_rate: float = 0.0  # tasks that fail every attempt (a broken frame)
    cancel_rate: float = 0.0  # tasks a user canceled before they ran
    start_delay: float = 20.0  # step 0: seconds after submission before tasks are READY
    mode: str = "normal"  # normal | wedged | not_compatible | blocked
    wedged_script: tuple[str, ...] = ()
    required_capabilities: dict[str, Any] | None = None
    depends_on_previous: bool = True  # False: READY from submission, like the first step
    # Per task: -1 succeeds on its first attempt, n fails every attempt with cause n
    # (simulation.CAUSE_NAMES); empty: failures are drawn from fail_rate / doomed_rate.
    failure_script: tuple[int, ...] = ()
    # Tasks (by index) whose every run takes ``slow_factor`` times as long: a frame far
    # heavier than its siblings, for the dashboard's slow-task detection.
    slow_tasks: tuple[int, ...] = ()
    slow_factor: float = 1.0
    # mode "scripted" (``real_sessions.py``): a worker runs ``session_tasks`` consecutive
    # tasks in one session; ``action_script`` names, per task, what happens to its first
    # attempt ("" runs, "reclaim", "interrupt", "envEnter" or "syncInputJobAttachments"
    # failing every attempt).
    session_tasks: int = 1
    action_script: tuple[str, ...] = ()
    # A CHUNK_INT parameter's chunking (StepParameterChunks), and the parameter space's
    # combination expression.
    chunks: dict[str, Any] | None = None
    combination: str | None = None


@dataclass(frozen=True, slots=True)
class JobSpec:
    job_id: str
    job_ref: int  # compact reference encoded into session IDs
    farm_id: str
    queue_id: str
    name: str
    created_at: float
    created_by: str
    priority: int
    steps: tuple[StepSpec, ...]
    description: str | None = None
    lifecycle_status: str = "CREATE_COMPLETE"
    lifecycle_message: str = "Job creation completed successfully"
    max_failed_tasks_count: int = 100
    max_retries_per_task: int = MAX_ATTEMPTS - 1
    max_worker_count: int | None = None
    halt: Halt | None = None
    job_parameters: dict[str, dict[str, str]] = field(default_factory=dict)
    landmark: str | None = None
    stream_k: int | None = None
    wedged_worker_id: str | None = None
    # Job attachments (GetJob ``attachments``), the storage profile it was submitted with,
    # and the job it was copied from (``deadline job copy``: ``sourceJobId``).
    attachments: dict[str, Any] | None = None
    storage_profile_id: str | None = None
    source_job_id: str | None = None


@dataclass(slots=True)
class StaticWorld:
    seed: int
    farms: list[FarmSpec]
    queues: list[QueueSpec]
    fleets: list[FleetSpec]
    workers: list[WorkerSpec]
    landmark_jobs: list[JobSpec]
    unreliable_worker_id: str
    wedged_worker_id: str

    def queue(self, queue_id: str) -> QueueSpec | None:
        return next((q for q in self.queues if q.queue_id == queue_id), None)


# --- the static part of the world ------------------------------------------------------------

STREAM_JOB_REF_BASE = 1 << 30  # job_ref = base + k for stream jobs; landmarks use 0..63

_INSTANCE_TYPES = ("c5.4xlarge", "c6i.8xlarge", "m6i.8xlarge", "r6i.4xlarge")


def _fleet(
    seed: int,
    farm_id: str,
    key: str,
    name: str,
    prefix: str,
    count: int,
    *,
    managed: str,
    os_family: str,
    subnet: int,
    statuses: dict[int, str],
    created_at: float,
    unreliable: int | None = None,
) -> tuple[FleetSpec, list[WorkerSpec]]:
    fleet_id = hex_id(seed, "fleet", key)
    r = rng(seed, "fleet", key)
    instance = r.choice(_INSTANCE_TYPES) if managed == "serviceManagedEc2" else None
    workers = []
    for n in range(1, count + 1):
        number = n * 3 + 2 if prefix == "render-a" else n
        status = statuses.get(n) or ("RUNNING" if r.random() < 0.8 else "IDLE")
        workers.append(
            WorkerSpec(
                worker_id=hex_id(seed, "worker", f"{key}:{n}"),
                farm_id=farm_id,
                fleet_id=fleet_id,
                host_name=f"{prefix}-{number:03d}.lighthouse.internal",
                ip_address=f"10.{subnet}.{r.randint(0, 3)}.{10 + n * 7 % 240}",
                status=status,
                instance_type=instance,
                created_at=created_at + n * 60.0,
                created_by="deadline-fleet-autoscaler",
                unreliable=(n == unreliable),
            )
        )
    fleet = FleetSpec(
        fleet_id=fleet_id,
        farm_id=farm_id,
        display_name=name,
        description=f"{count} {os_family.lower()} workers ({prefix}-*)",
        status="ACTIVE",
        managed=managed,
        os_family=os_family,
        instance_type=instance,
        worker_ids=tuple(w.worker_id for w in workers),
        created_at=created_at,
        created_by=ADMIN,
    )
    return fleet, workers


def build_static_world(seed: int) -> StaticWorld:
    """Farms, fleets, workers, queues and landmark jobs for ``seed`` (a few ms)."""
    setup = DEMO_EPOCH - 200 * 24 * 3600.0
    main_id = hex_id(seed, "farm", "main")
    previs_id = hex_id(seed, "farm", "previs")
    farms = [
        FarmSpec(main_id, "Lighthouse Studios \u2014 Main", "Feature work", setup, ADMIN, 1.0),
        FarmSpec(previs_id, "Lighthouse Studios \u2014 Previs", "Previs", setup + 3600, ADMIN, 0.6),
    ]
    # render-a-017 is the unreliable worker: its NFS mount keeps going stale.
    fleet_a, workers_a = _fleet(
        seed,
        main_id,
        "render-a",
        "Linux CPU render (render-a)",
        "render-a",
        12,
        managed="serviceManagedEc2",
        os_family="LINUX",
        subnet=20,
        statuses={},
        created_at=setup + 7200,
        unreliable=5,
    )
    fleet_c, workers_c = _fleet(
        seed,
        main_id,
        "render-c",
        "Comp nodes (render-c)",
        "render-c",
        6,
        managed="customerManaged",
        os_family="LINUX",
        subnet=21,
        statuses={4: "NOT_RESPONDING", 6: "STOPPED"},
        created_at=setup + 9000,
    )
    fleet_p, workers_p = _fleet(
        seed,
        previs_id,
        "render-p",
        "Previs workstations (render-p)",
        "render-p",
        8,
        managed="customerManaged",
        os_family="WINDOWS",
        subnet=30,
        statuses={8: "STOPPED"},
        created_at=setup + 10800,
    )
    fleets = [fleet_a, fleet_c, fleet_p]
    workers = workers_a + workers_c + workers_p
    unreliable = next(w for w in workers_a if w.unreliable)
    wedged = next(w for w in workers_c if w.status == "NOT_RESPONDING")

    def queue(
        farm: str,
        key: str,
        name: str,
        dept: str,
        fleet: FleetSpec,
        weight: int,
        status: str = "SCHEDULING",
        blocked: str | None = None,
    ) -> QueueSpec:
        return QueueSpec(
            queue_id=hex_id(seed, "queue", key),
            farm_id=farm,
            display_name=name,
            description=f"{name} work",
            status=status,
            blocked_reason=blocked,
            fleet_ids=(fleet.fleet_id,),
            created_at=setup + 14400 + len(key) * 60,
            created_by=ADMIN,
            department=dept,
            stream_weight=weight,
        )

    queues = [
        queue(main_id, "lighting", "Feature Lighting", "lighting", fleet_a, 4),
        queue(main_id, "fx", "FX Simulation", "fx", fleet_a, 3),
        queue(main_id, "comp", "Comp & Finishing", "comp", fleet_c, 3),
        queue(
            main_id,
            "review",
            "Client Review (no budget)",
            "comp",
            fleet_a,
            0,
            status="SCHEDULING_BLOCKED",
            blocked="NO_BUDGET_CONFIGURED",
        ),
        queue(previs_id, "previs", "Previs", "previs", fleet_p, 2),
        queue(previs_id, "layout", "Layout Playblasts", "layout", fleet_p, 1),
        queue(previs_id, "archive", "Archive Re-renders", "lighting", fleet_p, 0, status="IDLE"),
    ]
    world = StaticWorld(
        seed=seed,
        farms=farms,
        queues=queues,
        fleets=fleets,
        workers=workers,
        landmark_jobs=[],
        unreliable_worker_id=unreliable.worker_id,
        wedged_worker_id=wedged.worker_id,
    )
    world.landmark_jobs = _landmark_jobs(seed, world)
    return world


def _q(world: StaticWorld, dept_key: str) -> QueueSpec:
    return next(q for q in world.queues if q.queue_id == hex_id(world.seed, "queue", dept_key))


def _landmark_jobs(seed: int, world: StaticWorld) -> list[JobSpec]:
    """The fixed jobs tests and demos rely on; all submitted before ``DEMO_EPOCH``."""
    t0 = LANDMARK_SUBMITTED
    jobs: list[JobSpec] = []

    def job(
        key: str,
        queue_key: str,
        name: str,
        steps: list[StepSpec],
        *,
        at: float,
        by: str,
        priority: int = 50,
        **extra: Any,
    ) -> None:
        q = _q(world, queue_key)
        jobs.append(
            JobSpec(
                job_id=hex_id(seed, "job", f"landmark:{key}"),
                job_ref=len(jobs),
                farm_id=q.farm_id,
                queue_id=q.queue_id,
                name=name,
                created_at=at,
                created_by=by,
                priority=priority,
                steps=tuple(steps),
                landmark=key,
                **extra,
            )
        )

    def step(key: str, index: int, name: str, count: int, **extra: Any) -> StepSpec:
        return StepSpec(
            hex_id(seed, "step", f"landmark:{key}:{index}"), index, name, count, **extra
        )

    frame = ParamDef("Frame", "INT", start=1)
    job(
        "big",
        "lighting",
        "sq010_master_beauty_4k_v031 (10,000 frames)",
        [
            step(
                "big",
                0,
                "beauty",
                10_000,
                params=(frame,),
                concurrency=400,
                slot_seconds=360,
                run_min=120,
                run_max=300,
                fail_rate=0.02,
                doomed_rate=0.01,
                cancel_rate=0.005,
            ),
        ],
        at=t0,
        by=USERS[0],
        priority=70,
        description="Full sequence beauty pass, 1 frame per task",
    )
    job(
        "one",
        "comp",
        "sq020_sh0100_slapcomp_v007",
        [
            step(
                "one",
                0,
                "nuke_write",
                1,
                params=(ParamDef("Frames", "CHUNK_INT", values=("1001-1100",)),),
                run_min=300,
                run_max=400,
                fail_rate=0.0,
            ),
        ],
        at=t0 + 1800,
        by=USERS[2],
    )
    job(
        "params",
        "fx",
        "param_zoo_every_task_parameter_type_v001",
        [
            step(
                "params",
                0,
                "all_types",
                6,
                params=(
                    ParamDef("Frame", "INT", values=("1", "-12", "0", "1001", "99999", "42")),
                    ParamDef(
                        "Scale", "FLOAT", values=("0.5", "1e-3", "2.25", "-0.75", "3.0E+2", "0")
                    ),
                    ParamDef(
                        "Layer",
                        "STRING",
                        values=("beauty", "fg_chars", "bg env", "", "volumes", "crypto"),
                    ),
                    ParamDef(
                        "Scene",
                        "PATH",
                        values=(
                            "/mnt/renders/sq010/sh0010/lighting/v031/scene.usd",
                            "/mnt/renders/with space/sh0020/scene.ma",
                            "C:\\projects\\lh\\scene.hip",
                            "/mnt/renders/sq040/sh0230/fx/v009/pyro.bgeo.sc",
                            "/mnt/renders/a",
                            "/",
                        ),
                    ),
                    ParamDef(
                        "Frames",
                        "CHUNK_INT",
                        values=("1-10", "5-5", "1-3,5,7-20:2", "1001-1100", "-5--1", "7"),
                    ),
                ),
                run_min=60,
                run_max=120,
                fail_rate=0.0,
            ),
        ],
        at=t0 + 3600,
        by=USERS[5],
        description="Covers every TaskParameterValue variant",
    )
    job(
        "bare",
        "review",
        "client_review_bare_minimum",
        [
            step("bare", 0, "review_frames", 5, mode="blocked"),
        ],
        at=t0 + 5400,
        by=USERS[1],
        lifecycle_message="",
    )
    hostile_user = f"{XSS_IMG}@lighthouse.example"
    job(
        "hostile",
        "comp",
        f"{XSS_SCRIPT} sh0666 {QUOTES} {TEMPLATE_SYNTAX} {RTL_TEXT} {EMOJI_TEXT}",
        [
            step(
                "hostile",
                0,
                f"{XSS_IMG} precomp {EMOJI_TEXT}",
                8,
                params=(
                    frame,
                    ParamDef(
                        "Note",
                        "STRING",
                        values=(
                            XSS_SCRIPT,
                            XSS_IMG,
                            TEMPLATE_SYNTAX,
                            RTL_TEXT,
                            EMOJI_TEXT,
                            QUOTES,
                            LONG_VALUE,
                            "' OR '1'='1",
                        ),
                    ),
                    ParamDef(
                        "Out",
                        "PATH",
                        values=(
                            f"/mnt/renders/{XSS_SCRIPT}/out.exr",
                            "/mnt/renders/" + "x" * 1000 + "/o.exr",
                        ),
                    ),
                ),
                description=f"{TEMPLATE_SYNTAX} {XSS_SCRIPT}",
                fail_rate=0.3,
                run_min=60,
                run_max=180,
            ),
            step(
                "hostile",
                1,
                f"{{% csrf_token %}} {RTL_TEXT} write",
                3,
                params=(ParamDef("Note", "STRING", values=(LONG_VALUE,)),),
                run_min=60,
                run_max=90,
            ),
        ],
        at=t0 + 7200,
        by=hostile_user,
        description=f"{XSS_SCRIPT}\n{XSS_IMG}\n{TEMPLATE_SYNTAX}\n{LONG_VALUE}",
        lifecycle_message=f"{XSS_SCRIPT} {QUOTES} {RTL_TEXT}",
        job_parameters={"Comment": {"string": XSS_IMG}},
    )
    job(
        "wedged",
        "comp",
        "sq090_sh0410_comp_v003 \u2014 STUCK: worker render-c-004 stopped responding",
        [
            step(
                "wedged",
                0,
                "comp",
                12,
                params=(frame,),
                mode="wedged",
                wedged_script=("RUNNING", "ASSIGNED", "STARTING", "SCHEDULED", "INTERRUPTING"),
            ),
        ],
        at=t0 + 9000,
        by=USERS[3],
        max_worker_count=1,
        wedged_worker_id=world.wedged_worker_id,
        description="Its only worker (render-c-004) stopped heartbeating; tasks are frozen",
    )
    job(
        "suspended",
        "lighting",
        "sq030_sh0050_lighting_v014 (suspended by supervisor)",
        [
            step(
                "suspended",
                0,
                "fg_chars",
                60,
                params=(ParamDef("Frame", "INT", start=1001),),
                concurrency=6,
                slot_seconds=300,
            ),
            step("suspended", 1, "denoise", 60, params=(ParamDef("Frame", "INT", start=1001),)),
        ],
        at=t0 + 10800,
        by=USERS[4],
        halt=Halt(t0 + 10800 + 1500, "SUSPENDED", USERS[0]),
    )
    job(
        "canceled",
        "fx",
        "sq040_sh0230_fx_pyro_v009 (canceled)",
        [
            step(
                "canceled",
                0,
                "sim_cache",
                40,
                params=(ParamDef("Frame", "INT", start=1001),),
                concurrency=4,
                slot_seconds=400,
            ),
        ],
        at=t0 + 12600,
        by=USERS[6],
        halt=Halt(t0 + 12600 + 1800, "CANCELED", USERS[6]),
    )
    job(
        "incompatible",
        "layout",
        "layout_playblast_macos_only_v002",
        [
            step(
                "incompatible",
                0,
                "playblast",
                24,
                params=(ParamDef("Frame", "INT", start=1001),),
                mode="not_compatible",
                required_capabilities={
                    "attributes": [
                        {"name": "attr.worker.os.family", "anyOf": ["macos"]},
                        {"name": "attr.worker.cpu.arch", "allOf": ["arm64"]},
                    ],
                    "amounts": [
                        {"name": "amount.worker.gpu", "min": 8.0, "max": 16.0},
                        {"name": "amount.worker.disk.scratch", "value": 500.0},
                    ],
                },
            ),
        ],
        at=t0 + 14400,
        by=USERS[7],
        lifecycle_message="No fleet in this queue meets the host requirements",
    )
    job(
        "failed_deps",
        "fx",
        "sq050_sh0120_fx_flip_sim_v021",
        [
            step(
                "failed_deps",
                0,
                "sim_cache",
                40,
                params=(ParamDef("Frame", "INT", start=1001),),
                concurrency=8,
                fail_rate=0.25,
                doomed_rate=0.15,
            ),
            step("failed_deps", 1, "mesh", 40, params=(ParamDef("Frame", "INT", start=1001),)),
            step(
                "failed_deps",
                2,
                "render_beauty",
                40,
                params=(ParamDef("Frame", "INT", start=1001),),
            ),
        ],
        at=t0 + 16200,
        by=USERS[1],
        priority=80,
    )
    job(
        "archive",
        "archive",
        "archive_rerender_2025_showreel",
        [
            step(
                "archive",
                0,
                "beauty",
                30,
                params=(ParamDef("Frames", "CHUNK_INT", start=1, chunk=10),),
                fail_rate=0.0,
            ),
        ],
        at=t0 - 20 * 24 * 3600.0,
        by=USERS[2],
    )
    jobs.append(_showcase_job(seed, world, job_ref=len(jobs), at=t0 - 24 * 3600.0))
    return jobs


def _showcase_job(seed: int, world: StaticWorld, *, job_ref: int, at: float) -> JobSpec:
    """The showcase landmark (``showcase.py``): shared sessions, spot reclaims, a failed
    environment and input sync, attachments, chunks, every job parameter type."""
    steps = []
    for index, (name, count, extra) in enumerate(showcase.SHOWCASE_STEPS):
        options = dict(extra)
        params = tuple(
            ParamDef(pname, ptype, start=1, values=tuple(values))
            for pname, ptype, values in options.pop("params")  # type: ignore[attr-defined]
        )
        steps.append(
            StepSpec(
                hex_id(seed, "step", f"landmark:showcase:{index}"),
                index,
                name,
                count,
                params=params,
                mode="scripted",
                depends_on_previous=False,
                fail_rate=0.0,
                **options,  # type: ignore[arg-type]
            )
        )
    queue = _q(world, showcase.SHOWCASE_QUEUE)
    return JobSpec(
        job_id=hex_id(seed, "job", "landmark:showcase"),
        job_ref=job_ref,
        farm_id=queue.farm_id,
        queue_id=queue.queue_id,
        name=showcase.SHOWCASE_NAME,
        created_at=at,
        created_by=USERS[0],
        priority=50,
        steps=tuple(steps),
        description=showcase.SHOWCASE_DESCRIPTION,
        landmark="showcase",
        job_parameters=showcase.SHOWCASE_PARAMETERS,  # type: ignore[arg-type]
        attachments=showcase.showcase_attachments(digest(seed, "showcase", size=16).hex()),
        storage_profile_id=hex_id(seed, "sp", "linux-workstations"),
        source_job_id=hex_id(seed, "job", "landmark:showcase-original"),
    )


# --- the stream of ordinary jobs ---------------------------------------------------------------

_STEP_NAMES = {
    "lighting": ("beauty", "fg_chars", "bg_env", "volumes", "denoise", "make_movie"),
    "fx": ("sim_cache", "mesh", "render_beauty", "render_mattes", "publish"),
    "comp": ("precomp", "comp", "write_exr", "make_review_mov"),
    "previs": ("playblast", "encode"),
    "layout": ("camera_bake", "playblast", "encode"),
}


def stream_arrival(seed: int, k: int) -> float:
    """When stream job ``k`` is submitted (jitter keeps arrivals irregular)."""
    return (
        DEMO_EPOCH + k * STREAM_INTERVAL + uniforms(seed, "arrival", k)[0] * STREAM_INTERVAL * 0.5
    )


def stream_job(seed: int, k: int, world: StaticWorld) -> JobSpec:
    """The blueprint of stream job ``k`` (no task is materialised)."""
    r = rng(seed, "stream", k)
    weighted = [q for q in world.queues for _ in range(q.stream_weight)]
    q = r.choice(weighted)
    dept = q.department
    seq = r.randrange(10, 130, 10)
    shot = r.randrange(10, 990, 10)
    version = r.randint(1, 40)
    label = {"fx": f"fx_{r.choice(('pyro', 'flip', 'rbd', 'groom'))}"}.get(dept, dept)
    name = f"sq{seq:03d}_sh{shot:04d}_{label}_v{version:03d}"
    names = _STEP_NAMES[dept]
    step_count = r.randint(1, min(5, len(names)))
    start_frame = r.choice((1, 1001, 1001, 1001, 101))
    flaky = r.random() < 0.2  # a broken shot: some frames fail every attempt
    steps = []
    for index in range(step_count):
        roll = r.random()
        if roll < 0.1:
            count = 1
        elif roll < 0.4:
            count = r.randint(2, 20)
        elif roll < 0.75:
            count = r.randint(20, 100)
        else:
            count = r.randint(100, 200)
        slot = r.uniform(180.0, 480.0)
        if dept == "comp" and r.random() < 0.5:
            chunk = r.choice((5, 10, 25))
            params: tuple[ParamDef, ...] = (
                ParamDef("Frames", "CHUNK_INT", start=start_frame, chunk=chunk),
            )
        else:
            params = (ParamDef("Frame", "INT", start=start_frame),)
        if dept == "lighting" and r.random() < 0.3:
            params += (ParamDef("Quality", "FLOAT", values=("0.5", "1.0")),)
        steps.append(
            StepSpec(
                step_id=hex_id(seed, "step", f"stream:{k}:{index}"),
                index=index,
                name=names[index],
                task_count=count,
                params=params,
                concurrency=r.randint(4, 32),
                slot_seconds=slot,
                run_min=slot * 0.35,
                run_max=slot * 0.9,
                fail_rate=r.uniform(0.01, 0.06),
                doomed_rate=0.08 if flaky and index == 0 else 0.0,
                start_delay=r.uniform(10.0, 90.0),
            )
        )
    created = stream_arrival(seed, k)
    halt = None
    if r.random() < 0.04:
        halt = Halt(created + r.uniform(600, 3600), "CANCELED", r.choice(USERS))
    return JobSpec(
        job_id=hex_id(seed, "job", f"stream:{k}"),
        job_ref=STREAM_JOB_REF_BASE + k,
        farm_id=q.farm_id,
        queue_id=q.queue_id,
        name=name,
        created_at=created,
        created_by=r.choice(USERS),
        priority=r.choice((50, 50, 50, 25, 75, 90, 10, 100, 0)),
        steps=tuple(steps),
        halt=halt,
        stream_k=k,
        job_parameters={"Shot": {"string": f"sq{seq:03d}_sh{shot:04d}"}},
    )
