"""Which tasks of a step changed between two versions of its job, so a step of 100,000 tasks
re-evaluates only the tasks UpdateTask/BatchUpdateTask touched instead of all of them.

Each job keeps a log of ``Change`` records, one per version bump. A step- or job-wide change
(UpdateStep, UpdateJob) has no task index and means "re-evaluate everything"; so does any
change to a step that waits on the step before it (its start time follows that step).
"""

from __future__ import annotations

import bisect
from typing import NamedTuple

from deadline_emulator.seed import StepSpec

# Past this share of a step's tasks, evaluating the whole step is as cheap as patching it.
_PATCH_LIMIT = 0.25


class Change(NamedTuple):
    """The change that made ``version`` of a job: one task, or (None) a whole scope."""

    version: int
    step_index: int | None
    task_index: int | None


def changed_tasks(
    changes: list[Change], since: int, version: int, step: StepSpec
) -> set[int] | None:
    """Indices of ``step``'s tasks changed after version ``since`` up to ``version``, or None
    when only a full evaluation is safe (or cheaper)."""
    if since >= version or (step.index > 0 and step.depends_on_previous):
        return None
    start = bisect.bisect_right(changes, since, key=lambda change: change.version)
    recent = changes[start:]
    if len(recent) != version - since:
        return None  # the log does not cover the gap: never guess
    indices: set[int] = set()
    for change in recent:
        if change.step_index is None or change.task_index is None:
            return None
        if change.step_index == step.index:
            indices.add(change.task_index)
    if len(indices) > step.task_count * _PATCH_LIMIT:
        return None
    return indices
