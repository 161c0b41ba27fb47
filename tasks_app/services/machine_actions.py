"""Acting on machines: remove a worker that is STOPPED or NOT_RESPONDING (DeleteWorker), set a
fleet's minimum and maximum worker counts (UpdateFleet).

The same steps as acting on work (``services.actions``), for one API call each:

1. ``preview`` reads the machine fresh (GetWorker or GetFleet, never the cache), says whether
   the action applies, and signs a confirm token bound to the person, the choice and the state
   previewed (the worker's status, the fleet's counts).
2. ``confirm`` checks the token, reads the machine again and refuses when it changed since the
   preview (a new preview is shown instead), then sends the write, stores one audit row
   (``MachineAction``, whatever the outcome) and logs one ``tasks_app.audit`` line. A second
   POST of one confirmation finds the row instead of writing twice.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import IntegrityError

from ..deadline import client
from ..deadline.cache import forget
from ..deadline.calls import call, write
from ..deadline.errors import DeadlineError
from ..models import MachineAction

logger = logging.getLogger(__name__)
audit_logger = logging.getLogger("tasks_app.audit")

_SALT = "tasks_app.machine_actions.confirm"
REMOVABLE = frozenset({"STOPPED", "NOT_RESPONDING"})
#: UpdateFleet's bounds (the API model's range for minWorkerCount and maxWorkerCount).
MAX_WORKERS = 2_147_483_647


class MachineActionError(Exception):
    """The action cannot be confirmed as asked; ``str(exc)`` says why, for the page."""


@dataclass(frozen=True)
class MachineChoice:
    kind: str  # MachineAction.Kind value
    farm_id: str
    fleet_id: str
    worker_id: str = ""
    min_count: int | None = None
    max_count: int | None = None

    def key(self) -> list[Any]:
        return [
            self.kind,
            self.farm_id,
            self.fleet_id,
            self.worker_id,
            self.min_count,
            self.max_count,
        ]


@dataclass(frozen=True)
class MachinePreview:
    choice: MachineChoice
    state: dict[str, Any]  # what the machine is now (status, host name; name and counts)
    problem: str = ""  # why it cannot be done ("" when it can)
    confirm: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def method(self) -> str:
        return (
            "DeleteWorker"
            if self.choice.kind == MachineAction.Kind.REMOVE_WORKER
            else "UpdateFleet"
        )


def confirm_seconds() -> int:
    return int(settings.DASHBOARD_ACTION_CONFIRM_SECONDS)


def _read_state(choice: MachineChoice) -> dict[str, Any]:
    """The machine as the API says now: what the preview shows and the token is bound to."""
    if choice.kind == MachineAction.Kind.REMOVE_WORKER:
        worker = call(
            "GetWorker", farmId=choice.farm_id, fleetId=choice.fleet_id, workerId=choice.worker_id
        )
        host = (worker.get("hostProperties") or {}).get("hostName")
        return {"status": str(worker.get("status", "")), "host_name": host}
    fleet = call("GetFleet", farmId=choice.farm_id, fleetId=choice.fleet_id)
    return {
        "name": str(fleet.get("displayName", "")),
        "status": str(fleet.get("status", "")),
        "min": fleet.get("minWorkerCount"),
        "max": fleet.get("maxWorkerCount"),
        "workers": fleet.get("workerCount"),
    }


def _problem(choice: MachineChoice, state: dict[str, Any]) -> str:
    if choice.kind == MachineAction.Kind.REMOVE_WORKER:
        if state["status"] not in REMOVABLE:
            return (
                f"The worker is {state['status'].replace('_', ' ').lower()}: only a stopped or "
                "not responding worker can be removed."
            )
        return ""
    low, high = choice.min_count, choice.max_count
    if low is None or high is None:
        return "Give both the minimum and the maximum number of workers."
    if not 0 <= low <= high <= MAX_WORKERS:
        return "The minimum must be at least 0 and at most the maximum."
    if (low, high) == (state["min"], state["max"]):
        return f"The fleet already has minimum {low} and maximum {high}: nothing to change."
    return ""


def preview(*, choice: MachineChoice, username: str) -> MachinePreview:
    """The machine now, whether the action applies, and a confirm token when it does."""
    state = _read_state(choice)
    problem = _problem(choice, state)
    if problem:
        return MachinePreview(choice=choice, state=state, problem=problem)
    token = signing.dumps(
        {"u": username, "c": choice.key(), "s": state, "n": uuid.uuid4().hex}, salt=_SALT
    )
    return MachinePreview(choice=choice, state=state, confirm=token)


def confirm(
    *,
    choice: MachineChoice,
    token: str,
    username: str,
    reason: str = "",
    request_id: str = "",
    client_request_id: str = "",
) -> MachineAction:
    """Check the token against a fresh read, send the write, store and log the audit row."""
    try:
        payload = signing.loads(token, salt=_SALT, max_age=confirm_seconds())
    except signing.SignatureExpired as exc:
        raise MachineActionError("The preview has expired: look at it again.") from exc
    except signing.BadSignature as exc:
        raise MachineActionError("The confirmation is not valid: preview again.") from exc
    if payload.get("u") != username or payload.get("c") != choice.key():
        raise MachineActionError("The confirmation is for another action: preview again.")
    nonce = str(payload["n"])
    done = MachineAction.objects.filter(confirm_nonce=nonce).first()
    if done is not None:
        return done
    state = _read_state(choice)
    if state != payload.get("s"):
        raise MachineActionError("The machine changed since the preview: here it is now.")
    problem = _problem(choice, state)
    if problem:
        raise MachineActionError(problem)
    row = MachineAction(
        username=username,
        kind=choice.kind,
        farm_id=choice.farm_id,
        fleet_id=choice.fleet_id,
        worker_id=choice.worker_id,
        before=state,
        requested={"min": choice.min_count, "max": choice.max_count}
        if choice.kind == MachineAction.Kind.FLEET_SIZE
        else {},
        reason=reason,
        backend=client.backend_identity().as_key()[:300],
        request_id=request_id[:200],
        client_request_id=client_request_id[:200],
        confirm_nonce=nonce,
    )
    row.method, row.state, row.error = _send(choice, nonce)
    try:
        row.save()
    except IntegrityError:  # the same confirmation, POSTed twice at once: the other row stands
        return MachineAction.objects.get(confirm_nonce=nonce)
    _forget(choice)
    _log(row)
    return row


def _send(choice: MachineChoice, nonce: str) -> tuple[str, str, str]:
    """(method, state, error) of the one write."""
    try:
        if choice.kind == MachineAction.Kind.REMOVE_WORKER:
            write(
                "DeleteWorker",
                farmId=choice.farm_id,
                fleetId=choice.fleet_id,
                workerId=choice.worker_id,
            )
            return "DeleteWorker", MachineAction.State.DONE, ""
        write(
            "UpdateFleet",
            farmId=choice.farm_id,
            fleetId=choice.fleet_id,
            clientToken=nonce,
            minWorkerCount=choice.min_count,
            maxWorkerCount=choice.max_count,
        )
        return "UpdateFleet", MachineAction.State.DONE, ""
    except DeadlineError as exc:
        method = (
            "DeleteWorker" if choice.kind == MachineAction.Kind.REMOVE_WORKER else "UpdateFleet"
        )
        return method, MachineAction.State.FAILED, exc.message


def _forget(choice: MachineChoice) -> None:
    """The farm side's cached reads of this machine are out of date."""
    forget("fleet-info", choice.farm_id, choice.fleet_id)
    forget("fleet-infos", choice.farm_id)
    forget("fleet-workers", choice.farm_id, choice.fleet_id)
    if choice.worker_id:
        forget("worker-info", choice.farm_id, choice.fleet_id, choice.worker_id)


def _log(row: MachineAction) -> None:
    fields = {
        "machine": row.pk,
        "user": json.dumps(row.username),
        "action": row.kind,
        "farm": row.farm_id,
        "fleet": row.fleet_id,
        "worker": row.worker_id or "-",
        "before": json.dumps(row.before, sort_keys=True),
        "requested": json.dumps(row.requested, sort_keys=True) if row.requested else "-",
        "method": row.method,
        "state": row.state,
        "error": json.dumps(row.error) if row.error else "-",
        "reason": json.dumps(row.reason),
        "request": row.request_id or "-",
    }
    level = logging.INFO if row.state == MachineAction.State.DONE else logging.WARNING
    audit_logger.log(level, "machine %s", " ".join(f"{k}={v}" for k, v in fields.items()))
