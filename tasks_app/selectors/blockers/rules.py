"""One rule per reason work waits: each reads ``WorkFacts`` and returns its blockers, in
plain words, with the evidence an operator would otherwise collect from the console."""

from __future__ import annotations

from django.urls import reverse

from ...deadline.scheduling_types import Capability, FleetDetail
from ...deadline.types import Job, TaskRunStatus
from .facts import FleetFacts, WorkFacts, active, waiting
from .model import Blocker
from .order import jobs_ahead

_BLOCKED_REASONS = {
    "NO_BUDGET_CONFIGURED": "the queue needs a budget and has none",
    "BUDGET_THRESHOLD_REACHED": "its budget reached the threshold of a stop action",
}


def _queue_url(facts: WorkFacts) -> str:
    url = reverse("queue_detail", kwargs={"farm_id": facts.farm_id, "queue_id": facts.queue_id})
    return url + "#queue-settings"


def _step_url(facts: WorkFacts, step_id: str) -> str:
    return reverse(
        "step_detail",
        kwargs={
            "farm_id": facts.farm_id,
            "queue_id": facts.queue_id,
            "job_id": facts.job.job_id,
            "step_id": step_id,
        },
    )


def suspended(facts: WorkFacts) -> list[Blocker]:
    found = []
    job_target = facts.job.target_task_run_status
    for step in facts.steps:
        count = step.status_counts.get(TaskRunStatus.SUSPENDED, 0)
        target = step.target_task_run_status or job_target
        if count:
            who = "job" if job_target is TaskRunStatus.SUSPENDED else "step"
            found.append(
                Blocker(
                    "suspended",
                    f"{count:,} tasks of step {step.name} are suspended: they wait for someone "
                    "to resume them (requeue as READY).",
                    evidence=(
                        (f"The {who}'s target status is SUSPENDED.",)
                        if target is TaskRunStatus.SUSPENDED
                        else ()
                    ),
                    fix_url=_step_url(facts, step.step_id),
                    fix_label="Resume the step",
                    step_id=step.step_id,
                    current=count,
                )
            )
    return found


def queue_blocked(facts: WorkFacts) -> list[Blocker]:
    settings = facts.settings
    if settings.status != "SCHEDULING_BLOCKED":
        return []
    why = _BLOCKED_REASONS.get(settings.blocked_reason or "", "the service blocked it")
    return [
        Blocker(
            "queue_blocked",
            f"Queue {settings.display_name} is not scheduling: {why}.",
            evidence=(
                f"Status SCHEDULING_BLOCKED, reason {settings.blocked_reason or 'not given'}.",
            ),
            fix_url=_queue_url(facts),
            fix_label="Queue settings",
            queue_id=facts.queue_id,
        )
    ]


def budget(facts: WorkFacts) -> list[Blocker]:
    found = []
    for b in facts.budgets:
        action = b.tripped()
        if action is None:
            continue
        found.append(
            Blocker(
                "budget",
                f"Budget {b.display_name} has used {b.used_percent:.0f}% of "
                f"${b.dollar_limit:,.2f}: its {action.type} action at "
                f"{action.threshold_percentage:g}% stops scheduling.",
                evidence=(f"${b.dollar_usage:,.2f} spent of ${b.dollar_limit:,.2f}.",),
                fix_url=_queue_url(facts),
                fix_label="Budgets of the queue",
                queue_id=facts.queue_id,
                budget_id=b.budget_id,
                current=round(b.dollar_usage, 2),
                maximum=round(b.dollar_limit, 2),
            )
        )
    return found


def no_fleet(facts: WorkFacts) -> list[Blocker]:
    if facts.fleets:
        return []
    return [
        Blocker(
            "no_fleet",
            f"Queue {facts.settings.display_name} has no fleet: no worker will ever take "
            "its tasks.",
            evidence=("ListQueueFleetAssociations lists no fleet for the queue.",),
            fix_url=_queue_url(facts),
            fix_label="Associate a fleet",
            queue_id=facts.queue_id,
        )
    ]


