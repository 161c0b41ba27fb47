"""What an operator types into "find a task", read as they mean it: frames, not indexes.

Operators think in frames. Where a step has a frame-like parameter (an integer parameter whose
name says frame: ``Frame``, ``Frames``, ``frame_number``...), a bare number is that frame:
``93`` finds the task whose Frame is 93 (or whose chunk of frames holds 93), not the task with
index 93 (which would be Frame=94 on a step whose frames start at 1). The task index stays
reachable with an explicit form: ``#93`` or ``index:93``. On a step without a frame-like
parameter a bare number is still a task index, as before.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..deadline.types import StepDetail, TaskParameter

_EXPLICIT_INDEX = re.compile(r"(?:#|index:)\s*(0|[1-9][0-9]{0,9})", re.IGNORECASE)
_BARE_NUMBER = re.compile(r"-?(0|[1-9][0-9]{0,18})")
_INDEX_DIGITS = 10  # task IDs end in -(0|[1-9][0-9]{0,9})
_FRAME_TYPES = frozenset({"INT", "CHUNK_INT", ""})  # "": an answer that gave no type
_CHUNK_ITEM = re.compile(r"(-?\d+)(?:-(-?\d+)(?::(\d+))?)?")
_MAX_CHUNK_ITEMS = 1000


@dataclass(frozen=True)
class FrameParameter:
    """The step's frame-like parameter: its name, and whether tasks hold chunks of frames."""

    name: str
    chunked: bool


def frame_parameter(step: StepDetail) -> FrameParameter | None:
    """The step's frame-like parameter, if it has one (the first whose name says frame)."""
    types = step.parameter_types or ("",) * len(step.parameter_names)
    for name, kind in zip(step.parameter_names, types, strict=True):
        if "frame" in name.casefold() and kind.upper() in _FRAME_TYPES:
            return FrameParameter(name=name, chunked=kind.upper() == "CHUNK_INT")
    return None


def explicit_index(text: str) -> int | None:
    """``#93`` or ``index:93``: the task index asked for, whatever the step's parameters."""
    match = _EXPLICIT_INDEX.fullmatch(text.strip())
    return int(match.group(1)) if match else None


def bare_number(text: str) -> str | None:
    """``93`` or ``-12``: a number typed on its own (a frame, or an index on a frameless step)."""
    text = text.strip()
    return text if text.isascii() and _BARE_NUMBER.fullmatch(text) else None


def bare_index(text: str) -> int | None:
    """A bare number that can be a task index (not negative, at most ten digits)."""
    number = bare_number(text)
    if number is None or number.startswith("-") or len(number) > _INDEX_DIGITS:
        return None
    return int(number)


def chunk_contains(expression: str, frame: int) -> bool:
    """Whether an OpenJD chunk expression (``1-10``, ``1-3,5,7-20:2``) holds ``frame``,
    computed without expanding the ranges."""
    items = [item.strip() for item in expression.split(",")]
    if len(items) > _MAX_CHUNK_ITEMS:
        return False
    for item in items:
        match = _CHUNK_ITEM.fullmatch(item)
        if match is None:
            return False
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) is not None else start
        step = int(match.group(3)) if match.group(3) is not None else 1
        if step >= 1 and start <= frame <= end and (frame - start) % step == 0:
            return True
    return False


def holds_frame(parameter: TaskParameter | None, frame: str) -> bool:
    """Whether a task's frame parameter is ``frame``, or (a chunk) holds it."""
    if parameter is None:
        return False
    if parameter.type == "chunkInt":
        return chunk_contains(parameter.value, int(frame))
    try:
        return int(parameter.value) == int(frame)
    except ValueError:
        return False
