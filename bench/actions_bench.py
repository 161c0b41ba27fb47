"""Bulk requeue: the dashboard against the official CLI, on identical jobs.

Run: .venv/bin/python -m bench.actions_bench   (prints figures; asserts nothing)

Starts, on 127.0.0.1 only, the emulator over HTTP with 80 ms added to every API call (clock
pinned) and builds, with its scenario builders, two identical finished jobs of 1,000 FAILED
tasks over 4 steps and one job of 10,000 tasks, every one FAILED, in one step. Then, in one
run:

1. the dashboard (gunicorn, one worker, signed in as an operator, a SQLite database) requeues
   the first 1,000-task job's failed tasks as an operator does: the preview POST, the confirm
   POST, then its result page polled (as the browser does) until the action is done;
2. the same dashboard requeues the 10,000-task job the same way;
3. ``deadline job requeue-tasks --yes`` (the official CLI, PyPI ``deadline``) requeues the
   second 1,000-task job's, in its own process;

and prints each one's wall-clock time, the API calls it made (counted by the emulator, by
operation), how many tasks the emulator saw changed exactly once (0 lost, 0 twice) and the
ratio CLI / dashboard on the identical 1,000-task jobs (target: at least 50x). The CLI's time
includes its interpreter start, printed on its own for reference. The dashboard's calls
include the job page's reads before the preview (untimed); a preview starts no failures
analysis (it names causes only when the Failures page has analysed them). ``--no-cli`` runs
the dashboard's part alone (to profile it), and prints no ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any

from tests.dashboard_processes import (
    Browser,
    cli_environment,
    emulator_environment,
    environment,
    gunicorn_processes,
    manage,
)

ROOT = Path(__file__).resolve().parent.parent
LATENCY_MS = 80.0
TASKS = 1000
STEPS = 4
BIG_TASKS = 10_000
PASSWORD = "bench-password-not-secret"  # noqa: S105 - a throw-away local account
# Three days into the demo world, as the tests pin it.
PINNED = "2026-11-23T00:00:00Z"
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_CONFIRM = re.compile(r'name="confirm" value="([^"]+)"')


def http_json(url: str, payload: Any = None, method: str | None = None) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        return json.loads(response.read())


@contextmanager
def emulator_server(log_dir: Path) -> Iterator[str]:
    log = (log_dir / "emulator.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "deadline_emulator", "--port", "0", "--clock", PINNED,
         "--latency-ms", str(LATENCY_MS)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env={k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DEADLINE_"))},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        if "serving on http://" not in first:
            raise RuntimeError(f"the emulator did not start: {first!r}")
        yield first.rsplit(" ", 1)[1].strip()
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def exactly_once(url: str, job: dict[str, Any]) -> tuple[int, int, int]:
    """(changed once, not changed, changed more than once) of the job's failed tasks."""
    counts = http_json(f"{url}/_emulator/task-updates/{job['jobId']}")["counts"]
    failed = [t["taskId"] for t in job["failedTasks"]]
    once = sum(1 for t in failed if counts.get(t) == 1)
    missing = sum(1 for t in failed if not counts.get(t))
    return once, missing, len(failed) - once - missing


def job_path(job: dict[str, Any]) -> str:
    return "/farms/{farmId}/queues/{queueId}/jobs/{jobId}/".format(**job)


def dashboard_env(url: str, workdir: Path) -> dict[str, str]:
    env = environment(
        DASHBOARD_AUTH="login",
        DASHBOARD_ACTIONS="on",
        DATABASE_URL=f"sqlite:///{workdir}/bench.sqlite3",
        DASHBOARD_LOG_LEVEL="WARNING",
        **emulator_environment(url),
    )
    manage("migrate", "--noinput", env=env)
    manage(
        "createsuperuser", "--noinput", "--username=ops", "--email=ops@example.com",
        env={**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD},
    )  # fmt: skip
    return env


def dashboard_requeue(browser: Browser, base: str, job: dict[str, Any]) -> float:
    """Requeue ``job``'s failed tasks through the pages; seconds from the preview POST to the
    result page saying done."""
    page = browser.request(f"{base}{job_path(job)}")  # what the operator looks at first
    csrf = _CSRF.search(page.text)
    assert page.status == 200 and csrf, page.text[:500]
    fields = {"action": "requeue", "csrfmiddlewaretoken": csrf[1]}
    started = time.perf_counter()
    preview = browser.request(f"{base}{job_path(job)}actions/", fields)
    token = _CONFIRM.search(preview.text)
    assert preview.status == 200 and token, preview.text[-2000:]
    previewed = time.perf_counter() - started
    done = browser.request(
        f"{base}{job_path(job)}actions/", {**fields, "confirm": unescape(token[1])}
    )
    assert done.status == 303, done.text[-2000:]
    confirmed = time.perf_counter() - started - previewed
    result = f"{base}{done.headers['Location']}"
    while True:  # the result page's own poll, once a second in the browser; tighter here
        text = browser.request(result).text
        if 'data-state="running"' not in text:
            break
        time.sleep(0.05)
    elapsed = time.perf_counter() - started
    state = re.search(r'data-state="(\w+)"', text)
    method = re.search(r'data-method="(\w+)"', text)
    print(
        f"  dashboard action ended: {state[1] if state else '?'} with "
        f"{method[1] if method else '?'} (preview {previewed:.2f} s, confirm "
        f"{confirmed:.2f} s, then {elapsed - previewed - confirmed:.2f} s until done)"
    )
    return elapsed


