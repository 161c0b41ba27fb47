"""Deterministic, lazily generated render logs: one CloudWatch log stream per session.

A session's log is a pure function of (seed, the attempt's plan): the worker agent's session
preamble, the renderer's start-up, per-frame progress lines, and an ending (success, failure
with its error and exit code, or interruption) followed by the environment exit. Lines are
addressed by number: ``SessionLog.event(i)`` and ``SessionLog.index_at(ms)`` are O(log n), so
a page of a stream of any length costs only the lines on the page.

Lines after the clock simply do not exist yet, so a running attempt's stream grows as the
clock advances; nothing before the clock ever changes (an interruption only cuts lines that
were still in the future when it was requested).
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from deadline_emulator.session_log_lines import failed_action_lines, spot_lines

# The agent uploads in batches: a line is ingested at the end of its one-second batch plus
# a per-session delay, and a read sees only ingested lines.
INGEST_BATCH_MS = 1000
# A frozen worker (never-ending attempt) stops writing this long after its task started.
STALL_MS = 45_000
# openjd cancels with "notify then terminate": SIGTERM, then this grace before the end.
INTERRUPT_MS = 6_000
MAX_FRAMES = 10_000
RULE = "=" * 46
AGENT_VERSION = "0.28.4"

FAILURE_EXIT_CODES = {
    "texture": 1,
    "license": 2,
    "nfs": 74,
    "oom": 137,
    "segfault": 139,
    "generic": 1,
}


def _ms(value: datetime | float | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.timestamp()
    return round(value * 1000)


def _unit(*parts: object) -> float:
    """A uniform draw in [0, 1) from ``parts`` (stable across processes, unlike ``hash``)."""
    data = "\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=7).digest(), "big") / 2**56


def _hex(*parts: object, size: int = 6) -> str:
    data = "\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=size).hexdigest()


def failure_kind(message: str) -> str:
    """Classify the progress message of a failed attempt (the emulator's failure catalogue)."""
    text = message.lower()
    if "out of memory" in text:
        return "oom"
    if "segmentation" in text or "signal 11" in text:
        return "segfault"
    if "license" in text:
        return "license"
    if "stale file handle" in text or "nfs" in text:
        return "nfs"
    if "texture" in text or "no such file" in text:
        return "texture"
    return "generic"


_RANGE = re.compile(r"(-?\d+)(?:-(-?\d+)(?::(-?\d+))?)?")


def parse_frames(expression: str) -> list[int]:
    """Frames of an OpenJD range expression (``1-10``, ``1-3,5,7-20:2``, ``-5--1``); capped."""
    frames: list[int] = []
    for part in expression.replace(" ", "").split(","):
        match = _RANGE.fullmatch(part)
        if match is None:
            return []
        start = int(match[1])
        end = int(match[2]) if match[2] is not None else start
        step = int(match[3]) if match[3] is not None else 1
        if step <= 0 or end < start:
            return []
        frames.extend(range(start, min(end, start + MAX_FRAMES * step) + 1, step))
        if len(frames) >= MAX_FRAMES:
            return frames[:MAX_FRAMES]
    return frames


def task_frames(parameters: dict[str, dict[str, str]]) -> list[int]:
    """The frames a task renders, from its ``Frame``/``Frames`` parameters (default [1])."""
    for value in parameters.values():
        if "chunkInt" in value:
            frames = parse_frames(value["chunkInt"])
            if frames:
                return frames
    for name, value in parameters.items():
        if "int" in value and "frame" in name.lower():
            return [int(value["int"])]
    return [1]


@dataclass(frozen=True)
class AttemptPlan:
    """What a session's log is generated from; times in epoch milliseconds.

    ``planned_end`` is the natural end of the task run (None: never, a frozen worker);
    ``interrupted_at``/``interrupt_done`` bound an interruption, if any was requested.
    """

    session_id: str
    farm_id: str
    queue_id: str
    job_id: str
    job_name: str
    step_id: str
    step_name: str
    task_id: str
    attempt: int
    worker_id: str
    fleet_id: str
    host_name: str
    parameters: dict[str, dict[str, str]]
    assigned: int
    starting: int | None
    scheduled: int | None
    running: int | None
    planned_end: int | None
    planned_outcome: str | None
    fail_progress: float
    message: str
    exit_code: int | None
    interrupted_at: int | None = None
    interrupt_done: int | None = None
    interrupt_target: str = "CANCELED"
    exit_seconds_ms: int = 3000
    # Sessions as ``real_sessions.py`` plans them: the action that failed instead of the task
    # run, the taskRun's action number, and whether this task opens (agent header, input
    # sync, environment) and closes (environment exit) a session it shares with others.
    failed_action: str = ""
    action_number: int = 1
    opens: bool = True
    closes: bool = True

    @classmethod
    def from_timeline(cls, timeline: dict[str, Any], seed: int = 0) -> AttemptPlan:
        """Build from ``DeadlineBackend.attempt_timeline``.

        ``plannedEndsAt``, ``failProgress`` and ``interruptedAt`` are used when the timeline
        carries them; otherwise they are derived from what it does carry (exact unless the
        attempt was interrupted).
        """
        session_id = timeline["sessionId"]
        outcome = timeline.get("outcome")
        task_run_end = _ms(timeline.get("taskRunEndsAt"))
        session_end = _ms(timeline.get("sessionEndsAt"))
        interrupted = outcome in ("CANCELING", "CANCELED")
        interrupted_at = _ms(timeline.get("interruptedAt"))
        interrupt_done = None
        if interrupted:
            interrupt_done = task_run_end
            if interrupted_at is None and task_run_end is not None:
                interrupted_at = task_run_end - INTERRUPT_MS
        planned_end = _ms(timeline.get("plannedEndsAt"))
        if planned_end is None and not interrupted:
            planned_end = task_run_end
        elif planned_end is None and interrupted_at is not None:
            # attempt_timeline hides the natural end once interrupted, and the body's pacing
            # depends on it: until it exposes `plannedEndsAt`, lines before the cut may
            # differ from those served while the attempt was still running.
            planned_end = max(task_run_end or 0, interrupted_at + 60_000)
        fail_progress = timeline.get("failProgress")
        if fail_progress is None:
            # Not in attempt_timeline yet: the last progress line may then disagree with
            # the session action's progressPercent.
            fail_progress = (
                37.0 if planned_end is None else round(10 + 80 * _unit(seed, session_id, "fail"), 1)
            )
        exit_seconds = 3000
        if session_end is not None and task_run_end is not None:
            exit_seconds = max(session_end - task_run_end, 500)
        return cls(
            session_id=session_id,
            farm_id=timeline["farmId"],
            queue_id=timeline["queueId"],
            job_id=timeline["jobId"],
            job_name=timeline.get("jobName") or timeline["jobId"],
            step_id=timeline["stepId"],
            step_name=timeline.get("stepName") or timeline["stepId"],
            task_id=timeline["taskId"],
            attempt=int(timeline.get("attempt") or 0),
            worker_id=timeline["workerId"],
            fleet_id=timeline.get("fleetId") or "",
            host_name=timeline.get("hostName") or timeline["workerId"],
            parameters=timeline.get("parameters") or {},
            assigned=_ms(timeline["assignedAt"]) or 0,
            starting=_ms(timeline.get("startingAt")),
            scheduled=_ms(timeline.get("scheduledAt")),
            running=_ms(timeline.get("runningAt")),
            planned_end=planned_end,
            planned_outcome=timeline.get("plannedOutcome"),
            fail_progress=float(fail_progress),
            message=timeline.get("message") or "",
            exit_code=timeline.get("exitCode"),
            interrupted_at=interrupted_at,
            interrupt_done=interrupt_done,
            exit_seconds_ms=exit_seconds,
            failed_action=timeline.get("failedAction") or "",
            action_number=int(timeline.get("taskRunActionNumber") or 1),
            opens=timeline.get("opensSession", True),
            closes=timeline.get("closesSession", True),
        )


# --- renderer profiles ---------------------------------------------------------------------


@dataclass(frozen=True)
class RenderContext:
    """Names and numbers a renderer prints, fixed per session."""

    plan: AttemptPlan
    key: str  # hashing key: seed + session
    show_path: str
    shot: str
    scene: str
    output: str
    frames: Sequence[int]
    width: int
    height: int


class Renderer:
    """How one application writes its log; every list it returns has a fixed length."""

    name = "renderer"
    header_count = 0
    footer_count = 0

    def line(self, ctx: RenderContext, elapsed_ms: int, text: str, level: str = "") -> str:
        return text

    def environment(self, ctx: RenderContext) -> list[str]:
        return []

    def startup(self, ctx: RenderContext) -> list[Placed]:
        """Start-up output; ``(fraction, text)`` items wait until that part of start-up."""
        return []

    def progress_count(self, frame_ms: int) -> int:
        return 20

    def frame_header(self, ctx: RenderContext, number: int, position: int, j: int) -> str:
        raise NotImplementedError

    def progress(self, ctx: RenderContext, number: int, position: int, k: int, count: int) -> str:
        raise NotImplementedError

    def warning(self, ctx: RenderContext, number: int, k: int) -> str:
        raise NotImplementedError

    def frame_footer(self, ctx: RenderContext, number: int, frame_ms: int, j: int) -> str:
        raise NotImplementedError

    def summary(self, ctx: RenderContext) -> list[str]:
        return []

    def failure(self, ctx: RenderContext, kind: str) -> list[str]:
        return [f"ERROR: {ctx.plan.message}"]

    def interrupted(self, ctx: RenderContext) -> list[str]:
        return ["Caught signal 15 (SIGTERM), aborting"]


def _clock(elapsed_ms: int) -> str:
    seconds = max(elapsed_ms, 0) // 1000
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def _duration(ms: int) -> str:
    seconds, millis = divmod(max(ms, 0), 1000)
    return f"{seconds // 60}:{seconds % 60:02d}.{millis:03d}"


class Arnold(Renderer):
    """Arnold's ``kick``: ``hh:mm:ss  memMB  LEVEL | text``."""

    name = "arnold"
    header_count = 8
    footer_count = 5

    def line(self, ctx: RenderContext, elapsed_ms: int, text: str, level: str = "") -> str:
        memory = self._memory(ctx, elapsed_ms)
        return f"{_clock(elapsed_ms)} {memory:>6}MB {level:>7} | {text}"

    def _memory(self, ctx: RenderContext, elapsed_ms: int) -> int:
        peak = 2000 + int(_unit(ctx.key, "peak") * 9000)
        ramp = min(elapsed_ms / 60_000, 1.0)
        return 83 + int(peak * ramp)

    def environment(self, ctx: RenderContext) -> list[str]:
        return [
            "ARNOLD_PLUGIN_PATH=/opt/autodesk/arnold/plugins:/opt/lighthouse/arnold/shaders",
            "ADSKFLEX_LICENSE_FILE=@license01.lighthouse.internal",
            "OCIO=/mnt/projects/lighthouse/config/ocio/aces_1.3/config.ocio",
        ]

    def startup(self, ctx: RenderContext) -> list[Placed]:
        plan = ctx.plan
        nodes = 4000 + int(_unit(ctx.key, "nodes") * 40000)
        size = 20 + int(_unit(ctx.key, "size") * 900)
        lines: list[Placed] = [
            "Arnold 7.3.1.0 [ab12cd34] linux x86_64 clang-15.0.7 oiio-2.5.8 osl-1.13.6 "
            "vdb-11.0.0 adlsdk-8.0.0.1 clmhub-3.1.1.43 rlm-15.2.5 optix-8.0.0 2024/04/10",
            f"running on {plan.host_name}, pid={4500 + int(_unit(ctx.key, 'pid') * 3000)}",
            " 1 x Intel(R) Xeon(R) Platinum 8375C CPU @ 2.90GHz (32 cores, 64 logical) with "
            "257616MB",
            " Linux 5.15.0-1051-aws, glibc 2.35",
            " soft limit for open files raised from 1024 to 65536",
            "loading plugins from /opt/autodesk/arnold/plugins ...",
            " alembic_proc.so: alembic uses Arnold 7.3.1.0",
            "loaded 6 plugins from 2 lib(s) in 0:00.08",
            "[clm] checking out license arnold (version 7.3) from license01.lighthouse.internal",
            "[clm] license checkout succeeded (86 of 120 seats in use)",
            f"[ass] loading {ctx.scene} ...",
            (0.8, f"[ass] read {size * 1_048_576} bytes, {nodes} nodes in 0:0{2 + size // 300}.41"),
            f"[color_manager_ocio] using OCIO config {ctx.show_path}/config/ocio/config.ocio",
            "[texturesys] texture cache size limit set to 8192MB",
        ]
        if _unit(ctx.key, "untiled") < 0.6:
            lines.append(
                "[texturesys] /mnt/assets/env/hdri/studio_sky_v003.exr is untiled, "
                "consider converting it to .tx with maketx"
            )
        else:
            lines.append("[texturesys] 1284 textures found as .tx, auto-tx disabled")
        return lines

    def progress_count(self, frame_ms: int) -> int:
        # Arnold reports every 5% at low verbosity; long frames get the 1%-step reports
        # plus a line per adaptive-sampling pass, so long renders give long logs.
        if frame_ms < 30_000:
            return 20
        return min(100 * max(1, frame_ms // 60_000), 2000)

    def frame_header(self, ctx: RenderContext, number: int, position: int, j: int) -> str:
        nodes = 4000 + int(_unit(ctx.key, "nodes") * 40000)
        return [
            f"[frame] rendering frame {number} ({position + 1} of {len(ctx.frames)})",
            f"rendering image at {ctx.width} x {ctx.height}, 6 AA samples, 3 diffuse samples",
            "[aov] registered driver: 'defaultArnoldDriver@driver_exr.RGBA' (driver_exr)",
            f"initializing {nodes} nodes ...",
            "creating root object list ...",
            f"node initialization done in 0:0{1 + nodes // 15000}.{number % 1000:03d} "
            "(multithreaded)",
            f"updating {nodes} nodes ...",
            "starting 64 bucket workers of size 64x64 ...",
        ][j]

    def progress(self, ctx: RenderContext, number: int, position: int, k: int, count: int) -> str:
        rays = 40 + int(_unit(ctx.key, number, "rays") * 160)
        if count <= 100:
            return f"{(k + 1) * 100 // count:>5}% done - {rays} rays/pixel"
        # Adaptive sampling: one 1%-step report per pass, each pass adding rays.
        passes = -(-count // 100)
        step, percent = divmod(k, 100)
        return (
            f"{percent + 1:>5}% done - {rays * (step + 1)} rays/pixel (AA pass {step + 1}/{passes})"
        )

    def warning(self, ctx: RenderContext, number: int, k: int) -> str:
        choices = (
            "[texturesys] tile cache thrashing: 1423 tiles evicted in the last second",
            f"[polymesh] hero_hair_geoShape: {1 + k % 9} degenerate triangles, ignored",
            "[mtoa_shaders] aiImage 'rim_mask': file not found, using default color",
            "[sampling] light 'key_light' has high variance, consider more samples",
        )
        return choices[int(_unit(ctx.key, number, k, "warning") * len(choices))]

    def frame_footer(self, ctx: RenderContext, number: int, frame_ms: int, j: int) -> str:
        peak = 2000 + int(_unit(ctx.key, "peak") * 9000)
        return [
            f"render done in {_duration(frame_ms)}",
            f"[driver_exr] writing file `{ctx.output % number}'",
            "render done",
            f"peak CPU memory used {peak + 83}.{number % 97:02d}MB",
            f"[stats] {1 + int(_unit(ctx.key, number) * 9)}.{number % 10}G camera rays, "
            f"{10 + int(_unit(ctx.key, number, 'r') * 80)}.{number % 10}G total rays",
        ][j]

    def summary(self, ctx: RenderContext) -> list[str]:
        return ["[clm] releasing license arnold", "Arnold shutdown"]

    def failure(self, ctx: RenderContext, kind: str) -> list[str]:
        message = ctx.plan.message
        texture = re.search(r"/mnt/\S+", message)
        path = texture[0] if texture else "/mnt/assets/chr_hero/tex/hero_diffuse.1004.exr"
        return {
            "oom": [
                "WARNING|[texturesys] texture cache is full (8192MB), evicting tiles",
                f"ERROR|out of memory allocating 8.2GB for texture cache ({message})",
            ],
            "segfault": [
                "ERROR|caught signal 11 (SIGSEGV) in thread 17, aborting",
                "ERROR|backtrace: libai.so(AiNodeGetStr+0x1d3) [0x7f3a9c2b51d3]",
                "ERROR|backtrace: hair_shader.so(shader_evaluate+0x8c) [0x7f3a7b10428c]",
            ],
            "license": [
                "ERROR|[clm] license heartbeat failed: connection to "
                "license01.lighthouse.internal:5053 lost",
                f"ERROR|[clm] {message}; rendering aborted",
            ],
            "nfs": [
                f"ERROR|[driver_exr] could not write `{ctx.output % ctx.frames[0]}': "
                "Stale file handle",
                f"ERROR|{message}",
            ],
            "texture": [
                f"ERROR|[texturesys] could not open {path}: No such file or directory",
                "ERROR|aborting render: 1 texture(s) could not be loaded",
            ],
        }.get(kind, [f"ERROR|{message}"])

    def interrupted(self, ctx: RenderContext) -> list[str]:
        return ["WARNING|caught signal 15 (SIGTERM), aborting render", "render aborted"]


class Nuke(Renderer):
    """Nuke in terminal mode (``nuke -x -V 2``): one block per written frame."""

    name = "nuke"
    header_count = 3
    footer_count = 2

    def environment(self, ctx: RenderContext) -> list[str]:
        return [
            "foundry_LICENSE=4101@license01.lighthouse.internal",
            "NUKE_PATH=/opt/lighthouse/nuke/gizmos:/opt/lighthouse/nuke/python",
            "OCIO=/mnt/projects/lighthouse/config/ocio/aces_1.3/config.ocio",
        ]

    def startup(self, ctx: RenderContext) -> list[Placed]:
        first, last = ctx.frames[0], ctx.frames[-1]
        return [
            "Nuke 15.1v3, 64 bit, built Jul 11 2024.",
            "Copyright (c) 2024 The Foundry Visionmongers Ltd.  All Rights Reserved.",
            "Licence: nuke_r (rlm, license01.lighthouse.internal)",
            f"Loading {ctx.scene}",
            (0.7, "Loading plugin path /opt/lighthouse/nuke/gizmos"),
            f"Total nodes: {150 + int(_unit(ctx.key, 'nodes') * 600)}",
            f"Writing frames {first}-{last} with Write_EXR",
        ]

    def progress_count(self, frame_ms: int) -> int:
        return max(2, min(frame_ms // 250, 240))

    def frame_header(self, ctx: RenderContext, number: int, position: int, j: int) -> str:
        return [
            f"Frame {number} ({position + 1} of {len(ctx.frames)})",
            f"Read_plate: reading {ctx.show_path}/plates/{ctx.shot}_plate_v001.{number:04d}.exr",
            f"Read_beauty: reading {ctx.output % number}",
        ][j]

    def progress(self, ctx: RenderContext, number: int, position: int, k: int, count: int) -> str:
        rows = 2160
        done = (k + 1) * rows // count
        return f"Write_EXR: {done} of {rows} scanlines ({(k + 1) * 100 // count}%)"

    def warning(self, ctx: RenderContext, number: int, k: int) -> str:
        return f"Warning: Read_plate: frame {number} has 1 missing channel (forward.u), black"

    def frame_footer(self, ctx: RenderContext, number: int, frame_ms: int, j: int) -> str:
        path = f"{ctx.show_path}/renders/comp/{ctx.shot}_comp.{number:04d}.exr"
        return [f"Writing {path}", f"Frame {number} took {frame_ms / 1000:.2f} seconds"][j]

    def summary(self, ctx: RenderContext) -> list[str]:
        return [f"Total render time: {len(ctx.frames)} frames written"]

    def failure(self, ctx: RenderContext, kind: str) -> list[str]:
        message = ctx.plan.message
        return {
            "oom": ["ERROR: Write_EXR: out of memory (cache 61.8 GiB), cannot allocate row"],
            "segfault": ["ERROR: Nuke crashed: Segmentation fault (signal 11)"],
            "license": [f"ERROR: {message}", "ERROR: Licence lost, exiting"],
            "nfs": [
                f"ERROR: Write_EXR: cannot write {ctx.output % ctx.frames[0]}: Stale file handle"
            ],
            "texture": [f"ERROR: Read_beauty: {message}"],
        }.get(kind, [f"ERROR: {message}"])

    def interrupted(self, ctx: RenderContext) -> list[str]:
        return ["Received SIGTERM, cancelling render"]


class Houdini(Renderer):
    """A Houdini ROP cook through ``hython`` with ALF progress."""

    name = "houdini"
    header_count = 2
    footer_count = 2

    def environment(self, ctx: RenderContext) -> list[str]:
        return [
            "HOUDINI_PATH=/opt/lighthouse/houdini;&",
            "SESI_LMHOST=license01.lighthouse.internal",
        ]

    def startup(self, ctx: RenderContext) -> list[Placed]:
        return [
            "hython 20.5.332 (Python 3.11.7) on linux-x86_64-gcc11.2",
            "Houdini FX license acquired from license01.lighthouse.internal",
            f"Loading {ctx.scene}",
            (0.8, "Cooking /out/sim_cache (filecache1)"),
        ]

    def progress_count(self, frame_ms: int) -> int:
        return max(4, min(frame_ms // 1500, 400))

    def frame_header(self, ctx: RenderContext, number: int, position: int, j: int) -> str:
        return [f"Cooking frame {number}", f"  Solving FLIP substep 1 (frame {number})"][j]

    def progress(self, ctx: RenderContext, number: int, position: int, k: int, count: int) -> str:
        particles = 12_000_000 + int(_unit(ctx.key, number) * 4_000_000) + k * 731
        return f"ALF_PROGRESS {(k + 1) * 100 // count}%  particles={particles}"

    def warning(self, ctx: RenderContext, number: int, k: int) -> str:
        return f"Warning: /obj/flip/dopnet: CFL condition exceeded at frame {number}, substepping"

    def frame_footer(self, ctx: RenderContext, number: int, frame_ms: int, j: int) -> str:
        return [
            f"Wrote {ctx.show_path}/cache/flip/{ctx.shot}_flip.{number:04d}.bgeo.sc",
            f"Frame {number} cooked in {frame_ms / 1000:.1f}s",
        ][j]

    def failure(self, ctx: RenderContext, kind: str) -> list[str]:
        message = ctx.plan.message
        return {
            "oom": ["ERROR: std::bad_alloc while allocating particle attributes"],
            "segfault": ["ERROR: Houdini crashed: caught signal 11 (SIGSEGV)"],
            "nfs": [
                f"ERROR: Cannot write cache file: [Errno 116] Stale file handle: "
                f"'{ctx.show_path}/cache/flip'",
                f"ERROR: {message}",
            ],
        }.get(kind, [f"ERROR: {message}"])


class Encoder(Renderer):
    """ffmpeg turning frames into a review movie."""

    name = "ffmpeg"
    header_count = 1
    footer_count = 1

    def startup(self, ctx: RenderContext) -> list[Placed]:
        return [
            "ffmpeg version 6.1.1 Copyright (c) 2000-2023 the FFmpeg developers",
            f"Input #0, image2, from '{ctx.show_path}/renders/comp/{ctx.shot}_comp.%04d.exr':",
            f"Output #0, mov, to '{ctx.show_path}/review/{ctx.shot}_review.mov':",
            "  Stream #0:0: Video: prores (HQ) (apch), yuv422p10le, 1920x1080, 24 fps",
        ]

    def progress_count(self, frame_ms: int) -> int:
        return max(2, min(frame_ms // 500, 400))

    def frame_header(self, ctx: RenderContext, number: int, position: int, j: int) -> str:
        return f"[image2 @ 0x55d2c1a3] reading frame {number}"

    def progress(self, ctx: RenderContext, number: int, position: int, k: int, count: int) -> str:
        done = position
        return (
            f"frame={done + 1:5d} fps= 24 q=-0.0 size={(done + 1) * 812:8d}kB "
            f"time=00:00:{(done + 1) // 24:02d}.{(done + 1) % 24 * 4:02d} speed=1.0x "
            f"pass {k + 1}/{count}"
        )

    def warning(self, ctx: RenderContext, number: int, k: int) -> str:
        return "[swscaler @ 0x55d2c1b0] deprecated pixel format used, make sure range is set"

    def frame_footer(self, ctx: RenderContext, number: int, frame_ms: int, j: int) -> str:
        return f"frame {number} encoded in {frame_ms} ms"


RENDERERS: dict[str, Renderer] = {
    renderer.name: renderer for renderer in (Arnold(), Nuke(), Houdini(), Encoder())
}


def renderer_for(step_name: str) -> Renderer:
    """Pick the application a step runs, from its name (as a pipeline would)."""
    name = step_name.lower()
    if any(word in name for word in ("comp", "nuke", "write")):
        return RENDERERS["nuke"]
    if any(word in name for word in ("sim", "mesh", "cache", "publish")):
        return RENDERERS["houdini"]
    if any(word in name for word in ("encode", "movie", "mov", "playblast", "bake")):
        return RENDERERS["ffmpeg"]
    return RENDERERS["arnold"]


# --- the stream ----------------------------------------------------------------------------


@dataclass
class _ListSegment:
    """A short run of lines computed up front: ``(timestamp, message)``."""

    lines: list[tuple[int, str]]

    @property
    def count(self) -> int:
        return len(self.lines)

    def timestamp(self, i: int) -> int:
        return self.lines[i][0]

    def message(self, i: int) -> str:
        return self.lines[i][1]


@dataclass
class _FrameSegment:
    """The render body: ``frames`` blocks of header, progress and footer lines, computed on
    demand from the line number; only lines before ``cutoff`` exist."""

    renderer: Renderer
    ctx: RenderContext
    running: int  # the task's start, for elapsed times
    start: int
    end: int  # where the whole (unfailed) work would end
    cutoff: int
    warning_rate: float
    per_frame: int = field(init=False)
    progress_lines: int = field(init=False)
    count: int = field(init=False)

    def __post_init__(self) -> None:
        frames = len(self.ctx.frames)
        span = max(self.end - self.start, frames)
        self.end = self.start + span
        self.progress_lines = self.renderer.progress_count(span // frames)
        self.per_frame = (
            self.renderer.header_count + self.progress_lines + self.renderer.footer_count
        )
        total = frames * self.per_frame
        # Lines before the cutoff: the first line at or after it, by bisection.
        self.count = _first_at_or_after(self.timestamp, 0, total, self.cutoff)

    def _frame_window(self, f: int) -> tuple[int, int]:
        frames = len(self.ctx.frames)
        span = self.end - self.start
        begin = self.start + f * span // frames
        return begin, self.start + (f + 1) * span // frames - begin

    def _fraction(self, j: int) -> float:
        header, progress = self.renderer.header_count, self.progress_lines
        if j < header:
            return 0.03 * j / header
        j -= header
        if j < progress:
            return 0.03 + 0.94 * (j + 1) / progress
        return 0.97 + 0.03 * (j - progress) / max(self.renderer.footer_count, 1)

    def timestamp(self, i: int) -> int:
        f, j = divmod(i, self.per_frame)
        begin, length = self._frame_window(f)
        return begin + int(self._fraction(j) * length)

    def message(self, i: int) -> str:
        renderer, ctx = self.renderer, self.ctx
        f, j = divmod(i, self.per_frame)
        number = ctx.frames[f]
        elapsed = self.timestamp(i) - self.running
        header, progress = renderer.header_count, self.progress_lines
        level = ""
        if j < header:
            text = renderer.frame_header(ctx, number, f, j)
        elif j < header + progress:
            k = j - header
            if _unit(ctx.key, f, k, "warn") < self.warning_rate:
                text, level = renderer.warning(ctx, number, k), "WARNING"
            else:
                text = renderer.progress(ctx, number, f, k, progress)
        else:
            _, length = self._frame_window(f)
            text = renderer.frame_footer(ctx, number, length, j - header - progress)
        return renderer.line(ctx, elapsed, text, level)


def _first_at_or_after(timestamp: Callable[[int], int], lo: int, hi: int, ms: int) -> int:
    """The first index in [lo, hi) whose timestamp is >= ``ms`` (hi if none): timestamps
    are non-decreasing."""
    while lo < hi:
        mid = (lo + hi) // 2
        if timestamp(mid) < ms:
            lo = mid + 1
        else:
            hi = mid
    return lo


Placed = str | tuple[float, str]


def _spread(
    start: int, end: int | None, items: list[Placed], default_ms: int
) -> list[tuple[int, str]]:
    """Place lines across [start, end): a plain message goes in the opening burst (agents log
    in bursts), a ``(fraction, message)`` at that fraction of the window."""
    if end is None:
        end = start + default_ms
    span = max(end - start, 1)
    placed: list[tuple[int, str]] = []
    fraction = 0.0
    for item in items:
        if isinstance(item, tuple):
            fraction = max(fraction, item[0])
            message = item[1]
        else:
            fraction = min(fraction + 0.002, 0.99)
            message = item
        placed.append((start + int(fraction * span), message))
    return placed


def _split_level(text: str) -> tuple[str, str]:
    """``"ERROR|text"`` -> ``("ERROR", "text")``: profiles mark levels with a prefix."""
    for level in ("ERROR", "WARNING"):
        if text.startswith(level + "|"):
            return level, text[len(level) + 1 :]
    return "", text


class SessionLog:
    """The whole log stream of one session, as of ``now_ms``; lines addressed by number."""

    def __init__(self, plan: AttemptPlan, seed: int = 0, now_ms: int | None = None) -> None:
        self.plan = plan
        self.key = f"{seed}:{plan.session_id}"
        self.ingest_lag_ms = 40 + int(_unit(self.key, "lag") * 360)
        self.renderer = renderer_for(plan.step_name)
        self.ctx = self._context()
        self.segments: list[Any] = self._build()
        self._offsets: list[int] = []
        total = 0
        for segment in self.segments:
            self._offsets.append(total)
            total += segment.count
        self.total = total  # every line the plan holds, ingested or not
        self.count = total if now_ms is None else self.index_at(self.visible_before(now_ms))

    # -- addressing ------------------------------------------------------------------------

    def visible_before(self, now_ms: int) -> int:
        """Lines with a timestamp before this have been ingested by ``now_ms``."""
        return (now_ms - self.ingest_lag_ms) // INGEST_BATCH_MS * INGEST_BATCH_MS

    def ingestion_time(self, timestamp: int) -> int:
        return (timestamp // INGEST_BATCH_MS + 1) * INGEST_BATCH_MS + self.ingest_lag_ms

    def _locate(self, i: int) -> tuple[Any, int]:
        s = bisect.bisect_right(self._offsets, i) - 1
        return self.segments[s], i - self._offsets[s]

    def timestamp(self, i: int) -> int:
        segment, local = self._locate(i)
        return segment.timestamp(local)

    def message(self, i: int) -> str:
        segment, local = self._locate(i)
        return segment.message(local)

    def event(self, i: int) -> dict[str, Any]:
        """Line ``i`` as a CloudWatch ``OutputLogEvent``."""
        segment, local = self._locate(i)
        timestamp = segment.timestamp(local)
        return {
            "timestamp": timestamp,
            "message": segment.message(local),
            "ingestionTime": self.ingestion_time(timestamp),
        }

    def index_at(self, ms: int) -> int:
        """The first line (of all, ingested or not) with a timestamp >= ``ms``."""
        return _first_at_or_after(self.timestamp, 0, self.total, ms)

    def messages(self) -> list[str]:
        """Every visible line's message (for tests of short streams; never for long ones)."""
        return [self.message(i) for i in range(self.count)]

    # -- building ----------------------------------------------------------------------------

    def _context(self) -> RenderContext:
        plan = self.plan
        shot_match = re.search(r"sq\d+_sh\d+", plan.job_name)
        shot = (
            shot_match[0] if shot_match else f"sq{int(_unit(self.key, 'sq') * 90) + 10:03d}_sh0010"
        )
        sequence = shot.split("_")[0]
        show_path = f"/mnt/projects/lighthouse/{sequence}/{shot.split('_')[1]}"
        version = 1 + int(_unit(plan.job_id, "version") * 30)
        scene = f"{show_path}/lighting/{shot}_lighting_v{version:03d}.ass"
        for value in plan.parameters.values():
            if "path" in value:
                scene = value["path"]
                break
        if self.renderer.name == "nuke":
            scene = f"{show_path}/comp/{shot}_comp_v{version:03d}.nk"
        elif self.renderer.name == "houdini":
            scene = f"{show_path}/fx/{shot}_fx_v{version:03d}.hip"
        output = (
            f"/mnt/renders/lighthouse/{shot}/{plan.step_name[:40]}/v{version:03d}/{shot}.%04d.exr"
        )
        wide = _unit(plan.job_id, "res") < 0.5 or "4k" in plan.job_name.lower()
        return RenderContext(
            plan=plan,
            key=self.key,
            show_path=show_path,
            shot=shot,
            scene=scene,
            output=output,
            frames=tuple(task_frames(plan.parameters)),
            width=3840 if wide else 1920,
            height=2160 if wide else 1080,
        )

    def _build(self) -> list[Any]:
        plan, renderer, ctx = self.plan, self.renderer, self.ctx
        cut = plan.interrupted_at
        pid = 4000 + int(_unit(self.key, "pid") * 60000)
        session_root = f"/sessions/{plan.session_id}{_hex(self.key, 'root', size=4)}"
        environment = f"JOB:{plan.job_id}:RenderEnvironment"
        preamble = [] if not plan.opens else _spread(plan.assigned, plan.starting, [
            RULE,
            f"--------- AWS Deadline Cloud Worker Agent {AGENT_VERSION}",
            RULE,
            f"Session {plan.session_id} started on {plan.worker_id} ({plan.host_name})",
            f"Farm: {plan.farm_id}  Queue: {plan.queue_id}  Fleet: {plan.fleet_id}",
            f"Job: {plan.job_id} ({plan.job_name})",
            f"Step: {plan.step_id} ({plan.step_name})  Task: {plan.task_id}  "
            f"Attempt: {plan.attempt + 1}",
            "openjd-sessions 0.10.3, openjd-model 0.8.1, Python 3.11.9 (linux x86_64)",
            f"Session root: {session_root}",
            "Running actions as user jobuser (group lighthouse)",
        ], 4000)  # fmt: skip
        if plan.failed_action:
            return [_ListSegment(preamble + self._failed_action(session_root, environment, pid))]
        if plan.starting is not None and plan.opens:
            files = 200 + int(_unit(self.key, "files") * 4000)
            gigabytes = files * (2 + _unit(self.key, "gb") * 40) / 1000
            seconds = max((plan.scheduled or plan.starting + 20_000) - plan.starting, 1000) / 1000
            preamble += _spread(plan.starting, plan.scheduled, [
                RULE,
                "--------- Job Attachments Download for Job",
                RULE,
                "Syncing inputs using Job Attachments",
                f"Downloading {files:,} files ({gigabytes:.1f} GiB) from "
                "s3://lighthouse-deadline-ja/DeadlineCloud/Data",
                (0.2, "Download progress: 25%"),
                (0.4, "Download progress: 50%"),
                (0.6, "Download progress: 75%"),
                (0.8, "Download progress: 100%"),
                f"Summary Statistics for file downloads: Processed {files} files totaling "
                f"{gigabytes:.2f} GB. Skipped re-processing 0 files totaling 0.0 bytes. Total "
                f"processing time of {seconds:.2f} seconds at {gigabytes * 1000 / seconds:.1f} "
                "MB/s.",
                RULE,
                f"--------- Entering Environment: {environment}",
                RULE,
                "Phase: Setup",
                "Writing embedded files for Environment to disk.",
                f"Mapping: Env.File.Enter -> {session_root}/embedded_files/enter.sh",
                "Phase: Running",
                f"Running command {session_root}/embedded_files/enter.sh",
                f"Command started as pid: {pid}",
                "Output:",
                *(f"export {line}" for line in renderer.environment(ctx)),
                "Process exited with exit code: 0",
            ], 20_000)  # fmt: skip
        if plan.scheduled is not None:
            parameters = [
                f"{name}({kind.upper().replace('CHUNKINT', 'CHUNK[INT]')}) = {value}"
                for name, typed in sorted(plan.parameters.items())
                for kind, value in typed.items()
            ]
            preamble += _spread(plan.scheduled, plan.running, [
                RULE,
                "--------- Running Task",
                RULE,
                "Parameter values:",
                *parameters,
                "Phase: Setup",
                "Writing embedded files for Task to disk.",
                f"Mapping: Task.File.Run -> {session_root}/embedded_files/run_task.sh",
                "Phase: Running",
                f"Running command {session_root}/embedded_files/run_task.sh",
                f"Command started as pid: {pid + 7}",
                "Output:",
            ], 2000)  # fmt: skip
        if cut is not None and (plan.running is None or cut < plan.running):
            kept = [line for line in preamble if line[0] < cut]
            return [_ListSegment(kept), _ListSegment(self._interrupted(cut, run_started=False))]
        segments: list[Any] = [_ListSegment(preamble)]
        if plan.running is None:
            return segments
        running = plan.running
        end = plan.planned_end
        if end is not None:
            startup_ms = int(min(6000 + _unit(self.key, "startup") * 8000, (end - running) * 0.2))
        else:
            startup_ms = 6000
        work_start = running + startup_ms
        startup = _spread(running, work_start, renderer.startup(ctx), startup_ms)
        segments.append(self._renderer_lines(startup, running))
        fraction = plan.fail_progress / 100.0
        if end is None:  # a frozen worker: output stops and never resumes
            stop = running + STALL_MS
            work_end = work_start + int((stop - work_start) / max(fraction, 0.01))
        elif plan.planned_outcome in ("FAILED", "RECLAIMED", "INTERRUPTED"):
            stop = end
            work_end = work_start + int((end - work_start) / max(fraction, 0.01))
        else:
            stop = end - 400
            work_end = stop
        if cut is not None:
            stop = min(stop, cut)
        warning_rate = 0.004 + _unit(self.key, "warnings") * 0.01
        body = _FrameSegment(renderer, ctx, running, work_start, max(work_end, work_start + 1),
                             max(stop, work_start), warning_rate)  # fmt: skip
        segments.append(body)
        if cut is not None and (end is None or cut < end):
            segments.append(_ListSegment(self._interrupted(cut, run_started=True)))
        elif end is not None and plan.planned_outcome in ("RECLAIMED", "INTERRUPTED"):
            segments.append(_ListSegment(spot_lines(plan, end)))
        elif end is not None:
            segments.append(_ListSegment(self._ending(end)))
        return segments

    def _failed_action(self, root: str, environment: str, pid: int) -> list[tuple[int, str]]:
        return failed_action_lines(self.plan, root, environment, pid, self._exit)

    def _renderer_lines(self, lines: list[tuple[int, str]], running: int) -> _ListSegment:
        renderer, ctx = self.renderer, self.ctx
        formatted = []
        for timestamp, text in lines:
            level, body = _split_level(text)
            formatted.append((timestamp, renderer.line(ctx, timestamp - running, body, level)))
        return _ListSegment(formatted)

    def _exit(self, start: int, outcome: str) -> list[tuple[int, str]]:
        plan = self.plan
        environment = f"JOB:{plan.job_id}:RenderEnvironment"
        root = f"/sessions/{plan.session_id}{_hex(self.key, 'root', size=4)}"
        pid = 4000 + int(_unit(self.key, "pid") * 60000) + 13
        return _spread(start, start + plan.exit_seconds_ms, [
            RULE,
            f"--------- Exiting Environment: {environment}",
            RULE,
            "Phase: Running",
            f"Running command {root}/embedded_files/exit.sh",
            f"Command started as pid: {pid}",
            "Output:",
            "Process exited with exit code: 0",
            (0.95, f"Session {plan.session_id} ended: task {outcome}"),
        ], plan.exit_seconds_ms)  # fmt: skip

    def _ending(self, end: int) -> list[tuple[int, str]]:
        plan, renderer, ctx = self.plan, self.renderer, self.ctx
        running = plan.running or end
        lines: list[tuple[int, str]] = []
        if plan.planned_outcome == "FAILED":
            kind = failure_kind(plan.message)
            code = plan.exit_code if plan.exit_code is not None else FAILURE_EXIT_CODES[kind]
            texts = renderer.failure(ctx, kind)
            lines = [(end, text) for text in texts]
            rendered = self._renderer_lines(lines, running).lines
            if code in (137, 139):
                signal = {137: "9 (SIGKILL)", 139: "11 (SIGSEGV)"}[code]
                rendered.append((end, f"Process was terminated by signal {signal}"))
            rendered.append((end, f"Process exited with exit code: {code}"))
            rendered.append((end, f"Action sessionaction-{plan.session_id[8:]}-"
                                  f"{plan.action_number} FAILED: {plan.message}"))  # fmt: skip
            return rendered + self._exit(end + 5, "FAILED")
        texts = renderer.summary(ctx)
        lines = [(end - 300 + n * 10, text) for n, text in enumerate(texts)]
        rendered = self._renderer_lines(lines, running).lines
        rendered.append((end, "Process exited with exit code: 0"))
        if not plan.closes:  # the session goes on with its next task
            return rendered
        return rendered + self._exit(end + 5, "SUCCEEDED")

    def _interrupted(self, cut: int, *, run_started: bool) -> list[tuple[int, str]]:
        plan = self.plan
        done = plan.interrupt_done if plan.interrupt_done is not None else cut + INTERRUPT_MS
        lines = [(cut, f"Interrupt requested: task set to {plan.interrupt_target}; "
                       "canceling the running action")]  # fmt: skip
        if run_started:
            lines.append((cut + 2, "Canceling subprocess using notify-then-terminate: "
                                   "sending SIGTERM, grace period 6 seconds"))  # fmt: skip
            texts = self.renderer.interrupted(self.ctx)
            timed = [(cut + 150 + n, text) for n, text in enumerate(texts)]
            lines += self._renderer_lines(timed, plan.running or cut).lines
            lines.append((done, "Process exited with exit code: -15"))
        if plan.interrupt_done is None:
            return lines  # still interrupting: the agent has not finished the cancel
        return lines + self._exit(done + 5, "CANCELED")


def render_log(
    timeline: dict[str, Any], *, seed: int = 0, now: datetime | float | None = None
) -> SessionLog:
    """The log of the attempt ``timeline`` describes, as visible at ``now`` (default: all)."""
    if now is None:
        now_ms = None
    elif isinstance(now, datetime):
        now_ms = _ms(now.astimezone(UTC))
    else:
        now_ms = _ms(now)
    return SessionLog(AttemptPlan.from_timeline(timeline, seed), seed, now_ms)
