"""``manage.py probe_api``: what the configured backend's Search* does with each name the
dashboard may send (accepted, refused or ignored), and what the dashboard will do about it.

Run it first against a new AWS account. Read-only, a few dozen calls.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tasks_app.deadline import allow_list, client, probe
from tasks_app.deadline.errors import DeadlineError
from tasks_app.deadline.ids import ID_PATTERNS


class Command(BaseCommand):
    help = (
        "Probe which Search* filter and sort names the configured backend (AWS or the "
        "emulator) accepts, refuses or ignores, on one farm/queue/job it finds (read-only)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--farm-id", help="the farm to probe (default: the first one seen)")
        parser.add_argument(
            "--queue-id", help="the queue to probe (default: the farm's busiest of ten)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        farm_id = _checked(options.get("farm_id"), "farm_id", "--farm-id")
        queue_id = _checked(options.get("queue_id"), "queue_id", "--queue-id")
        if queue_id and not farm_id:
            raise CommandError("--queue-id needs --farm-id (queue IDs are unique within a farm).")
        if farm_id and not allow_list.is_farm_allowed(farm_id):
            raise CommandError(
                f"{farm_id} is not in DASHBOARD_FARMS: the dashboard never reads it."
            )
        try:
            identity = client.backend_identity()
            result = probe.run(farm_id=farm_id, queue_id=queue_id)
        except probe.NothingToProbe as exc:
            raise CommandError(exc.message) from exc
        except DeadlineError as exc:
            raise CommandError(f"The probe could not read what it needs: {exc.message}") from exc

        out = self.stdout
        out.write(
            f"Backend {identity.backend} ({identity.region}, {identity.endpoint}); farm "
            f"{result.farm_id}, queue {result.queue_id}"
            + (f", job {result.job_id}" if result.job_id else "")
        )
        out.write("")
        for verdict in result.verdicts:
            out.write(verdict.line)
        out.write("")
        out.write("What the dashboard will do:")
        for verdict in result.verdicts:
            out.write(f"  {verdict.line} ({verdict.status}): {probe.consequence(verdict)}")
        for note in result.notes:
            out.write(note)
        troubled = [v for v in result.verdicts if v.verdict in (probe.REFUSED, probe.IGNORED)]
        out.write("")
        if troubled:
            out.write(
                f"{len(troubled)} name(s) need the dashboard's fallbacks on this backend; it "
                "has remembered them (DEADLINE_SEARCH_VERDICT_SECONDS) and would also have "
                "found them out by itself."
            )
        else:
            out.write("Every name probed works on this backend.")


def _checked(value: str | None, kind: str, flag: str) -> str | None:
    if value is None:
        return None
    if not ID_PATTERNS[kind].fullmatch(value):
        raise CommandError(f"{flag} {value!r} is not a valid ID ({ID_PATTERNS[kind].pattern}).")
    return value
