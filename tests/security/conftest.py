"""Fixtures for the security tests: the hostile corner of the demo world, a recorder of every
API call the dashboard makes, and switches between the authentication modes."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import LazySettings
from django.contrib.auth import get_user_model
from django.test import Client

from deadline_emulator import Emulator
from tasks_app.deadline import client as deadline_client
from tasks_app.deadline.ids import ID_PATTERNS

# API members that carry an ID, and the pattern each must match (lists: every item).
_ID_MEMBERS = {
    "farmId": "farm_id",
    "queueId": "queue_id",
    "queueIds": "queue_id",
    "jobId": "job_id",
    "stepId": "step_id",
    "taskId": "task_id",
    "sessionId": "session_id",
    "sessionActionId": "session_action_id",
    "workerId": "worker_id",
    "fleetId": "fleet_id",
    "fleetIds": "fleet_id",
}
# IDs the dashboard only echoes from the API's own answers (never from a URL), with the
# model's patterns: a budget, a limit, a queue environment, a statistics aggregation.
_ECHOED_ID_MEMBERS = {
    "budgetId": re.compile(r"budget-[0-9a-f]{32}"),
    "limitId": re.compile(r"limit-[0-9a-f]{32}"),
    "queueEnvironmentId": re.compile(r"queueenv-[0-9a-f]{32}"),
    "aggregationId": re.compile(r"[0-9a-f]{32}"),
}
# Search* string filters naming an ID field.
_FILTER_FIELDS = {"JOB_ID": "job_id", "STEP_ID": "step_id", "TASK_ID": "task_id"}
_LOG_GROUP = re.compile(
    rf"/aws/deadline/(?:{ID_PATTERNS['farm_id'].pattern})/"
    rf"(?:{ID_PATTERNS['queue_id'].pattern}|{ID_PATTERNS['fleet_id'].pattern})"
)
_LOG_STREAM = re.compile(rf"{ID_PATTERNS['session_id'].pattern}|{ID_PATTERNS['worker_id'].pattern}")


def _id_problems(operation: str, value: Any, where: str = "") -> list[str]:
    """Every ID in a request that breaks the API's pattern (or that we do not know)."""
    problems: list[str] = []
    if isinstance(value, Mapping):
        string_filter = value.get("stringFilter")
        if isinstance(string_filter, Mapping) and string_filter.get("name") in _FILTER_FIELDS:
            kind = _FILTER_FIELDS[string_filter["name"]]
            if not ID_PATTERNS[kind].fullmatch(str(string_filter.get("value"))):
                problems.append(f"{operation}: {string_filter!r} breaks the {kind} pattern")
        for key, member in value.items():
            if key in _ID_MEMBERS:
                items = member if isinstance(member, list) else [member]
                for item in items:
                    if not (
                        isinstance(item, str) and ID_PATTERNS[_ID_MEMBERS[key]].fullmatch(item)
                    ):
                        problems.append(f"{operation}: {where}{key}={item!r} breaks the pattern")
            elif key in _ECHOED_ID_MEMBERS:
                if not (isinstance(member, str) and _ECHOED_ID_MEMBERS[key].fullmatch(member)):
                    problems.append(f"{operation}: {where}{key}={member!r} breaks the pattern")
            elif key.endswith(("Id", "Ids")) and not isinstance(member, Mapping):
                problems.append(f"{operation}: unknown ID member {where}{key}: add it above")
            else:
                problems += _id_problems(operation, member, f"{where}{key}.")
    elif isinstance(value, list):
        for position, member in enumerate(value):
            problems += _id_problems(operation, member, f"{where}{position}.")
    return problems


@dataclass
class ApiCalls:
    """Every request the dashboard's clients send (after the farm allow-list let it through)."""

    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def _deadline(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append((model.name, dict(params)))
        self.problems += _id_problems(model.name, params)

    def _logs(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls.append((f"logs:{model.name}", dict(params)))
        group = params.get("logGroupName") or params.get("logGroupIdentifier")
        if group is not None and not _LOG_GROUP.fullmatch(str(group)):
            self.problems.append(f"logs:{model.name}: log group {group!r} breaks the pattern")
        stream = params.get("logStreamName")
        if stream is not None and not _LOG_STREAM.fullmatch(str(stream)):
            self.problems.append(f"logs:{model.name}: log stream {stream!r} breaks the pattern")

    def clear(self) -> None:
        self.calls.clear()
        self.problems.clear()

    def farms(self) -> set[str]:
        """Every farm ID any recorded request named (log groups included)."""
        found: set[str] = set()
        for _, params in self.calls:
            text = repr(params)
            found.update(re.findall(ID_PATTERNS["farm_id"].pattern, text))
        return found


@pytest.fixture
def api_calls(emulator: Emulator) -> ApiCalls:
    """Records every API call of the dashboard's (fresh) clients, checking each ID."""
    recorder = ApiCalls()
    for client, handler in (
        (deadline_client.get_client(), recorder._deadline),
        (deadline_client.get_write_client(), recorder._deadline),
        (deadline_client.get_logs_client(), recorder._logs),
    ):
        service = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(f"provide-client-params.{service}", handler)
    return recorder


@dataclass(frozen=True)
class Hostile:
    """The demo world's hostile job: IDs of every level down to its first task."""

    farm_id: str
    queue_id: str
    job_id: str
    step_id: str
    task_id: str

    def kwargs(self, upto: str = "task") -> dict[str, str]:
        levels = ("farm", "queue", "job", "step", "task")
        wanted = levels[: levels.index(upto) + 1]
        return {f"{level}_id": getattr(self, f"{level}_id") for level in wanted}


@pytest.fixture
def hostile(emulator: Emulator) -> Hostile:
    step = emulator.backend.landmarks()["hostile_step"]
    task = emulator.backend.list_tasks(
        farm_id=step["farmId"],
        queue_id=step["queueId"],
        job_id=step["jobId"],
        step_id=step["stepId"],
        max_results=1,
    )["tasks"][0]
    return Hostile(
        farm_id=step["farmId"],
        queue_id=step["queueId"],
        job_id=step["jobId"],
        step_id=step["stepId"],
        task_id=task["taskId"],
    )


# --- Authentication modes ------------------------------------------------------------------------

PASSWORD = "correct horse battery staple"


@pytest.fixture
def login_mode(settings: LazySettings, db: None) -> None:
    settings.DASHBOARD_AUTH = "login"
    settings.AXES_ENABLED = True
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        "django.contrib.auth.backends.ModelBackend",
    ]
    # Hashing with production's work factor would make each sign-in take a third of a second.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def remote_user_mode(settings: LazySettings, db: None) -> None:
    settings.DASHBOARD_AUTH = "remote-user"
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        "tasks_app.auth.DashboardRemoteUserBackend",
    ]


@pytest.fixture
def operator(login_mode: None) -> Any:
    """A Django account of the ``login`` mode."""
    return get_user_model().objects.create_user(username="ada", password=PASSWORD)


@pytest.fixture
def signed_in(client: Client, operator: Any) -> Iterator[Client]:
    """A test client signed in through the real sign-in form."""
    response = client.post("/login/", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302, response.content[:500]
    yield client
