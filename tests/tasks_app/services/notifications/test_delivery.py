"""A failed job on the demo world, announced through real local receivers: one Slack message,
one signed webhook and one e-mail, each naming the job and linking to a page that answers;
retries after 5xx, failure after bounded attempts, one message for 500 failures, no replay of
what a new rule finds already failed."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import LazySettings
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from deadline_emulator import Emulator
from tasks_app.deadline.cache import forget
from tasks_app.models import NotificationDelivery, NotificationRule
from tasks_app.selectors import attention, failures
from tasks_app.services import failure_runs, notifications
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


_QUEUES: dict[int, dict[str, str]] = {}


@pytest.fixture(autouse=True)
def small_farm(emulator: Emulator, settings: LazySettings) -> Iterator[dict[str, str]]:
    """A farm of one queue beside the demo world, the only farm shown: each look builds a
    small attention report (the scenario's jobs, some failed, are the rules' baseline)."""
    farm = emulator.add_farm(queues=1, jobs_per_queue=2, workers=4)
    settings.DASHBOARD_FARMS = [farm["farmId"]]
    queue = {"farmId": farm["farmId"], "queueId": farm["queues"][0]["queueId"]}
    _QUEUES[id(emulator)] = queue
    yield queue
    _QUEUES.pop(id(emulator), None)


def queue_of(emulator: Emulator) -> dict[str, str]:
    return _QUEUES[id(emulator)]


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
    queue = queue_of(emulator)
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


def webhook_rule(queue: dict[str, str], receiver: HttpReceiver) -> NotificationRule:
    return notifications.create_team_rule(
        username="ada",
        event="job_failed",
        farm_id=queue["farmId"],
        queue_id=queue["queueId"],
        channel="webhook",
        target=f"{receiver.url}/hook",
        secret=SECRET,
    )


def fail_a_job_after_the_baseline(emulator: Emulator, **options: Any) -> dict[str, Any]:
    queue = queue_of(emulator)
    notifications.evaluate()  # the rule's first look
    made = emulator.add_failed_job(queue_id=queue["queueId"], **options)
    look_again(queue)
    notifications.evaluate()
    return made


@pytest.mark.parametrize("statuses", [[500, 500, 200], [429, 503, 200]])
def test_a_receiver_failing_twice_gets_the_message_once_after_retries(
    emulator: Emulator, notify_settings: LazySettings, statuses: list[int]
) -> None:
    with http_receiver(statuses) as receiver:
        receiver.retry_after = "0"
        webhook_rule(queue_of(emulator), receiver)
        made = fail_a_job_after_the_baseline(emulator, failed_tasks=3, steps=1)
        for _ in range(5):
            notifications.deliver_due()
        delivered = [json.loads(r.body)["job_id"] for r in receiver.requests]
    assert delivered == [made["jobId"]] * 3  # the same message, tried three times
    row = NotificationDelivery.objects.get(job_id=made["jobId"])
    assert (row.status, row.attempts) == ("sent", 3)
    assert {r.headers["X-Dashboard-Delivery"] for r in receiver.requests} == {str(row.pk)}


def test_a_receiver_answering_500_forever_ends_failed_in_the_log(
    emulator: Emulator, notify_settings: LazySettings, client: Client
) -> None:
    with http_receiver([500]) as receiver:
        rule = webhook_rule(queue_of(emulator), receiver)
        made = fail_a_job_after_the_baseline(emulator, failed_tasks=3, steps=1)
        for _ in range(10):
            notifications.deliver_due()
    assert len(receiver.requests) == 4  # DASHBOARD_NOTIFY_MAX_ATTEMPTS, then no more
    row = NotificationDelivery.objects.get(job_id=made["jobId"])
    assert (row.status, row.attempts, row.last_error) == ("failed", 4, "HTTP 500")
    logged = client.get("/notifications/deliveries/").json()["deliveries"]
    mine = [d for d in logged if d["job_id"] == made["jobId"]]
    assert mine == [
        {
            "rule_id": rule.pk,
            "event": "job_failed",
            "scope": "queue",
            "channel": "webhook",
            "status": "failed",
            "attempts": 4,
            "created_at": row.created_at.isoformat(),
            "sent_at": None,
            "farm_id": made["farmId"],
            "queue_id": made["queueId"],
            "job_id": made["jobId"],
            "task_id": None,
            "worker_id": None,
        }
    ]


def test_a_429_is_retried_after_its_retry_after(
    emulator: Emulator, notify_settings: LazySettings
) -> None:
    with http_receiver([429, 200]) as receiver:
        receiver.retry_after = "120"
        webhook_rule(queue_of(emulator), receiver)
        made = fail_a_job_after_the_baseline(emulator, failed_tasks=3, steps=1)
        notifications.deliver_due()
        row = NotificationDelivery.objects.get(job_id=made["jobId"])
        assert (row.status, row.attempts, row.last_error) == ("pending", 1, "HTTP 429")
        wait = (row.next_attempt_at - timezone.now()).total_seconds()
        assert 100 < wait <= 120
        assert notifications.deliver_due() == 0  # not before its time
        notifications.deliver_due(now=row.next_attempt_at + timedelta(seconds=1))
    row.refresh_from_db()
    assert (row.status, len(receiver.requests)) == ("sent", 2)


def test_500_failed_tasks_of_one_job_make_one_message(
    emulator: Emulator, receiver: HttpReceiver, notify_settings: LazySettings
) -> None:
    webhook_rule(queue_of(emulator), receiver)
    made = fail_a_job_after_the_baseline(emulator, failed_tasks=500, steps=2)
    notifications.deliver_due()
    look_again(queue_of(emulator))
    notifications.evaluate()
    notifications.deliver_due()
    assert len(receiver.requests) == 1
    payload = json.loads(receiver.requests[0].body)
    assert (payload["job_id"], payload["count"]) == (made["jobId"], 500)
    assert NotificationDelivery.objects.filter(job_id=made["jobId"]).count() == 1


def test_a_rule_made_after_a_failure_does_not_announce_it(
    emulator: Emulator, receiver: HttpReceiver, notify_settings: LazySettings
) -> None:
    queue = queue_of(emulator)
    made = emulator.add_failed_job(queue_id=queue["queueId"], failed_tasks=5, steps=1)
    notifications.evaluate()  # the report sees the failed job before any rule exists
    webhook_rule(queue, receiver)
    run_until_quiet()
    look_again(queue)
    run_until_quiet()
    assert receiver.requests == []
    row = NotificationDelivery.objects.get(job_id=made["jobId"])
    assert row.status == "baseline"


def test_a_snoozed_job_is_not_announced(
    emulator: Emulator, receiver: HttpReceiver, notify_settings: LazySettings
) -> None:
    queue = queue_of(emulator)
    webhook_rule(queue, receiver)
    notifications.evaluate()
    made = emulator.add_failed_job(queue_id=queue["queueId"], failed_tasks=3, steps=1)
    notifications.snooze_job(
        farm_id=made["farmId"],
        queue_id=made["queueId"],
        job_id=made["jobId"],
        hours=2,
        username="ada",
    )
    look_again(queue)
    run_until_quiet()
    assert receiver.requests == []
    assert NotificationDelivery.objects.get(job_id=made["jobId"]).status == "snoozed"


def test_dns_pointing_a_rule_elsewhere_is_refused_when_sending(
    emulator: Emulator,
    receiver: HttpReceiver,
    notify_settings: LazySettings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The rule's host resolved into the allowed range when it was saved; by the time the
    message goes out it resolves to an internal address: nothing is sent."""
    port = urlsplit(receiver.url).port
    answers = {"hooks.example.test": "127.0.0.1"}
    real = socket.getaddrinfo

    def resolve(host: str, *args: Any, **kwargs: Any) -> Any:
        if host in answers:
            return real(answers[host], *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    queue = queue_of(emulator)
    notifications.create_team_rule(
        username="ada",
        event="job_failed",
        farm_id=queue["farmId"],
        queue_id=queue["queueId"],
        channel="webhook",
        target=f"http://hooks.example.test:{port}/hook",
        secret=SECRET,
    )
    made = fail_a_job_after_the_baseline(emulator, failed_tasks=3, steps=1)
    answers["hooks.example.test"] = "10.1.2.3"
    notifications.deliver_due()
    assert receiver.requests == []
    row = NotificationDelivery.objects.get(job_id=made["jobId"])
    assert row.status == "failed"
    assert "10.1.2.3, outside DASHBOARD_NOTIFY_ALLOWED_HOSTS" in row.last_error


def fail_more(emulator: Emulator, made: dict[str, Any], count: int) -> None:
    """Mark ``count`` succeeded tasks of the job failed (as an operator's "Mark failed")."""
    ids = {"farm_id": made["farmId"], "queue_id": made["queueId"], "job_id": made["jobId"]}
    step_id = made["steps"][0]["stepId"]
    tasks = emulator.backend.list_tasks(**ids, step_id=step_id)["tasks"]
    succeeded = [t["taskId"] for t in tasks if t["runStatus"] == "SUCCEEDED"][:count]
    assert len(succeeded) == count
    for task_id in succeeded:
        emulator.backend.update_task(
            **ids, step_id=step_id, task_id=task_id, target_run_status="FAILED"
        )


def test_a_job_failing_more_gets_one_digest_per_digest_period(
    emulator: Emulator, receiver: HttpReceiver, notify_settings: LazySettings
) -> None:
    queue = queue_of(emulator)
    webhook_rule(queue, receiver)
    notify_settings.DASHBOARD_NOTIFY_DIGEST_SECONDS = 3600.0
    made = fail_a_job_after_the_baseline(emulator, failed_tasks=3, steps=1)
    notifications.deliver_due()
    fail_more(emulator, made, 2)
    look_again(queue)
    run_until_quiet()  # within the digest period: nothing more
    assert [json.loads(r.body)["count"] for r in receiver.requests] == [3]

    notify_settings.DASHBOARD_NOTIFY_DIGEST_SECONDS = 1.0
    later = timezone.now() + timedelta(seconds=5)
    notifications.evaluate(now=later)
    notifications.evaluate(now=later)  # the same look again: no second digest
    notifications.deliver_due(now=later)
    bodies = [json.loads(r.body) for r in receiver.requests]
    assert [(b["count"], b["digest"]) for b in bodies] == [(3, False), (5, True)]
    assert NotificationDelivery.objects.filter(job_id=made["jobId"]).count() == 2


def test_a_failed_job_names_its_top_causes_when_its_analysis_is_cached(
    emulator: Emulator, receiver: HttpReceiver, mailbox: Mailbox, notify_settings: LazySettings
) -> None:
    """The failures analysis a page ran is reused (never started for a message); a follower
    with an address gets the e-mail at that address."""
    queue = queue_of(emulator)
    webhook_rule(queue, receiver)
    follower = get_user_model().objects.create_user("cleo", "cleo@example.com", "x" * 12)
    notifications.follow(follower, farm_id=queue["farmId"], queue_id=queue["queueId"])
    notifications.evaluate()
    made = emulator.add_failed_job(
        queue_id=queue["queueId"], failed_tasks=8, steps=2, causes=["oom", "license"]
    )
    scope = failures.FailureScope(
        farm_id=made["farmId"], queue_id=made["queueId"], job_id=made["jobId"]
    )
    report = failure_runs.report(scope, wait_seconds=60)
    assert report.complete and len(report.groups) == 2
    look_again(queue)
    run_until_quiet()

    (hook,) = receiver.requests
    causes = json.loads(hook.body)["causes"]
    assert sorted(c["tasks"] for c in causes) == [4, 4]
    assert {c["title"] for c in causes} == {g.title for g in report.groups}
    mails = [m for m in mailbox.messages if made["jobId"] in m.get_content()]
    assert [m["X-Envelope-To"] for m in mails] == ["cleo@example.com"] * 2  # failed, finished
    failed_mail = next(m for m in mails if m["Subject"].startswith("Job failed"))
    assert all(g.title[:40] in failed_mail.get_content() for g in report.groups)
