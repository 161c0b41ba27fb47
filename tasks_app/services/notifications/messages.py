"""Each channel's message for one delivery: Slack mrkdwn, a signed JSON webhook, a plain-text
e-mail. Job names, log lines and reasons come from the API and are hostile: each goes through
``plain_text``'s escaper for the channel and is cut to a length no reader needs more of."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from ... import plain_text
from ...models import NotificationDelivery
from .events import EVENT_LABELS

#: Longest API string a message carries (a job name, a reason, a failure cause).
MAX_TEXT = 300


def cut(value: object, limit: int = MAX_TEXT) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def link(delivery: NotificationDelivery) -> str:
    """The page to act on, under DASHBOARD_NOTIFY_BASE_URL."""
    path = str(delivery.payload.get("url") or "/")
    if not path.startswith("/"):
        path = "/"
    return settings.DASHBOARD_NOTIFY_BASE_URL.rstrip("/") + path


@dataclass(frozen=True)
class Facts:
    """The message's parts, unescaped and cut: each channel escapes them its own way."""

    label: str
    title: str
    summary: str
    where: str
    causes: tuple[tuple[str, int], ...]
    ids: tuple[tuple[str, str], ...]
    url: str
    digest: bool


def facts(delivery: NotificationDelivery) -> Facts:
    payload = delivery.payload
    causes = tuple(
        (cut(title), int(count))
        for title, count in (payload.get("causes") or ())[:3]
        if isinstance(count, int)
    )
    ids = tuple(
        (name, getattr(delivery, name))
        for name in ("farm_id", "queue_id", "job_id", "task_id", "worker_id")
        if getattr(delivery, name)
    )
    return Facts(
        label=EVENT_LABELS.get(delivery.event, delivery.event),
        title=cut(payload.get("title") or delivery.title),
        summary=cut(payload.get("summary")),
        where=cut(payload.get("where")),
        causes=causes,
        ids=ids,
        url=link(delivery),
        digest=delivery.event_key != delivery.subject_key,
    )


def _heading(f: Facts) -> str:
    return f"{f.label} (update)" if f.digest else f.label


def slack(delivery: NotificationDelivery) -> dict[str, Any]:
    """A Slack incoming-webhook message: a fallback text, a section with the facts and a
    button to the page."""
    f = facts(delivery)
    lines = [f"*{_heading(f)}:* {plain_text.slack_text(f.title)}"]
    if f.summary:
        lines.append(plain_text.slack_text(f.summary))
    if f.where:
        lines.append(f"*Where:* {plain_text.slack_text(f.where)}")
    for title, count in f.causes:
        lines.append(f"• {count:,} tasks: {plain_text.slack_code(title)}")
    lines.append(plain_text.slack_link(f.url, "Open in the dashboard"))
    text = "\n".join(lines)
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": "Open in the dashboard"},
        "url": f.url,
    }
    return {
        "text": f"{_heading(f)}: {plain_text.slack_text(f.title)}",
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "actions", "elements": [button]},
        ],
    }


def webhook(delivery: NotificationDelivery) -> dict[str, Any]:
    """The generic webhook's JSON: the event, its IDs, the page and the facts (JSON escapes
    the strings; they are still cut)."""
    f = facts(delivery)
    return {
        "delivery_id": delivery.pk,
        "rule_id": delivery.rule_id,
        "event": delivery.event,
        "event_key": delivery.event_key,
        "digest": f.digest,
        "title": f.title,
        "summary": f.summary,
        "where": f.where,
        "url": f.url,
        "count": int(delivery.count),
        "causes": [{"title": title, "tasks": count} for title, count in f.causes],
        **dict(f.ids),
        "created_at": delivery.created_at.isoformat(),
    }


def webhook_body_and_headers(delivery: NotificationDelivery) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(webhook(delivery), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Dashboard-Event": delivery.event,
        # The same ID on every try: a receiver can drop a repeat after a lost answer.
        "X-Dashboard-Delivery": str(delivery.pk),
        "X-Dashboard-Signature": signature(delivery.rule.secret, body),
    }
    return body, headers


def signature(secret: str, body: bytes) -> str:
    """``sha256=<hex HMAC-SHA256 of the body with the rule's secret>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def email(delivery: NotificationDelivery) -> tuple[str, str]:
    """(subject, plain-text body)."""
    f = facts(delivery)
    subject = plain_text.email_header(f"{_heading(f)}: {cut(f.title, 120)}")
    lines = [f"{_heading(f)}: {plain_text.email_text(f.title)}"]
    if f.summary:
        lines.append(plain_text.email_text(f.summary))
    if f.where:
        lines.append(f"Where: {plain_text.email_text(f.where)}")
    for title, count in f.causes:
        lines.append(f"  {count:,} tasks: {plain_text.email_text(title)}")
    lines += ["", f"Open in the dashboard: {f.url}", ""]
    lines += [f"{name}: {value}" for name, value in f.ids]
    return subject, "\n".join(lines) + "\n"
