"""Notifications: the API calls one evaluation of the rules costs, beyond the shared attention
report it reads (target: 0 when warm).

Run: .venv/bin/python -m bench.notify_bench   (prints figures; asserts nothing)

In one process, on the demo backend: the emulator's scenario farm of 20 queues (the only farm
shown, DASHBOARD_FARMS), 10 rules over it (eight on single queues, two farm-wide), a throw-away
SQLite database. The emulator counts every API call it answers.

- report: the attention report built once (what every page shares, whatever the rules);
- first look: the rules' first evaluation (their baseline) with that report cached;
- warm: the next evaluations inside DASHBOARD_ATTENTION_SECONDS.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

WARM_REPEAT = 10
QUEUE_EVENTS = ("job_failed", "job_finished", "task_stalled", "queue_blocked")


def _setup(workdir: Path) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
    os.environ["DJANGO_DB_PATH"] = str(workdir / "db.sqlite3")
    os.environ["DEADLINE_BACKEND"] = "demo"
    os.environ["DASHBOARD_LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)


def _row(label: str, calls: float, seconds: float) -> None:
    print(f"{label:<34}{calls:>10.0f}{seconds * 1000:>10.1f}")


def _rules(farm_id: str, queues: list[str]) -> None:
    """Eight rules on single queues (every other one), two farm-wide."""
    from tasks_app.services import notifications

    for n in range(8):
        notifications.create_team_rule(
            username="bench",
            event=QUEUE_EVENTS[n % len(QUEUE_EVENTS)],
            farm_id=farm_id,
            queue_id=queues[n * 2],
            channel="email",
            target=f"oncall-{n}@example.com",
        )
    for event in ("job_failed", "worker_sick"):
        notifications.create_team_rule(
            username="bench", event=event, farm_id=farm_id, channel="email", target="f@example.com"
        )


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="dtd-notify-bench-") as workdir:
        _setup(Path(workdir))
        from django.conf import settings

        from deadline_emulator import Emulator, set_default_emulator
        from deadline_emulator.clock import Clock
        from tasks_app.deadline import client
        from tasks_app.selectors import attention
        from tasks_app.services import notifications

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        emulator = Emulator(seed=settings.DEADLINE_DEMO_SEED, clock=Clock(pinned_at=time.time()))
        farm = emulator.add_farm(queues=20, jobs_per_queue=10, workers=40)
        set_default_emulator(emulator, seed=settings.DEADLINE_DEMO_SEED)
        client.clear_client_cache()
        settings.DASHBOARD_FARMS = [farm["farmId"]]
        queues = [q["queueId"] for q in farm["queues"]]

        _rules(farm["farmId"], queues)

        emulator.calls.reset()
        started = time.perf_counter()
        report = attention.get_report()
        report_seconds = time.perf_counter() - started
        report_calls = emulator.calls.total()

        emulator.calls.reset()
        started = time.perf_counter()
        first = notifications.evaluate()
        first_seconds = time.perf_counter() - started
        first_calls = emulator.calls.total()

        warm_calls, warm_seconds = [], []
        for _ in range(WARM_REPEAT):
            emulator.calls.reset()
            started = time.perf_counter()
            notifications.evaluate()
            warm_seconds.append(time.perf_counter() - started)
            warm_calls.append(emulator.calls.total())

        print(f"{first.rules} rules over {len(queues)} queues; {len(report.items)} report items")
        print(f"{'':<34}{'API calls':>10}{'ms':>10}")
        _row("attention report (shared, cold)", report_calls, report_seconds)
        _row("evaluation, first look", first_calls, first_seconds)
        _row(
            "evaluation, warm (median)",
            statistics.median(warm_calls),
            statistics.median(warm_seconds),
        )
        print(f"beyond the shared report, warm: {max(warm_calls)} API calls (target 0)")
        set_default_emulator(None, seed=settings.DEADLINE_DEMO_SEED)
    return 0


if __name__ == "__main__":
    sys.exit(main())
