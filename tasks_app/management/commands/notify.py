"""``manage.py notify add|list|remove|test|run``: team notification rules from the command line
(docs/notifications.md). Whoever runs it is an operator; every change is audited as theirs
(``--as``, default the login name)."""

from __future__ import annotations

import getpass
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from tasks_app.models import NotificationRule
from tasks_app.services import notifications
from tasks_app.services.notifications.rules import EVENTS, describe


class Command(BaseCommand):
    help = "Add, list, remove or test notification rules; `run` evaluates and delivers."

    def add_arguments(self, parser: CommandParser) -> None:
        verbs = parser.add_subparsers(dest="verb", required=True)
        add = verbs.add_parser("add", help="a team rule")
        add.add_argument("--event", required=True, choices=EVENTS)
        add.add_argument("--farm", required=True)
        add.add_argument("--queue", default="")
        add.add_argument("--job", default="")
        add.add_argument("--only-user", default="", help="only jobs this user submitted")
        target = add.add_mutually_exclusive_group(required=True)
        target.add_argument("--webhook", metavar="URL")
        target.add_argument("--slack", metavar="URL")
        target.add_argument("--email", metavar="ADDRESS")
        add.add_argument("--secret", default="", help="webhook signing key")
        verbs.add_parser("list", help="active rules")
        remove = verbs.add_parser("remove", help="stop a rule")
        remove.add_argument("rule", type=int)
        test = verbs.add_parser("test", help="send a test message on a rule now")
        test.add_argument("rule", type=int)
        run = verbs.add_parser("run", help="evaluate and deliver every DASHBOARD_NOTIFY_SECONDS")
        run.add_argument("--once", action="store_true", help="one round, then stop")
        for sub in (add, remove, test):
            sub.add_argument("--as", dest="actor", default="", help="who the audit names")

    def handle(self, *args: Any, verb: str, **options: Any) -> None:
        getattr(self, f"_{verb}")(**options)

    def _actor(self, actor: str) -> str:
        return actor or f"cli:{getpass.getuser()}"

    def _add(self, **o: Any) -> None:
        channel, target = next(
            (name, o[name]) for name in ("webhook", "slack", "email") if o.get(name)
        )
        if o["secret"] and channel != "webhook":
            raise CommandError("--secret is for --webhook only.")
        try:
            rule = notifications.create_team_rule(
                username=self._actor(o["actor"]),
                event=o["event"],
                farm_id=o["farm"],
                queue_id=o["queue"],
                job_id=o["job"],
                channel=channel,
                target=target,
                secret=o["secret"],
                only_user=o["only_user"],
            )
        except notifications.RuleRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"rule {rule.pk}: {rule.event} -> {rule.channel}")

    def _list(self, **_: Any) -> None:
        for rule in NotificationRule.objects.filter(active=True, owner__isnull=True):
            d = describe(rule)
            where = " ".join(f"{k}={d[k]}" for k in ("farm_id", "queue_id", "job_id") if d[k])
            snoozed = (
                f" snoozed-until={rule.snoozed_until:%Y-%m-%dT%H:%MZ}"
                if (rule.snoozed_until)
                else ""
            )
            self.stdout.write(
                f"{rule.pk}\t{rule.event}\t{rule.channel}\t{rule.target}\t{where}{snoozed}"
            )

    def _remove(self, *, rule: int, actor: str, **_: Any) -> None:
        try:
            notifications.remove_rule(rule, username=self._actor(actor))
        except NotificationRule.DoesNotExist:
            raise CommandError(f"No active rule {rule}.") from None
        self.stdout.write(f"removed rule {rule}")

    def _test(self, *, rule: int, actor: str, **_: Any) -> None:
        try:
            delivery = notifications.send_test(rule, username=self._actor(actor))
        except NotificationRule.DoesNotExist:
            raise CommandError(f"No active rule {rule}.") from None
        line = f"rule {rule}: {delivery.status} after {delivery.attempts} attempt(s)"
        if delivery.last_error:
            line += f" ({delivery.last_error})"
        if delivery.status not in ("sent", "pending"):
            raise CommandError(line)
        self.stdout.write(line)

    def _run(self, *, once: bool, **_: Any) -> None:
        """The runner where no task engine schedules the evaluation."""
        while True:
            started = time.monotonic()
            result = notifications.evaluate()
            sent = notifications.deliver_due()
            self.stdout.write(
                f"evaluated {result.rules} rules, {result.events} events; sent or tried {sent}"
            )
            if once:
                return
            wait = float(settings.DASHBOARD_NOTIFY_SECONDS) - (time.monotonic() - started)
            time.sleep(max(1.0, wait))
