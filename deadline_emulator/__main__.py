"""``python -m deadline_emulator``: serve the Deadline Cloud API emulator over HTTP."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from deadline_emulator import Emulator
from deadline_emulator.clock import Clock
from deadline_emulator.search import SEARCH_MODES, SearchPolicy
from deadline_emulator.server import make_server


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, build the world, serve until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m deadline_emulator", description="Local AWS Deadline Cloud API emulator."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--clock", metavar="ISO", help="pin the clock at this instant")
    parser.add_argument("--latency-ms", type=float, help="add this latency to every call")
    parser.add_argument(
        "--search",
        choices=SEARCH_MODES,
        help="which Search* names to honour (default: DEADLINE_EMULATOR_SEARCH or lenient)",
    )
    parser.add_argument(
        "--scheduling-lab",
        action="store_true",
        help="add a farm where every reason work waits holds (associations, limits, budgets)",
    )
    args = parser.parse_args(argv)

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    clock = Clock()
    if args.clock:
        clock.pin(args.clock)
    try:
        search_mode = args.search or SearchPolicy.from_env(os.environ).mode
    except ValueError as exc:
        parser.error(str(exc))
    emulator = Emulator(seed=args.seed, clock=clock, search_mode=search_mode)
    try:
        emulator.faults.load_env(os.environ)
        if args.latency_ms is not None:
            emulator.faults.set(
                "*", **{**emulator.faults.rules().get("*", {}), "latency_ms": args.latency_ms}
            )
    except ValueError as exc:
        parser.error(str(exc))
    _ = emulator.backend  # build the world now, not on the first request
    if args.scheduling_lab:
        from deadline_emulator.scheduling_lab import install_scheduling_lab

        install_scheduling_lab(emulator.backend)
    server = make_server(emulator, args.host, args.port)
    print(
        f"Deadline Cloud emulator (seed {args.seed}, search {search_mode}) serving on {server.url}"
    )
    print("Point AWS clients at it with:")
    print(f"  export AWS_ENDPOINT_URL_DEADLINE={server.url}")
    print(f"  export AWS_ENDPOINT_URL_CLOUDWATCH_LOGS={server.url}")
    print("  export AWS_DISABLE_HOST_PREFIX_INJECTION=true")
    sys.stdout.flush()
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
