"""What the browse tests read pages with: the step page's and queue's URLs from IDs as the API
names them, the row and range patterns of their tables, and a client that follows a page's own
links and submits its own forms (so a test breaks when the page stops offering the way there)."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

from django.conf import settings
from django.test import Client
from django.urls import reverse

from deadline_emulator import Emulator, set_default_emulator

TASK_ROW = re.compile(r'<tr class="task-row" data-task-id="(task-[0-9a-f]{32}-\d+)">')
JOB_ROW = re.compile(r'<tr data-href="[^"]*/jobs/(job-[0-9a-f]{32})/">')
RANGE = re.compile(r'<span class="pagination__range">([^<]+)</span>')


def step_url(ids: dict[str, str]) -> str:
    """The step page of ``ids`` (farmId, queueId, jobId, stepId, as the API names them)."""
    return reverse(
        "step_detail",
        kwargs={
            "farm_id": ids["farmId"],
            "queue_id": ids["queueId"],
            "job_id": ids["jobId"],
            "step_id": ids["stepId"],
        },
    )


def queue_url(ids: dict[str, str]) -> str:
    """The queue page (its job list) of ``ids``."""
    return reverse("queue_detail", kwargs={"farm_id": ids["farmId"], "queue_id": ids["queueId"]})


@contextmanager
def installed(emulator: Emulator) -> Iterator[None]:
    """A module's big world as the default emulator for one test, its calls counted from zero
    (the world is built once per module; the tests count their own calls)."""
    set_default_emulator(emulator, seed=settings.DEADLINE_DEMO_SEED)
    emulator.calls.reset()
    try:
        yield
    finally:
        set_default_emulator(None, seed=settings.DEADLINE_DEMO_SEED)


def link(page: str, pattern: str) -> str:
    """The href of the first ``<a>`` whose attributes match ``pattern`` (unescaped)."""
    found = re.search(rf'<a href="([^"]*)"[^>]*{pattern}', page)
    assert found is not None, pattern
    return html.unescape(found.group(1))


def follow(client: Client, base: str, page: str, pattern: str) -> str:
    """Open the link of ``page`` matching ``pattern`` (a bare query string is ``base``'s)."""
    href = link(page, pattern)
    response = client.get(base + href if href.startswith("?") else href)
    assert response.status_code == 200
    return response.content.decode()


def submit(client: Client, shown: str, form_class: str, **values: str) -> str:
    """Submit the form of ``shown`` with class ``form_class``: its own action and hidden fields,
    with ``values`` typed in."""
    form = re.search(
        rf'<form method="get" action="([^"]+)" class="{form_class}(?: [^"]*)?".*?</form>',
        shown,
        re.S,
    )
    assert form is not None, form_class
    fields = dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(0))
    )
    fields = {k: html.unescape(v) for k, v in fields.items()} | values
    response = client.get(f"{form.group(1)}?{urlencode(fields)}")
    assert response.status_code == 200
    return response.content.decode()
