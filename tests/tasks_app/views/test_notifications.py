"""The notifications pages: operators add team rules (a viewer cannot add a webhook), targets
outside DASHBOARD_NOTIFY_ALLOWED_HOSTS are refused, anyone signed in follows a job from its page
and unfollows it, the bell counts their unread notifications, the page and its JSON."""

from __future__ import annotations

import re

import pytest
from django.conf import LazySettings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from deadline_emulator import Emulator
from tasks_app.models import (
    NotificationDelivery,
    NotificationRule,
    NotificationRuleChange,
    NotificationSnooze,
)
from tasks_app.services import notifications
from tests.htmx_headers import HTMX as HX

# Tests that write get a world of their own (fresh_world); the others share one.
pytestmark = pytest.mark.read_only_world


@pytest.fixture
def farm(emulator: Emulator, settings: LazySettings) -> dict[str, str]:
    settings.DASHBOARD_ACTIONS = True
    settings.DASHBOARD_NOTIFY_ALLOWED_HOSTS = ["hooks.slack.com", "203.0.113.0/24"]
    return dict(emulator.backend.landmarks()["queues"]["Comp & Finishing"])


def rule_form(queue: dict[str, str], **overrides: str) -> dict[str, str]:
    return {
        "event": "job_failed",
        "farm_id": queue["farmId"],
        "queue_id": queue["queueId"],
        "channel": "webhook",
        "target": "https://hooks.slack.com/services/T0/B0/x",
        "secret": "k" * 16,
        **overrides,
    }


def test_a_viewer_cannot_add_a_webhook_rule(viewer_client: Client, farm: dict[str, str]) -> None:
    response = viewer_client.post("/notifications/rules/", rule_form(farm))
    assert response.status_code == 403
    assert "Operators" in response.content.decode()
    assert not NotificationRule.objects.exists()
    page = viewer_client.get("/notifications/").content.decode()
    assert "Add a team rule" not in page


def test_an_operator_adds_removes_and_the_changes_are_audited(
    operator_client: Client, farm: dict[str, str]
) -> None:
    response = operator_client.post("/notifications/rules/", rule_form(farm))
    assert response.status_code == 303 and response["Location"] == "/notifications/"
    rule = NotificationRule.objects.get()
    assert (rule.channel, rule.created_by, rule.owner) == ("webhook", "ada", None)
    page = operator_client.get("/notifications/").content.decode()
    assert "https://hooks.slack.com/…B0/x" in page and "Add a team rule" in page
    # Neither the secret nor the URL's path (a Slack webhook's path is its secret) is shown.
    assert "k" * 16 not in page and "services/T0" not in page
    response = operator_client.post(f"/notifications/rules/{rule.pk}/remove/")
    assert response.status_code == 303
    rule.refresh_from_db()
    assert not rule.active
    changes = list(NotificationRuleChange.objects.order_by("id").values_list("change", "username"))
    assert changes == [("created", "ada"), ("removed", "ada")]
    assert NotificationRuleChange.objects.first().request_id  # the request's own ID


@pytest.mark.parametrize(
    ("target", "why"),
    [
        ("http://10.0.0.5/hook", "10.0.0.5, outside DASHBOARD_NOTIFY_ALLOWED_HOSTS"),
        ("http://169.254.169.254/latest/meta-data/", "outside DASHBOARD_NOTIFY_ALLOWED_HOSTS"),
        ("file:///etc/passwd", "Only http:// and https://"),
        ("gopher://hooks.slack.com/x", "Only http:// and https://"),
        ("https://user:pw@hooks.slack.com/x", "user name or password"),
    ],
)
def test_targets_outside_the_allowed_hosts_are_refused(
    operator_client: Client, farm: dict[str, str], target: str, why: str
) -> None:
    response = operator_client.post("/notifications/rules/", rule_form(farm, target=target))
    assert response.status_code == 400
    assert why in response.content.decode()
    assert not NotificationRule.objects.exists()


def test_an_address_in_an_allowed_range_is_accepted(
    operator_client: Client, farm: dict[str, str]
) -> None:
    target = "http://203.0.113.10:8080/hook"
    response = operator_client.post("/notifications/rules/", rule_form(farm, target=target))
    assert response.status_code == 303
    assert NotificationRule.objects.get().target == target


def test_follow_and_unfollow_from_a_job_page(viewer_client: Client, farm: dict[str, str]) -> None:
    made = farm | {"jobId": ""}
    job = next(iter(notifications_jobs(farm)))
    made["jobId"] = job
    job_url = f"/farms/{made['farmId']}/queues/{made['queueId']}/jobs/{job}/"
    page = viewer_client.get(job_url).content.decode()
    assert 'action="/notifications/follow/"' in page and ">Notify me</button>" in page

    ids = {"farm_id": made["farmId"], "queue_id": made["queueId"], "job_id": job}
    response = viewer_client.post("/notifications/follow/", {**ids, "follow": "1", "next": job_url})
    assert response.status_code == 303 and response["Location"] == job_url
    rules = NotificationRule.objects.filter(owner__username="bob", active=True)
    assert {(r.event, r.channel) for r in rules} == {
        ("job_failed", "in_app"),
        ("job_finished", "in_app"),
    }  # bob has no e-mail address: in-app only, never anywhere else
    assert ">Stop notifying me</button>" in viewer_client.get(job_url).content.decode()

    # With htmx: only the button comes back, switched.
    fragment = viewer_client.post("/notifications/follow/", {**ids, "next": job_url}, headers=HX)
    html = fragment.content.decode()
    assert fragment.status_code == 200 and html.lstrip().startswith("<form")
    assert ">Notify me</button>" in html
    assert not NotificationRule.objects.filter(owner__username="bob", active=True).exists()


