"""Log lines of what ``real_sessions.py`` plans besides a task run: a failed input sync or
environment prints its own error; a spot reclaim or a worker's drain ends the run mid-frame.
(``render_logs.SessionLog`` places them; this module imports nothing of it.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

RULE = "=" * 46  # as render_logs prints it

ExitLines = Callable[[int, str], list[tuple[int, str]]]


def _place(start: int, end: int, items: list[str]) -> list[tuple[int, str]]:
    """``items`` spread evenly across [start, end], the last one at ``end``."""
    if not items:
        return []
    step = max(end - start, 1) / max(len(items) - 1, 1)
    return [(start + int(n * step), text) for n, text in enumerate(items)]


def _env_output(message: str) -> list[str]:
    """What the environment's enter script printed before it failed."""
    if "conda" in message:
        package = message.rsplit(": ", 1)[-1].split(" ")[0]
        return [
            f"conda create --yes --prefix /opt/conda/envs/render {package}",
            "Collecting package metadata (repodata.json): done",
            "Solving environment: failed",
            "PackagesNotFoundError: The following packages are not available from current "
            "channels:",
            f"  - {package}",
        ]
    return [
        "Checking out renderer license from lic-01.lighthouse.internal:5053",
        "RLM error -17: Failed to connect to the license server (connection timed out)",
    ]


def failed_action_lines(
    plan: Any, root: str, environment: str, pid: int, exit_lines: ExitLines
) -> list[tuple[int, str]]:
    """The input sync or environment that failed instead of the task run, then the session's
    end (an environment that was entered is exited, as the worker agent does)."""
    start = plan.starting if plan.starting is not None else plan.assigned
    failed = plan.planned_end if plan.planned_end is not None else start + 10_000
    hex_part = plan.session_id[len("session-") :]
    sync_number, enter_number = plan.action_number - 2, plan.action_number - 1
    sync_end = failed if plan.failed_action == "syncInputJobAttachments" else (
        start + (failed - start) * 2 // 5
    )  # fmt: skip
    lines = _place(start, sync_end - 1, [
        RULE,
        "--------- Job Attachments Download for Job",
        RULE,
        "Syncing inputs using Job Attachments",
        "Downloading manifest inputs from s3://lighthouse-deadline-ja/DeadlineCloud/Data",
    ])  # fmt: skip
    if plan.failed_action == "syncInputJobAttachments":
        return [
            *lines,
            (failed, f"ERROR: {plan.message}"),
            (failed, f"Action sessionaction-{hex_part}-{sync_number} FAILED: {plan.message}"),
            (failed + 2, f"Session {plan.session_id} ended: task FAILED"),
        ]
    lines.append((sync_end, "Download progress: 100%"))
    lines += _place(sync_end + 1, failed - 1, [
        RULE,
        f"--------- Entering Environment: {environment}",
        RULE,
        "Phase: Setup",
        "Writing embedded files for Environment to disk.",
        f"Mapping: Env.File.Enter -> {root}/embedded_files/enter.sh",
        "Phase: Running",
        f"Running command {root}/embedded_files/enter.sh",
        f"Command started as pid: {pid}",
        "Output:",
        *_env_output(plan.message),
    ])  # fmt: skip
    code = plan.exit_code if plan.exit_code is not None else 1
    lines += [
        (failed, f"Process exited with exit code: {code}"),
        (failed, f"Action sessionaction-{hex_part}-{enter_number} FAILED: {plan.message}"),
    ]
    return lines + exit_lines(failed + 1000, "FAILED")


def spot_lines(plan: Any, end: int) -> list[tuple[int, str]]:
    """How a run on a spot instance ends: reclaimed (the service marks it RECLAIMING on the
    two-minute notice, RECLAIMED when the instance is gone: the log just stops) or
    interrupted (the worker drains: SIGTERM, then the action INTERRUPTED)."""
    hex_part = plan.session_id[len("session-") :]
    action = f"sessionaction-{hex_part}-{plan.action_number}"
    if plan.planned_outcome == "RECLAIMED":
        return [
            (end, "EC2 Spot interruption: the instance was reclaimed; the worker stops here"),
        ]
    # Placed at the end of the output (lines stay in time order).
    return [
        (end, "EC2 Spot interruption notice received: draining the worker"),
        (end + 1, "Canceling subprocess using notify-then-terminate: sending SIGTERM"),
        (end + 2, "Process exited with exit code: -15"),
        (end + 3, f"Action {action} INTERRUPTED: {plan.message}"),
        (end + 4, f"Session {plan.session_id} ended: worker stopping"),
    ]
