"""Every type built from API answers, through both of its forms.

Each type (found by walking the type modules, so a new one without answers fails) is built
from realistic answers: the demo world's, read through the in-process boto3 clients, and the
model's fullest and least shapes. It must survive its cache form unchanged, and read answers
exactly as the hand-written readers did before the fields were declared once: the recorded
``types_golden.json`` holds what they built (``repr``) and cached for each answer, and the
cache form they wrote must still read back (entries written before a deploy stay valid).

Re-record (only when a type changes on purpose): ``RECORD_TYPES_GOLDEN=1 pytest <this file>``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from deadline_emulator import Emulator
from tasks_app.deadline import client as deadline_client
from tasks_app.deadline import farm_types, fleet_types, scheduling_types, session_types, types
from tasks_app.deadline.codec import (
    BOOL,
    DATETIME,
    STR,
    STRINGS,
    declarations,
    declared,
    member,
)
from tasks_app.deadline.types import Cacheable
from tests.tasks_app.deadline.type_answers import all_answers

# Imported so that their types are defined when the test walks Cacheable's subclasses.
MODULES = (types, session_types, farm_types, fleet_types, scheduling_types)
GOLDEN = Path(__file__).with_name("types_golden.json")
# Modules whose types ``types`` gathers (the answers name them ``types.Class``).
GATHERED = {"resource_types", "browse_types", "parameters", "task_status"}


def _subclasses(kind: type) -> Iterator[type]:
    for sub in kind.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def api_types() -> dict[str, type[Cacheable]]:
    """``module.Class`` -> every public Cacheable the deadline boundary defines."""
    found = {}
    for kind in _subclasses(Cacheable):
        package, _, short = kind.__module__.rpartition(".")
        if package == "tasks_app.deadline" and not kind.__name__.startswith("_"):
            found[f"{'types' if short in GATHERED else short}.{kind.__name__}"] = kind
    return found


def encode(value: Any) -> Any:
    """JSON for an answer: datetimes tagged so they come back as datetimes."""
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [encode(v) for v in value]
    return value


def decode(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$datetime"}:
            return datetime.fromisoformat(value["$datetime"])
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


@pytest.fixture(scope="module")
def golden() -> list[dict[str, Any]]:
    return json.loads(GOLDEN.read_text()) if GOLDEN.exists() else []


_READ: dict[str, list[dict[str, Any]]] = {}


@pytest.fixture
def answers(emulator: Emulator) -> dict[str, list[dict[str, Any]]]:
    """The answers, read from the demo world once per run (building it takes seconds)."""
    if not _READ:
        _READ.update(all_answers(deadline_client.get_client(), deadline_client.get_logs_client()))
    return _READ


def test_every_type_has_answers(answers: dict[str, list[dict[str, Any]]]) -> None:
    modules = {module.__name__.rpartition(".")[2] for module in MODULES}
    assert {key.partition(".")[0] for key in api_types()} == modules
    missing = sorted(set(api_types()) - set(answers))
    assert missing == [], f"types without answers in type_answers.py: {missing}"


def test_every_type_declares_its_members_once() -> None:
    undeclared = sorted(key for key, kind in api_types().items() if declarations(kind) is None)
    assert undeclared == [], f"types whose from_api/to_cache are not @declared: {undeclared}"


def test_a_field_without_its_member_is_refused() -> None:
    @dataclass(frozen=True)
    class Loose(Cacheable):
        note: str = ""

    with pytest.raises(TypeError, match="note"):
        declared(Loose)


@declared
@dataclass(frozen=True)
class _Probe(Cacheable):
    probe_id: str = member("probeId", STR, falsy=True, missing="")
    name: str = member("name", STR, falsy=True, missing="", or_field="probe_id")
    seen_at: datetime | None = member("seen.at", DATETIME, default=None)
    tags: tuple[str, ...] = member("tags", STRINGS, default=())
    done: bool = member("done", BOOL, default=True)


def test_the_codec_reads_and_writes_what_the_declarations_say() -> None:
    at = datetime(2026, 11, 23, 10, 0, 0, 123000, tzinfo=UTC)
    probe = _Probe.from_api({"probeId": "p-1", "name": "", "seen": {"at": at}, "done": False})

    assert probe == _Probe("p-1", "p-1", at, (), False)
    assert probe.name == probe.probe_id  # no name: the ID stands in
    assert probe.to_cache() == {
        "probeId": "p-1",
        "name": "p-1",
        "seen": {"at": "2026-11-23T10:00:00.123Z"},  # nested, ISO text
        "done": False,  # False is a value; empty lists are left out
    }
    assert _Probe.from_api({}) == _Probe("", "", None, (), True)
    assert _Probe.from_api({"tags": [1, "b"], "seen": None}).tags == ("1", "b")


def test_every_type_round_trips_its_cache_form(
    answers: dict[str, list[dict[str, Any]]],
) -> None:
    built = 0
    for key, parse in api_types().items():
        for answer in answers[key]:
            value = parse.from_api(answer)
            data = value.to_cache()
            again = parse.from_cache(json.loads(json.dumps(data)))
            assert again == value, key
            assert again.to_cache() == data, key
            built += 1
    assert built > 200


def test_answers_read_as_the_hand_written_readers_did(
    request: pytest.FixtureRequest, golden: list[dict[str, Any]]
) -> None:
    if os.environ.get("RECORD_TYPES_GOLDEN"):
        _record(request.getfixturevalue("answers"))
    assert golden, "types_golden.json missing: record it"
    kinds = api_types()
    assert {case["type"] for case in golden} == set(kinds)
    for case in golden:
        parse = kinds[case["type"]]
        value = parse.from_api(decode(case["answer"]))
        assert repr(value) == case["repr"], case["type"]
        assert parse.from_cache(case["cache"]) == value, case["type"]
        size = len(json.dumps(value.to_cache(), separators=(",", ":")))
        assert size <= len(json.dumps(case["cache"], separators=(",", ":"))), case["type"]


def _record(answers: dict[str, list[dict[str, Any]]]) -> None:
    cases = []
    for key, parse in api_types().items():
        for answer in answers[key]:
            value = parse.from_api(answer)
            cache = json.loads(json.dumps(value.to_cache()))
            cases.append(
                {"type": key, "answer": encode(answer), "repr": repr(value), "cache": cache}
            )
    lines = ",\n".join(json.dumps(case, sort_keys=True) for case in cases)
    GOLDEN.write_text("[\n" + lines + "\n]\n")
