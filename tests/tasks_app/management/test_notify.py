"""``manage.py notify add|list|remove|test``: team rules from the command line, audited, and a
test message through a real local receiver."""

from __future__ import annotations

import hashlib
import hmac
import io
import json

import pytest
from django.conf import LazySettings
from django.core.management import CommandError, call_command

from tasks_app.models import NotificationDelivery, NotificationRule, NotificationRuleChange
from tests.tasks_app.services.notifications.receivers import http_receiver

FARM = "farm-" + "a" * 32
QUEUE = "queue-" + "b" * 32
pytestmark = pytest.mark.django_db


def notify(*args: str) -> str:
    out = io.StringIO()
    call_command("notify", *args, stdout=out)
    return out.getvalue()


def test_add_list_test_and_remove(settings: LazySettings) -> None:
    settings.DASHBOARD_NOTIFY_ALLOWED_HOSTS = ["127.0.0.1/32"]
    settings.DASHBOARD_NOTIFY_BASE_URL = "https://dashboard.example.com"
    with http_receiver([200]) as receiver:
        added = notify(
            "add",
            "--event",
            "job_failed",
            "--farm",
            FARM,
            "--queue",
            QUEUE,
            "--webhook",
            f"{receiver.url}/hook",
            "--secret",
            "cli-secret",
            "--as",
            "ops",
        )
        rule = NotificationRule.objects.get()
        assert added == f"rule {rule.pk}: job_failed -> webhook\n"
        listed = notify("list")
        assert listed.startswith(f"{rule.pk}\tjob_failed\twebhook\t{receiver.url}/hook\t")
        assert f"queue_id={QUEUE}" in listed and "cli-secret" not in listed

        tested = notify("test", str(rule.pk), "--as", "ops")
        assert tested == f"rule {rule.pk}: sent after 1 attempt(s)\n"
        (request,) = receiver.requests
    expected = hmac.new(b"cli-secret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Dashboard-Signature"] == f"sha256={expected}"
    assert json.loads(request.body)["url"] == "https://dashboard.example.com/notifications/"

    assert notify("remove", str(rule.pk), "--as", "ops") == f"removed rule {rule.pk}\n"
    assert notify("list") == ""
    changes = list(NotificationRuleChange.objects.order_by("id").values_list("change", "username"))
    assert changes == [("created", "ops"), ("tested", "ops"), ("removed", "ops")]
    assert NotificationDelivery.objects.get().status == "sent"


def test_refusals_are_command_errors(settings: LazySettings) -> None:
    settings.DASHBOARD_NOTIFY_ALLOWED_HOSTS = ["hooks.slack.com"]
    with pytest.raises(CommandError, match="not in DASHBOARD_NOTIFY_ALLOWED_HOSTS"):
        notify("add", "--event", "job_failed", "--farm", FARM, "--slack", "http://intranet/x")
    with pytest.raises(CommandError, match="needs a secret"):
        notify(
            "add", "--event", "job_failed", "--farm", FARM, "--webhook", "https://hooks.slack.com/x"
        )
    with pytest.raises(CommandError, match="not an e-mail address"):
        notify("add", "--event", "job_failed", "--farm", FARM, "--email", "nobody")
    with pytest.raises(CommandError, match="No active rule 99"):
        notify("remove", "99")
    assert not NotificationRule.objects.exists()


def test_a_test_to_a_failing_receiver_says_so(settings: LazySettings) -> None:
    settings.DASHBOARD_NOTIFY_ALLOWED_HOSTS = []
    settings.DASHBOARD_NOTIFY_MAX_ATTEMPTS = 1
    with http_receiver([404]) as receiver:
        notify("add", "--event", "job_finished", "--farm", FARM, "--slack", receiver.url)
        rule = NotificationRule.objects.get()
        with pytest.raises(CommandError, match=r"failed after 1 attempt\(s\) \(HTTP 404\)"):
            notify("test", str(rule.pk))
