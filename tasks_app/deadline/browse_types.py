"""List and search answers for the browse pages and the navigation form: farms, queues, a
job's steps, a page of SearchJobs or SearchTasks, and a whole listing of a step's tasks or a
queue's jobs. Each is cached whole (one entry per answer) in the API's own member names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .codec import STRINGS, Cacheable, Conv, complete, declared, many, member
from .resource_types import Farm, Job, Queue, Step, TaskSummary


@dataclass(frozen=True)
class SearchWindow:
    """Where one page sits in a Search* result (offset-based, 10,000-item window)."""

    offset: int
    page_size: int
    total: int
    shown: int

    @property
    def page(self) -> int:
        return self.offset // self.page_size + 1

    @property
    def page_count(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.page_count

    @property
    def first_shown(self) -> int:
        return self.offset + 1 if self.shown else 0

    @property
    def last_shown(self) -> int:
        return self.offset + self.shown


def _window(items: str, identity: str) -> Conv:
    """A page's place: ``itemOffset``, ``pageSize`` and ``totalResults``, and how many of its
    ``items`` are shown (those with their ``identity``: without it one cannot be linked to)."""

    def parse(answer: Mapping[str, Any]) -> SearchWindow:
        return SearchWindow(
            offset=int(answer.get("itemOffset") or 0),
            page_size=max(1, int(answer.get("pageSize") or 100)),
            total=int(answer.get("totalResults") or 0),
            shown=sum(1 for item in answer.get(items) or () if item.get(identity)),
        )

    def dump(page: Any) -> dict[str, int]:
        window = page.window
        return {
            "itemOffset": window.offset,
            "pageSize": window.page_size,
            "totalResults": window.total,
        }

    return Conv(parse, dump, whole=True)


def _notes() -> Any:
    """What the dashboard did that the service did not (fallbacks), said beside the page."""
    return member("notes", STRINGS, default=())


@declared
@dataclass(frozen=True)
class FarmList(Cacheable):
    """ListFarms, all pages."""

    farms: tuple[Farm, ...] = member(
        "farms", many(Farm, order=lambda f: (f.display_name.casefold(), f.farm_id)), missing=()
    )


@declared
@dataclass(frozen=True)
class QueueList(Cacheable):
    """ListQueues of one farm, all pages."""

    queues: tuple[Queue, ...] = member(
        "queues",
        many(Queue, order=lambda q: (q.display_name.casefold(), q.queue_id)),
        missing=(),
    )


@declared
@dataclass(frozen=True)
class StepList(Cacheable):
    """ListSteps of one job, all pages, in the job's order."""

    steps: tuple[Step, ...] = member("steps", many(Step, keep=lambda s: s.step_id), missing=())


@declared
@dataclass(frozen=True)
class JobSearchPage(Cacheable):
    """One page of SearchJobs (``itemOffset``/``pageSize`` kept to place it)."""

    jobs: tuple[Job, ...] = member("jobs", many(Job, keep=lambda j: j.job_id), missing=())
    window: SearchWindow = member("", _window("jobs", "jobId"))
    notes: tuple[str, ...] = _notes()


@declared
@dataclass(frozen=True)
class TaskSearchPage(Cacheable):
    """One page of SearchTasks."""

    tasks: tuple[TaskSummary, ...] = member(
        "tasks", many(TaskSummary, keep=lambda t: t.task_id), missing=()
    )
    window: SearchWindow = member("", _window("tasks", "taskId"))
    notes: tuple[str, ...] = _notes()


@declared
@dataclass(frozen=True)
class TaskListing(Cacheable):
    """Every task of one step (ListTasks, all pages up to a bound): what the step page sorts and
    filters itself when the account's SearchTasks refuses or ignores a name it needs."""

    tasks: tuple[TaskSummary, ...] = member(
        "tasks", many(TaskSummary, keep=lambda t: t.task_id), missing=()
    )
    complete: bool = complete()


@declared
@dataclass(frozen=True)
class JobListing(Cacheable):
    """A queue's jobs, newest first, read with confirmed names only (SearchJobs pages up to the
    10,000-item window): what the job list sorts and filters itself as a fallback."""

    jobs: tuple[Job, ...] = member("jobs", many(Job, keep=lambda j: j.job_id), missing=())
    complete: bool = complete()
