"""Each API member declared once, on its dataclass field: ``member("createdAt", DATETIME)``
names it in the answer and says how to convert it. ``@declared`` then writes the type's
``from_api`` (reading a botocore answer, or the cache form) and ``to_cache`` (an API-shaped,
JSON-able dict: timestamps as ISO 8601 text, absent members left out) from the declarations.

Both are generated as plain Python, as ``dataclasses`` does for ``__init__``: a 10,000-task
listing reads and writes its rows as fast as the hand-written readers did.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, Self, TypeVar

WIRE = "wire"  # the metadata key of a declared field
_EMPTY: Mapping[str, Any] = {}
_NOT_GIVEN: Any = dataclasses.MISSING

T = TypeVar("T", bound=type)


# --- Conversions -------------------------------------------------------------------------------


def parse_datetime(value: datetime | str | None) -> datetime | None:
    """An aware UTC datetime from a botocore datetime or an ISO 8601 string (cache form)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def format_datetime(value: datetime | None) -> str | None:
    """The compact cache form of a datetime: ``2026-11-20T10:05:00.123Z``."""
    if value is None:
        return None
    text = value.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def compact(members: Mapping[str, Any]) -> dict[str, Any]:
    """The members that are set: absent members stay absent in the cache form."""
    return {key: value for key, value in members.items() if value is not None}


@dataclass(frozen=True)
class Conv:
    """How a member converts: ``parse`` (answer value -> field value) and ``dump`` (field
    value -> cache value); None: as it is. ``whole``: ``parse`` reads the whole answer and
    ``dump`` the whole record, giving members to merge (for fields the API spreads over
    several members, or members spread over several fields)."""

    parse: Callable[[Any], Any] | None = None
    dump: Callable[[Any], Any] | None = None
    whole: bool = False
    collection: bool = False  # its cache value is a list or dict: left out when empty


STR = Conv(str)
INT = Conv(int)
FLOAT = Conv(float)
BOOL = Conv(bool)
DATETIME = Conv(parse_datetime, format_datetime)
STRINGS = Conv(lambda items: tuple(str(item) for item in items), list, collection=True)


def many(
    kind: Any,
    keep: Callable[[Any], Any] | None = None,
    order: Callable[[Any], Any] | None = None,
    take: Callable[[Any], Any] | None = None,
) -> Conv:
    """A list of declared records, ``kind.from_api`` each: ``take`` filters the answer's items,
    ``keep`` the records built, ``order`` sorts them."""

    def parse(items: Any) -> tuple[Any, ...]:
        built = map(kind.from_api, items if take is None else filter(take, items))
        kept = built if keep is None else filter(keep, built)
        return tuple(kept if order is None else sorted(kept, key=order))

    return Conv(parse, lambda records: [r.to_cache() for r in records], collection=True)


def enum(kind: Any) -> Conv:
    """An enum read with its tolerant ``parse`` (UNKNOWN for a newer value)."""
    return Conv(kind.parse, lambda member: member.value)


def has(name: str) -> Callable[[Mapping[str, Any]], bool]:
    """A ``take`` for ``many``: the answer's items that hold ``name``."""
    return lambda item: name in item


def complete() -> Any:
    """The ``complete`` member of pages folded into one answer: False when a bound (pages,
    the search window) cut the list short."""
    return member("complete", BOOL, default=True)


@dataclass(frozen=True)
class Computed:
    """A field's value when its member is absent, computed from the whole answer."""

    of: Callable[[Mapping[str, Any]], Any]


@dataclass(frozen=True)
class Wire:
    path: tuple[str, ...]
    conv: Conv
    required: bool  # ``answer[name]``: a KeyError when absent
    missing: Any  # the value when absent (or falsy, with ``falsy``)
    falsy: bool
    or_field: tuple[str, ...]  # when the value read is falsy, the first of these fields
    keep_empty: bool  # write empty lists and dicts too


def member(
    path: str,
    conv: Conv | None = None,
    *,
    default: Any = _NOT_GIVEN,
    required: bool = False,
    missing: Any = _NOT_GIVEN,
    falsy: bool = False,
    or_field: str | tuple[str, ...] = (),
    keep_empty: bool = False,
) -> Any:
    """A dataclass field read from the answer's ``path`` (dotted for nested members; "" with a
    ``whole`` converter). ``missing`` defaults to ``default`` (None without one)."""
    if missing is _NOT_GIVEN:
        missing = None if default is _NOT_GIVEN else default
    wire = Wire(
        path=tuple(path.split(".")) if path else (),
        conv=conv or Conv(),
        required=required,
        missing=missing,
        falsy=falsy,
        or_field=(or_field,) if isinstance(or_field, str) else or_field,
        keep_empty=keep_empty or required,
    )
    return dataclasses.field(default=default, metadata={WIRE: wire})


