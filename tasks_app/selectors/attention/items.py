"""What the attention list holds: its items (view models, ranked by impact) and the report
that carries them through the shared cache, with its JSON in the documented shape."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.urls import reverse

from ...deadline.types import Cacheable, format_datetime, parse_datetime

KINDS = (
    "failed_job",
    "stalled_task",
    "slow_task",
    "blocked_queue",
    "sick_worker",
    "waiting_job",
    "budget",
)
KIND_LABELS = {
    "failed_job": "Failed job",
    "stalled_task": "Stalled",
    "slow_task": "Slow",
    "blocked_queue": "Blocked queue",
    "sick_worker": "Sick worker",
    "waiting_job": "Waiting job",
    "budget": "Budget",
}

#: The kinds that are one task each (the job page and step table show them).
TASK_KINDS = frozenset({"stalled_task", "slow_task"})

#: Used for impact when nothing better is known about a task's runtime.
DEFAULT_TASK_SECONDS = 600.0


def url(name: str, **kwargs: str) -> str:
    return reverse(name, kwargs=kwargs)


def task_url(farm_id: str, queue_id: str, job_id: str, step_id: str, task_id: str) -> str:
    return url(
        "task_detail",
        farm_id=farm_id,
        queue_id=queue_id,
        job_id=job_id,
        step_id=step_id,
        task_id=task_id,
    )


def job_failures_url(farm_id: str, queue_id: str, job_id: str) -> str:
    """Where one acts on a job's failures: its failures grouped by cause."""
    return url("job_failures", farm_id=farm_id, queue_id=queue_id, job_id=job_id)


@dataclass(frozen=True)
class AttentionItem:
    """One row of the attention list. ``impact`` is in task-seconds (tasks affected times their
    runtime); ``title``/``where`` are for people, the rest is the JSON the docs specify.
    ``state`` is what an acknowledgement holds to: the same item in another state (more failed
    tasks, more tasks held) is news again."""

    kind: str
    reason: str
    impact: float
    url: str
    farm_id: str
    queue_id: str | None = None
    job_id: str | None = None
    step_id: str | None = None
    task_id: str | None = None
    worker_id: str | None = None
    fleet_id: str | None = None  # a sick worker's fleet: its row links to the worker page
    title: str = ""
    detail: str = ""  # a task's step and parameters ("comp · Frame=1042")
    where: str = ""
    state: str = ""

    @classmethod
    def from_api(cls, data: Mapping[str, Any]) -> AttentionItem:
        return cls(
            kind=str(data["kind"]),
            reason=str(data["reason"]),
            impact=float(data["impact"]),
            url=str(data["url"]),
            farm_id=str(data["farm_id"]),
            queue_id=data.get("queue_id"),
            job_id=data.get("job_id"),
            step_id=data.get("step_id"),
            task_id=data.get("task_id"),
            worker_id=data.get("worker_id"),
            fleet_id=data.get("fleet_id"),
            title=str(data.get("title", "")),
            detail=str(data.get("detail", "")),
            where=str(data.get("where", "")),
            state=str(data.get("state", "")),
        )

    def as_json(self) -> dict[str, Any]:
        """Exactly the issue's shape: kind, reason, impact, url, and the IDs that apply."""
        answer: dict[str, Any] = {
            "kind": self.kind,
            "reason": self.reason,
            "impact": round(self.impact, 1),
            "url": self.url,
        }
        for key in ("farm_id", "queue_id", "job_id", "step_id", "task_id", "worker_id"):
            value = getattr(self, key)
            if value:
                answer[key] = value
        return answer

    def to_cache(self) -> dict[str, Any]:
        return {
            **self.as_json(),
            "impact": self.impact,
            "title": self.title,
            "detail": self.detail,
            "where": self.where,
            "fleet_id": self.fleet_id,
            "state": self.state,
        }

    @property
    def key(self) -> str:
        """The item's identity across refreshes (what acknowledgements and snoozes name)."""
        subject = (
            self.task_id
            or self.worker_id
            or self.job_id
            or (f"{self.queue_id}:{self.title}" if self.kind == "budget" else self.queue_id)
            or f"{self.farm_id}:{self.title}"
        )
        return f"{self.kind}:{subject}"

    @property
    def worker_url(self) -> str | None:
        """A sick worker's own page (its sessions, log and charts)."""
        if self.kind != "sick_worker" or not (self.fleet_id and self.worker_id):
            return None
        return url(
            "worker_detail",
            farm_id=self.farm_id,
            fleet_id=self.fleet_id,
            worker_id=self.worker_id,
        )

    @property
    def label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def impact_text(self) -> str:
        """``≈ 3.2 task-hours`` (how much work the trouble holds up or wasted)."""
        hours = self.impact / 3600
        if hours >= 10:
            return f"≈ {hours:,.0f} task-hours"
        if hours >= 1:
            return f"≈ {hours:.1f} task-hours"
        return f"≈ {max(self.impact / 60, 0):.0f} task-min"


_KIND_ORDER = {
    kind: n
    for n, kind in enumerate(
        ("stalled_task", "blocked_queue", "sick_worker", "failed_job", "waiting_job", "slow_task")
    )
}


def rank(items: Iterable[AttentionItem]) -> list[AttentionItem]:
    """Highest impact first; ties by kind (stalled before slow) and title."""
    return sorted(items, key=lambda i: (-i.impact, _KIND_ORDER.get(i.kind, 9), i.title, i.url))


@dataclass(frozen=True)
class AttentionReport(Cacheable):
    """The farm-wide list, ranked, with what could not be checked (``notes``)."""

    items: tuple[AttentionItem, ...]
    checked_at: datetime
    queues: int = 0
    notes: tuple[str, ...] = ()

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> AttentionReport:
        checked = parse_datetime(answer.get("checkedAt")) or datetime.fromtimestamp(0, tz=UTC)
        return cls(
            items=tuple(AttentionItem.from_api(item) for item in answer.get("items") or ()),
            checked_at=checked,
            queues=int(answer.get("queues") or 0),
            notes=tuple(str(n) for n in answer.get("notes") or ()),
        )

    def to_cache(self) -> dict[str, Any]:
        return {
            "items": [item.to_cache() for item in self.items],
            "checkedAt": format_datetime(self.checked_at),
            "queues": self.queues,
            "notes": list(self.notes),
        }

    @property
    def count(self) -> int:
        return len(self.items)

    def counts(self) -> dict[str, int]:
        """Items per kind, every kind present (for the summary line)."""
        found = Counter(item.kind for item in self.items)
        return {kind: found.get(kind, 0) for kind in KINDS}

    def for_job(self, job_id: str) -> list[AttentionItem]:
        return [i for i in self.items if i.job_id == job_id and i.kind in TASK_KINDS]

    def for_tasks(self, job_id: str) -> dict[str, AttentionItem]:
        """Task ID -> its stalled or slow item, for one job's tables."""
        return {i.task_id: i for i in self.for_job(job_id) if i.task_id}

    def task_counts(self, ids: Iterable[str], attribute: str) -> dict[str, dict[str, int]]:
        """Per job (``attribute`` "job_id") or step ("step_id"): stalled and slow counts."""
        wanted = set(ids)
        counts: dict[str, dict[str, int]] = defaultdict(lambda: {"stalled": 0, "slow": 0})
        for item in self.items:
            key = getattr(item, attribute)
            if key in wanted and item.kind in TASK_KINDS:
                counts[key]["stalled" if item.kind == "stalled_task" else "slow"] += 1
        return dict(counts)
