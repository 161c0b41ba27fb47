"""``manage.py probe_api`` against the emulator in each search mode: one line per name with
the verdict the mode implies, read-only, a few dozen calls, clear errors."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.conf import LazySettings
from django.core.management import CommandError, call_command

from deadline_emulator import Emulator
from tasks_app.deadline import search

LINE = re.compile(
    r"^(Search\w+) (filter|sort) (\S+) (accepted|refused|ignored|untested)$", re.MULTILINE
)
WRITES = {"UpdateTask", "UpdateStep", "UpdateJob"}


def probe(emulator: Emulator, mode: str, *args: str) -> dict[tuple[str, str, str], str]:
    emulator.search.set(mode)
    out = StringIO()
    call_command("probe_api", *args, stdout=out)
    text = out.getvalue()
    verdicts = {(op, use, name): verdict for op, use, name, verdict in LINE.findall(text)}
    assert len(verdicts) == len(LINE.findall(text))  # one line per name
    assert "What the dashboard will do:" in text
    return verdicts


# What each mode must make of the names the dashboard sends (untested only where the data
# cannot tell: e.g. every job of the queue has the same lifecycle status).
EXPECTED = {
    ("SearchJobs", "filter", "TASK_RUN_STATUS"): ("accepted", "accepted", "accepted"),
    ("SearchJobs", "filter", "searchTermFilter(CONTAINS)"): ("accepted", "accepted", "accepted"),
    ("SearchJobs", "filter", "LIFECYCLE_STATUS"): ("accepted", "refused", "ignored"),
    ("SearchJobs", "sort", "CREATED_AT"): ("accepted", "accepted", "accepted"),
    ("SearchJobs", "sort", "ENDED_AT"): ("accepted", "refused", "ignored"),  # no release sends it
    ("SearchJobs", "sort", "PRIORITY"): ("accepted", "refused", "ignored"),
    ("SearchJobs", "sort", "NAME"): ("accepted", "refused", "ignored"),
    ("SearchTasks", "filter", "STEP_ID"): ("accepted", "refused", "ignored"),
    ("SearchTasks", "filter", "RUN_STATUS"): ("accepted", "refused", "ignored"),
    ("SearchTasks", "filter", "TASK_ID"): ("accepted", "refused", "ignored"),
    ("SearchTasks", "filter", "searchTermFilter(CONTAINS)"): ("accepted", "refused", "ignored"),
    ("SearchTasks", "filter", "parameterFilter"): ("accepted", "refused", "ignored"),
    ("SearchTasks", "sort", "TASK_ID"): ("accepted", "refused", "ignored"),
    ("SearchTasks", "sort", "RUN_STATUS"): ("accepted", "refused", "ignored"),
    ("SearchTasks", "sort", "FAILURE_RETRY_COUNT"): ("accepted", "refused", "ignored"),
}


@pytest.mark.parametrize("mode", ["lenient", "strict", "ignore"])
def test_each_mode_gives_its_verdicts(emulator: Emulator, mode: str) -> None:
    verdicts = probe(emulator, mode)
    column = ("lenient", "strict", "ignore").index(mode)
    for name, expected in EXPECTED.items():
        assert verdicts.get(name) == expected[column], (mode, name, verdicts.get(name))
    assert set(verdicts.values()) <= {"accepted", "refused", "ignored", "untested"}
    calls = emulator.calls.snapshot()
    assert not WRITES & set(calls)  # read-only
    assert 10 < sum(calls.values()) <= 60  # a few dozen calls


def test_what_the_probe_learnt_spares_the_dashboard_the_refusal(emulator: Emulator) -> None:
    probe(emulator, "strict")
    use = search.NameUse("SearchTasks", "stringFilter", "STEP_ID", "")
    assert search.verdict(use) == search.REFUSED


def test_nothing_to_probe_is_a_clear_message(emulator: Emulator, settings: LazySettings) -> None:
    settings.DASHBOARD_FARMS = ["farm-" + "0" * 32]  # no farm the credentials see
    with pytest.raises(CommandError, match="No farm to probe"):
        call_command("probe_api", stdout=StringIO())
    assert not {op for op in emulator.calls.snapshot() if op.startswith("Search")}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--farm-id", "farm-XYZ"], "not a valid ID"),
        (["--queue-id", "queue-" + "1" * 32], "needs --farm-id"),
    ],
)
def test_bad_arguments_are_refused_before_any_call(
    emulator: Emulator, args: list[str], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("probe_api", *args, stdout=StringIO())
    assert emulator.calls.total() == 0


def test_a_queue_without_jobs_says_so(emulator: Emulator) -> None:
    farm = emulator.add_farm(queues=1, jobs_per_queue=0)
    with pytest.raises(CommandError, match="no job to probe with"):
        call_command(
            "probe_api",
            "--farm-id",
            farm["farmId"],
            "--queue-id",
            farm["queues"][0]["queueId"],
            stdout=StringIO(),
        )
