"""Every benchmark, one after another: ``python -m bench.run_all`` (``make bench``).

Each ``bench/*_bench.py`` runs as ``python -m bench.<name>`` in its own interpreter, so one
bench's settings, caches and servers never leak into the next. Benches take their options
from the environment here (e.g. BENCH_VIEWER_SECONDS=10 for a quick scale bench).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent


def bench_modules() -> list[str]:
    """``bench.<name>`` for every ``*_bench.py`` here, in name order."""
    return [f"bench.{path.stem}" for path in sorted(BENCH_DIR.glob("*_bench.py"))]


def run(module: str) -> int:
    """Run one bench; on Ctrl-C let it stop the servers it started before giving up on it."""
    process = subprocess.Popen([sys.executable, "-m", module], cwd=BENCH_DIR.parent)
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.send_signal(signal.SIGINT)  # a no-op if the terminal already sent it
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        raise


def main() -> int:
    failed = []
    for module in bench_modules():
        print(f"\n{'=' * 100}\n{module}   ({sys.executable} -m {module})\n{'=' * 100}", flush=True)
        started = time.perf_counter()
        code = run(module)
        print(f"--- {module}: exit {code} after {time.perf_counter() - started:.0f} s", flush=True)
        if code != 0:
            failed.append(module)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
