"""Exactly once across processes sharing one database (SQLite here, PostgreSQL under
``pytest --postgres``): two serving processes (gunicorn, no broker: each runs the notifier
thread, a round a second) and two Celery workers executing the periodic task at the same
time; a failed job still makes one Slack message, one webhook and one e-mail."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from django.conf import LazySettings

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.server import serve_in_thread
from tests.dashboard_processes import (
    REPO,
    emulator_environment,
    environment,
    gunicorn_processes,
    manage,
)
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


def workers(count: int, env: dict[str, str]) -> None:
    """``count`` processes executing the periodic task at once, as Celery workers do."""
    started = [
        subprocess.Popen(
            [sys.executable, "-c", CELERY_TASK],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        for _ in range(count)
    ]
    for process in started:
        output, _ = process.communicate(timeout=180)
        assert process.returncode == 0, output.decode()[-3000:]


def await_true(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)  # polling what other processes make true, bounded
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.database
def test_two_serving_processes_and_two_workers_send_each_message_once(
    settings: LazySettings, shared_database_url: str
) -> None:
    # The processes' clock is the real one: so is this emulator's (not pinned).
    emulator = Emulator(seed=settings.DEADLINE_DEMO_SEED, clock=Clock())
    # A farm of one queue, the only one the processes show: small reports.
    farm = emulator.add_farm(queues=1, jobs_per_queue=2, workers=4)
    queue = {"farmId": farm["farmId"], "queueId": farm["queues"][0]["queueId"]}
    server, url = serve_in_thread(emulator)
    try:
        with http_receiver() as receiver, smtp_server() as mailbox:
            env = environment(
                **emulator_environment(url),
                DATABASE_URL=shared_database_url,
                DASHBOARD_FARMS=farm["farmId"],
                DASHBOARD_NOTIFY_SECONDS="1",
                DASHBOARD_NOTIFY_ALLOWED_HOSTS="127.0.0.0/8",
                DASHBOARD_NOTIFY_RETRY_SECONDS="0",
                EMAIL_HOST=mailbox.host,
                EMAIL_PORT=str(mailbox.port),
            )
            manage("migrate", "--noinput", env=env)
            # The rules and their first look (what already failed is the baseline).
            manage("shell", "-c", RULES.format(receiver=receiver.url, **queue), env=env)
            made = emulator.add_failed_job(
                queue_id=queue["queueId"], failed_tasks=6, steps=2, name="sq400_processes_v001"
            )

            def delivered() -> int:
                return len(receiver.requests) + len(mailbox.messages)

            with gunicorn_processes(2, env):
                workers(2, env)  # while both serving processes run their rounds
                await_true(lambda: delivered() >= 3, 120, "three messages")
                workers(2, env)  # and more rounds: nothing new, nothing more
                slack, hooks = receiver.on("/slack"), receiver.on("/hook")
                assert len(slack) == 1 and len(hooks) == 1 and len(mailbox.messages) == 1
            assert json.loads(hooks[0].body)["job_id"] == made["jobId"]
            assert "sq400_processes_v001" in json.loads(slack[0].body)["text"]
            assert "sq400_processes_v001" in mailbox.messages[0]["Subject"]
            assert delivered() == 3
    finally:
        server.shutdown()
