"""Preview and confirmation: a confirm token bound to the person, the choice and the very set
of tasks previewed (a digest of their IDs and statuses), not merely to how many there are."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing

from .planning import Plan

_CONFIRM_SALT = "tasks_app.actions.confirm"


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
    token = signing.dumps(
        {
            "u": username,
            "s": plan.selection,
            "c": _counts(plan),
            "d": plan.digest,
            "n": uuid.uuid4().hex,
        },
        salt=_CONFIRM_SALT,
        compress=True,
    )
    return Preview(plan=plan, confirm=token)


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
