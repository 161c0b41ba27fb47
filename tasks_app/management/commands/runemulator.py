"""``manage.py runemulator``: serve the Deadline Cloud API emulator over HTTP.

The same as ``python -m deadline_emulator``; here so the dashboard's own tooling finds it.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from deadline_emulator.__main__ import main as emulator_main


class Command(BaseCommand):
    help = "Serve the local Deadline Cloud API emulator (and CloudWatch Logs) over HTTP."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8001)
        parser.add_argument("--seed", type=int, default=None, help="default: DEADLINE_DEMO_SEED")
        parser.add_argument("--clock", metavar="ISO", help="pin the clock at this instant")
        parser.add_argument("--latency-ms", type=float, help="add this latency to every call")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.conf import settings

        seed = options["seed"] if options["seed"] is not None else settings.DEADLINE_DEMO_SEED
        argv = ["--host", options["host"], "--port", str(options["port"]), "--seed", str(seed)]
        if options["clock"]:
            argv += ["--clock", options["clock"]]
        if options["latency_ms"] is not None:
            argv += ["--latency-ms", str(options["latency_ms"])]
        status = emulator_main(argv)
        if status:
            raise CommandError(f"the emulator exited with status {status}")
