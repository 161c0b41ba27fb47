"""Invalid text from the API (lone surrogates, noncharacters, NUL) is repaired to U+FFFD at the
boundary, once, for every string of every answer; valid text is kept exactly."""

from __future__ import annotations

import pytest

from tasks_app.deadline.text import repair_answer, repair_string


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("shot_\ud800_v3", "shot_\ufffd_v3"),  # lone high surrogate
        ("\udfffend", "\ufffdend"),  # lone low surrogate
        ("\udc00\ud800", "\ufffd\ufffd"),  # reversed pair: two lone ones
        ("nul\x00byte", "nul\ufffdbyte"),
        ("non\ufffechar\uffff", "non\ufffdchar\ufffd"),
        ("plane\U0010fffe", "plane\ufffd"),
        ("\ufdd0", "\ufffd"),
    ],
)
def test_invalid_code_points_become_the_replacement_character(sent: str, kept: str) -> None:
    assert repair_string(sent) == kept
    assert kept.encode("utf-8").decode("utf-8") == kept  # encodable now


@pytest.mark.parametrize(
    "text",
    ["plain ascii", "Lumière — Phare 🌊", "\u202eRTL override", "تصيير", "tab\there\nnewline", ""],
)
def test_valid_text_is_kept_as_the_same_object(text: str) -> None:
    assert repair_string(text) is text


def test_every_string_of_an_answer_is_repaired_keys_included() -> None:
    answer = {
        "name": "job\ud800",
        "parameters": {"Note\udfff": {"string": "a\ud800b"}, "Frame": {"int": "7"}},
        "events": [{"message": "line \ud83d", "timestamp": 1}],
        "count": 3,
    }
    assert repair_answer(answer) == {
        "name": "job\ufffd",
        "parameters": {"Note\ufffd": {"string": "a\ufffdb"}, "Frame": {"int": "7"}},
        "events": [{"message": "line \ufffd", "timestamp": 1}],
        "count": 3,
    }