class Cacheable:
    """Base of every type built from an answer: ``from_api``/``to_cache`` (written by
    ``declared``, or by hand), ``from_cache`` and ``version``. ``cache.cached_read`` stores
    and rebuilds these."""

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> Self:  # pragma: no cover - overridden
        raise NotImplementedError

    def to_cache(self) -> dict[str, Any]:  # pragma: no cover - overridden
        raise NotImplementedError

    @classmethod
    def from_cache(cls, data: Mapping[str, Any]) -> Self:
        return cls.from_api(data)

    @cached_property
    def version(self) -> str:
        """A short digest of the content: equal versions render identically."""
        text = json.dumps(self.to_cache(), sort_keys=True, separators=(",", ":"))
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


# --- Generated readers and writers -------------------------------------------------------------


def declared(cls: T) -> T:
    """Give a dataclass whose fields are all ``member``s its ``from_api`` and ``to_cache``."""
    fields = dataclasses.fields(cls)
    wires = {f.name: f.metadata.get(WIRE) for f in fields}
    undeclared = [name for name, wire in wires.items() if wire is None]
    if undeclared:
        raise TypeError(f"{cls.__name__}: fields without member(): {undeclared}")
    names: dict[str, Any] = {"_EMPTY": _EMPTY, "_merge": _merge}
    reader = _reader_source(cls, wires, names)
    writer = _writer_source(wires, names)
    exec(compile(reader + writer, f"<declared {cls.__qualname__}>", "exec"), names)  # noqa: S102
    cls.from_api = classmethod(names["from_api"])  # type: ignore[attr-defined]
    cls.to_cache = names["to_cache"]  # type: ignore[attr-defined]
    cls.__wire__ = wires  # type: ignore[attr-defined]
    return cls


def declarations(kind: type) -> Mapping[str, Wire] | None:
    """The members ``declared`` gave ``kind``, by field (None: its readers are not declared)."""
    return kind.__wire__ if "__wire__" in vars(kind) else None  # type: ignore[attr-defined]


def _reader_source(cls: type, wires: dict[str, Wire], names: dict[str, Any]) -> str:
    lines = ["def from_api(cls, answer):"]
    for i, wire in enumerate(wires.values()):
        parse, missing = f"_parse{i}", f"_missing{i}"
        names[parse], names[missing] = wire.conv.parse, wire.missing
        if wire.conv.whole:
            lines.append(f"    f{i} = {parse}(answer)")
            continue
        lines += _lookup(wire, "answer", "_v")
        absent = "not _v" if wire.falsy else "_v is None"
        fallback = f"{missing}.of(answer)" if isinstance(wire.missing, Computed) else missing
        value = f"{parse}(_v)" if wire.conv.parse else "_v"
        lines += [f"    f{i} = {fallback} if {absent} else {value}"]
    order = list(wires)
    for i, wire in enumerate(wires.values()):
        other = next((f for f in wire.or_field if f in wires), None)
        if other is not None:
            lines.append(f"    f{i} = f{i} or f{order.index(other)}")
    arguments = ", ".join(f"{name}=f{i}" for i, name in enumerate(order))
    lines.append(f"    return cls({arguments})")
    return "\n".join(lines) + "\n"


def _merge(data: dict[str, Any], members: Mapping[str, Any]) -> None:
    """Members into ``data``, nested dicts merged (two fields may share a parent member)."""
    for key, value in members.items():
        if isinstance(value, Mapping) and isinstance(data.get(key), dict):
            _merge(data[key], value)
        else:
            data[key] = value


def _lookup(wire: Wire, source: str, target: str) -> list[str]:
    *parents, last = wire.path
    lines = []
    for key in parents:
        lines.append(f"    {target} = {source}.get({key!r}) or _EMPTY")
        source = target
    get = f"{source}[{last!r}]" if wire.required and not parents else f"{source}.get({last!r})"
    return [*lines, f"    {target} = {get}"]


def _writer_source(wires: dict[str, Wire], names: dict[str, Any]) -> str:
    lines = ["def to_cache(self):", "    data = {}"]
    for i, (name, wire) in enumerate(wires.items()):
        dump = f"_dump{i}"
        names[dump] = wire.conv.dump
        if wire.conv.whole:
            if wire.conv.dump:
                lines += [f"    _m = {dump}(self)", "    if _m:", "        _merge(data, _m)"]
            continue
        lines.append(f"    _v = self.{name}")
        kept = wire.keep_empty or not wire.conv.collection
        test = "_v is not None" if kept else "_v"
        target = "data"
        for key in wire.path[:-1]:
            target = f"{target}.setdefault({key!r}, {{}})"
        store = f"{target}[{wire.path[-1]!r}] = _v"
        if wire.conv.dump:
            lines += ["    if _v is not None:", f"        _v = {dump}(_v)"]
            lines += [f"        if {test}:", f"            {store}"]
        else:
            lines += [f"    if {test}:", f"        {store}"]
    lines.append("    return data")
    return "\n".join(lines) + "\n"