def fleet_not_scheduling(facts: WorkFacts) -> list[Blocker]:
    if not facts.fleets or facts.usable:
        return []
    found = []
    for f in facts.fleets:
        if f.association != "ACTIVE":
            why = f"its association with the queue is {f.association}"
        else:
            status = f.fleet.status if f.fleet else "unknown"
            why = f"the fleet is {status}"
        message = f.fleet.status_message if f.fleet and f.fleet.status_message else ""
        found.append(
            Blocker(
                "fleet_not_scheduling",
                f"Fleet {f.name} takes no new work from this queue: {why}.",
                evidence=tuple(x for x in (message,) if x),
                fix_url=_queue_url(facts),
                fix_label="Fleets of the queue",
                queue_id=facts.queue_id,
                fleet_id=f.fleet_id,
            )
        )
    return found


def _limit_amounts(facts: WorkFacts) -> set[str]:
    return {x.amount_requirement_name for x, _ in facts.limits}


def unmet(required: tuple[Capability, ...], fleet: FleetDetail, skip: set[str]) -> list[str]:
    """The requirements (in words) a fleet's capabilities do not meet."""
    offered = {c.name: c for c in fleet.capabilities}
    misses = []
    for need in required:
        if need.name in skip:
            continue
        have = offered.get(need.name)
        if have is None:
            if need.name.split(":")[-1].startswith(("attr.worker.", "amount.worker.")):
                misses.append(f"{need.text} (the fleet does not say)")
            continue
        if need.is_amount:
            top = have.high if have.high is not None else float("inf")
            if (need.low or 0) > top or (need.high is not None and need.high < (have.low or 0)):
                misses.append(f"{need.text} (the fleet has {have.text.split(' ', 1)[1]})")
        else:
            values = set(have.values)
            if (need.values and not values & set(need.values)) or (
                need.all_of and not set(need.all_of) <= values
            ):
                misses.append(f"{need.text} (the fleet has {', '.join(have.values)})")
    return misses


def no_compatible_fleet(facts: WorkFacts) -> list[Blocker]:
    judged = [f for f in facts.fleets if f.fleet is not None and f.fleet.capabilities]
    if not judged:
        return []
    skip = _limit_amounts(facts)
    found = []
    for step in facts.steps:
        reqs = facts.requirements.get(step.step_id)
        if reqs is None or not waiting(step):
            continue
        misses = {f.fleet_id: unmet(reqs.required, f.fleet, skip) for f in judged}  # type: ignore[arg-type]
        if all(misses.values()):
            evidence = tuple(f"Fleet {f.name}: {'; '.join(misses[f.fleet_id])}." for f in judged)
            found.append(
                Blocker(
                    "no_compatible_fleet",
                    f"No fleet of the queue can run step {step.name}: its host requirements "
                    "ask for what no fleet offers.",
                    evidence=evidence,
                    fix_url=_queue_url(facts),
                    fix_label="Fleets of the queue",
                    queue_id=facts.queue_id,
                    step_id=step.step_id,
                )
            )
    return found


def waiting_on_step(facts: WorkFacts) -> list[Blocker]:
    found = []
    for step in facts.steps:
        links = facts.dependencies.get(step.step_id)
        for upstream_id, status in links.links if links else ():
            if status == "RESOLVED":
                continue
            upstream = facts.step(upstream_id)
            done = upstream.status_counts.get(TaskRunStatus.SUCCEEDED, 0) if upstream else 0
            total = upstream.total_tasks if upstream else 0
            state = upstream.task_run_status.value if upstream and upstream.task_run_status else "?"
            found.append(
                Blocker(
                    "waiting_on_step",
                    f"Step {step.name} waits for step {facts.step_name(upstream_id)} to finish "
                    f"({state}, {done:,} of {total:,} tasks succeeded).",
                    fix_url=_step_url(facts, upstream_id),
                    fix_label="The step it waits on",
                    step_id=step.step_id,
                    depends_on_step_id=upstream_id,
                    current=done,
                    maximum=total,
                )
            )
    return found


