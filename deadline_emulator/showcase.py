"""The showcase job: what a real farm does that the closed-form jobs never do, in one
landmark job that is finished before the demo epoch and so shows every case at any instant.

- a step whose tasks a worker runs several to a session (environment entered once, several
  task runs, environment exited), in chunks whose frame ranges are contiguous and not;
- a step on the spot fleet whose first attempts are reclaimed (RECLAIMING -> RECLAIMED) or
  interrupted by the worker draining on the spot notice, then retried;
- a step whose environment cannot be entered (a missing conda package, a license server
  down) and one whose job-attachments input sync fails (S3 access denied, a missing input);
- job attachments, a storage profile, job parameters of every type the model has, a source
  job (it is a copy), and a chunked parameter with ``chunks``.

Pure data: ``real_sessions.py`` turns the steps' scripts into attempts and session actions.
"""

from __future__ import annotations

SHOWCASE_QUEUE = "lighting"
ATTACHMENTS_BUCKET = "lighthouse-deadline-ja"
ATTACHMENTS_ROOT = "DeadlineCloud"

#: Chunks of the shared-session step: frames 1-100, each frame in exactly one chunk, in
#: contiguous ranges, single frames, and ranges with gaps and steps (OpenJD range expressions),
#: as a NONCONTIGUOUS chunked parameter allows.
SHOWCASE_CHUNKS = (
    "1-3,5,7-20:2",
    "4,6,8-20:2",
    "21-30",
    "31-40",
    "41-45,47,49",
    "46,48,50",
    "51",
    "52-60",
    "61-70",
    "71-80",
    "81-90",
    "91-100",
)

#: (exit code, message) of the environment and attachment failures, per task.
ENV_FAILURES = (
    (
        1,
        "Environment JOB:RenderEnvironment failed to enter: conda PackagesNotFoundError: "
        "houdini=20.5.332 not found in channel deadline-cloud",
    ),
    (
        17,
        "Environment JOB:RenderEnvironment failed to enter: license server "
        "lic-01.lighthouse.internal:5053 not reachable (RLM error -17)",
    ),
)
SYNC_FAILURES = (
    (
        1,
        "Job attachments input sync failed: AccessDenied: s3:GetObject on "
        f"s3://{ATTACHMENTS_BUCKET}/{ATTACHMENTS_ROOT}/Data/7c1f0e2b9a4d",
    ),
    (
        1,
        "Job attachments input sync failed: input missing: "
        "/mnt/projects/lighthouse/sq070/sh0300/assets/env_lookdev_v004.usd",
    ),
)

#: Job parameters of every JobParameter member the model has.
SHOWCASE_PARAMETERS: dict[str, dict[str, object]] = {
    "Shot": {"string": "sq070_sh0300"},
    "Samples": {"int": "64"},
    "Exposure": {"float": "0.75"},
    "SceneFile": {"path": "/mnt/projects/lighthouse/sq070/sh0300/lighting/sh0300_v012.usd"},
    "Denoise": {"bool": "true"},
    "FrameRange": {"rangeExpr": "1-100"},
    "Layers": {"stringList": ["beauty", "fg_chars", "volumes"]},
    "ExtraInputs": {
        "pathList": [
            "/mnt/projects/lighthouse/sq070/sh0300/assets/env_lookdev_v004.usd",
            "/mnt/projects/lighthouse/lib/hdri/overcast_04.exr",
        ]
    },
    "Resolution": {"intList": ["3840", "2160"]},
    "WhiteBalance": {"floatList": ["1.02", "1.0", "0.97"]},
    "AovToggles": {"boolList": ["true", "false", "true"]},
    "TileGrid": {"intListList": [["1", "2"], ["3", "4"]]},
}


def showcase_attachments(manifest_hash: str) -> dict[str, object]:
    """The job's attachments: the input manifest of one root, outputs under two folders."""
    return {
        "manifests": [
            {
                "rootPath": "/mnt/projects/lighthouse/sq070/sh0300",
                "rootPathFormat": "posix",
                "fileSystemLocationName": "ProjectFiles",
                "outputRelativeDirectories": ["renders/beauty", "renders/aovs"],
                "inputManifestPath": (
                    f"farm-showcase/queue-lighting/Inputs/{manifest_hash[:16]}/"
                    f"{manifest_hash}_input.xxh128"
                ),
                "inputManifestHash": manifest_hash,
            }
        ],
        "fileSystem": "COPIED",
    }


SHOWCASE_NAME = "sq070_sh0300_lighting_v012 (copy: shared sessions, spot, attachments)"
SHOWCASE_DESCRIPTION = "Resubmitted copy of v011 with job attachments; runs on the spot fleet"

#: The steps: (name, task count, what ``StepSpec`` takes besides). Parameters are given as
#: (name, type, values) with values () for a frame number from 1.
SHOWCASE_STEPS: tuple[tuple[str, int, dict[str, object]], ...] = (
    (
        "beauty",
        len(SHOWCASE_CHUNKS),
        {
            "params": (("Frames", "CHUNK_INT", SHOWCASE_CHUNKS),),
            "chunks": {
                "defaultTaskCount": 10,
                "targetRuntimeSeconds": 600,
                "rangeConstraint": "NONCONTIGUOUS",
            },
            "session_tasks": 4,
            "concurrency": 3,
            "run_min": 240,
            "run_max": 420,
        },
    ),
    (
        "spot_fg_chars",
        4,
        {
            "params": (("Frame", "INT", ()), ("Layer", "STRING", ("fg_chars",))),
            "combination": "Frame * Layer",
            "action_script": ("reclaim", "interrupt", "", ""),
            "run_min": 300,
            "run_max": 480,
        },
    ),
    (
        "volumes_conda_env",
        2,
        {"params": (("Frame", "INT", ()),), "action_script": ("envEnter", "envEnter")},
    ),
    (
        "aovs_inputs",
        2,
        {
            "params": (("Frame", "INT", ()),),
            "action_script": ("syncInputJobAttachments", "syncInputJobAttachments"),
        },
    ),
)
