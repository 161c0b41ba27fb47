"""Sick workers: each worker's recent record (attempts, failures, stalled tasks, open sessions
on a worker that stopped) tallied from what a refresh read, and the items of those the rules
call sick."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from ...deadline.session_types import ActionStatus
from ...deadline.types import Job
from .items import AttentionItem, task_url, url
from .judgement import Evidence
from .rules import WorkerTally, assess_worker, recent
from .state import FarmState, QueueState, worker_label


class WorkerHealth:
    """Tallies per worker ID, from stalled task items and the failing jobs' attempts."""

    def __init__(self, current: datetime, farms: Mapping[str, FarmState]) -> None:
        self.now = current
        self.farms = farms
        self.tallies: dict[str, WorkerTally] = {}

    def tally(self, farm_id: str, worker_id: str) -> WorkerTally:
        tally = self.tallies.get(worker_id)
        if tally is None:
            worker = self.farms[farm_id].workers.get(worker_id)
            tally = self.tallies[worker_id] = WorkerTally(
                worker_id=worker_id,
                fleet_id=worker.fleet_id if worker else None,
                label=worker_label(worker, worker_id),
                status=worker.status if worker else "",
                farm_id=farm_id,
                open_sessions=self.farms[farm_id].open_sessions.get(worker_id, 0),
            )
        return tally

    def add_stall(self, item: AttentionItem) -> None:
        """A stalled task its worker holds."""
        if not item.worker_id:
            return
        tally = self.tally(item.farm_id, item.worker_id)
        tally.stalls += 1
        tally.stalled_seconds += item.impact
        if not tally.evidence:
            tally.evidence = item.url

    def add_attempts(
        self, health_jobs: Iterable[tuple[QueueState, Job]], evidence: Evidence
    ) -> None:
        """The recent attempts of the jobs that failed most, each on its worker's record."""
        since = self.now - recent()
        for q, job in health_jobs:
            job_id = job.job_id
            sessions = evidence.job_sessions.get(job_id)
            outcomes = evidence.job_attempts.get(job_id)
            if sessions is None or outcomes is None:
                continue
            worker_of = {s.session_id: s.worker_id for s in sessions.sessions if s.worker_id}
            for action in outcomes.actions:
                worker_id = worker_of.get(action.session_id)
                ended = action.ended_at
                if worker_id is None or ended is None or ended < since:
                    continue
                if action.status not in (ActionStatus.SUCCEEDED, ActionStatus.FAILED):
                    continue
                tally = self.tally(q.farm_id, worker_id)
                tally.attempts += 1
                if action.status is ActionStatus.FAILED:
                    link = ""
                    if action.task_id and action.step_id:
                        link = task_url(
                            q.farm_id, q.queue_id, job_id, action.step_id, action.task_id
                        )
                        link += f"?attempt={action.session_action_id}#attempts"
                    seconds = action.duration.total_seconds() if action.duration else 0.0
                    tally.add_failure(seconds, link, ended)
        for farm in self.farms.values():
            for worker_id in farm.open_sessions:
                self.tally(farm.farm_id, worker_id)

    def items(self) -> list[AttentionItem]:
        items = []
        total_attempts = sum(t.attempts for t in self.tallies.values())
        total_failures = sum(t.failures for t in self.tallies.values())
        for tally in self.tallies.values():
            reason = assess_worker(
                tally,
                others_attempts=total_attempts - tally.attempts,
                others_failures=total_failures - tally.failures,
            )
            if reason is None:
                continue
            farm = self.farms.get(tally.farm_id)
            held = max(tally.stalls, tally.open_sessions)
            items.append(
                AttentionItem(
                    kind="sick_worker",
                    reason=reason,
                    impact=tally.failed_seconds + tally.stalled_seconds,
                    url=tally.evidence or url("farm_detail", farm_id=tally.farm_id),
                    farm_id=tally.farm_id,
                    worker_id=tally.worker_id,
                    fleet_id=tally.fleet_id,
                    title=tally.label,
                    where=farm.name if farm else tally.farm_id,
                    state=f"{tally.status}:{held}" if tally.stalls else f"failing:{tally.status}",
                )
            )
        return items
