"""The attention list as incidents, one story each: a worker that stopped (or fails most of
its attempts) is one incident with the stalled tasks it holds inside, rather than a row for
the worker and a row per task. What the page and its JSON show; the flat items stay in the
report for the job page, the step table and notifications."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .items import KIND_LABELS, KINDS, AttentionItem, AttentionReport


@dataclass(frozen=True)
class Ack:
    """An acknowledgement ("ack") or snooze in effect: who, since and until when."""

    kind: str
    label: str
    username: str
    until: datetime
    since: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "by": self.username,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
        }


@dataclass(frozen=True)
class Incident:
    """One story: ``item`` leads (its kind, reason, impact, link); ``tasks`` are the stalled
    tasks a sick worker holds, already counted in its impact; ``ack`` its acknowledgement
    or snooze in effect (``acks.with_acks``)."""

    item: AttentionItem
    tasks: tuple[AttentionItem, ...] = ()
    ack: Ack | None = None

    @property
    def key(self) -> str:
        return self.item.key

    @property
    def kind(self) -> str:
        return self.item.kind

    @property
    def kinds(self) -> frozenset[str]:
        """Its own kind and its tasks' (a stopped worker's incident is about stalled tasks too:
        the "Stalled" chip finds it)."""
        return frozenset({self.item.kind, *(task.kind for task in self.tasks)})

    @property
    def state(self) -> str:
        """What an acknowledgement holds to: the lead's state and the tasks held."""
        return f"{self.item.state}|{len(self.tasks)}" if self.tasks else self.item.state

    def as_json(self) -> dict[str, Any]:
        answer = {"key": self.key, **self.item.as_json()}
        if self.tasks:
            answer["tasks"] = [task.as_json() for task in self.tasks]
        answer["acknowledged"] = self.ack.as_json() if self.ack else None
        return answer


@dataclass(frozen=True)
class KindCount:
    """A chip above the list: a kind, how many incidents of it, and the link that filters."""

    kind: str
    label: str
    count: int
    url: str
    current: bool


def incidents(report: AttentionReport) -> list[Incident]:
    """The report's items as incidents, in the report's order (highest impact first): each
    stalled task whose worker is itself an item goes inside that worker's incident."""
    workers = {
        (i.farm_id, i.worker_id): i for i in report.items if i.kind == "sick_worker" and i.worker_id
    }
    held: dict[tuple[str, str | None], list[AttentionItem]] = {key: [] for key in workers}
    alone: list[AttentionItem] = []
    for item in report.items:
        owner = (item.farm_id, item.worker_id)
        if item.kind == "stalled_task" and owner in held:
            held[owner].append(item)
        elif item.kind != "sick_worker" or owner not in workers:
            alone.append(item)
    found = [Incident(item) for item in alone]
    found += [Incident(workers[key], tuple(tasks)) for key, tasks in held.items()]
    order = {id(item): n for n, item in enumerate(report.items)}
    return sorted(found, key=lambda incident: order[id(incident.item)])


def kind_counts(found: Iterable[Incident], *, path: str, current: str | None) -> list[KindCount]:
    """One chip per kind (every kind, zero included), each a link filtering the list; an
    incident counts under each of its ``kinds``."""
    counts = Counter(kind for incident in found for kind in incident.kinds)
    return [
        KindCount(
            kind=kind,
            label=KIND_LABELS[kind],
            count=counts.get(kind, 0),
            url=f"{path}?kind={kind}",
            current=kind == current,
        )
        for kind in KINDS
    ]


def by_key(found: Iterable[Incident]) -> Mapping[str, Incident]:
    return {incident.key: incident for incident in found}
