"""Exactly once across processes: several processes sharing one database (SQLite here,
PostgreSQL under ``pytest --postgres``) evaluate and deliver at the same moment, two as the
``manage.py notify run`` runner and two as Celery workers executing the periodic task; a failed
job still makes one Slack message, one webhook and one e-mail."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.conf import LazySettings

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.server import serve_in_thread
from tests.dashboard_processes import REPO, emulator_environment, environment, manage
from tests.tasks_app.services.notifications.receivers import http_receiver, smtp_server

RULES = """
from tasks_app.services import notifications
common = dict(username="ops", event="job_failed", farm_id="{farmId}", queue_id="{queueId}")
notifications.create_team_rule(channel="slack", target="{receiver}/slack", **common)
notifications.create_team_rule(channel="webhook", target="{receiver}/hook", secret="k", **common)
notifications.create_team_rule(channel="email", target="oncall@example.com", **common)
assert notifications.evaluate().rules == 3
"""
CELERY_TASK = (
    "import django; django.setup(); from tasks_app.tasks import notify; notify.apply().get()"
)


def at_once(commands: list[list[str]], env: dict[str, str]) -> None:
    """Start every command, then wait for all: they overlap."""
    started = [
        subprocess.Popen(
            command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        for command in commands
    ]
    for process in started:
        output, _ = process.communicate(timeout=180)
        assert process.returncode == 0, output.decode()[-3000:]


@pytest.mark.database
def test_four_processes_evaluating_and_delivering_at_once_send_each_message_once(
    settings: LazySettings, shared_database_url: str
) -> None:
    # The processes' clock is the real one: so is this emulator's (not pinned).
    emulator = Emulator(seed=settings.DEADLINE_DEMO_SEED, clock=Clock())
    queue = dict(emulator.backend.landmarks()["queues"]["Comp & Finishing"])
    server, url = serve_in_thread(emulator)
    try:
        with http_receiver() as receiver, smtp_server() as mailbox:
            env = environment(
                **emulator_environment(url),
                DATABASE_URL=shared_database_url,
                DASHBOARD_NOTIFY_ALLOWED_HOSTS="127.0.0.0/8",
                DASHBOARD_NOTIFY_RETRY_SECONDS="0",
                EMAIL_HOST=mailbox.host,
                EMAIL_PORT=str(mailbox.port),
            )
            manage("migrate", "--noinput", env=env)
            # The three rules and their first look, in one process (the command is tested on
            # its own): what already failed is the baseline.
            manage("shell", "-c", RULES.format(receiver=receiver.url, **queue), env=env)

            made = emulator.add_failed_job(
                queue_id=queue["queueId"], failed_tasks=6, steps=2, name="sq400_processes_v001"
            )
            runner = [sys.executable, "manage.py", "notify", "run", "--once"]
            worker = [sys.executable, "-c", CELERY_TASK]
            at_once([runner, runner, worker, worker], env)
            at_once([runner, worker], env)  # again: nothing new, nothing more

            slack, hooks = receiver.on("/slack"), receiver.on("/hook")
            assert len(slack) == 1 and len(hooks) == 1 and len(mailbox.messages) == 1
            assert json.loads(hooks[0].body)["job_id"] == made["jobId"]
            assert "sq400_processes_v001" in json.loads(slack[0].body)["text"]
            assert "sq400_processes_v001" in mailbox.messages[0]["Subject"]
    finally:
        server.shutdown()