def calls_made(url: str) -> dict[str, int]:
    """The emulator's call counts by operation since the last reset; then resets them."""
    counts = http_json(f"{url}/_emulator/calls")["calls"]
    http_json(f"{url}/_emulator/calls/reset", {}, method="POST")
    return {operation: n for operation, n in counts.items() if n}


def _calls_text(calls: dict[str, int]) -> str:
    return ", ".join(f"{op} {n:,}" for op, n in sorted(calls.items(), key=lambda c: -c[1]))


def cli_requeue(url: str, job: dict[str, Any], home: Path) -> tuple[float, float]:
    """(seconds for the requeue, seconds for the CLI to start and print its help)."""
    env = cli_environment(url, home)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "deadline", "--help"], env=env, cwd=home,
                   capture_output=True, check=True)  # fmt: skip
    startup = time.perf_counter() - started
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "deadline", "job", "requeue-tasks", "--farm-id", job["farmId"],
         "--queue-id", job["queueId"], "--job-id", job["jobId"], "--yes"],
        env=env, cwd=home, capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    last = (result.stdout.strip().splitlines() or ["(no output)"])[-1]
    print(f"  CLI exit {result.returncode}: {last}")
    if result.returncode != 0:
        print(result.stderr[-2000:])
    return elapsed, startup


def _load() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{n:.2f}" for n in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tasks", type=int, default=TASKS)
    parser.add_argument("--big-tasks", type=int, default=BIG_TASKS)
    parser.add_argument(
        "--no-cli", action="store_true", help="the dashboard only (no ratio): to profile it"
    )
    args = parser.parse_args()
    print(
        f"{datetime.now(tz=UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, load average "
        f"{_load()}; emulator over HTTP with {LATENCY_MS:g} ms per call; two identical jobs "
        f"of {args.tasks:,} FAILED tasks over {STEPS} steps, one of {args.big_tasks:,} FAILED "
        "tasks in one step"
    )
    rows = []
    with tempfile.TemporaryDirectory(prefix="dtd-actions-bench-") as tmp:
        workdir = Path(tmp)
        (workdir / "home").mkdir()
        with emulator_server(workdir) as url:
            jobs = [
                http_json(
                    f"{url}/_emulator/scenarios/failed-job",
                    {"failedTasks": args.tasks, "steps": STEPS},
                )
                for _ in range(2)
            ]
            big = http_json(
                f"{url}/_emulator/scenarios/big-job",
                {"tasks": args.big_tasks, "failedTasks": args.big_tasks},
            )
            big["failedTasks"] = [{"taskId": t} for t in big["failedTaskIds"]]
            env = dashboard_env(url, workdir)
            with gunicorn_processes(1, env) as (base,):
                browser = Browser()
                assert browser.sign_in(base, "ops", PASSWORD).status == 302
                calls_made(url)
                for label, job in (
                    (f"dashboard, {args.tasks:,} tasks", jobs[0]),
                    (f"dashboard, {args.big_tasks:,} tasks", big),
                ):
                    seconds = dashboard_requeue(browser, base, job)
                    rows.append((label, seconds, calls_made(url), exactly_once(url, job)))
            if args.no_cli:
                _print_rows(rows)
                return 0
            cli_seconds, cli_startup = cli_requeue(url, jobs[1], workdir / "home")
            rows.append(
                (f"deadline CLI, {args.tasks:,} tasks", cli_seconds, calls_made(url),
                 exactly_once(url, jobs[1]))
            )  # fmt: skip
    _print_rows(rows)
    print(f"  (the CLI's own start, `deadline --help`: {cli_startup:.1f} s)")
    ratio = cli_seconds / rows[0][1] if rows[0][1] else float("inf")
    print(f"ratio CLI / dashboard on {args.tasks:,} tasks: {ratio:.1f}x (target >= 50x, 0 lost)")
    print(f"load average at the end: {_load()} (a shared machine: other work slows both)")
    return 0


def _print_rows(rows: list[tuple[str, float, dict[str, int], tuple[int, int, int]]]) -> None:
    print()
    print(f"{'':28}{'seconds':>9}{'calls':>8}{'changed once':>14}{'lost':>6}{'twice+':>8}")
    for label, seconds, calls, (once, lost, twice) in rows:
        total = sum(calls.values())
        print(f"{label:28}{seconds:>9.1f}{total:>8,}{once:>14,}{lost:>6}{twice:>8}")
    print()
    for label, _, calls, _ in rows:
        print(f"  {label}: {_calls_text(calls)}")


if __name__ == "__main__":
    sys.exit(main())
