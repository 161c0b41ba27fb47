"""Validate a value against a botocore model shape; returns ``(path, message)`` problems.

Used on every request (input) and by tests on every answer (output). Input is stricter
than botocore's client side: maximums and patterns are enforced here, as the service does.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

from deadline_emulator.service_model import ServiceModel, deadline_model

Problem = tuple[str, str]

# The emulator's (and AWS's) output format for timestamps.
WIRE_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z")

_patterns: dict[str, re.Pattern[str] | None] = {}


def compiled_pattern(pattern: str) -> re.Pattern[str] | None:
    """The model's (Java-flavoured) pattern compiled for ``fullmatch``; None if Python can't."""
    try:
        return _patterns[pattern]
    except KeyError:
        pass
    try:
        compiled: re.Pattern[str] | None = re.compile(pattern)
    except re.error:
        compiled = None  # skipped: every ID pattern in the model compiles
    _patterns[pattern] = compiled
    return compiled


def parse_timestamp(value: Any) -> datetime | None:
    """Parse an input timestamp (ISO 8601 string or epoch number) to an aware datetime."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else None
    if isinstance(value, str) and _EPOCH.fullmatch(value.strip()):
        value = float(value)
    try:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return datetime.fromtimestamp(value, tz=UTC) if math.isfinite(value) else None
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


_EPOCH = re.compile(r"-?\d+(\.\d+)?")


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else value
    return text if len(text) <= 64 else text[:61] + "..."


