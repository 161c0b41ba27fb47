"""Acting on farm work: plan, preview, confirm, execute, resume, audit.

1. ``plan`` (``planning``) reads, fresh and to the end, the tasks an action would change in
   its scope (a task, a step's or a job's tasks of the chosen run statuses, or every task of a
   failure group) and checks the listing against the job's or step's counts.
2. ``preview`` (``confirmation``) adds a confirm token bound to the person, the choice and the
   task set (a digest of the task IDs and their statuses); ``check_confirmation`` plans again
   and accepts it only if that set is unchanged.
3. ``start`` (``runs``) stores the plan, one running action per job (the database enforces
   it), and executes it in a background thread (``executor``, ``dispatch``): each chunk of
   tasks re-read (BatchGetTask) just before it is written, tasks no longer in their previewed
   status skipped with the reason, the rest written with BatchUpdateTask (UpdateTask per task
   where the backend refuses it), client tokens stored before each call.
4. ``resume_abandoned`` (``resumer``) finishes a run whose process stopped, or expires it when
   it made no progress for a confirm window.
5. ``audit``: the run's outcome as the API confirmed it, one audit line, fresh caches.
"""

from __future__ import annotations

from .audit import log_audit
from .catalog import ACTIONS, SCOPES, ActionChoice, ActionError, ActionKind, Scope
from .confirmation import (
    Confirmation,
    Preview,
    check_confirmation,
    confirm_seconds,
    confirmed_plan,
    preview,
)
from .executor import execute
from .groups import FailureGroupMembers, failure_group
from .planning import Plan, PlannedTask, plan
from .resumer import resume_abandoned, start_resumer
from .runs import ActionBusy, spawn, start, wait_for

__all__ = [
    "ACTIONS",
    "SCOPES",
    "ActionBusy",
    "ActionChoice",
    "ActionError",
    "ActionKind",
    "Confirmation",
    "FailureGroupMembers",
    "Plan",
    "PlannedTask",
    "Preview",
    "Scope",
    "check_confirmation",
    "confirm_seconds",
    "confirmed_plan",
    "execute",
    "failure_group",
    "log_audit",
    "plan",
    "preview",
    "resume_abandoned",
    "spawn",
    "start",
    "start_resumer",
    "wait_for",
]