def limit_reached(facts: WorkFacts) -> list[Blocker]:
    needed: dict[str, list[str]] = {}
    for step in facts.steps:
        reqs = facts.requirements.get(step.step_id)
        for need in reqs.required if reqs and waiting(step) else ():
            if need.is_amount:
                needed.setdefault(need.name, []).append(step.step_id)
    found = []
    url = reverse("farm_limits", kwargs={"farm_id": facts.farm_id})
    for limit, status in facts.limits:
        steps = needed.get(limit.amount_requirement_name)
        if not steps:
            continue
        if status != "ACTIVE":
            reason = f"Limit {limit.display_name} is {status} for this queue: it grants nothing."
        elif limit.reached:
            reason = (
                f"Limit {limit.display_name} is at its maximum: {limit.current_count:,} of "
                f"{limit.max_count:,} in use."
            )
        else:
            continue
        for step_id in steps:
            found.append(
                Blocker(
                    "limit_reached",
                    reason,
                    evidence=(
                        f"Step {facts.step_name(step_id)} requires "
                        f"{limit.amount_requirement_name}.",
                    ),
                    fix_url=f"{url}#{limit.limit_id}",
                    fix_label="Limits of the farm",
                    limit_id=limit.limit_id,
                    step_id=step_id if len(facts.steps) > 1 else None,
                    current=limit.current_count,
                    maximum=limit.max_count,
                )
            )
    return found


def job_max_workers(facts: WorkFacts) -> list[Blocker]:
    most = facts.job.max_worker_count
    running = active(facts.job)
    if most is None or most < 0 or running < most:
        return []
    return [
        Blocker(
            "job_max_workers",
            f"The job already runs on {running:,} workers, its maximum (maxWorkerCount {most:,}).",
            fix_url=reverse(
                "job_detail",
                kwargs={
                    "farm_id": facts.farm_id,
                    "queue_id": facts.queue_id,
                    "job_id": facts.job.job_id,
                },
            ),
            fix_label="The job",
            current=running,
            maximum=most,
        )
    ]


def _fleet_full(f: FleetFacts) -> bool:
    fleet = f.fleet
    return (
        fleet is not None
        and not fleet.growing
        and fleet.max_worker_count > 0
        and fleet.worker_count >= fleet.max_worker_count
    )


def fleet_at_capacity(facts: WorkFacts) -> list[Blocker]:
    usable = facts.usable
    if not usable or not all(_fleet_full(f) for f in usable):
        return []
    queues = {q for f in usable for q in f.queue_ids}
    busy_jobs = sorted(
        ((active(j), j) for q, j in facts.competing if q in queues and active(j)),
        key=lambda pair: -pair[0],
    )
    busy = sum(n for n, _ in busy_jobs)
    workers = sum(f.fleet.worker_count for f in usable if f.fleet)
    if busy < workers:
        return []
    on_what = ", ".join(f"{j.name} ({n:,})" for n, j in busy_jobs[:3])
    found = []
    for f in usable:
        fleet = f.fleet
        assert fleet is not None
        found.append(
            Blocker(
                "fleet_at_capacity",
                f"Fleet {fleet.display_name} is at its maximum of {fleet.max_worker_count:,} "
                f"workers and every worker is busy.",
                evidence=(f"Busy on: {on_what}.",) if on_what else (),
                fix_url=_queue_url(facts),
                fix_label="Fleets of the queue",
                fleet_id=f.fleet_id,
                current=fleet.worker_count,
                maximum=fleet.max_worker_count,
            )
        )
    return found


def behind_other_jobs(facts: WorkFacts, rate: float | None) -> tuple[list[Blocker], list]:
    ahead = jobs_ahead(facts.job, facts.competing, facts.settings, facts.now)
    if not ahead:
        return [], ahead
    tasks = sum(waiting(j) for _, j in ahead)
    workers = sum(f.fleet.worker_count for f in facts.usable if f.fleet) or 1
    hours = f", about {tasks * workers / rate / 3600:,.1f} task-hours" if rate else ""
    rule = {
        "priorityFifo": "priority, then submission time",
        "priorityBalanced": "priority (equal priorities share the workers)",
        "weightedBalanced": "the weighted score",
    }[facts.settings.scheduling]
    names = ", ".join(j.name for _, j in ahead[:3])
    return [
        Blocker(
            "behind_other_jobs",
            f"{len(ahead):,} jobs with {tasks:,} queued tasks{hours} come first on the same "
            f"fleets, by {rule}.",
            evidence=(f"First in line: {names}.",),
            fix_url=_queue_url(facts),
            fix_label="Queue scheduling",
            queue_id=facts.queue_id,
            current=len(ahead),
        )
    ], ahead


def ahead_jobs(facts: WorkFacts) -> list[tuple[str, Job]]:
    return jobs_ahead(facts.job, facts.competing, facts.settings, facts.now)
