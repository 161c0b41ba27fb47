"""Task and job parameters (the API's unions of int, float, string, path...: kept as their
member and their value as text), OpenJD chunk expressions, and a job's attachment roots."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .codec import STR, STRINGS, Conv, declared, member

PARAMETER_TYPES = ("int", "float", "string", "path", "chunkInt")
_CHUNK_ITEM = re.compile(r"(-?\d+)(?:-(-?\d+)(?::(\d+))?)?")
_MAX_CHUNK_ITEMS = 1000


def chunk_frame_count(expression: str) -> int | None:
    """Number of integers in an OpenJD chunk expression (``1-10``, ``1-3,5,7-20:2``), or None.

    Ranges are inclusive; the count is computed, never by expanding the range.
    """
    items = [item.strip() for item in expression.split(",")]
    if not items or len(items) > _MAX_CHUNK_ITEMS:
        return None
    total = 0
    for item in items:
        match = _CHUNK_ITEM.fullmatch(item)
        if match is None:
            return None
        start = int(match.group(1))
        end = int(match.group(2)) if match.group(2) is not None else start
        step = int(match.group(3)) if match.group(3) is not None else 1
        if step < 1 or end < start:
            return None
        total += (end - start) // step + 1
    return total


@dataclass(frozen=True)
class TaskParameter:
    """One task parameter: ``type`` is the union member the API used (int, float, ...)."""

    name: str
    type: str
    value: str

    @classmethod
    def from_api(cls, name: str, union: Mapping[str, Any]) -> TaskParameter:
        for kind in PARAMETER_TYPES:
            if kind in union:
                return cls(name=name, type=kind, value=str(union[kind]))
        # An unknown union member from a newer API: keep it visible rather than dropping it.
        kind, value = next(iter(union.items()), ("unknown", ""))
        return cls(name=name, type=str(kind), value=str(value))

    def to_api(self) -> dict[str, str]:
        return {self.type: self.value}

    @property
    def frame_count(self) -> int | None:
        """For chunkInt: how many integers (frames) the chunk holds, when parseable."""
        if self.type != "chunkInt":
            return None
        return chunk_frame_count(self.value)

    @property
    def is_monospace(self) -> bool:
        return self.type in {"int", "float", "path", "chunkInt"}


def _list_text(value: Any) -> str:
    """A list-typed job parameter (stringList, intListList...) as one line of text."""
    if isinstance(value, list):
        return ", ".join(
            "[" + ", ".join(map(str, item)) + "]" if isinstance(item, list) else str(item)
            for item in value
        )
    return str(value)


def _job_parameters(raw: Mapping[str, Any]) -> tuple[TaskParameter, ...]:
    """A job's parameters (the JobParameter union: int, float, string, path, bool, rangeExpr
    and the list types), each as its member and its value as text."""
    found = []
    for name in sorted(raw):
        kind, value = next(iter((raw[name] or {}).items()), ("unknown", ""))
        found.append(TaskParameter(name=name, type=str(kind), value=_list_text(value)))
    return tuple(found)


def _parameters_from_api(raw: Mapping[str, Any]) -> tuple[TaskParameter, ...]:
    return tuple(TaskParameter.from_api(name, raw[name]) for name in sorted(raw))


def _parameters_to_api(parameters: tuple[TaskParameter, ...]) -> dict[str, dict[str, str]]:
    return {p.name: p.to_api() for p in parameters}


#: A task's ``parameters`` (the TaskParameter union), by name.
PARAMETERS = Conv(_parameters_from_api, _parameters_to_api, collection=True)
#: A job's ``parameters`` (the JobParameter union, list types included), by name.
JOB_PARAMETERS = Conv(_job_parameters, _parameters_to_api, collection=True)


@declared
@dataclass(frozen=True)
class AttachmentRoot:
    """One root of a job's attachments (ManifestProperties): where inputs were uploaded from
    and where outputs are written, relative to it."""

    root_path: str = member("rootPath", STR, falsy=True, missing="")
    path_format: str = member("rootPathFormat", STR, falsy=True, missing="")
    location: str | None = member("fileSystemLocationName", default=None)
    outputs: tuple[str, ...] = member("outputRelativeDirectories", STRINGS, default=())
    input_manifest: str | None = member("inputManifestPath", default=None)
