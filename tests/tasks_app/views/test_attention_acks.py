"""Acknowledging and snoozing an incident of /attention/: stored in the database, shown to
every viewer, out of the header's count, audited, expiring (a snooze at its time, an
acknowledgement when the incident changes), permitted and POST-only like other writes, never
taken twice, and bad input answered with a clear message."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.conf import LazySettings
from django.test import Client
from django.utils import timezone

from deadline_emulator import Emulator
from tasks_app.models import AttentionAck
from tasks_app.selectors import attention
from tasks_app.selectors.attention.acks import with_acks
from tasks_app.selectors.attention.stories import incidents
from tasks_app.services import attention_acks
from tests.attention_builds import no_build_outlives_its_test  # noqa: F401
from tests.htmx_headers import HTMX

pytestmark = [pytest.mark.django_db, pytest.mark.read_only_world]
JSON = {"Accept": "application/json"}


def listed(client: Client) -> list[dict[str, Any]]:
    response = client.get("/attention/", headers=JSON)
    assert response.status_code == 200, response.content
    return response.json()["items"]


def count_of(client: Client) -> int:
    badge = client.get("/attention/count/", headers=HTMX).content.decode()
    found = re.search(
        r'class="count-badge[^"]*"><span class="visually-hidden">\(</span>(\d+)<', badge
    )
    assert found, badge
    return int(found[1])


def post(client: Client, **fields: str) -> Any:
    return client.post("/attention/", fields)


def test_acknowledging_takes_an_incident_out_of_the_count_for_every_viewer(
    client: Client, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    incidents_before = listed(client)
    first = incidents_before[0]
    before = count_of(client)
    assert before == len(incidents_before)

    with caplog.at_level("INFO", logger="tasks_app.audit"):
        answer = post(client, key=first["key"], change="ack")
    assert answer.status_code == 303 and answer["Location"] == "/attention/"

    # Another viewer (another client, no shared session) sees it acknowledged.
    other = Client()
    mine = next(i for i in listed(other) if i["key"] == first["key"])
    assert mine["acknowledged"]["kind"] == "ack" and mine["acknowledged"]["by"] == "anonymous"
    assert count_of(other) == before - 1
    page = other.get("/attention/").content.decode()
    acked = re.search(r'<details class="attention-acknowledged">.*?</details>', page, re.S)
    assert acked is not None and f'data-key="{first["key"]}"' in acked.group(0)
    assert "Acknowledged by <bdi>anonymous</bdi>" in acked.group(0)
    # The audit: a row kept in the database and one line on the audit log.
    row = AttentionAck.objects.get(item_key=first["key"])
    assert (row.kind, row.username, row.ended_at) == ("ack", "anonymous", None)
    line = next(r.getMessage() for r in caplog.records if r.name == "tasks_app.audit")
    assert line.startswith("attention ") and f'item="{first["key"]}"' in line

    # Cleared: back in the count; the row is kept, ended by whoever cleared it.
    assert post(client, key=first["key"], change="clear").status_code == 303
    assert count_of(other) == before
    row.refresh_from_db()
    assert row.ended_by == "anonymous" and row.ended_at is not None


def test_never_twice_a_second_acknowledgement_is_refused(
    client: Client, emulator: Emulator
) -> None:
    key = listed(client)[0]["key"]
    assert post(client, key=key, change="ack").status_code == 303

    again = post(client, key=key, change="snooze", hours="4")

    assert again.status_code == 409
    assert "Already acknowledged by anonymous until" in again.content.decode()
    assert AttentionAck.objects.filter(item_key=key).count() == 1


def test_a_snooze_holds_until_its_time_then_expires(client: Client, emulator: Emulator) -> None:
    key = listed(client)[0]["key"]
    assert post(client, key=key, change="snooze", hours="1").status_code == 303
    row = AttentionAck.objects.get(item_key=key)
    assert timedelta(minutes=59) < row.until - row.created_at <= timedelta(hours=1)

    report = attention.last_report()
    assert report is not None
    found = incidents(report)
    now = timezone.now()
    assert next(i for i in with_acks(found, now) if i.key == key).ack is not None
    later = now + timedelta(hours=1, seconds=1)
    assert next(i for i in with_acks(found, later) if i.key == key).ack is None
    # Expired rows are closed (ended by "expired") before anyone takes the incident again.
    assert attention_acks.expire(later) == 1
    row.refresh_from_db()
    assert row.ended_by == "expired"


def test_an_acknowledgement_ends_when_the_incident_changes(
    client: Client, emulator: Emulator
) -> None:
    key = listed(client)[0]["key"]
    report = attention.last_report()
    assert report is not None
    incident = next(i for i in incidents(report) if i.key == key)
    subject = attention_acks.Subject(key, "an earlier state", incident.item.title, "")
    attention_acks.take(subject, kind="ack", hours=attention_acks.ACK_HOURS, username="ada")

    # The incident's state differs from the acknowledged one: it is news again.
    assert next(i for i in with_acks(incidents(report)) if i.key == key).ack is None
    assert next(i for i in listed(client) if i["key"] == key)["acknowledged"] is None
    # And it can be acknowledged again (the stale acknowledgement is closed as "changed").
    assert post(client, key=key, change="ack").status_code == 303
    ended = AttentionAck.objects.get(item_key=key, username="ada")
    assert ended.ended_by == "changed"


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"key": "stalled_task:task-nothing", "change": "ack"}, 404, "No item "),
        ({"key": "", "change": "ack"}, 404, "No item "),
        ({"change": "dance"}, 400, "Say what to do"),
        ({"change": "snooze", "hours": "5"}, 400, "Snooze for one of 1, 4, 24 hours"),
        ({"change": "snooze", "hours": "<b>"}, 400, "Snooze for one of"),
        ({"change": "clear"}, 409, "neither acknowledged nor snoozed"),
    ],
)
def test_bad_input_is_answered_with_a_clear_message(
    client: Client, emulator: Emulator, fields: dict[str, str], status: int, message: str
) -> None:
    key = listed(client)[0]["key"]
    answer = post(client, **{"key": key, **fields})

    assert answer.status_code == status
    assert message in answer.content.decode()
    as_json = client.post("/attention/", {"key": key, **fields}, headers=JSON)
    assert as_json.status_code == status and message in as_json.json()["error"]
    assert not AttentionAck.objects.exists()


def test_only_those_who_may_act_acknowledge(
    client: Client, emulator: Emulator, settings: LazySettings
) -> None:
    key = listed(client)[0]["key"]
    settings.DASHBOARD_ACTIONS = False

    answer = post(client, key=key, change="ack")

    assert answer.status_code == 403 and "read-only" in answer.content.decode()
    assert not AttentionAck.objects.exists()
    # Nor does the page offer the buttons.
    assert 'name="change"' not in client.get("/attention/").content.decode()


def test_a_post_without_its_csrf_token_is_refused(emulator: Emulator) -> None:
    browser = Client(enforce_csrf_checks=True)
    key = listed(browser)[0]["key"]

    assert browser.post("/attention/", {"key": key, "change": "ack"}).status_code == 403
    page = browser.get("/attention/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    fields = {"key": key, "change": "ack", "csrfmiddlewaretoken": token[1]}
    assert browser.post("/attention/", fields).status_code == 303


def test_the_kind_filter_is_kept_after_acknowledging(client: Client, emulator: Emulator) -> None:
    failed = next(i for i in listed(client) if i["kind"] == "failed_job")

    answer = post(client, key=failed["key"], change="ack", kind="failed_job")

    assert answer.status_code == 303 and answer["Location"] == "/attention/?kind=failed_job"
