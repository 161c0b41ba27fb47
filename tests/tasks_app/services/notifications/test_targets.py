"""Where a rule may send: http(s) only, and with DASHBOARD_NOTIFY_ALLOWED_HOSTS a listed name or
an address inside a listed range, checked again on the address resolved when sending."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from django.conf import LazySettings

from tasks_app.services.notifications import targets


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
    from tasks_app.services import notifications

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