def notifications_jobs(farm: dict[str, str]) -> list[str]:
    from tasks_app.selectors import attention

    return [
        j.job_id
        for j in attention.unfinished_or_recent_jobs(
            farm_id=farm["farmId"], queue_id=farm["queueId"]
        ).jobs
    ]


def test_following_needs_a_signed_in_user(client: Client, farm: dict[str, str], db: None) -> None:
    response = client.post(
        "/notifications/follow/",
        {"farm_id": farm["farmId"], "queue_id": farm["queueId"], "follow": "1"},
    )
    assert response.status_code == 403
    assert not NotificationRule.objects.exists()


def test_a_follower_with_an_address_gets_email_to_it_only(
    viewer_client: Client, farm: dict[str, str]
) -> None:
    get_user_model().objects.filter(username="bob").update(email="bob@example.com")
    viewer_client.post(
        "/notifications/follow/",
        {"farm_id": farm["farmId"], "queue_id": farm["queueId"], "follow": "1"},
    )
    channels = set(NotificationRule.objects.values_list("channel", "target"))
    assert channels == {("in_app", ""), ("email", "")}  # the address is read when sending


@pytest.mark.fresh_world
def test_the_bell_counts_unread_notifications(
    viewer_client: Client, farm: dict[str, str], emulator: Emulator
) -> None:
    viewer_client.post(
        "/notifications/follow/",
        {"farm_id": farm["farmId"], "queue_id": farm["queueId"], "follow": "1"},
    )
    notifications.evaluate()  # the first look
    made = emulator.add_failed_job(
        queue_id=farm["queueId"], failed_tasks=2, steps=1, name="sq300_bell_v001"
    )
    cache.clear()
    notifications.evaluate()
    page = viewer_client.get("/notifications/").content.decode()
    # The queue's follow hears that the job failed, and that it finished.
    bell = re.search(r'<a class="site-bell".*?</a>', page, re.S)
    assert bell is not None and 'id="bell-count">2<' in bell.group(0)
    assert "sq300_bell_v001" in page
    rows = NotificationDelivery.objects.filter(job_id=made["jobId"], rule__channel="in_app")
    assert {(r.event, r.status, r.read_at) for r in rows} == {
        ("job_failed", "sent", None),
        ("job_finished", "sent", None),
    }

    response = viewer_client.post("/notifications/read/")
    assert response.status_code == 303
    page = viewer_client.get("/").content.decode()
    bell = re.search(r'<a class="site-bell".*?</a>', page, re.S)
    assert bell is not None and "bell-count" not in bell.group(0)


def test_the_deliveries_json_is_empty_at_first(
    operator_client: Client, farm: dict[str, str]
) -> None:
    response = operator_client.get("/notifications/deliveries/")
    assert response.status_code == 200 and response.json() == {"deliveries": []}


def test_an_operator_snoozes_a_rule_from_the_page(
    operator_client: Client, farm: dict[str, str]
) -> None:
    operator_client.post("/notifications/rules/", rule_form(farm))
    rule = NotificationRule.objects.get()
    response = operator_client.post(f"/notifications/rules/{rule.pk}/snooze/", {"hours": "4"})
    assert response.status_code == 303
    rule.refresh_from_db()
    assert rule.snoozed_until is not None
    assert "Snoozed until" in operator_client.get("/notifications/").content.decode()
    operator_client.post(f"/notifications/rules/{rule.pk}/snooze/", {"hours": "0"})
    rule.refresh_from_db()
    assert rule.snoozed_until is None
    changes = list(NotificationRuleChange.objects.order_by("id").values_list("change", flat=True))
    assert changes == ["created", "snoozed", "unsnoozed"]


def test_a_hostile_job_name_in_the_inbox_is_escaped_and_isolated(
    viewer_client: Client, farm: dict[str, str]
) -> None:
    viewer_client.post(
        "/notifications/follow/",
        {"farm_id": farm["farmId"], "queue_id": farm["queueId"], "follow": "1"},
    )
    rule = NotificationRule.objects.filter(channel="in_app").first()
    hostile = '<script>alert(1)</script>\u202egpj.exe"><img src=x onerror=alert(2)>'
    NotificationDelivery.objects.create(
        rule=rule,
        event="job_failed",
        subject_key="job_failed:x",
        event_key="job_failed:x",
        status="sent",
        title=hostile,
        payload={"title": hostile, "summary": hostile, "url": "javascript:alert(3)"},
    )
    page = viewer_client.get("/notifications/").content.decode()
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "<bdi>&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page


def test_an_operator_snoozes_a_job_and_a_viewer_cannot(
    operator_client: Client, viewer_client: Client, farm: dict[str, str]
) -> None:
    job = "job-" + "9" * 32
    form = {"farm_id": farm["farmId"], "queue_id": farm["queueId"], "job_id": job, "hours": "2"}
    assert viewer_client.post("/notifications/snooze-job/", form).status_code == 403
    assert not NotificationSnooze.objects.exists()
    response = operator_client.post("/notifications/snooze-job/", form)
    assert response.status_code == 303
    assert NotificationSnooze.objects.get().job_id == job
    page = operator_client.get("/notifications/").content.decode()
    assert f'<code dir="ltr">{job}</code></a> until' in page
