"""`make screenshots`: pictures of the main pages, from the demo world, for the README.

Serves the dashboard in this process on a free loopback port (the demo backend, its clock
pinned like the tests' so every run shows the same world) and photographs each page with
Debian's Chromium through Playwright, in light and dark mode, on a desk screen and a phone.

    python -m tests.browser.screenshots [--out docs/screenshots] [--all]

Without ``--all`` it writes the README's pictures; ``--all`` adds every page in both
schemes and at phone width (for looking over a change, not for committing).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DESK = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Shot:
    name: str
    path: str
    full_page: bool = False


@contextmanager
def _served() -> Iterator[tuple[str, Any]]:
    """The dashboard on the demo world (clock pinned), served from a thread of this process,
    on a database of its own (migrated here: some pages read acknowledgements and the audit)."""
    with tempfile.TemporaryDirectory(prefix="dtd-screenshots-") as workdir:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")
        os.environ["DEADLINE_BACKEND"] = "demo"
        os.environ.setdefault("DASHBOARD_AUTH", "none")
        os.environ.pop("DATABASE_URL", None)
        os.environ["DJANGO_DB_PATH"] = str(Path(workdir) / "screenshots.sqlite3")
        with _serving() as served:
            yield served


@contextmanager
def _serving() -> Iterator[tuple[str, Any]]:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from django.conf import settings
    from django.contrib.staticfiles.handlers import StaticFilesHandler
    from django.test.testcases import LiveServerThread

    from deadline_emulator import Emulator, set_default_emulator
    from deadline_emulator.clock import Clock
    from tests.conftest import PINNED_AT

    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    emulator = Emulator(seed=settings.DEADLINE_DEMO_SEED, clock=Clock(pinned_at=PINNED_AT))
    set_default_emulator(emulator, seed=settings.DEADLINE_DEMO_SEED)
    # A serving process builds the attention list as it starts (dashboard/wsgi.py): so here.
    from tasks_app.selectors import attention

    attention.get_report()
    server = LiveServerThread("127.0.0.1", StaticFilesHandler, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    try:
        yield f"http://127.0.0.1:{server.port}", emulator
    finally:
        server.terminate()


def _pages(emulator: Any) -> list[Shot]:
    from tests.browser.pages import page_urls

    return [
        Shot(name, url, full_page=name == "task" or name.endswith("failures"))
        for name, url in page_urls(emulator).items()
    ]


# The README's pictures: (page, colour scheme, viewport).
README_SHOTS = [
    ("home", "light", DESK),
    ("queue", "light", DESK),
    ("job", "dark", DESK),
    ("step", "light", DESK),
    ("task", "dark", DESK),
    ("task", "light", PHONE),
    ("queue", "light", PHONE),
    ("attention", "light", DESK),
    ("usage", "light", DESK),
    ("job-timeline", "dark", DESK),
    ("step-durations", "light", PHONE),
]


ANALYSED = """() => new Promise((resolve) => {
    const until = Date.now() + 60000;
    const check = () => {
        const reading = document.querySelector(
            '#failures-live[data-complete="false"], [data-verdict-polling]');
        if (!reading) return resolve(true);
        if (Date.now() > until) return resolve(false);
        setTimeout(check, 100);
    };
    check();
})"""


def _wait_settled(page: Any) -> None:
    """The page and the sections htmx loads after it (the task page's triage) are in."""
    page.wait_for_load_state("networkidle")
    page.wait_for_function("document.querySelectorAll('[data-triage-placeholder]').length === 0")
    # Failures views and a failed job's verdict stream in: wait for the analysis (polled with
    # a function, not a string: the Content-Security-Policy forbids eval).
    page.evaluate(ANALYSED)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs/screenshots", type=Path)
    parser.add_argument("--all", action="store_true", help="every page, both schemes, phone")
    parser.add_argument("--only", default="", help="comma-separated page names")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
    from tests.conftest import PINNED_AT

    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with _served() as (base, emulator), sync_playwright() as playwright:
        pages = {shot.name: shot for shot in _pages(emulator)}
        if args.all or args.only:
            names = args.only.split(",") if args.only else list(pages)
            plan = [
                (name, scheme, size)
                for name in names
                for scheme in ("light", "dark")
                for size in (DESK, PHONE)
            ]
        else:
            plan = README_SHOTS
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # One context for every picture (a context's first page costs Chromium about a second
        # of CPU); each picture has a page of its own, at its size and in its scheme.
        context = browser.new_context()
        for name, scheme, size in plan:
            shot = pages[name]
            page = context.new_page()
            page.set_viewport_size(size)
            page.emulate_media(color_scheme=scheme)
            # The browser's clock at the demo world's pinned time: "3 min ago" stays true.
            page.clock.set_fixed_time(PINNED_AT)
            page.goto(base + shot.path)
            _wait_settled(page)
            width = "phone" if size is PHONE else str(size["width"])
            target = args.out / f"{name}-{scheme}-{width}.png"
            page.screenshot(path=str(target), full_page=shot.full_page)
            print(target)
            page.close()
        context.close()
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
