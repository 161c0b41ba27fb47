"""Deadline Cloud ID patterns, from the botocore model.

``tasks_app.converters`` turns them into URL path converters, so a malformed ID is a 404
before any view runs and never reaches the API.
"""

from __future__ import annotations

import re

HEX32 = "[0-9a-f]{32}"
INDEX = "(?:0|[1-9][0-9]{0,9})"

FARM_ID = f"farm-{HEX32}"
QUEUE_ID = f"queue-{HEX32}"
JOB_ID = f"job-{HEX32}"
STEP_ID = f"step-{HEX32}"
TASK_ID = f"task-{HEX32}-{INDEX}"
FLEET_ID = f"fleet-{HEX32}"
WORKER_ID = f"worker-{HEX32}"
SESSION_ID = f"session-{HEX32}"
SESSION_ACTION_ID = f"sessionaction-{HEX32}-{INDEX}"

#: kind -> anchored pattern; the kinds are also the converter names (``<farm_id:farm_id>``).
ID_PATTERNS: dict[str, re.Pattern[str]] = {
    "farm_id": re.compile(FARM_ID),
    "queue_id": re.compile(QUEUE_ID),
    "job_id": re.compile(JOB_ID),
    "step_id": re.compile(STEP_ID),
    "task_id": re.compile(TASK_ID),
    "fleet_id": re.compile(FLEET_ID),
    "worker_id": re.compile(WORKER_ID),
    "session_id": re.compile(SESSION_ID),
    "session_action_id": re.compile(SESSION_ACTION_ID),
}


def is_valid_id(kind: str, value: str) -> bool:
    """True when ``value`` matches the API's pattern for ``kind`` (e.g. ``"task_id"``)."""
    return ID_PATTERNS[kind].fullmatch(value) is not None
