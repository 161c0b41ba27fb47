"""A budget pushed past its threshold on the emulator is announced once per (budget,
threshold) to a rule of its farm, with its name escaped for Slack, the action at the threshold
and a link to the farm's budgets; a rule created afterwards takes it as its baseline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import LazySettings

from deadline_emulator import Emulator
from deadline_emulator.transport import in_process_client
from tasks_app.deadline.cache import forget
from tasks_app.selectors import attention
from tasks_app.selectors.attention import AttentionItem, AttentionReport
from tasks_app.services import notifications
from tasks_app.services.notifications.events import report_events
from tests.tasks_app.services.notifications.receivers import HttpReceiver, http_receiver

pytestmark = pytest.mark.django_db(transaction=True)
NAME = "Overtime <!channel> *lighting* & `comp`"
LIMIT = 1_000_000.0  # far from any projection at the demo farm's burn rate


@pytest.fixture
def receiver(settings: LazySettings) -> Iterator[HttpReceiver]:
    settings.DASHBOARD_NOTIFY_ALLOWED_HOSTS = ["127.0.0.0/8"]
    settings.DASHBOARD_NOTIFY_RETRY_SECONDS = 0.0
    settings.DASHBOARD_NOTIFY_BASE_URL = "http://testserver"
    with http_receiver() as found:
        yield found


@pytest.fixture
def budget(emulator: Emulator, settings: LazySettings) -> dict[str, str]:
    farm = emulator.add_farm(queues=1, jobs_per_queue=1, workers=2)
    settings.DASHBOARD_FARMS = [farm["farmId"]]
    queue_id = farm["queues"][0]["queueId"]
    now = datetime.fromtimestamp(emulator.backend.clock.now()).astimezone()
    created = in_process_client(emulator).create_budget(
        farmId=farm["farmId"],
        displayName=NAME,
        usageTrackingResource={"queueId": queue_id},
        approximateDollarLimit=LIMIT,
        actions=[{"type": "STOP_SCHEDULING_AND_COMPLETE_TASKS", "thresholdPercentage": 80.0}],
        schedule={
            "fixed": {"startTime": now - timedelta(days=3), "endTime": now + timedelta(days=27)}
        },
    )
    emulator.backend.set_budget_usage(created["budgetId"], 10.0)
    return {"farm": farm["farmId"], "queue": queue_id, "id": created["budgetId"]}


def look_again(budget: dict[str, str]) -> None:
    """The next evaluation reads a fresh report and the budget again (as after their TTLs)."""
    forget(attention.REPORT_KIND, *attention.REPORT_IDS)
    forget("sched-budgets", budget["farm"])
    forget("usage-budget", budget["farm"], budget["id"])
    forget("sched-budget", budget["farm"], budget["id"])


def run_until_quiet() -> None:
    notifications.evaluate()
    for _ in range(5):
        if not notifications.deliver_due():
            return


def test_a_budget_past_its_threshold_is_announced_once(
    emulator: Emulator, receiver: HttpReceiver, budget: dict[str, str]
) -> None:
    common = {"username": "ada", "event": "budget_threshold", "farm_id": budget["farm"]}
    notifications.create_team_rule(
        channel="webhook", target=f"{receiver.url}/hook", secret="s", **common
    )
    notifications.create_team_rule(channel="slack", target=f"{receiver.url}/slack", **common)
    run_until_quiet()  # the baseline: the budget is at 0.001 %
    assert receiver.requests == []

    emulator.backend.set_budget_usage(budget["id"], LIMIT * 0.85)
    for _ in range(2):  # a second look at the same crossing says nothing more
        look_again(budget)
        run_until_quiet()

    (hook,) = receiver.on("/hook")
    body = json.loads(hook.body)
    assert body["event"] == "budget_threshold"
    assert body["title"] == NAME  # JSON carries it as it is
    assert "80% reached" in body["summary"]
    assert "Stop scheduling; running tasks complete" in body["summary"]
    assert body["url"] == f"http://testserver/farms/{budget['farm']}/budgets/"
    (slack,) = receiver.on("/slack")
    text = slack.body.decode()
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
    assert f"/farms/{budget['farm']}/budgets/" in text

    # A rule made now finds the crossing already there: its baseline, not news.
    notifications.create_team_rule(
        channel="webhook", target=f"{receiver.url}/late", secret="s", **common
    )
    look_again(budget)
    run_until_quiet()
    assert receiver.on("/late") == [] and len(receiver.on("/hook")) == 1


def test_a_budget_item_without_its_cached_budget_is_still_one_event() -> None:
    """A report read before the budget's answer left the cache: the item's own threshold."""
    farm = "farm-" + "6" * 32
    item = AttentionItem(
        kind="budget",
        reason=f"{NAME}: 80% projected in 5 h (stop scheduling); $790,000 of $1,000,000 used",
        impact=1.0,
        url=f"/farms/{farm}/budgets/",
        farm_id=farm,
        title=NAME,
    )
    now = datetime(2026, 12, 7, 3, 0, tzinfo=UTC)
    (event,) = report_events(AttentionReport(items=(item,), checked_at=now), {}, now=now)
    assert event.event == "budget_threshold"
    assert event.subject_key == f"budget_threshold:{farm}:{NAME}:80:projected:2026-12"
    assert event.url == f"/farms/{farm}/budgets/" and event.title == NAME
