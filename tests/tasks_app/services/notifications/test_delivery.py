"""A failed job on the demo world, announced through real local receivers: one Slack message,
one signed webhook and one e-mail, each naming the job and linking to a page that answers;
retries after 5xx, failure after bounded attempts, one message for 500 failures, no replay of
what a new rule finds already failed."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.conf import LazySettings
from django.test import Client

from deadline_emulator import Emulator
from tasks_app.deadline.cache import forget
from tasks_app.models import NotificationDelivery, NotificationRule
from tasks_app.selectors import attention
from tasks_app.services import notifications
from tests.tasks_app.services.notifications.receivers import (
    HttpReceiver,
    Mailbox,
    http_receiver,
    smtp_server,
)

SECRET = "s3cret-for-the-receiver"
BASE = "http://testserver"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def notify_settings(settings: LazySettings) -> LazySettings:
    settings.DASHBOARD_NOTIFY_ALLOWED_HOSTS = ["127.0.0.0/8"]
    settings.DASHBOARD_NOTIFY_RETRY_SECONDS = 0.0
    settings.DASHBOARD_NOTIFY_MAX_ATTEMPTS = 4
    settings.DASHBOARD_NOTIFY_BASE_URL = BASE
    return settings


@pytest.fixture
def mailbox(notify_settings: LazySettings) -> Iterator[Mailbox]:
    with smtp_server() as box:
        notify_settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        notify_settings.EMAIL_HOST = box.host
        notify_settings.EMAIL_PORT = box.port
        yield box


@pytest.fixture
def receiver(notify_settings: LazySettings) -> Iterator[HttpReceiver]:
    with http_receiver() as found:
        yield found


def comp_queue(emulator: Emulator) -> dict[str, str]:
    return dict(emulator.backend.landmarks()["queues"]["Comp & Finishing"])


def rules_for(
    queue: dict[str, str], receiver: HttpReceiver, *, event: str = "job_failed"
) -> list[NotificationRule]:
    common = {"username": "ada", "event": event, "farm_id": queue["farmId"]}
    common["queue_id"] = queue["queueId"]
    return [
        notifications.create_team_rule(channel="slack", target=f"{receiver.url}/slack", **common),
        notifications.create_team_rule(
            channel="webhook", target=f"{receiver.url}/hook", secret=SECRET, **common
        ),
        notifications.create_team_rule(channel="email", target="oncall@example.com", **common),
    ]


def look_again(queue: dict[str, str]) -> None:
    """The next evaluation reads a fresh attention report and job list of ``queue`` (as after
    DASHBOARD_ATTENTION_SECONDS); the rest of the report's reads stay cached."""
    forget(attention.REPORT_KIND, *attention.REPORT_IDS)
    forget("attention-jobs", queue["farmId"], queue["queueId"])


def run_until_quiet(rounds: int = 10) -> None:
    """Evaluate, then send until nothing is due (retries wait 0 s here)."""
    notifications.evaluate()
    for _ in range(rounds):
        if not notifications.deliver_due():
            return


def test_a_failed_job_makes_one_message_on_each_channel(
    emulator: Emulator, receiver: HttpReceiver, mailbox: Mailbox, client: Client
) -> None:
    queue = comp_queue(emulator)
    rules_for(queue, receiver)
    run_until_quiet()  # the first look: what already failed is the baseline
    assert receiver.requests == [] and mailbox.messages == []

    made = emulator.add_failed_job(
        failed_tasks=12, steps=3, queue_id=queue["queueId"], name="sq200_sh0100_lighting_v007"
    )
    look_again(queue)
    run_until_quiet()
    look_again(queue)
    run_until_quiet()  # nothing new: nothing more

    slack = receiver.on("/slack")
    hooks = receiver.on("/hook")
    assert len(slack) == 1 and len(hooks) == 1 and len(mailbox.messages) == 1
    job_path = f"/farms/{queue['farmId']}/queues/{queue['queueId']}/jobs/{made['jobId']}/"

    message = json.loads(slack[0].body)
    assert "sq200_sh0100_lighting_v007" in message["text"]
    button = message["blocks"][1]["elements"][0]["url"]

    hook = hooks[0]
    expected = hmac.new(SECRET.encode(), hook.body, hashlib.sha256).hexdigest()
    assert hook.headers["X-Dashboard-Signature"] == f"sha256={expected}"
    payload = json.loads(hook.body)
    assert payload["event"] == "job_failed" and payload["job_id"] == made["jobId"]
    assert payload["title"] == "sq200_sh0100_lighting_v007" and payload["count"] == 12

    mail = mailbox.messages[0]
    assert mail["X-Envelope-To"] == "oncall@example.com"
    assert "sq200_sh0100_lighting_v007" in mail["Subject"]
    body = mail.get_content()
    assert "sq200_sh0100_lighting_v007" in body

    for url in (button, payload["url"], next(w for w in body.split() if w.startswith(BASE))):
        assert url.startswith(BASE) and urlsplit(url).path.startswith(job_path)
        page = client.get(urlsplit(url).path)
        assert page.status_code == 200, url

    sent = NotificationDelivery.objects.filter(status="sent")
    assert sent.count() == 3 and {d.attempts for d in sent} == {1}
