"""The ``/attention/`` page as one view model: the report's incidents with their
acknowledgements, those needing attention apart from those acknowledged or snoozed, the kind
chips (links that filter), and a version that changes with either the report or an
acknowledgement (so every viewer's live page picks up another's)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from .acks import with_acks
from .items import KINDS, AttentionReport
from .stories import Incident, KindCount, incidents, kind_counts


class UnknownKind(ValueError):
    """``?kind=`` names no kind of the list."""


@dataclass(frozen=True)
class Board:
    report: AttentionReport
    open: tuple[Incident, ...]  # nobody has acknowledged or snoozed them (the header's count)
    acknowledged: tuple[Incident, ...]
    chips: tuple[KindCount, ...]
    kind: str | None  # the filter, if any
    total_open: int  # unfiltered

    @property
    def version(self) -> str:
        acks = [(i.key, i.ack.kind, i.ack.username) for i in self.acknowledged if i.ack]
        text = f"{self.report.version}|{self.kind}|{sorted(acks)}"
        return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def board(report: AttentionReport, *, kind: str | None, path: str) -> Board:
    """The page for ``kind`` (None: every kind); UnknownKind for a kind the list lacks."""
    if kind is not None and kind not in KINDS:
        raise UnknownKind(kind)
    found = with_acks(incidents(report))
    open_ = [i for i in found if i.ack is None]
    wanted = [i for i in found if kind is None or kind in i.kinds]
    return Board(
        report=report,
        open=tuple(i for i in wanted if i.ack is None),
        acknowledged=tuple(i for i in wanted if i.ack is not None),
        chips=tuple(kind_counts(open_, path=path, current=kind)),
        kind=kind,
        total_open=len(open_),
    )


def find(report: AttentionReport, key: str) -> Incident | None:
    """The incident ``key`` names on the list now, or None."""
    return next((i for i in incidents(report) if i.key == key), None)
