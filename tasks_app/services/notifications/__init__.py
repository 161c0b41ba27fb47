"""Notifications: rules that announce the dashboard's own judgements (a failed job, a stalled
task, a sick worker, a blocked queue, a finished job) to Slack, webhooks, e-mail and the bell,
exactly once per (rule, event).

``evaluate()`` (every DASHBOARD_NOTIFY_SECONDS) writes one delivery row per new event and rule
from the shared attention report; ``deliver_due()`` sends them, claimed one by one across
processes. Both are plain functions: a periodic task, ``manage.py notify run`` or a test calls
them.
"""

from __future__ import annotations

from .delivery import deliver_due, deliver_one, send, send_test
from .evaluation import Evaluation, evaluate
from .rules import (
    RuleRefused,
    create_team_rule,
    follow,
    following,
    remove_rule,
    snooze_job,
    snooze_rule,
    unfollow,
)
from .runner import run_round, start_notifier

__all__ = [
    "Evaluation",
    "RuleRefused",
    "create_team_rule",
    "deliver_due",
    "deliver_one",
    "evaluate",
    "follow",
    "following",
    "remove_rule",
    "run_round",
    "send",
    "send_test",
    "snooze_job",
    "snooze_rule",
    "start_notifier",
    "unfollow",
]
