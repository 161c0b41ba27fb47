"""Preview and confirmation: a confirm token bound to the person, the choice and the very set
of tasks previewed (a digest of their IDs and statuses), not merely to how many there are."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing

from ...deadline import resilience
from ...deadline.types import TaskRunStatus
from .catalog import ActionChoice, Scope
from .planning import Plan, PlannedTask, plan, recheck

_CONFIRM_SALT = "tasks_app.actions.confirm"
#: Previews of at most this many tasks are kept (the cache) until their token expires, so a
#: confirmation can be checked without listing the scope again.
PREVIEW_KEPT_MAX = 20_000


@dataclass(frozen=True)
class Preview:
    plan: Plan
    confirm: str  # the signed token for the hidden "confirm" input ("" when nothing to do)


def confirm_seconds() -> int:
    """How long a preview's confirm token stays valid."""
    return int(settings.DASHBOARD_ACTION_CONFIRM_SECONDS)


def _counts(plan: Plan) -> dict[str, Any]:
    return {"priority": plan.job.priority} if plan.is_priority else plan.counts


def preview(*, plan: Plan, username: str) -> Preview:
    """The plan and a confirm token bound to ``username``, the selection and the task set.
    No token when there is nothing to change, or when the listing could not be reconciled with
    the counts (nothing is confirmed on a partial list)."""
    if not plan.has_work or not plan.settled:
        return Preview(plan=plan, confirm="")
    nonce = uuid.uuid4().hex
    token = signing.dumps(
        {"u": username, "s": plan.selection, "c": _counts(plan), "d": plan.digest, "n": nonce},
        salt=_CONFIRM_SALT,
        compress=True,
    )
    if not plan.is_priority and plan.total <= PREVIEW_KEPT_MAX:
        previewed = [[t.step_id, t.task_id, t.status.value, t.worker_seconds] for t in plan.tasks]
        resilience.set_many({_preview_key(nonce): previewed}, confirm_seconds())
    return Preview(plan=plan, confirm=token)


def _preview_key(nonce: str) -> str:
    return f"actions:preview:{nonce}"


def confirmed_plan(*, scope: Scope, choice: ActionChoice, token: str, username: str) -> Plan:
    """The plan to check ``token`` against. When the preview's tasks are still kept (the
    cache) and provably unchanged (``planning.recheck``), they are the plan, without listing
    the scope again; otherwise the scope is read in full (``plan``)."""
    try:
        payload = signing.loads(token, salt=_CONFIRM_SALT, max_age=confirm_seconds())
    except signing.BadSignature:
        payload = None
    if isinstance(payload, dict) and payload.get("u") == username:
        key = _preview_key(str(payload.get("n", "")))
        kept = resilience.get_many([key]).get(key)
        previewed = _previewed(kept)
        if previewed:
            rechecked = recheck(scope=scope, choice=choice, previewed=previewed)
            if rechecked is not None and rechecked.selection == payload.get("s"):
                return rechecked
    return plan(scope=scope, choice=choice)


def _previewed(kept: Any) -> list[PlannedTask]:
    if not isinstance(kept, list):
        return []
    try:
        return [
            PlannedTask(str(step), str(task), TaskRunStatus(status), float(seconds))
            for step, task, status, seconds in kept
        ]
    except (TypeError, ValueError):
        return []


@dataclass(frozen=True)
class Confirmation:
    """The outcome of checking a confirm token against a fresh plan."""

    ok: bool
    nonce: str = ""
    problem: str = ""  # why the operator sees the preview again
    before: Mapping[str, Any] = field(default_factory=dict)


def check_confirmation(*, token: str, plan: Plan, username: str) -> Confirmation:
    """Accept ``token`` only for this person, this selection and the very tasks previewed (in
    the statuses previewed), within ``DASHBOARD_ACTION_CONFIRM_SECONDS``."""
    try:
        payload = signing.loads(
            token, salt=_CONFIRM_SALT, max_age=settings.DASHBOARD_ACTION_CONFIRM_SECONDS
        )
    except signing.SignatureExpired:
        return Confirmation(False, problem="The preview expired: check it again, then confirm.")
    except signing.BadSignature:
        return Confirmation(False, problem="The confirmation was not valid: check the preview.")
    if not isinstance(payload, dict) or payload.get("u") != username:
        return Confirmation(False, problem="That confirmation was made for someone else.")
    if payload.get("s") != plan.selection:
        return Confirmation(
            False, problem="The choice changed after the preview: check the new preview."
        )
    before = payload.get("c") if isinstance(payload.get("c"), dict) else {}
    if before != _counts(plan):
        return Confirmation(
            False,
            problem="The work changed since your preview: check the new figures, then confirm.",
            before=before,
        )
    if not plan.is_priority and payload.get("d") != plan.digest:
        return Confirmation(
            False,
            problem=(
                "The work changed since your preview: as many tasks, but not the same ones. "
                "Check the new preview, then confirm."
            ),
            before=before,
        )
    if not plan.has_work:
        return Confirmation(False, problem="There is nothing left to change.")
    if not plan.settled:
        return Confirmation(False, problem=plan.notice)
    return Confirmation(True, nonce=str(payload.get("n", "")))
