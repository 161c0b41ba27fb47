"""What "find a task" reads a typed text as: a frame where the step has a frame parameter, an
index with ``#``/``index:``, and chunks of frames that hold the frame typed."""

from __future__ import annotations

import pytest

from tasks_app.deadline.types import StepDetail, TaskParameter
from tasks_app.selectors.task_find import (
    FrameParameter,
    bare_index,
    bare_number,
    chunk_contains,
    explicit_index,
    frame_parameter,
    holds_frame,
)
from tasks_app.selectors.task_table import TaskQuery

STEP_ID = "step-" + "a" * 32


def step(*parameters: tuple[str, str]) -> StepDetail:
    space = [{"name": name, "type": kind} for name, kind in parameters]
    return StepDetail.from_api(
        {
            "stepId": STEP_ID,
            "name": "render",
            "lifecycleStatus": "CREATE_COMPLETE",
            "taskRunStatus": "SUCCEEDED",
            "taskRunStatusCounts": {"SUCCEEDED": 10},
            "createdAt": "2026-11-20T10:00:00Z",
            "createdBy": "ana",
            "parameterSpace": {"parameters": space},
        }
    )


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ((("Frame", "INT"),), FrameParameter("Frame", chunked=False)),
        ((("Layer", "STRING"), ("Frames", "CHUNK_INT")), FrameParameter("Frames", chunked=True)),
        ((("frame_number", "INT"),), FrameParameter("frame_number", chunked=False)),
        ((("FrameLabel", "STRING"),), None),  # says frame, but is text
        ((("Shot", "INT"),), None),  # an integer that is not a frame
        ((), None),
    ],
)
def test_the_frame_parameter_is_an_integer_named_frame(
    parameters: tuple[tuple[str, str], ...], expected: FrameParameter | None
) -> None:
    assert frame_parameter(step(*parameters)) == expected


def test_parameter_types_survive_the_cache() -> None:
    original = step(("Frame", "INT"), ("Layer", "STRING"))

    again = StepDetail.from_cache(original.to_cache())

    assert again.parameter_types == ("INT", "STRING")
    assert frame_parameter(again) == FrameParameter("Frame", chunked=False)


@pytest.mark.parametrize(
    ("text", "index", "number"),
    [
        ("#93", 93, None),
        ("index:93", 93, None),
        (" Index: 7 ", 7, None),
        ("93", None, "93"),
        ("-12", None, "-12"),
        ("#-1", None, None),
        ("#12345678901", None, None),  # eleven digits: no task index
        ("Frame=93", None, None),
        ("٣", None, None),  # not an ASCII digit
    ],
)
def test_explicit_indexes_and_bare_numbers(
    text: str, index: int | None, number: str | None
) -> None:
    assert explicit_index(text) == index
    assert bare_number(text) == number


def test_a_bare_number_is_an_index_only_where_it_can_be_one() -> None:
    assert bare_index("93") == 93
    assert bare_index("-12") is None
    assert bare_index("12345678901") is None


@pytest.mark.parametrize(
    ("expression", "frame", "held"),
    [
        ("91-100", 93, True),
        ("91-100", 101, False),
        ("1-3,5,7-20:2", 5, True),
        ("1-3,5,7-20:2", 9, True),
        ("1-3,5,7-20:2", 10, False),
        ("-5--1", -3, True),
        ("7", 7, True),
        ("1-10000000000", 9_999_999_999, True),  # computed, never expanded
        ("garbage", 1, False),
    ],
)
def test_a_chunk_holds_its_frames(expression: str, frame: int, held: bool) -> None:
    assert chunk_contains(expression, frame) is held
    assert holds_frame(TaskParameter("Frames", "chunkInt", expression), str(frame)) is held


def test_a_query_reads_a_bare_number_as_the_steps_frame() -> None:
    framed = step(("Frame", "INT"))
    frameless = step(("Shot", "INT"))

    assert TaskQuery(search="93").for_step(framed).search == "Frame=93"
    assert TaskQuery(search="93").for_step(framed).index is None
    assert TaskQuery(search="93").for_step(frameless).index == 93
    assert TaskQuery(search="#93").for_step(framed).index == 93