class Validator:
    """Walks one model; ``output=True`` expects answers, ``False`` parsed requests."""

    def __init__(self, model: ServiceModel, *, output: bool) -> None:
        self.model = model
        self.output = output

    def validate(self, value: Any, shape_name: str, path: str = "") -> list[Problem]:
        problems: list[Problem] = []
        self._check(value, shape_name, path, problems)
        return problems

    def _check(self, value: Any, shape_name: str, path: str, problems: list[Problem]) -> None:
        shape = self.model.shapes[shape_name]
        kind = shape["type"]
        check = getattr(self, "_check_" + kind, None)
        if check is None:
            return  # blob and anything new: not constrained here
        check(value, shape, path, problems)

    def _check_structure(
        self, value: Any, shape: dict[str, Any], path: str, problems: list[Problem]
    ) -> None:
        if shape.get("document"):
            return
        if not isinstance(value, dict):
            problems.append((path, f"Value '{_show(value)}' must be an object"))
            return
        members = shape["members"]
        for name in shape.get("required", ()):
            if value.get(name) is None:
                problems.append((_join(path, name), "Member must not be null"))
        present = 0
        for name, member_value in value.items():
            member = members.get(name)
            if member is None:
                problems.append((_join(path, name), "Unknown member"))
                continue
            if member_value is None:
                continue
            present += 1
            self._check(member_value, member["shape"], _join(path, name), problems)
        if shape.get("union") and present != 1:
            problems.append((path, f"Exactly one member of the union must be set, got {present}"))

    def _check_list(
        self, value: Any, shape: dict[str, Any], path: str, problems: list[Problem]
    ) -> None:
        if not isinstance(value, list | tuple):
            problems.append((path, f"Value '{_show(value)}' must be a list"))
            return
        _length(len(value), shape, path, problems, "length")
        item_shape = shape["member"]["shape"]
        for index, item in enumerate(value):
            self._check(item, item_shape, f"{path}[{index}]", problems)

    def _check_map(
        self, value: Any, shape: dict[str, Any], path: str, problems: list[Problem]
    ) -> None:
        if not isinstance(value, dict):
            problems.append((path, f"Value '{_show(value)}' must be a map"))
            return
        _length(len(value), shape, path, problems, "length")
        key_shape, value_shape = shape["key"]["shape"], shape["value"]["shape"]
        for key, item in value.items():
            item_path = f"{path}[{key!r}]" if isinstance(key, str) else f"{path}[?]"
            self._check(key, key_shape, item_path, problems)
            self._check(item, value_shape, item_path, problems)

    def _check_string(
        self, value: Any, shape: dict[str, Any], path: str, problems: list[Problem]
    ) -> None:
        if not isinstance(value, str):
            problems.append((path, f"Value '{_show(value)}' must be a string"))
            return
        enum = shape.get("enum")
        if enum is not None and value not in enum:
            problems.append(
                (path, f"Value '{_show(value)}' must satisfy enum value set: [{', '.join(enum)}]")
            )
            return
        _length(len(value), shape, path, problems, "length")
        pattern = shape.get("pattern")
        if pattern is not None:
            compiled = compiled_pattern(pattern)
            if compiled is not None and compiled.fullmatch(value) is None:
                problems.append(
                    (
                        path,
                        f"Value '{_show(value)}' must satisfy regular expression pattern: "
                        f"{pattern}",
                    )
                )

    def _check_integer(
        self, value: Any, shape: dict[str, Any], path: str, problems: list[Problem]
    ) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append((path, f"Value '{_show(value)}' must be an integer"))
            return
        _range(value, shape, path, problems)

    _check_long = _check_integer

    def _check_float(
        self, value: Any, shape: dict[str, Any], path: str, problems: list[Problem]
    ) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            problems.append((path, f"Value '{_show(value)}' must be a number"))
            return
        if not math.isfinite(value):
            problems.append((path, f"Value '{_show(value)}' must be a finite number"))
            return
        _range(value, shape, path, problems)

    _check_double = _check_float

    def _check_boolean(
        self, value: Any, shape: dict[str, Any], path: str, problems: list[Problem]
    ) -> None:
        if not isinstance(value, bool):
            problems.append((path, f"Value '{_show(value)}' must be a boolean"))

    def _check_timestamp(
        self, value: Any, shape: dict[str, Any], path: str, problems: list[Problem]
    ) -> None:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                problems.append((path, "Timestamp must be timezone-aware"))
            return
        if self.output:
            if not (isinstance(value, str) and WIRE_TIMESTAMP.fullmatch(value)):
                problems.append(
                    (path, f"Value '{_show(value)}' must be a YYYY-MM-DDTHH:MM:SS.mmmZ timestamp")
                )
        elif parse_timestamp(value) is None:
            problems.append((path, f"Value '{_show(value)}' must be an ISO 8601 or epoch time"))


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _length(
    size: int, shape: dict[str, Any], path: str, problems: list[Problem], what: str
) -> None:
    low, high = shape.get("min"), shape.get("max")
    if low is not None and size < low:
        problems.append((path, f"Member must have {what} greater than or equal to {low}"))
    if high is not None and size > high:
        problems.append((path, f"Member must have {what} less than or equal to {high}"))


def _range(value: float, shape: dict[str, Any], path: str, problems: list[Problem]) -> None:
    low, high = shape.get("min"), shape.get("max")
    if low is not None and value < low:
        problems.append((path, f"Member must have value greater than or equal to {low}"))
    if high is not None and value > high:
        problems.append((path, f"Member must have value less than or equal to {high}"))


def validate(
    value: Any, shape_name: str, *, output: bool = False, model: ServiceModel | None = None
) -> list[Problem]:
    """Problems found validating ``value`` against ``shape_name`` (empty list: valid)."""
    return Validator(model or deadline_model(), output=output).validate(value, shape_name)


def validate_input(
    operation: str, params: dict[str, Any], *, model: ServiceModel | None = None
) -> list[Problem]:
    """Validate parsed request parameters against ``operation``'s input shape."""
    model = model or deadline_model()
    shape_name = model.input_shape_name(operation)
    return validate(params, shape_name, model=model) if shape_name else []


def validate_output(
    operation: str, answer: dict[str, Any], *, model: ServiceModel | None = None
) -> list[Problem]:
    """Validate an answer (backend dict or parsed wire JSON) against the output shape."""
    model = model or deadline_model()
    shape_name = model.output_shape_name(operation)
    return validate(answer, shape_name, output=True, model=model) if shape_name else []
