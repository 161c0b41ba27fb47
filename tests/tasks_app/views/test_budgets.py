"""Budgets: each budget's amount, use and thresholds as GetBudget gives them, and each
threshold's projection from the governed queue's spend over the last 7 days (the usage
page's own figure): reached, projected at now + what is left / the daily burn, or not within
the budget's period."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator
from deadline_emulator.transport import in_process_client

pytestmark = pytest.mark.usefixtures("held_clock")


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.fixture
def budget(emulator: Emulator, client: Client) -> dict[str, Any]:
    """A budget on the busiest demo queue: a warning at 50 %, a stop at 100 %, with a limit
    a little above what it has used, so the stop is projected within days."""
    lm = emulator.backend.landmarks()
    queue = lm["big_job"]
    week = client.get(
        reverse("farm_usage", kwargs={"farm_id": queue["farmId"]}),
        {"queue": queue["queueId"], "days": 7, "format": "json"},
    ).json()
    per_day = week["total"]["cost_usd"] / 7
    now = datetime.fromtimestamp(emulator.backend.clock.now()).astimezone()
    deadline = in_process_client(emulator)
    created = deadline.create_budget(
        farmId=queue["farmId"],
        displayName="Lighting overtime",
        usageTrackingResource={"queueId": queue["queueId"]},
        approximateDollarLimit=1000.0,
        actions=[
            {"type": "STOP_SCHEDULING_AND_COMPLETE_TASKS", "thresholdPercentage": 100.0},
            {"type": "STOP_SCHEDULING_AND_CANCEL_TASKS", "thresholdPercentage": 50.0},
        ],
        schedule={
            "fixed": {"startTime": now - timedelta(days=10), "endTime": now + timedelta(days=30)}
        },
    )
    emulator.backend.set_budget_usage(created["budgetId"], 600.0)
    return {"id": created["budgetId"], "farm": queue["farmId"], "per_day": per_day, "now": now}


def test_projection_follows_the_queue_burn_rate(client: Client, budget: dict[str, Any]) -> None:
    url = reverse("farm_budgets", kwargs={"farm_id": budget["farm"]})
    data = client.get(url, HTTP_ACCEPT="application/json").json()

    found = next(b for b in data["budgets"] if b["budget_id"] == budget["id"])
    assert found["limit_usd"] == 1000.0 and found["used_usd"] == 600.0
    assert found["remaining_usd"] == 400.0
    assert found["burn_usd_per_day"] == pytest.approx(budget["per_day"], rel=0.01)
    half, full = found["thresholds"]
    assert (half["percentage"], half["reached"], half["projected_at"]) == (50.0, True, None)
    assert full["action"] == "STOP_SCHEDULING_AND_COMPLETE_TASKS" and not full["reached"]
    expected = budget["now"] + timedelta(days=400.0 / budget["per_day"])
    assert abs(_when(full["projected_at"]) - expected) < timedelta(minutes=10)
    assert found["projected_at"] == full["projected_at"]


def test_page_shows_each_budget_with_its_bar_and_thresholds(
    client: Client, budget: dict[str, Any]
) -> None:
    html = client.get(reverse("farm_budgets", kwargs={"farm_id": budget["farm"]})).content.decode()

    section = html.split(f'data-budget="{budget["id"]}"', 1)[1].split("</section>", 1)[0]
    assert "Lighting overtime" in section
    assert 'aria-label="60% of the budget used"' in section
    assert section.count('class="meter-mark"') == 2
    assert "<strong>Reached</strong>" in section
    assert "Stop scheduling and cancel running tasks" in section
    assert "projected " in section


@pytest.mark.django_db
def test_attention_lists_a_budget_past_a_threshold_or_due_within_a_day(
    client: Client, emulator: Emulator, budget: dict[str, Any]
) -> None:
    deadline = in_process_client(emulator)
    lm = emulator.backend.landmarks()
    # A second budget, not reached but projected to be within the day; a third far from it.
    soon, later = (
        deadline.create_budget(
            farmId=budget["farm"],
            displayName=name,
            usageTrackingResource={"queueId": lm["big_job"]["queueId"]},
            approximateDollarLimit=limit,
            actions=[{"type": "STOP_SCHEDULING_AND_COMPLETE_TASKS", "thresholdPercentage": 100.0}],
            schedule={
                "fixed": {
                    "startTime": budget["now"] - timedelta(days=1),
                    "endTime": budget["now"] + timedelta(days=90),
                }
            },
        )["budgetId"]
        for name, limit in (("Due today", 1000.0), ("Far off", 100000.0))
    )
    emulator.backend.set_budget_usage(soon, 1000.0 - budget["per_day"] / 2)  # half a day left
    emulator.backend.set_budget_usage(later, 10.0)

    items = client.get("/attention/", HTTP_ACCEPT="application/json").json()["items"]

    budgets = {i["reason"].split(":")[0]: i for i in items if i["kind"] == "budget"}
    assert set(budgets) == {"Lighting overtime", "Due today"}
    assert budgets["Lighting overtime"]["reason"].startswith("Lighting overtime: 50% reached")
    assert budgets["Due today"]["reason"].startswith("Due today: 100% projected in")
    assert budgets["Due today"]["url"] == reverse(
        "farm_budgets", kwargs={"farm_id": budget["farm"]}
    )
