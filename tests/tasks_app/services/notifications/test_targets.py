"""Where a rule may send: http(s) only, and with DASHBOARD_NOTIFY_ALLOWED_HOSTS a listed name or
an address inside a listed range, checked again on the address resolved when sending."""

from __future__ import annotations

import socket
from datetime import timedelta
from typing import Any

import pytest
from django.conf import LazySettings
from django.utils import timezone

from tasks_app.models import NotificationDelivery
from tasks_app.services import notifications
from tasks_app.services.notifications import targets
from tests.tasks_app.services.notifications.receivers import http_receiver


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    answers: dict[str, str] = {}

    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        address = answers.get(host, host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    return answers


def test_any_http_target_when_nothing_is_listed(settings: LazySettings) -> None:
    settings.DASHBOARD_NOTIFY_ALLOWED_HOSTS = []
    assert targets.check("https://hooks.example.com/x", resolve=False) == "hooks.example.com"
    with pytest.raises(targets.TargetRefused, match="Only http"):
        targets.check("ftp://hooks.example.com/x", resolve=False)


def test_names_must_match_exactly(settings: LazySettings, resolver: dict[str, str]) -> None:
    settings.DASHBOARD_NOTIFY_ALLOWED_HOSTS = ["hooks.slack.com"]
    resolver["hooks.slack.com"] = "192.0.2.7"
    assert targets.check("https://HOOKS.slack.com./services/x") == "192.0.2.7"
    for url in ("https://hooks.slack.com.evil.example/x", "https://evil.example/hooks.slack.com"):
        with pytest.raises(targets.TargetRefused, match="not in DASHBOARD_NOTIFY_ALLOWED_HOSTS"):
            targets.check(url)


def test_a_name_resolving_outside_the_ranges_is_refused(
    settings: LazySettings, resolver: dict[str, str]
) -> None:
    settings.DASHBOARD_NOTIFY_ALLOWED_HOSTS = ["203.0.113.0/24", "2001:db8::/32"]
    resolver["hooks.example.com"] = "203.0.113.9"
    assert targets.check("https://hooks.example.com/x") == "203.0.113.9"
    resolver["hooks.example.com"] = "127.0.0.1"  # DNS changed: now a loopback service
    with pytest.raises(targets.TargetRefused, match=r"127\.0\.0\.1, outside"):
        targets.check("https://hooks.example.com/x")
    assert targets.check("http://[2001:db8::5]:8080/x") == "2001:db8::5"


@pytest.mark.django_db
def test_a_receiver_that_never_answers_is_retried_then_failed(settings: LazySettings) -> None:
    """The connection is accepted (the kernel's backlog) but nothing ever answers."""
    settings.DASHBOARD_NOTIFY_ALLOWED_HOSTS = []
    settings.DASHBOARD_NOTIFY_TIMEOUT_SECONDS = 0.2
    settings.DASHBOARD_NOTIFY_RETRY_SECONDS = 0.0
    settings.DASHBOARD_NOTIFY_MAX_ATTEMPTS = 2
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        rule = notifications.create_team_rule(
            username="ops",
            event="job_failed",
            farm_id="farm-" + "1" * 32,
            channel="webhook",
            target=f"http://127.0.0.1:{port}/hook",
            secret="k",
        )
        delivery = notifications.send_test(rule.pk, username="ops")
        assert (delivery.status, delivery.attempts) == ("pending", 1)
        assert "timed out" in delivery.last_error
        assert notifications.deliver_due() == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("failed", 2)


@pytest.mark.django_db
def test_a_message_whose_sender_died_mid_send_is_sent_once_its_claim_lapses(
    settings: LazySettings,
) -> None:
    settings.DASHBOARD_NOTIFY_ALLOWED_HOSTS = []
    with http_receiver() as receiver:
        rule = notifications.create_team_rule(
            username="ops",
            event="job_failed",
            farm_id="farm-" + "1" * 32,
            channel="webhook",
            target=f"{receiver.url}/hook",
            secret="k",
        )
        now = timezone.now()
        row = NotificationDelivery.objects.create(
            rule=rule,
            event="job_failed",
            subject_key="job_failed:job-" + "2" * 32,
            event_key="job_failed:job-" + "2" * 32,
            status="sending",
            attempts=1,
            claimed_until=now + timedelta(seconds=60),
            payload={"title": "shot_010", "url": "/"},
        )
        assert notifications.deliver_due(now=now) == 0  # its sender may still be sending
        assert notifications.deliver_due(now=now + timedelta(seconds=61)) == 1
        assert notifications.deliver_due(now=now + timedelta(seconds=200)) == 0
        assert len(receiver.requests) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)
