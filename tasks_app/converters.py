"""URL path converters, one per Deadline Cloud ID kind (``<task_id:task_id>``).

A converter that refuses a malformed ID makes Django answer 404 before any view runs, so
malformed IDs never reach the API.
"""

from __future__ import annotations

from django.urls import register_converter

from .deadline.ids import ID_PATTERNS


class IdConverter:
    """Matches one ID kind exactly; ``to_python``/``to_url`` pass the string through."""

    regex: str

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


def _converter(kind: str, pattern: str) -> type[IdConverter]:
    name = "".join(part.title() for part in kind.split("_")) + "Converter"
    return type(name, (IdConverter,), {"regex": pattern})


for _kind, _pattern in ID_PATTERNS.items():
    register_converter(_converter(_kind, _pattern.pattern), _kind)
