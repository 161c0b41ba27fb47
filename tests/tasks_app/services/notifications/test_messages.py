"""Hostile job names and log lines in each channel's format: Slack cannot be made to mention,
link or format; the webhook's JSON carries the text as data, cut; an e-mail's subject cannot add
a header and its body shows bidi and control characters instead of obeying them."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from django.conf import LazySettings
from django.utils import timezone

from tasks_app.models import NotificationDelivery, NotificationRule
from tasks_app.services.notifications import messages
from tests.hostile_logs import HOSTILE_LINES

FARM = "farm-" + "1" * 32
QUEUE = "queue-" + "2" * 32
JOB = "job-" + "3" * 32
HOSTILE_NAME = (
    "<!here> @channel <@U024BE7LH> <https://evil.example|click> `code` *bold* "
    "\u202egpj.exe\r\nBcc: victim@example.com\u2028next"
)


def delivery(
    name: str = HOSTILE_NAME, causes: tuple[str, ...] = HOSTILE_LINES
) -> NotificationDelivery:
    rule = NotificationRule(
        pk=7, event="job_failed", farm_id=FARM, queue_id=QUEUE, channel="webhook", secret="k"
    )
    return NotificationDelivery(
        pk=41,
        rule=rule,
        event="job_failed",
        subject_key=f"job_failed:{JOB}",
        event_key=f"job_failed:{JOB}",
        created_at=timezone.now(),
        count=12,
        title=name[:512],
        payload={
            "title": name,
            "summary": "12 of 24 tasks failed; ended 2 h ago",
            "url": f"/farms/{FARM}/queues/{QUEUE}/jobs/{JOB}/failures/",
            "where": "Paris / Comp & Finishing",
            "causes": [[line, 4] for line in causes],
        },
        farm_id=FARM,
        queue_id=QUEUE,
        job_id=JOB,
    )


@pytest.fixture(autouse=True)
def base_url(settings: LazySettings) -> None:
    settings.DASHBOARD_NOTIFY_BASE_URL = "https://dashboard.example.com"


def test_slack_mentions_links_and_code_spans_are_inert() -> None:
    message = messages.slack(delivery())
    text = message["blocks"][0]["text"]["text"]
    # Slack acts on <...> sequences only: none but our own link survives unescaped.
    assert "<!here>" not in text and "<@U024BE7LH>" not in text
    assert "<https://evil.example|click>" not in text
    assert "&lt;!here&gt;" in text and "&lt;https://evil.example|click&gt;" in text
    assert "@channel" not in text  # the broadcast is neutralised (a fullwidth @)
    assert text.count("<") == 1  # the one link we made
    assert "<https://dashboard.example.com/farms/" in text
    # Bidi override and line separators are shown, not obeyed; the name stays one line.
    assert "\u202e" not in text and "<U+202E>" not in text  # escaped as &lt;U+202E&gt;
    assert "&lt;U+202E&gt;" in text and "\u2028" not in text and "\r" not in text
    # A log line with a terminal escape and a backtick cannot open a code span or ring.
    assert "\x1b" not in text and "\x07" not in text and "\x00" not in text
    # Each cause is cut to what a reader needs (the 10 KB line is not sent whole).
    assert len(text) < 4000
    assert message["text"].count("\n") == 0


def test_the_webhook_is_json_signed_and_cut() -> None:
    d = delivery()
    body, headers = messages.webhook_body_and_headers(d)
    expected = "sha256=" + hmac.new(b"k", body, hashlib.sha256).hexdigest()
    assert headers["X-Dashboard-Signature"] == expected
    assert headers["X-Dashboard-Delivery"] == "41"
    data = json.loads(body)
    assert data["title"].startswith("<!here> @channel")  # data, not markup: JSON escapes it
    assert all(len(c["title"]) <= messages.MAX_TEXT for c in data["causes"])
    assert data["job_id"] == JOB and data["url"].startswith("https://dashboard.example.com/")
    assert "\n" not in body.decode()


def test_the_email_subject_cannot_add_a_header_and_the_body_shows_controls() -> None:
    subject, body = messages.email(delivery())
    assert "\r" not in subject and "\n" not in subject
    assert "Bcc:" in subject  # still readable, on the one line
    assert "<U+202E>" in subject and "\u202e" not in subject
    lines = body.splitlines()
    assert not any(line.startswith("Bcc:") for line in lines)
    assert "\u202e" not in body and "\x1b" not in body and "\x00" not in body
    assert "<U+001B>" in body  # the terminal escape, shown
    # Each API value sits in an isolate: a right-to-left name cannot reorder the line.
    assert "\u2068" in lines[0] and "\u2069" in lines[0]
    assert "Open in the dashboard: https://dashboard.example.com/farms/" in body


def test_a_link_cannot_leave_the_dashboard() -> None:
    d = delivery()
    d.payload["url"] = "https://evil.example/steal"
    assert messages.link(d) == "https://dashboard.example.com/"
