"""Fixtures of the action tests (a plugin: tests/conftest.py loads it): a job with failed tasks
on the emulator, reached in-process (the demo backend) or over HTTP (the aws backend pointed at
a served emulator), and signed-in operators and viewers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import import_module
from typing import Any

import pytest
from django.apps import apps
from django.conf import LazySettings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client

from deadline_emulator import Emulator
from deadline_emulator.server import serve_in_thread
from tasks_app.deadline import client as deadline_client
from tasks_app.services.actions import runs
from tests.dashboard_processes import aws_environment

TRANSPORTS = ("in-process", "http")


@dataclass
class ActionWorld:
    """A finished job with failed tasks (the emulator's scenario builder), as the dashboard
    sees it through one transport."""

    emulator: Emulator
    transport: str
    made: dict[str, Any]

    @property
    def ids(self) -> dict[str, str]:
        return {
            "farm_id": self.made["farmId"],
            "queue_id": self.made["queueId"],
            "job_id": self.made["jobId"],
        }

    @property
    def job_id(self) -> str:
        return self.made["jobId"]

    @property
    def step_ids(self) -> list[str]:
        return [step["stepId"] for step in self.made["steps"]]

    @property
    def failed(self) -> list[tuple[str, str]]:
        """(step ID, task ID) of every failed task."""
        return [(t["stepId"], t["taskId"]) for t in self.made["failedTasks"]]

    def job_url(self) -> str:
        return "/farms/{farm_id}/queues/{queue_id}/jobs/{job_id}/".format(**self.ids)

    def step_url(self, step_id: str) -> str:
        return f"{self.job_url()}steps/{step_id}/"

    def task_url(self, step_id: str, task_id: str) -> str:
        return f"{self.step_url(step_id)}tasks/{task_id}/"

    def status(self, step_id: str, task_id: str) -> str:
        """A task's run status, asked of the emulator itself (not through the dashboard)."""
        task = self.emulator.backend.get_task(**self.ids, step_id=step_id, task_id=task_id)
        return str(task["runStatus"])

    def statuses(self) -> dict[str, str]:
        """Task ID -> run status, every task of the job."""
        found = {}
        for step_id in self.step_ids:
            for task in self.emulator.backend.list_tasks(**self.ids, step_id=step_id)["tasks"]:
                found[task["taskId"]] = task["runStatus"]
        return found

    def job(self) -> dict[str, Any]:
        return dict(self.emulator.backend.get_job(**self.ids))

    def updates(self) -> dict[str, int]:
        """Task ID -> how many Update* calls changed it (the emulator's own count)."""
        return dict(self.emulator.task_update_counts(self.job_id))


@contextmanager
def serve_over_http(
    emulator: Emulator, settings: LazySettings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """Serve ``emulator`` on loopback and point the dashboard's aws backend at it."""
    server, url = serve_in_thread(emulator)
    for name, value in aws_environment(url).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    settings.DEADLINE_BACKEND = "aws"
    deadline_client.clear_client_cache()
    try:
        yield url
    finally:
        server.shutdown()
        deadline_client.clear_client_cache()


@pytest.fixture(params=TRANSPORTS)
def acting(
    request: pytest.FixtureRequest,
    emulator: Emulator,
    settings: LazySettings,
    monkeypatch: pytest.MonkeyPatch,
    transactional_db: None,
) -> Iterator[ActionWorld]:
    """Actions on, a job with 12 failed tasks over 3 steps, through either transport."""
    settings.DASHBOARD_ACTIONS = True
    made = emulator.add_failed_job(failed_tasks=12, steps=3)
    if request.param == "http":
        with serve_over_http(emulator, settings, monkeypatch):
            yield ActionWorld(emulator=emulator, transport="http", made=made)
            # Before the database is emptied: a run still writing its items would deadlock
            # with the emptying on PostgreSQL.
            assert runs.drain(60), "an action was still running after 60 s"
    else:
        yield ActionWorld(emulator=emulator, transport="in-process", made=made)
        assert runs.drain(60), "an action was still running after 60 s"


@pytest.fixture
def login_settings(settings: LazySettings) -> None:
    settings.DASHBOARD_AUTH = "login"
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def operators_group() -> Group:
    """The "Operators" group as its data migration makes it (a transactional test empties the
    tables the migration filled, so it is made again, by the migration's own code)."""
    migration = import_module("tasks_app.migrations.0002_operators_group")
    with connection.schema_editor() as editor:
        migration.create_operators(apps, editor)
    return Group.objects.get(name="Operators")


@pytest.fixture
def operator_client(login_settings: None, transactional_db: None) -> Client:
    """Signed in as "ada", a member of the Operators group (the migration's)."""
    group = operators_group()
    user = get_user_model().objects.create_user(username="ada", password="x" * 12)
    user.groups.add(group)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def viewer_client(login_settings: None, transactional_db: None) -> Client:
    """Signed in as "bob", who may read but not act."""
    user = get_user_model().objects.create_user(username="bob", password="x" * 12)
    client = Client()
    client.force_login(user)
    return client
