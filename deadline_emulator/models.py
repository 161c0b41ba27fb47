"""The emulator's backend: the demo world answering Deadline Cloud operations.

Methods are named after the operations (``get_task`` for GetTask), take the input members
in snake_case and return plain dicts in the API's own output member names, timestamps as
aware UTC datetimes. State is a pure function of (seed, clock) plus UpdateTask calls, kept
in memory; the backend is shared by server threads.
"""

from __future__ import annotations

import math
import struct
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from cachetools import LRUCache

from deadline_emulator import real_members, shared_states
from deadline_emulator.batch import BatchOperations, item_error
from deadline_emulator.clock import Clock
from deadline_emulator.exceptions import (
    ConflictException,
    DeadlineError,
    ResourceNotFoundException,
    ValidationException,
)
from deadline_emulator.farm_side import FarmSideOperations
from deadline_emulator.incremental import Change, changed_tasks
from deadline_emulator.pagination import decode_token, index_page, paginate, query_hash
from deadline_emulator.queue_environments import QueueEnvironments
from deadline_emulator.scheduling import SchedulingOperations
from deadline_emulator.search import (
    JOB_FIELDS,
    STEP_FIELDS,
    TASK_FIELDS,
    WORKER_FIELDS,
    Matcher,
    SearchPolicy,
    search_page,
    sort_items,
)
from deadline_emulator.seed import (
    STREAM_INTERVAL,
    STREAM_JOB_REF_BASE,
    STREAM_RETENTION,
    WIRE_PARAM_KEY,
    FarmSpec,
    FleetSpec,
    JobSpec,
    QueueSpec,
    StaticWorld,
    StepSpec,
    WorkerSpec,
    build_static_world,
    digest,
    stream_arrival,
    stream_job,
)
from deadline_emulator.session_actions import SessionActions
from deadline_emulator.session_rows import JobRows, page_rows
from deadline_emulator.simulation import (
    INF,
    SETTLED,
    STEP_HANDOFF_SECONDS,
    TASK_RUN_STATUSES,
    TERMINAL,
    Attempt,
    Override,
    StepAggregate,
    TaskContext,
    TaskState,
    aggregate,
    combine,
    evaluate_task,
    session_action_state,
)
from deadline_emulator.statistics import SessionsStatistics

OPERATOR_IDENTITY = "dashboard-operator@lighthouse.example"
_FAR_FUTURE = 1e13  # "the end of time" for settled outcomes (finite, unlike INF)
_SESSION = struct.Struct(">IBIH")  # job_ref, step index, task index, attempt seq


@lru_cache(maxsize=1 << 16)
def _session_hex_of(seed: int, mask: bytes, job_ref: int, step: int, head: int, seq: int) -> str:
    """A session's ID (hex part): a pure function of the world's seed and the session's place,
    asked for tens of thousands of times per farm-wide listing, so made once per process."""
    payload = _SESSION.pack(job_ref, step, head, seq)
    masked = bytes(a ^ b for a, b in zip(payload, mask, strict=True))
    check = digest(seed, "session-check", payload.hex(), size=16 - _SESSION.size)
    return check.hex() + masked.hex()


_DEFAULT_CAPABILITIES = {
    "attributes": [{"name": "attr.worker.os.family", "anyOf": ["linux", "windows"]}],
    "amounts": [{"name": "amount.worker.vcpu", "min": 4.0}],
}


@lru_cache(maxsize=1 << 17)
def _dt(value: float | None) -> datetime | None:
    """Epoch seconds to the aware datetime the wire will carry (millisecond precision)."""
    # The world's instants repeat in every answer about them (a 10,000-task step's rows, a
    # farm's sessions), and making an aware datetime was a tenth of the emulator's time. A
    # farm-wide attention build meets ~120,000 of them: at 65,536 the cache missed 61 % of
    # its calls (each a new datetime); at 131,072 (about 20 MB when full) it misses 5 %. The
    # cache is the function itself: a Python call in front of it was 2 % of the suite's
    # test processes.
    if value is None or value == INF:
        return None
    return datetime.fromtimestamp(round(value, 3), tz=UTC)


@dataclass
class _StepRows:
    """A step's SearchTasks rows in task order, and the same rows by run status."""

    all: list[dict[str, Any]]
    by_status: dict[str, list[dict[str, Any]]]


def _run_members(s: TaskState) -> dict[str, Any]:
    """A task's optional run members, shared by GetTask and SearchTasks answers."""
    return {
        "targetRunStatus": s.target,
        "failureRetryCount": s.retries if s.attempted else None,
        "startedAt": _dt(s.started_at),
        "endedAt": _dt(s.ended_at),
        "updatedAt": _dt(s.updated_at),
        "updatedBy": s.updated_by,
    }


def _task_number(row: dict[str, Any]) -> int:
    return row["_taskNumber"]


def _put(answer: dict[str, Any], **members: Any) -> dict[str, Any]:
    """Add the optional members that have a value."""
    for name, value in members.items():
        if value is not None:
            answer[name] = value
    return answer


def _batch_ids(ident: dict[str, str]) -> dict[str, str]:
    """The farm/queue/job IDs a BatchGet* item repeats from its identifier."""
    return {key: ident[key] for key in ("farmId", "queueId", "jobId")}


def _not_found(kind: str, resource_id: str, where: str = "") -> ResourceNotFoundException:
    label = kind.capitalize() if kind != "sessionaction" else "Session action"
    suffix = f" in {where}" if where else ""
    return ResourceNotFoundException(
        f"{label} {resource_id} not found{suffix}", resource_id=resource_id, resource_type=kind
    )


_REQUEUE = frozenset({"READY", "PENDING"})
# UpdateJob members besides the task status, by keyword, and their answer member.
_JOB_MEMBERS = {
    "priority": "priority",
    "max_failed_tasks_count": "maxFailedTasksCount",
    "max_retries_per_task": "maxRetriesPerTask",
    "max_worker_count": "maxWorkerCount",
    "lifecycle_status": "lifecycleStatus",
    "name": "name",
    "description": "description",
}


def _changes(status: str, target: str) -> bool:
    """Whether setting ``target`` changes a task now ``status`` (requeueing a queued task or
    setting the status it has does nothing)."""
    if target in _REQUEUE:
        return status not in _REQUEUE
    return status != target


def _scope_statuses(target: str) -> frozenset[str]:
    """The statuses a step- or job-wide change to ``target`` applies to."""
    if target in _REQUEUE:
        return SETTLED
    return frozenset(TASK_RUN_STATUSES) - TERMINAL - {target}


class DeadlineBackend(
    SchedulingOperations,
    BatchOperations,
    FarmSideOperations,
    SessionActions,
    SessionsStatistics,
    QueueEnvironments,
):
    """One demo world (``seed``) on one clock (batch operations: ``batch.py``; fleets,
    workers and their scaling: ``farm_side.py``)."""

    def __init__(
        self, seed: int = 0, clock: Clock | None = None, search: SearchPolicy | None = None
    ) -> None:
        self.seed = seed
        self.clock = clock or Clock()
        self.search = search or SearchPolicy()
        self.world: StaticWorld = build_static_world(seed)
        w = self.world
        self._farms = {f.farm_id: f for f in w.farms}
        self._queues = {q.queue_id: q for q in w.queues}
        self._fleets = {f.fleet_id: f for f in w.fleets}
        self._workers = {x.worker_id: x for x in w.workers}
        self._landmarks = {j.landmark: j for j in w.landmark_jobs}
        self._jobs: dict[str, JobSpec] = {j.job_id: j for j in w.landmark_jobs}
        self._by_ref: dict[int, JobSpec] = {j.job_ref: j for j in w.landmark_jobs}
        self._steps: dict[str, tuple[JobSpec, StepSpec]] = {}
        for job in w.landmark_jobs:
            self._index_steps(job)
        self._stream: dict[int, JobSpec] = {}
        self._pools = {
            q.queue_id: tuple(
                wid
                for fid in q.fleet_ids
                for wid in self._fleets[fid].worker_ids
                if self._workers[wid].status in ("RUNNING", "IDLE")
            )
            for q in w.queues
        }
        self._session_mask = digest(seed, "session-mask", size=_SESSION.size)
        self._lock = threading.RLock()
        self._overrides: dict[tuple[str, int, int], tuple[Override, ...]] = {}
        # UpdateJob (step None) and UpdateStep (a step index) task-status changes.
        self._scoped_overrides: dict[tuple[str, int | None], tuple[Override, ...]] = {}
        self._job_edits: dict[str, dict[str, Any]] = {}  # UpdateJob's other members
        self._job_versions: dict[str, int] = {}
        self._changes: dict[str, list[Change]] = {}  # per job, what made each version
        self._client_tokens: dict[str, tuple[Any, ...]] = {}
        self._batch_answers: dict[str, dict[str, Any]] = {}
        # (job, task, operation): run status changes, and requests naming the task (no-ops too).
        self._task_changes: Counter[tuple[str, str, str]] = Counter()
        self._task_writes: Counter[tuple[str, str, str]] = Counter()
        self._update_seq = 0
        self._writes = 0  # other writes that succeeded (budgets, limits, fleets, a protocol)
        self._extra_jobs: list[JobSpec] = []  # added by scenario builders
        self._step_cache: dict[str, tuple[int, StepAggregate, list[TaskState]]] = {}
        self._job_rows = JobRows()  # job-wide session listings at a pinned instant
        # Steps still changing, evaluated at one instant: with a pinned clock every call at
        # that instant reuses them (a farm-wide read makes many calls at one instant).
        self._instant: tuple[float, dict[str, tuple[int, StepAggregate, list[TaskState]]]] = (
            -INF,
            {},
        )
        self._natural_complete: dict[str, float | None] = {}
        self._spec_texts: dict[str, tuple[JobSpec, str]] = {}  # a job's spec, as text for keys
        # SearchTasks rows of a step, built from one list of its task states (reused while
        # _step_state answers with that very list), grouped by run status.
        self._search_rows: dict[tuple[str, bool], tuple[list[TaskState], _StepRows]] = {}
        self._search_memo: LRUCache[tuple[Any, ...], list[dict[str, Any]]] = LRUCache(maxsize=8)

    # --- world look-ups ---------------------------------------------------------------------

    def _index_steps(self, job: JobSpec) -> None:
        for step in job.steps:
            self._steps[step.step_id] = (job, step)

    def _stream_job(self, k: int) -> JobSpec:
        job = self._stream.get(k)
        if job is None:
            job = stream_job(self.seed, k, self.world)
            with self._lock:
                self._stream[k] = job
                self._jobs[job.job_id] = job
                self._by_ref[job.job_ref] = job
                self._index_steps(job)
        return job

    def _visible_stream(self, t: float) -> list[JobSpec]:
        """Stream jobs submitted within the retention window before ``t``, oldest first."""
        from deadline_emulator.seed import DEMO_EPOCH

        low = math.floor((t - STREAM_RETENTION - DEMO_EPOCH) / STREAM_INTERVAL) - 1
        high = math.floor((t - DEMO_EPOCH) / STREAM_INTERVAL) + 1
        jobs = []
        for k in range(low, high + 1):
            if t - STREAM_RETENTION < stream_arrival(self.seed, k) <= t:
                jobs.append(self._stream_job(k))
        return jobs

    def _visible(self, job: JobSpec, t: float) -> bool:
        if job.stream_k is None:
            return job.created_at <= t
        return t - STREAM_RETENTION < job.created_at <= t

    def _all_jobs(self, t: float) -> list[JobSpec]:
        jobs = [j for j in self.world.landmark_jobs if self._visible(j, t)]
        extra = [j for j in self._extra_jobs if self._visible(j, t)]
        return jobs + extra + self._visible_stream(t)

    def _farm(self, farm_id: str) -> Any:
        farm = self._farms.get(farm_id)
        if farm is None:
            raise _not_found("farm", farm_id)
        return farm

    def _queue(self, farm_id: str, queue_id: str) -> Any:
        self._farm(farm_id)
        queue = self._queues.get(queue_id)
        if queue is None or queue.farm_id != farm_id:
            raise _not_found("queue", queue_id, f"farm {farm_id}")
        return queue

    def _fleet(self, farm_id: str, fleet_id: str) -> Any:
        self._farm(farm_id)
        fleet = self._fleets.get(fleet_id)
        if fleet is None or fleet.farm_id != farm_id:
            raise _not_found("fleet", fleet_id, f"farm {farm_id}")
        return fleet

    def _job(self, farm_id: str, queue_id: str, job_id: str, t: float) -> JobSpec:
        self._queue(farm_id, queue_id)
        job = self._jobs.get(job_id)
        if job is None:
            self._visible_stream(t)  # fills the index for the current window
            job = self._jobs.get(job_id)
        if job is None or job.queue_id != queue_id or not self._visible(job, t):
            raise _not_found("job", job_id, f"queue {queue_id}")
        return job

    def _step(self, farm_id: str, queue_id: str, job_id: str, step_id: str, t: float) -> StepSpec:
        job = self._job(farm_id, queue_id, job_id, t)
        found = self._steps.get(step_id)
        if found is None or found[0].job_id != job.job_id:
            raise _not_found("step", step_id, f"job {job_id}")
        return found[1]

    def _task_index(self, step: StepSpec, task_id: str) -> int:
        prefix = "task-" + step.step_id[len("step-") :] + "-"
        if task_id.startswith(prefix):
            number = task_id[len(prefix) :]
            if number.isdigit() and int(number) < step.task_count:
                return int(number)
        raise _not_found("task", task_id, f"step {step.step_id}")

    # --- evaluation ---------------------------------------------------------------------------

    def _version(self, job: JobSpec) -> int:
        return self._job_versions.get(job.job_id, 0)

    def _context(
        self, job: JobSpec, step: StepSpec, index: int, ready: float | None
    ) -> TaskContext:
        return TaskContext(
            seed=self.seed,
            job=job,
            step=step,
            index=index,
            ready_at=ready,
            worker_pool=self._pools[job.queue_id],
            unreliable_worker_id=self.world.unreliable_worker_id,
            held_until=self.held_until(job, step),
            user_overrides=(
                self._scoped_overrides.get((job.job_id, None), ())
                + self._scoped_overrides.get((job.job_id, step.index), ())
                + self._overrides.get((job.job_id, step.index, index), ())
            ),
        )

    def _ready_at(self, job: JobSpec, index: int, t: float, memo: dict) -> float | None:
        """When step ``index`` becomes runnable: its dependency's last task SUCCEEDED."""
        if index == 0 or not job.steps[index].depends_on_previous:
            return job.created_at + job.steps[index].start_delay
        previous = job.steps[index - 1]
        if self._version(job) == 0:
            done = self._natural_completion(job, previous)
        else:
            done = self._step_state(job, previous, t, memo)[0].complete_at
        return None if done is None else done + STEP_HANDOFF_SECONDS

    def _natural_completion(self, job: JobSpec, step: StepSpec) -> float | None:
        """Clock-independent: when every task of ``step`` has SUCCEEDED, absent UpdateTask."""
        if step.step_id in self._natural_complete:
            return self._natural_complete[step.step_id]
        ready = self._ready_at(job, step.index, _FAR_FUTURE, {})
        done: float | None = None
        if ready is not None:
            states = self._evaluate_step(job, step, _FAR_FUTURE, ready)
            done = aggregate(states).complete_at
        self._natural_complete[step.step_id] = done
        return done

    def _step_state(
        self, job: JobSpec, step: StepSpec, t: float, memo: dict
    ) -> tuple[StepAggregate, list[TaskState]]:
        """Every task of a step at ``t``, cached once the step can no longer change."""
        version = self._version(job)
        cached = self._step_cache.get(step.step_id)
        if cached is not None and cached[0] == version and t >= cached[1].stable_from:
            return cached[1], cached[2]
        if step.step_id in memo:
            return memo[step.step_id]
        instant, at_instant = self._instant
        if instant == t:
            hit = at_instant.get(step.step_id)
            if hit is not None and hit[0] == version:
                memo[step.step_id] = (hit[1], hit[2])
                return hit[1], hit[2]
        ready = self._ready_at(job, step.index, t, memo)
        states = self._patched_states(job, step, t, version, ready)
        if states is None:
            states = self._evaluate_step(job, step, t, ready, version)
        agg = aggregate(states)
        if t >= agg.stable_from and version == self._version(job):
            self._step_cache[step.step_id] = (version, agg, states)
        elif version == self._version(job):
            if instant != t:  # a new instant: the previous one's states are of no more use
                self._instant = (t, {})
            self._instant[1][step.step_id] = (version, agg, states)
        memo[step.step_id] = (agg, states)
        return agg, states

    def _evaluate_step(
        self, job: JobSpec, step: StepSpec, t: float, ready: float | None, version: int = 0
    ) -> list[TaskState]:
        """Every task of ``step`` at ``t``; a step of an untouched job (version 0) from the
        states shared by every emulator of this world in the process (``shared_states``)."""

        def evaluate() -> list[TaskState]:
            return [
                evaluate_task(self._context(job, step, i, ready), t) for i in range(step.task_count)
            ]

        if version or self._version(job):
            return evaluate()
        spec = self._spec_texts.get(job.job_id)
        if spec is None or spec[0] is not job:
            spec = self._spec_texts[job.job_id] = (job, repr(job))
        key = (
            self.seed,
            spec[1],
            step.index,
            self._pools[job.queue_id],
            self.world.unreliable_worker_id,
            self.held_until(job, step),
            ready,
            t,
        )
        return shared_states.evaluated(key, evaluate)

    def _patched_states(
        self, job: JobSpec, step: StepSpec, t: float, version: int, ready: float | None
    ) -> list[TaskState] | None:
        """The step's states at ``t`` from an older evaluation still valid at ``t`` (a stable
        one, or one made at this very instant), re-evaluating only the tasks changed since."""
        base = None
        cached = self._step_cache.get(step.step_id)
        if cached is not None and t >= cached[1].stable_from:
            base = cached
        instant, at_instant = self._instant
        hit = at_instant.get(step.step_id) if instant == t else None
        if hit is not None and (base is None or hit[0] > base[0]):
            base = hit
        if base is None:
            return None
        indices = changed_tasks(self._changes.get(job.job_id, []), base[0], version, step)
        if indices is None:
            return None
        states = list(base[2])
        for index in indices:
            states[index] = evaluate_task(self._context(job, step, index, ready), t)
        return states

    def _task_state(self, job: JobSpec, step: StepSpec, index: int, t: float) -> TaskState:
        cached = self._step_cache.get(step.step_id)
        if cached is not None and cached[0] == self._version(job) and t >= cached[1].stable_from:
            return cached[2][index]
        ready = self._ready_at(job, step.index, t, {})
        return evaluate_task(self._context(job, step, index, ready), t)

    def _job_state(self, job: JobSpec, t: float, memo: dict) -> StepAggregate:
        return combine([self._step_state(job, s, t, memo)[0] for s in job.steps])

    # --- answers ----------------------------------------------------------------------------

    def _task_id(self, step: StepSpec, index: int) -> str:
        return f"task-{step.step_id[5:]}-{index}"

    def _parameters(self, step: StepSpec, index: int) -> dict[str, dict[str, str]]:
        return {p.name: {WIRE_PARAM_KEY[p.type]: p.value(index)} for p in step.params}

    def _task_answer(self, job: JobSpec, step: StepSpec, index: int, s: TaskState) -> dict:
        answer: dict[str, Any] = {
            "taskId": self._task_id(step, index),
            "createdAt": _dt(job.created_at),
            "createdBy": job.created_by,
            "runStatus": s.status,
        }
        latest = None
        if s.attempts:
            latest = self._task_run_action_id(job, step, index, s.attempts[-1])
        _put(
            answer,
            **_run_members(s),
            latestSessionActionId=latest,
            parameters=self._parameters(step, index) if step.params else None,
        )
        return answer

    def _halt_target(self, job: JobSpec, t: float, step_index: int | None = None) -> str | None:
        """targetTaskRunStatus: the target of the latest status change made to the whole job
        (or, for a step, to the job or the step), seeded (a halt) or written (UpdateJob,
        UpdateStep, ``deadline job cancel``) alike, so a requeue replaces a cancel. botocore
        documents the summary members as "The task status to update the job's tasks to"."""
        changes: list[tuple[float, int, str]] = []
        if job.halt is not None and job.halt.time <= t:
            changes.append((job.halt.time, -1, job.halt.status))
        scopes = [None] if step_index is None else [None, step_index]
        for scope in scopes:
            for ov in self._scoped_overrides.get((job.job_id, scope), ()):
                if ov.time <= t:
                    changes.append((ov.time, ov.seq, ov.target))
        return max(changes)[2] if changes else None

    def _aggregate_members(self, agg: StepAggregate) -> dict[str, Any]:
        return _put(
            {"taskRunStatus": agg.status, "taskRunStatusCounts": dict(agg.counts)},
            taskFailureRetryCount=agg.retries,
            startedAt=_dt(agg.started_at),
            endedAt=_dt(agg.ended_at),
            updatedAt=_dt(agg.updated_at),
            updatedBy=agg.updated_by,
        )

    def _job_answer(self, job: JobSpec, agg: StepAggregate, t: float, shape: str) -> dict:
        answer: dict[str, Any] = {"jobId": job.job_id}
        if shape in ("batch",):
            answer = {"farmId": job.farm_id, "queueId": job.queue_id, **answer}
        if shape == "search":
            answer["queueId"] = job.queue_id
        answer.update(
            name=job.name,
            lifecycleStatus=job.lifecycle_status,
            lifecycleStatusMessage=job.lifecycle_message,
            priority=job.priority,
            createdAt=_dt(job.created_at),
            createdBy=job.created_by,
        )
        answer.update(self._aggregate_members(agg))
        _put(
            answer,
            targetTaskRunStatus=self._halt_target(job, t),
            maxFailedTasksCount=job.max_failed_tasks_count,
            maxRetriesPerTask=job.max_retries_per_task,
            maxWorkerCount=job.max_worker_count,
        )
        if shape in ("get", "batch"):
            _put(answer, description=job.description, parameters=job.job_parameters or None)
            _put(answer, storageProfileId=job.storage_profile_id, attachments=job.attachments)
        _put(answer, sourceJobId=job.source_job_id)
        if shape == "search":
            _put(answer, jobParameters=job.job_parameters or None)
        for member, value in self._job_edits.get(job.job_id, {}).items():
            if member != "description" or shape in ("get", "batch"):
                answer[member] = value
        return answer

    def _step_answer(
        self, job: JobSpec, step: StepSpec, agg: StepAggregate, t: float, memo: dict, shape: str
    ) -> dict:
        answer: dict[str, Any] = {"stepId": step.step_id}
        if shape == "batch":
            answer = {"farmId": job.farm_id, "queueId": job.queue_id, "jobId": job.job_id, **answer}
        if shape == "search":
            answer.update(jobId=job.job_id, queueId=job.queue_id)
        answer.update(name=step.name, lifecycleStatus="CREATE_COMPLETE")
        answer["lifecycleStatusMessage"] = "Step creation completed successfully"
        answer.update(self._aggregate_members(agg))
        answer.update(createdAt=_dt(job.created_at), createdBy=job.created_by)
        _put(answer, targetTaskRunStatus=self._halt_target(job, t, step.index))
        if shape != "search":
            last = len(job.steps) - 1
            has_dependency = step.index > 0 and step.depends_on_previous
            resolved = has_dependency and self._ready_at(job, step.index, t, memo) is not None
            consumer = step.index < last and job.steps[step.index + 1].depends_on_previous
            consumer_resolved = consumer and agg.complete_at is not None
            answer["dependencyCounts"] = {
                "dependenciesResolved": int(resolved),
                "dependenciesUnresolved": int(has_dependency and not resolved),
                "consumersResolved": int(consumer_resolved),
                "consumersUnresolved": int(consumer and not consumer_resolved),
            }
        if step.params and shape != "summary":
            answer["parameterSpace"] = {
                "parameters": [
                    _put({"name": p.name, "type": p.type}, chunks=step.chunks)
                    if p.type == "CHUNK_INT"
                    else {"name": p.name, "type": p.type}
                    for p in step.params
                ]
            }
            _put(answer["parameterSpace"], combination=step.combination)
        if shape in ("get", "batch"):
            answer["requiredCapabilities"] = step.required_capabilities or _DEFAULT_CAPABILITIES
            _put(answer, description=step.description)
        return answer

    # --- farms, queues, fleets, workers ------------------------------------------------------

    def list_farms(
        self, next_token: str | None = None, max_results: int | None = None, **_: Any
    ) -> dict[str, Any]:
        farms = sorted(self.world.farms, key=lambda f: f.farm_id)
        page, token = paginate(
            farms,
            lambda f: [f.farm_id],
            query=query_hash("ListFarms"),
            next_token=next_token,
            max_results=max_results,
        )
        items = [
            {
                "farmId": f.farm_id,
                "displayName": f.display_name,
                "createdAt": _dt(f.created_at),
                "createdBy": f.created_by,
                **real_members.farm_members(f, self.world.farms.index(f)),
            }
            for f in page
        ]
        return _put({"farms": items}, nextToken=token)

    def get_farm(self, farm_id: str, **_: Any) -> dict[str, Any]:
        f = self._farm(farm_id)
        return {
            "farmId": f.farm_id,
            "displayName": f.display_name,
            "description": f.description,
            "createdAt": _dt(f.created_at),
            "createdBy": f.created_by,
            "costScaleFactor": f.cost_scale_factor,
            **real_members.farm_members(f, self.world.farms.index(f)),
        }

    def _queue_answer(self, q: Any, full: bool) -> dict[str, Any]:
        answer = _put(
            {
                "farmId": q.farm_id,
                "queueId": q.queue_id,
                "displayName": q.display_name,
                "status": q.status,
                "defaultBudgetAction": "NONE",
            },
            blockedReason=q.blocked_reason,
        )
        answer.update(createdAt=_dt(q.created_at), createdBy=q.created_by)
        answer.update(real_members.queue_summary_members(q))
        if full:
            answer["description"] = q.description
            answer["schedulingConfiguration"] = real_members.scheduling_configuration(self.seed, q)
            windows = any(self._fleets[f].os_family == "WINDOWS" for f in q.fleet_ids)
            answer.update(real_members.queue_members(self.seed, q, windows))
        return self._queue_overlay(q, answer, full)

    def list_queues(
        self,
        farm_id: str,
        next_token: str | None = None,
        max_results: int | None = None,
        status: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        self._farm(farm_id)
        queues = [q for q in self.world.queues if q.farm_id == farm_id]
        queues = [q for q in queues if status is None or q.status == status]
        queues.sort(key=lambda q: q.queue_id)
        page, token = paginate(
            queues,
            lambda q: [q.queue_id],
            query=query_hash("ListQueues", farm_id, status),
            next_token=next_token,
            max_results=max_results,
        )
        return _put({"queues": [self._queue_answer(q, False) for q in page]}, nextToken=token)

    def get_queue(self, farm_id: str, queue_id: str, **_: Any) -> dict[str, Any]:
        return self._queue_answer(self._queue(farm_id, queue_id), True)

    def _fleet_answer(self, f: Any, full: bool) -> dict[str, Any]:
        capabilities = {
            "vCpuCount": {"min": 16},
            "memoryMiB": {"min": 65536},
            "osFamily": f.os_family,
            "cpuArchitectureType": "x86_64",
        }
        if f.managed == "serviceManagedEc2":
            configuration = {
                "serviceManagedEc2": {
                    "instanceCapabilities": capabilities,
                    "instanceMarketOptions": {"type": "spot"},
                }
            }
        else:
            configuration = {
                "customerManaged": {"mode": "NO_SCALING", "workerCapabilities": capabilities}
            }
        real_members.fleet_configuration(self.seed, f, configuration)
        answer = {
            "fleetId": f.fleet_id,
            "farmId": f.farm_id,
            "displayName": f.display_name,
            "status": f.status,
            "configuration": configuration,
            "createdAt": _dt(f.created_at),
            "createdBy": f.created_by,
            **real_members.fleet_members(f, full),
        }
        answer.update(self.fleet_scaling(f))  # autoscaling members and UpdateFleet's edits
        if full:
            answer["description"] = f.description
            answer["roleArn"] = "arn:aws:iam::123456789012:role/LighthouseFleetRole"
        return self._fleet_overlay(f, answer, full)

    def list_fleets(
        self,
        farm_id: str,
        next_token: str | None = None,
        max_results: int | None = None,
        display_name: str | None = None,
        status: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        self._farm(farm_id)
        fleets = [
            f
            for f in self.world.fleets
            if f.farm_id == farm_id
            and (display_name is None or f.display_name == display_name)
            and (status is None or f.status == status)
        ]
        fleets.sort(key=lambda f: f.fleet_id)
        page, token = paginate(
            fleets,
            lambda f: [f.fleet_id],
            query=query_hash("ListFleets", farm_id, display_name, status),
            next_token=next_token,
            max_results=max_results,
        )
        return _put({"fleets": [self._fleet_answer(f, False) for f in page]}, nextToken=token)

    def get_fleet(self, farm_id: str, fleet_id: str, **_: Any) -> dict[str, Any]:
        return self._fleet_answer(self._fleet(farm_id, fleet_id), True)

    def _worker_answer(self, w: Any) -> dict[str, Any]:
        host: dict[str, Any] = {
            "ipAddresses": {"ipV4Addresses": [w.ip_address]},
            "hostName": w.host_name,
        }
        if w.instance_type:
            host["ec2InstanceType"] = w.instance_type
        return {
            "farmId": w.farm_id,
            "fleetId": w.fleet_id,
            "workerId": w.worker_id,
            "hostProperties": host,
            "status": w.status,
            "log": self._worker_log(w),
            "createdAt": _dt(w.created_at),
            "createdBy": w.created_by,
            **real_members.worker_members(w, host),
        }

    def _worker_log(self, w: Any) -> dict[str, Any]:
        return {
            "logDriver": "awslogs",
            "options": {
                "logGroupName": f"/aws/deadline/{w.farm_id}/{w.fleet_id}",
                "logStreamName": w.worker_id,
            },
        }

    def list_workers(
        self,
        farm_id: str,
        fleet_id: str,
        next_token: str | None = None,
        max_results: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        fleet = self._fleet(farm_id, fleet_id)
        workers = sorted((self._workers[w] for w in fleet.worker_ids), key=lambda w: w.worker_id)
        page, token = paginate(
            workers,
            lambda w: [w.worker_id],
            query=query_hash("ListWorkers", farm_id, fleet_id),
            next_token=next_token,
            max_results=max_results,
        )
        return _put({"workers": [self._worker_answer(w) for w in page]}, nextToken=token)

    def get_worker(self, farm_id: str, fleet_id: str, worker_id: str, **_: Any) -> dict[str, Any]:
        self._fleet(farm_id, fleet_id)
        w = self._workers.get(worker_id)
        if w is None or w.fleet_id != fleet_id or self.worker_deleted(worker_id):
            raise _not_found("worker", worker_id, f"fleet {fleet_id}")
        return self._worker_answer(w)

    def _worker_summary(self, w: Any) -> dict[str, Any]:
        answer = self._worker_answer(w)
        return {
            key: answer[key]
            for key in (
                "fleetId",
                "workerId",
                "status",
                "hostProperties",
                "createdAt",
                "createdBy",
                "updatedAt",
                "updatedBy",
            )
        }

    def search_workers(
        self,
        farm_id: str,
        fleet_ids: list[str],
        item_offset: int,
        page_size: int | None = None,
        filter_expressions: dict[str, Any] | None = None,
        sort_expressions: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """A fleet's workers (``deadline worker list``), oldest first by default."""
        fleets = [self._fleet(farm_id, fleet_id) for fleet_id in fleet_ids]
        matcher = Matcher(WORKER_FIELDS, filter_expressions, self.search)
        items = []
        for fleet in fleets:
            for worker_id in fleet.worker_ids:
                worker = self._workers[worker_id]
                item = self._worker_summary(worker)
                item["_hostName"] = worker.host_name  # searchTermFilter looks here too
                if matcher(item):
                    items.append(item)
        items.sort(key=lambda w: (w["createdAt"], w["workerId"]))
        sort_items(items, WORKER_FIELDS, sort_expressions, self.search)
        page, total, next_offset = search_page(items, item_offset, page_size)
        for item in page:
            item.pop("_hostName")
        return _put({"workers": page, "totalResults": total}, nextItemOffset=next_offset)

    def list_sessions_for_worker(
        self,
        farm_id: str,
        fleet_id: str,
        worker_id: str,
        next_token: str | None = None,
        max_results: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """Every session a worker has run, across the farm's jobs, oldest first."""
        self._fleet(farm_id, fleet_id)
        worker = self._workers.get(worker_id)
        if worker is None or worker.fleet_id != fleet_id:
            raise _not_found("worker", worker_id, f"fleet {fleet_id}")
        t = self.clock.now()

        def rows() -> list[tuple[Any, tuple[Any, ...]]]:
            found = []
            for job in self._all_jobs(t):
                ran_here = worker_id in self._pools.get(job.queue_id, ()) or (
                    job.wedged_worker_id == worker_id
                )
                if job.farm_id != farm_id or not ran_here:
                    continue
                for step, index, attempt in self._job_attempts(job, t):
                    if attempt.worker_id == worker_id:
                        key = (attempt.assigned_at, self._session_hex(job, step, index, attempt))
                        found.append((key, (job, step, index, attempt)))
            found.sort(key=lambda x: x[0])
            return found

        query = query_hash("ListSessionsForWorker", farm_id, fleet_id, worker_id)
        if self.clock.is_pinned:  # every page at one instant reads the same rows: build once
            stamp = (t, self.world_state())
            keys, found = self._job_rows.get("worker-sessions", worker_id, stamp, rows)
            page, token = page_rows(
                keys, found, query=query, next_token=next_token, max_results=max_results
            )
        else:
            rows_page, token = paginate(
                rows(), lambda x: x[0], query=query, next_token=next_token, max_results=max_results
            )
            page = [item for _, item in rows_page]
        sessions = []
        for job, step, index, attempt in page:
            session_id = "session-" + self._session_hex(job, step, index, attempt)
            summary = self._session_answer(job, attempt, session_id, t, False)
            for member in ("fleetId", "workerId"):
                summary.pop(member)
            sessions.append({**summary, "queueId": job.queue_id, "jobId": job.job_id})
        return _put({"sessions": sessions}, nextToken=token)

    # --- jobs ---------------------------------------------------------------------------------

    def _queue_jobs(self, queue_id: str, t: float) -> list[JobSpec]:
        """A queue's jobs, newest first."""
        jobs = [j for j in self._all_jobs(t) if j.queue_id == queue_id]
        jobs.sort(key=lambda j: (-j.created_at, j.job_id))
        return jobs

    def list_jobs(
        self,
        farm_id: str,
        queue_id: str,
        next_token: str | None = None,
        max_results: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        t = self.clock.now()
        self._queue(farm_id, queue_id)
        page, token = paginate(
            self._queue_jobs(queue_id, t),
            lambda j: [-j.created_at, j.job_id],
            query=query_hash("ListJobs", farm_id, queue_id),
            next_token=next_token,
            max_results=max_results,
        )
        memo: dict = {}
        jobs = [self._job_answer(j, self._job_state(j, t, memo), t, "summary") for j in page]
        return _put({"jobs": jobs}, nextToken=token)

    def get_job(self, farm_id: str, queue_id: str, job_id: str, **_: Any) -> dict[str, Any]:
        t = self.clock.now()
        job = self._job(farm_id, queue_id, job_id, t)
        return self._job_answer(job, self._job_state(job, t, {}), t, "get")

    def batch_get_job(self, identifiers: list[dict[str, str]], **_: Any) -> dict[str, Any]:
        t = self.clock.now()
        jobs, errors = [], []
        memo: dict = {}
        for ident in identifiers:
            try:
                self._item_fault("BatchGetJob")
                job = self._job(ident["farmId"], ident["queueId"], ident["jobId"], t)
                jobs.append(self._job_answer(job, self._job_state(job, t, memo), t, "batch"))
            except DeadlineError as exc:
                errors.append(item_error("BatchGetJob", ident, exc))
        return {"jobs": jobs, "errors": errors}

    def _search_queues(self, farm_id: str, queue_ids: list[str]) -> None:
        for queue_id in queue_ids:
            self._queue(farm_id, queue_id)

    def search_jobs(
        self,
        farm_id: str,
        queue_ids: list[str],
        item_offset: int,
        page_size: int | None = None,
        filter_expressions: dict[str, Any] | None = None,
        sort_expressions: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        t = self.clock.now()
        self._search_queues(farm_id, queue_ids)
        matcher = Matcher(JOB_FIELDS, filter_expressions, self.search)
        memo: dict = {}
        wanted = set(queue_ids)
        items = [
            self._job_answer(j, self._job_state(j, t, memo), t, "search")
            for j in self._all_jobs(t)
            if j.queue_id in wanted
        ]
        items.sort(key=lambda a: (-a["createdAt"].timestamp(), a["jobId"]))
        items = [a for a in items if matcher(a)]
        sort_items(items, JOB_FIELDS, sort_expressions, self.search)
        page, total, next_offset = search_page(items, item_offset, page_size)
        return _put({"jobs": page, "totalResults": total}, nextItemOffset=next_offset)

    # --- steps --------------------------------------------------------------------------------

    def list_steps(
        self,
        farm_id: str,
        queue_id: str,
        job_id: str,
        next_token: str | None = None,
        max_results: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        t = self.clock.now()
        job = self._job(farm_id, queue_id, job_id, t)
        page, token = paginate(
            job.steps,
            lambda s: [s.index],
            query=query_hash("ListSteps", farm_id, queue_id, job_id),
            next_token=next_token,
            max_results=max_results,
        )
        memo: dict = {}
        steps = [
            self._step_answer(job, s, self._step_state(job, s, t, memo)[0], t, memo, "summary")
            for s in page
        ]
        return _put({"steps": steps}, nextToken=token)

    def get_step(
        self, farm_id: str, queue_id: str, job_id: str, step_id: str, **_: Any
    ) -> dict[str, Any]:
        t = self.clock.now()
        step = self._step(farm_id, queue_id, job_id, step_id, t)
        job = self._jobs[job_id]
        memo: dict = {}
        return self._step_answer(job, step, self._step_state(job, step, t, memo)[0], t, memo, "get")

    def batch_get_step(self, identifiers: list[dict[str, str]], **_: Any) -> dict[str, Any]:
        t = self.clock.now()
        steps, errors = [], []
        memo: dict = {}
        for ident in identifiers:
            try:
                self._item_fault("BatchGetStep")
                step = self._step(
                    ident["farmId"], ident["queueId"], ident["jobId"], ident["stepId"], t
                )
                job = self._jobs[ident["jobId"]]
                agg = self._step_state(job, step, t, memo)[0]
                steps.append(self._step_answer(job, step, agg, t, memo, "batch"))
            except DeadlineError as exc:
                errors.append(item_error("BatchGetStep", ident, exc))
        return {"steps": steps, "errors": errors}

    def _search_jobs_in(
        self, farm_id: str, queue_ids: list[str], job_id: str | None, t: float
    ) -> list[JobSpec]:
        self._search_queues(farm_id, queue_ids)
        if job_id is not None:
            job = self._jobs.get(job_id) or (self._visible_stream(t) and self._jobs.get(job_id))
            if job is None or job.queue_id not in queue_ids or not self._visible(job, t):
                raise _not_found("job", job_id, "the searched queues")
            return [job]
        jobs = [j for j in self._all_jobs(t) if j.queue_id in set(queue_ids)]
        jobs.sort(key=lambda j: (-j.created_at, j.job_id))
        return jobs

    def search_steps(
        self,
        farm_id: str,
        queue_ids: list[str],
        item_offset: int,
        page_size: int | None = None,
        job_id: str | None = None,
        filter_expressions: dict[str, Any] | None = None,
        sort_expressions: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        t = self.clock.now()
        jobs = self._search_jobs_in(farm_id, queue_ids, job_id, t)
        matcher = Matcher(STEP_FIELDS, filter_expressions, self.search)
        memo: dict = {}
        items = []
        for job in jobs:
            for step in job.steps:
                agg = self._step_state(job, step, t, memo)[0]
                answer = self._step_answer(job, step, agg, t, memo, "search")
                if matcher(answer):
                    items.append(answer)
        sort_items(items, STEP_FIELDS, sort_expressions, self.search)
        page, total, next_offset = search_page(items, item_offset, page_size)
        return _put({"steps": page, "totalResults": total}, nextItemOffset=next_offset)

    # --- tasks --------------------------------------------------------------------------------

    def list_tasks(
        self,
        farm_id: str,
        queue_id: str,
        job_id: str,
        step_id: str,
        next_token: str | None = None,
        max_results: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        t = self.clock.now()
        step = self._step(farm_id, queue_id, job_id, step_id, t)
        job = self._jobs[job_id]
        indices, token = index_page(
            step.task_count,
            next_token=next_token,
            max_results=max_results,
            query=query_hash("ListTasks", farm_id, queue_id, job_id, step_id),
        )
        cached = self._step_cache.get(step.step_id)
        if cached is not None and cached[0] == self._version(job) and t >= cached[1].stable_from:
            states = [cached[2][i] for i in indices]
        else:
            ready = self._ready_at(job, step.index, t, {})
            states = [evaluate_task(self._context(job, step, i, ready), t) for i in indices]
        tasks = [self._task_answer(job, step, i, s) for i, s in zip(indices, states, strict=True)]
        return _put({"tasks": tasks}, nextToken=token)

    def get_task(
        self, farm_id: str, queue_id: str, job_id: str, step_id: str, task_id: str, **_: Any
    ) -> dict[str, Any]:
        t = self.clock.now()
        step = self._step(farm_id, queue_id, job_id, step_id, t)
        index = self._task_index(step, task_id)
        job = self._jobs[job_id]
        return self._task_answer(job, step, index, self._task_state(job, step, index, t))

    def batch_get_task(self, identifiers: list[dict[str, str]], **_: Any) -> dict[str, Any]:
        t = self.clock.now()
        tasks, errors = [], []
        for ident in identifiers:
            try:
                self._item_fault("BatchGetTask")
                step = self._step(
                    ident["farmId"], ident["queueId"], ident["jobId"], ident["stepId"], t
                )
                index = self._task_index(step, ident["taskId"])
                job = self._jobs[ident["jobId"]]
                answer = self._task_answer(job, step, index, self._task_state(job, step, index, t))
                tasks.append(
                    {
                        "farmId": job.farm_id,
                        "queueId": job.queue_id,
                        "jobId": job.job_id,
                        "stepId": step.step_id,
                        **answer,
                    }
                )
            except DeadlineError as exc:
                errors.append(item_error("BatchGetTask", ident, exc))
        return {"tasks": tasks, "errors": errors}

    def search_tasks(
        self,
        farm_id: str,
        queue_ids: list[str],
        item_offset: int,
        page_size: int | None = None,
        job_id: str | None = None,
        filter_expressions: dict[str, Any] | None = None,
        sort_expressions: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        t = self.clock.now()
        jobs = self._search_jobs_in(farm_id, queue_ids, job_id, t)
        matcher = Matcher(TASK_FIELDS, filter_expressions, self.search)
        # Parameters cost a hash each: only the page needs them, unless a filter or sort
        # looks at parameters or task IDs.
        needs_all = "parameter" in repr(filter_expressions) + repr(sort_expressions)
        needs_all = needs_all or "searchTerm" in repr(filter_expressions)
        # The matched, sorted items of one query at one instant and state of the world: a
        # client reading a 10,000-task job page by page by offset asks the same query 100 times.
        query = (
            farm_id, tuple(queue_ids), job_id, repr(filter_expressions), repr(sort_expressions),
            needs_all, self.search.mode, t, self.world_state(),
        )  # fmt: skip
        with self._lock:
            items = self._search_memo.get(query)
        if items is None:
            items = self._matched_tasks(jobs, t, matcher, needs_all)
            sort_items(items, TASK_FIELDS, sort_expressions, self.search)
            with self._lock:
                self._search_memo[query] = items
        page, total, next_offset = search_page(items, item_offset, page_size)
        answers = []
        for row in page:
            job, step, index, s = row["_ref"]
            item = {key: value for key, value in row.items() if key[0] != "_"}
            full = self._task_answer(job, step, index, s)
            _put(item, latestSessionActionId=full.get("latestSessionActionId"),
                 parameters=full.get("parameters"))  # fmt: skip
            answers.append(item)
        return _put({"tasks": answers, "totalResults": total}, nextItemOffset=next_offset)

    def _matched_tasks(
        self, jobs: list[JobSpec], t: float, matcher: Matcher, needs_all: bool
    ) -> list[dict[str, Any]]:
        statuses = matcher.required.get("runStatus")
        memo: dict = {}
        items: list[dict[str, Any]] = []
        for job in jobs:
            for step in job.steps:
                rows = self._step_rows(job, step, t, memo, needs_all)
                if statuses is None:
                    candidates = rows.all
                else:
                    groups = [rows.by_status[v] for v in statuses if v in rows.by_status]
                    candidates = (
                        groups[0]
                        if len(groups) == 1
                        else sorted((row for group in groups for row in group), key=_task_number)
                    )
                items.extend(row for row in candidates if matcher(row))
        return items

    def _step_rows(
        self, job: JobSpec, step: StepSpec, t: float, memo: dict, with_parameters: bool
    ) -> _StepRows:
        """A step's SearchTasks rows at ``t`` (what filters and sorts read; ``_ref`` and
        ``_taskNumber`` are ours), rebuilt only when its task states are."""
        states = self._step_state(job, step, t, memo)[1]
        key = (step.step_id, with_parameters)
        cached = self._search_rows.get(key)
        if cached is not None and cached[0] is states:
            return cached[1]
        if cached is not None and len(cached[0]) == len(states):
            # Rows of the states that are the very same objects carry over (a few changed).
            before = cached[0]
            every = [
                row
                if before[index] is s
                else self._search_row(job, step, index, s, with_parameters)
                for index, (row, s) in enumerate(zip(cached[1].all, states, strict=True))
            ]
        else:
            every = [
                self._search_row(job, step, index, s, with_parameters)
                for index, s in enumerate(states)
            ]
        rows = _StepRows(all=every, by_status={})
        for row in every:
            rows.by_status.setdefault(row["runStatus"], []).append(row)
        self._search_rows[key] = (states, rows)
        return rows

    def _search_row(
        self, job: JobSpec, step: StepSpec, index: int, s: TaskState, with_parameters: bool
    ) -> dict[str, Any]:
        row = _put(
            {
                "taskId": self._task_id(step, index),
                "stepId": step.step_id,
                "jobId": job.job_id,
                "queueId": job.queue_id,
                "runStatus": s.status,
            },
            **_run_members(s),
        )
        row["_ref"] = (job, step, index, s)
        row["_taskNumber"] = index
        if with_parameters and step.params:
            row["parameters"] = self._parameters(step, index)
        return row

    # --- writes: UpdateTask, UpdateStep, UpdateJob -------------------------------------------

    def _replayed(self, client_token: str | None, request: tuple[Any, ...]) -> bool:
        """True if ``client_token`` already carried this exact request (apply nothing again);
        ValidationException if it carried another. Call with the lock held."""
        if client_token is None:
            return False
        seen = self._client_tokens.get(client_token)
        if seen == request:
            return True
        if seen is not None:
            raise ValidationException(
                "The client token was already used with different parameters.",
                reason="OTHER",
                field_list=[{"name": "clientToken", "message": "reused"}],
            )
        self._client_tokens[client_token] = request
        return False

    def _check_not_archived(self, job: JobSpec) -> None:
        if self._job_edits.get(job.job_id, {}).get("lifecycleStatus") == "ARCHIVED":
            raise ConflictException(
                f"Job {job.job_id} is archived: its tasks can no longer change.",
                resource_id=job.job_id,
                resource_type="job",
                reason="STATUS_CONFLICT",
            )

    def world_state(self) -> tuple[int, ...]:
        """What changes when anything in the world is written or added (the order of task
        updates, the jobs' versions, every other write that succeeded, and what scenario
        builders added: jobs, farms, fleets, workers, queues): with the instant, the key of an
        answer or rows worked out once and kept."""
        return (
            self._update_seq,
            sum(self._job_versions.values()),
            self._writes,
            len(self._extra_jobs),
            len(self._farms),
            len(self._fleets),
            len(self._workers),
            len(self._queues),
        )

    def note_write(self) -> None:
        """Something outside the task states changed (a write the emulator answered, a
        protocol added): answers kept for the state before are no longer the world's."""
        with self._lock:
            self._writes += 1

    def _next_seq(self) -> int:
        """The next update's place in the order of updates (call with the lock held)."""
        self._update_seq += 1
        return self._update_seq

    def _bump(self, job: JobSpec, step_index: int | None = None, index: int | None = None) -> None:
        """A new version of the job's task states: one task's (``step_index``, ``index``)
        changed, or (None) a whole step's or job's."""
        version = self._job_versions.get(job.job_id, 0) + 1
        self._job_versions[job.job_id] = version
        self._changes.setdefault(job.job_id, []).append(Change(version, step_index, index))

    def update_task(
        self,
        farm_id: str,
        queue_id: str,
        job_id: str,
        step_id: str,
        task_id: str,
        target_run_status: str,
        client_token: str | None = None,
        counted_as: str = "UpdateTask",
        **_: Any,
    ) -> dict[str, Any]:
        """Set one task's run status. A target it already has changes nothing. The change is
        counted (``task_update_counts``) under ``counted_as``: BatchUpdateTask's items pass it."""
        with self._lock:
            t = self.clock.now()
            step = self._step(farm_id, queue_id, job_id, step_id, t)
            index = self._task_index(step, task_id)
            job = self._jobs[job_id]
            request = ("UpdateTask", job_id, step_id, task_id, target_run_status)
            if self._replayed(client_token, request):
                return {}
            self._check_not_archived(job)
            self._task_writes[job_id, task_id, counted_as] += 1
            before = self._task_state(job, step, index, t).status
            if not _changes(before, target_run_status):
                return {}
            key = (job_id, step.index, index)
            override = Override(t, target_run_status, OPERATOR_IDENTITY, seq=self._next_seq())
            self._overrides[key] = (*self._overrides.get(key, ()), override)
            self._task_changes[job_id, task_id, counted_as] += 1
            self._bump(job, step.index, index)
        return {}

    def update_step(
        self,
        farm_id: str,
        queue_id: str,
        job_id: str,
        step_id: str,
        target_task_run_status: str,
        client_token: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        """Set the run status of a step's tasks (see ``_scoped_update`` for which tasks)."""
        with self._lock:
            t = self.clock.now()
            step = self._step(farm_id, queue_id, job_id, step_id, t)
            job = self._jobs[job_id]
            request = ("UpdateStep", job_id, step_id, target_task_run_status)
            if not self._replayed(client_token, request):
                self._scoped_update(
                    job, [step], target_task_run_status, step.index, t, "UpdateStep"
                )
        return {}

    def update_job(
        self,
        farm_id: str,
        queue_id: str,
        job_id: str,
        client_token: str | None = None,
        target_task_run_status: str | None = None,
        counted_as: str = "UpdateJob",
        **members: Any,
    ) -> dict[str, Any]:
        """Change a job: its tasks' run status, priority, limits, name, description, or
        archive it (``lifecycleStatus`` ARCHIVED). Task changes are counted as ``counted_as``."""
        edits = {
            _JOB_MEMBERS[name]: value
            for name, value in members.items()
            if name in _JOB_MEMBERS and value is not None
        }
        with self._lock:
            t = self.clock.now()
            job = self._job(farm_id, queue_id, job_id, t)
            request = ("UpdateJob", job_id, target_task_run_status, tuple(sorted(edits.items())))
            if self._replayed(client_token, request):
                return {}
            if target_task_run_status is not None:
                self._scoped_update(
                    job, list(job.steps), target_task_run_status, None, t, counted_as
                )
            if edits:
                self._job_edits[job_id] = {**self._job_edits.get(job_id, {}), **edits}
        self.reconsider_gates(farm_id)
        return {}

    def _scoped_update(
        self,
        job: JobSpec,
        steps: list[StepSpec],
        target: str,
        scope: int | None,
        t: float,
        operation: str,
    ) -> None:
        """Step- or job-wide run status change. CANCELED/FAILED/SUCCEEDED/SUSPENDED change the
        tasks that have not finished (the CLI's "all active tasks"); READY/PENDING requeue the
        settled ones (finished or suspended). Assumed: the service documents neither set."""
        self._check_not_archived(job)
        applies_to = _scope_statuses(target)
        memo: dict = {}
        changed = [
            (step, index)
            for step in steps
            for index, state in enumerate(self._step_state(job, step, t, memo)[1])
            if state.status in applies_to
        ]
        if not changed:
            return
        key = (job.job_id, scope)
        override = Override(
            t, target, OPERATOR_IDENTITY, applies_to=applies_to, seq=self._next_seq()
        )
        self._scoped_overrides[key] = (*self._scoped_overrides.get(key, ()), override)
        for step, index in changed:
            self._task_changes[job.job_id, self._task_id(step, index), operation] += 1
        self._bump(job)

    # --- growing the world (scenario builders, see scenarios.py) ------------------------------

    def add_job(self, job: JobSpec) -> None:
        """Add a job to an existing queue (visible from its ``created_at``)."""
        with self._lock:
            self._queue(job.farm_id, job.queue_id)
            if job.job_id in self._jobs or job.job_ref in self._by_ref:
                raise ValueError(f"job {job.job_id} (ref {job.job_ref}) already exists")
            self._jobs[job.job_id] = job
            self._by_ref[job.job_ref] = job
            self._index_steps(job)
            self._extra_jobs.append(job)

    def add_farm(
        self,
        farm: FarmSpec,
        fleets: list[FleetSpec],
        workers: list[WorkerSpec],
        queues: list[QueueSpec],
    ) -> None:
        """Add a farm with its fleets, workers and queues (jobs come with ``add_job``)."""
        with self._lock:
            if farm.farm_id in self._farms:
                raise ValueError(f"farm {farm.farm_id} already exists")
            self.world.farms.append(farm)
            self._farms[farm.farm_id] = farm
            for fleet in fleets:
                self.world.fleets.append(fleet)
                self._fleets[fleet.fleet_id] = fleet
            for worker in workers:
                self.world.workers.append(worker)
                self._workers[worker.worker_id] = worker
            for queue in queues:
                self.world.queues.append(queue)
                self._queues[queue.queue_id] = queue
                self._pools[queue.queue_id] = tuple(
                    wid
                    for fid in queue.fleet_ids
                    for wid in self._fleets[fid].worker_ids
                    if self._workers[wid].status in ("RUNNING", "IDLE")
                )

    # --- helpers for tests: how often each task was changed by an Update* call ---------------

    def task_update_counts(
        self, job_id: str | None = None, operation: str | None = None
    ) -> dict[str, int]:
        """Task ID -> how many times a write changed its run status (a client-token replay or
        a target the task already had does not count), optionally for one job and one
        operation (UpdateTask, BatchUpdateTask, UpdateStep, UpdateJob, BatchUpdateJob)."""
        return self._task_counts(self._task_changes, job_id, operation)

    def task_write_counts(
        self, job_id: str | None = None, operation: str | None = None
    ) -> dict[str, int]:
        """Task ID -> how many UpdateTask calls and BatchUpdateTask items named it and were
        accepted, changing it or not (replays, refused and fault-struck items excluded): a
        task written twice to the same status shows 2 here and 1 in ``task_update_counts``."""
        return self._task_counts(self._task_writes, job_id, operation)

    def task_update_counts_by_operation(self, job_id: str | None = None) -> dict[str, int]:
        """Operation -> how many task run status changes it made."""
        with self._lock:
            totals: Counter[str] = Counter()
            for (job, _, operation), n in self._task_changes.items():
                if job_id is None or job == job_id:
                    totals[operation] += n
            return dict(sorted(totals.items()))

    def _task_counts(
        self, counter: Counter[tuple[str, str, str]], job_id: str | None, operation: str | None
    ) -> dict[str, int]:
        with self._lock:
            totals: Counter[str] = Counter()
            for (job, task, op), n in counter.items():
                if (job_id is None or job == job_id) and (operation is None or op == operation):
                    totals[task] += n
            return dict(sorted(totals.items()))

    def reset_task_update_counts(self) -> None:
        """Forget the counts (the changes themselves stay)."""
        with self._lock:
            self._task_changes.clear()
            self._task_writes.clear()

    # --- sessions -----------------------------------------------------------------------------

    def _session_hex(self, job: JobSpec, step: StepSpec, index: int, attempt: Attempt) -> str:
        if attempt.session_head >= 0:  # a task of a shared session: the session's first task
            index = attempt.session_head
        return _session_hex_of(
            self.seed, self._session_mask, job.job_ref, step.index, index, attempt.seq
        )

    def _decode_session(self, session_hex: str) -> tuple[int, int, int, int] | None:
        try:
            raw = bytes.fromhex(session_hex)
        except ValueError:
            return None
        size = 16 - _SESSION.size
        if len(raw) != 16:
            return None
        payload = bytes(a ^ b for a, b in zip(raw[size:], self._session_mask, strict=True))
        if digest(self.seed, "session-check", payload.hex(), size=size) != raw[:size]:
            return None
        return _SESSION.unpack(payload)

    def _job_by_ref(self, job_ref: int) -> JobSpec | None:
        job = self._by_ref.get(job_ref)
        if job is None and job_ref >= STREAM_JOB_REF_BASE:
            job = self._stream_job(job_ref - STREAM_JOB_REF_BASE)
        return job

    def _attempt(
        self, session_id: str, t: float, job: JobSpec | None = None
    ) -> tuple[JobSpec, StepSpec, int, Attempt, TaskState]:
        """The attempt behind a session ID (ResourceNotFound unless it has begun by ``t``)."""
        decoded = self._decode_session(session_id[len("session-") :])
        if decoded is not None:
            job_ref, step_index, index, seq = decoded
            owner = self._job_by_ref(job_ref)
            if (
                owner is not None
                and (job is None or owner.job_id == job.job_id)
                and self._visible(owner, t)
                and step_index < len(owner.steps)
                and index < owner.steps[step_index].task_count
            ):
                step = owner.steps[step_index]
                state = self._task_state(owner, step, index, t)
                for attempt in state.attempts:
                    if attempt.seq == seq:
                        return owner, step, index, attempt, state
        where = f"job {job.job_id}" if job is not None else ""
        raise _not_found("session", session_id, where)

    def _session_answer(
        self, job: JobSpec, attempt: Attempt, session_id: str, t: float, full: bool
    ) -> dict:
        worker = self._workers[attempt.worker_id]
        ended = attempt.session_end <= t
        answer: dict[str, Any] = {
            "sessionId": session_id,
            "fleetId": worker.fleet_id,
            "workerId": worker.worker_id,
            "startedAt": _dt(attempt.assigned_at),
            "lifecycleStatus": "ENDED" if ended else "STARTED",
        }
        if ended:
            answer["endedAt"] = _dt(attempt.session_end)
        elif attempt.cut_at <= t:
            answer["targetLifecycleStatus"] = "ENDED"
        if full:
            answer["log"] = {
                "logDriver": "awslogs",
                "options": {
                    "logGroupName": f"/aws/deadline/{job.farm_id}/{job.queue_id}",
                    "logStreamName": session_id,
                },
            }
            answer["hostProperties"] = self._worker_answer(worker)["hostProperties"]
            answer["workerLog"] = self._worker_log(worker)
        return answer

    def _job_attempts(self, job: JobSpec, t: float) -> Iterator[tuple[StepSpec, int, Attempt]]:
        memo: dict = {}
        for step in job.steps:
            for index, state in enumerate(self._step_state(job, step, t, memo)[1]):
                for attempt in state.attempts:
                    if attempt.session_pos == 0:  # a shared session is its first task's
                        yield step, index, attempt

    def list_sessions(
        self,
        farm_id: str,
        queue_id: str,
        job_id: str,
        next_token: str | None = None,
        max_results: int | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        t = self.clock.now()
        job = self._job(farm_id, queue_id, job_id, t)
        query = query_hash("ListSessions", farm_id, queue_id, job_id)
        if self.clock.is_pinned:
            keys, attempts = self._job_rows.get(
                "sessions",
                job.job_id,
                self._rows_stamp(job, t),
                lambda: [((x[0].index, x[1], x[2].seq), x) for x in self._job_attempts(job, t)],
            )
            page, token = page_rows(
                keys, attempts, query=query, next_token=next_token, max_results=max_results
            )
        else:
            page, token = paginate(
                self._job_attempts(job, t),
                lambda x: [x[0].index, x[1], x[2].seq],
                query=query,
                next_token=next_token,
                max_results=max_results,
            )
        sessions = []
        for step, index, attempt in page:
            session_id = "session-" + self._session_hex(job, step, index, attempt)
            sessions.append(self._session_answer(job, attempt, session_id, t, False))
        return _put({"sessions": sessions}, nextToken=token)

    def get_session(
        self, farm_id: str, queue_id: str, job_id: str, session_id: str, **_: Any
    ) -> dict[str, Any]:
        t = self.clock.now()
        job = self._job(farm_id, queue_id, job_id, t)
        _, _, _, attempt, _ = self._attempt(session_id, t, job)
        return self._session_answer(job, attempt, session_id, t, True)

    def _action_answer(
        self,
        job: JobSpec,
        step: StepSpec,
        index: int,
        attempt: Attempt,
        n: int,
        t: float,
        full: bool,
    ) -> dict[str, Any] | None:
        state = session_action_state(attempt, n, t)
        if state is None:
            return None
        session_hex = self._session_hex(job, step, index, attempt)
        answer: dict[str, Any] = {"sessionActionId": f"sessionaction-{session_hex}-{n}"}
        answer["status"] = state["status"]
        _put(
            answer,
            startedAt=_dt(state.get("startedAt")),  # type: ignore[arg-type]
            endedAt=_dt(state.get("endedAt")),  # type: ignore[arg-type]
            workerUpdatedAt=_dt(state.get("workerUpdatedAt")),  # type: ignore[arg-type]
            progressPercent=state.get("progressPercent"),
        )
        environment = f"JOB:{job.job_id}:RenderEnvironment"
        if n == 1:
            definition: dict[str, Any] = {
                "taskRun": {
                    "taskId": self._task_id(step, index),
                    "stepId": step.step_id,
                    "parameters": self._parameters(step, index),
                }
            }
        else:
            definition = {("envEnter" if n == 0 else "envExit"): {"environmentId": environment}}
        answer["definition"] = definition
        if full:
            answer["sessionId"] = f"session-{session_hex}"
            _put(
                answer,
                processExitCode=state.get("processExitCode"),
                progressMessage=state.get("progressMessage"),
                acquiredLimits=self.acquired_limits(job, step) if n == 1 else None,
            )
        return answer

    def list_session_actions(
        self,
        farm_id: str,
        queue_id: str,
        job_id: str,
        next_token: str | None = None,
        max_results: int | None = None,
        session_id: str | None = None,
        task_id: str | None = None,
        **_: Any,
    ) -> dict[str, Any]:
        t = self.clock.now()
        job = self._job(farm_id, queue_id, job_id, t)
        query = query_hash("ListSessionActions", farm_id, queue_id, job_id, session_id, task_id)
        job_wide = session_id is None and task_id is None
        if session_id is not None:
            _, step, index, attempt, _ = self._attempt(session_id, t, job)
            attempts: Any = [(step, index, attempt)]
        elif task_id is not None:
            attempts = self._task_attempts(job, task_id, t)
        else:
            attempts = self._job_attempts(job, t)

        def actions(after: list[Any] | None) -> Iterator[tuple[tuple[int, ...], dict[str, Any]]]:
            for step, index, attempt in attempts:
                if after is not None and [step.index, index, attempt.seq] < after[:3]:
                    continue  # every action of this session is before the cursor
                whole = task_id is None
                for n, answer in self._actions_of(job, step, index, attempt, t, whole=whole):
                    yield (step.index, index, attempt.seq, n), answer

        if job_wide and self.clock.is_pinned:
            keys, rows = self._job_rows.get(
                "actions", job.job_id, self._rows_stamp(job, t), lambda: list(actions(None))
            )
            page, token = page_rows(
                keys, rows, query=query, next_token=next_token, max_results=max_results
            )
            return _put({"sessionActions": [dict(a) for a in page]}, nextToken=token)
        cursor = decode_token(next_token, query) if job_wide else None
        page, token = paginate(
            actions(cursor),
            lambda x: list(x[0]),
            query=query,
            next_token=next_token,
            max_results=max_results,
        )
        return _put({"sessionActions": [a for _, a in page]}, nextToken=token)

    def _rows_stamp(self, job: JobSpec, t: float) -> tuple[float, int, int]:
        """What a job's listed sessions follow: the instant, its task states' version and
        the farm's updates (so a write anywhere rebuilds them)."""
        return (t, self._version(job), self._update_seq)

    def _task_attempts(
        self, job: JobSpec, task_id: str, t: float
    ) -> list[tuple[StepSpec, int, Attempt]]:
        step_hex, _, _number = task_id[len("task-") :].rpartition("-")
        found = self._steps.get(f"step-{step_hex}")
        if found is None or found[0].job_id != job.job_id:
            raise _not_found("task", task_id, f"job {job.job_id}")
        step = found[1]
        index = self._task_index(step, task_id)
        state = self._task_state(job, step, index, t)
        return [(step, index, a) for a in state.attempts]

    def get_session_action(
        self, farm_id: str, queue_id: str, job_id: str, session_action_id: str, **_: Any
    ) -> dict[str, Any]:
        t = self.clock.now()
        job = self._job(farm_id, queue_id, job_id, t)
        body = session_action_id[len("sessionaction-") :]
        session_hex, _, number = body.rpartition("-")
        try:
            _, step, index, attempt, _ = self._attempt(f"session-{session_hex}", t, job)
        except ResourceNotFoundException:
            raise _not_found("sessionaction", session_action_id, f"job {job_id}") from None
        actions = dict(self._actions_of(job, step, index, attempt, t, full=True))
        answer = actions.get(int(number)) if number.isdigit() else None
        if answer is None:
            raise _not_found("sessionaction", session_action_id, f"job {job_id}")
        return answer

    def batch_get_session(self, identifiers: list[dict[str, str]], **_: Any) -> dict[str, Any]:
        """GetSession for up to 100 sessions; a session that cannot be read is an item of
        ``errors`` (the call itself answers 200), as the service does."""
        sessions, errors = [], []
        for ident in identifiers:
            try:
                self._item_fault("BatchGetSession")
                answer = self.get_session(
                    farm_id=ident["farmId"],
                    queue_id=ident["queueId"],
                    job_id=ident["jobId"],
                    session_id=ident["sessionId"],
                )
            except DeadlineError as exc:
                errors.append(item_error("BatchGetSession", ident, exc))
                continue
            sessions.append({**_batch_ids(ident), **answer})
        return {"sessions": sessions, "errors": errors}

    def batch_get_session_action(
        self, identifiers: list[dict[str, str]], **_: Any
    ) -> dict[str, Any]:
        """GetSessionAction for up to 100 session actions, with per-item ``errors``."""
        actions, errors = [], []
        for ident in identifiers:
            try:
                self._item_fault("BatchGetSessionAction")
                answer = self.get_session_action(
                    farm_id=ident["farmId"],
                    queue_id=ident["queueId"],
                    job_id=ident["jobId"],
                    session_action_id=ident["sessionActionId"],
                )
            except DeadlineError as exc:
                errors.append(item_error("BatchGetSessionAction", ident, exc))
                continue
            actions.append({**_batch_ids(ident), **answer})
        return {"sessionActions": actions, "errors": errors}

    # --- helpers for tests, benchmarks and the log emulator --------------------------------

    def attempt_timeline(self, session_id: str) -> dict[str, Any]:
        """Everything a log generator needs about one attempt (session), as of now; for a
        session that ran several tasks, each task's too (``members``)."""
        t = self.clock.now()
        job, step, index, attempt, _ = self._attempt(session_id, t)
        answer = self._attempt_timeline(job, step, index, attempt, session_id, t)
        return self._session_timeline(job, step, index, attempt, answer, t)

    def _attempt_timeline(
        self, job: JobSpec, step: StepSpec, index: int, attempt: Attempt, session_id: str, t: float
    ) -> dict[str, Any]:
        worker = self._workers[attempt.worker_id]
        outcome: str | None = None
        if attempt.cut_at <= t and attempt.cut_at < attempt.ended_at:
            outcome = "CANCELED" if attempt.cut_end <= t else "CANCELING"
        elif attempt.ended_at <= t:
            outcome = attempt.outcome
        return {
            "farmId": job.farm_id,
            "queueId": job.queue_id,
            "jobId": job.job_id,
            "jobName": job.name,
            "stepId": step.step_id,
            "stepName": step.name,
            "taskId": self._task_id(step, index),
            "sessionId": session_id,
            "attempt": attempt.seq,
            "workerId": worker.worker_id,
            "fleetId": worker.fleet_id,
            "hostName": worker.host_name,
            "assignedAt": _dt(attempt.assigned_at),
            "startingAt": _dt(attempt.starting_at),
            "scheduledAt": _dt(attempt.scheduled_at),
            "runningAt": _dt(attempt.running_at),
            "taskRunEndsAt": _dt(attempt.task_run_end),
            "sessionEndsAt": _dt(attempt.session_end),
            "outcome": outcome,
            "plannedOutcome": attempt.outcome or None,
            "exitCode": attempt.exit_code if outcome in ("SUCCEEDED", "FAILED") else None,
            "message": attempt.message,
            # The plan behind the visible state, so logs already served never change later.
            "plannedEndsAt": _dt(attempt.ended_at) if attempt.ended_at < INF else None,
            "failProgress": attempt.fail_progress,
            "interruptedAt": _dt(attempt.cut_at) if attempt.cut_at < INF else None,
            "parameters": self._parameters(step, index),
            "logGroupName": f"/aws/deadline/{job.farm_id}/{job.queue_id}",
            "logStreamName": session_id,
            "now": _dt(t),
        }

    def jobs(self) -> list[dict[str, str]]:
        """Identifiers of every job visible now (landmarks first)."""
        t = self.clock.now()
        return [
            {"farmId": j.farm_id, "queueId": j.queue_id, "jobId": j.job_id}
            for j in self._all_jobs(t)
        ]

    def find_tasks(
        self,
        run_status: str | None = None,
        *,
        limit: int | None = None,
        include_landmarks: bool = True,
        exclude: tuple[str, ...] = ("wedged",),
        min_retries: int = 0,
        newest_first: bool = False,
    ) -> list[dict[str, str]]:
        """Task identifiers (camelCase, ready for boto3) matching ``run_status`` now; with
        ``newest_first``, jobs from the most recently created (where running work is: a few
        tasks found without simulating the whole history)."""
        t = self.clock.now()
        found: list[dict[str, str]] = []
        memo: dict = {}
        jobs = self._all_jobs(t)
        if newest_first:
            jobs = sorted(jobs, key=lambda job: job.created_at, reverse=True)
        for job in jobs:
            if job.landmark is not None and (not include_landmarks or job.landmark in exclude):
                continue
            for step in job.steps:
                for index, s in enumerate(self._step_state(job, step, t, memo)[1]):
                    if (run_status is None or s.status == run_status) and s.retries >= min_retries:
                        found.append(
                            {
                                "farmId": job.farm_id,
                                "queueId": job.queue_id,
                                "jobId": job.job_id,
                                "stepId": step.step_id,
                                "taskId": self._task_id(step, index),
                            }
                        )
                        if limit is not None and len(found) >= limit:
                            return found
        return found

    def landmarks(self) -> dict[str, Any]:
        """IDs of the notable resources, so tests never hard-code them."""
        w = self.world

        def job(key: str) -> dict[str, str]:
            j = self._landmarks[key]
            return {"farmId": j.farm_id, "queueId": j.queue_id, "jobId": j.job_id}

        def step(key: str, index: int = 0) -> dict[str, str]:
            return {**job(key), "stepId": self._landmarks[key].steps[index].step_id}

        def task(key: str, index: int, step_index: int = 0) -> dict[str, str]:
            s = self._landmarks[key].steps[step_index]
            return {**step(key, step_index), "taskId": self._task_id(s, index)}

        failed_deps = self._landmarks["failed_deps"]
        sim = failed_deps.steps[0]
        states = self._step_state(failed_deps, sim, max(self.clock.now(), _FAR_FUTURE / 10), {})[1]
        retried = next(i for i, s in enumerate(states) if s.status == "FAILED" and s.retries == 2)
        unreliable = self._workers[w.unreliable_worker_id]
        wedged = self._workers[w.wedged_worker_id]
        return {
            "farm_main": w.farms[0].farm_id,
            "farm_previs": w.farms[1].farm_id,
            "queues": {
                q.display_name: {"farmId": q.farm_id, "queueId": q.queue_id} for q in w.queues
            },
            "blocked_queue": {"farmId": w.queues[3].farm_id, "queueId": w.queues[3].queue_id},
            "idle_queue": {"farmId": w.queues[6].farm_id, "queueId": w.queues[6].queue_id},
            "big_job": job("big"),
            "big_step": step("big"),
            "big_last_task": task("big", 9_999),
            "one_task_step": step("one"),
            "one_task": task("one", 0),
            "params_step": step("params"),
            "bare_step": step("bare"),
            "bare_task": task("bare", 0),
            "hostile_job": job("hostile"),
            "hostile_step": step("hostile"),
            "wedged_step": step("wedged"),
            "wedged_running_task": task("wedged", 0),
            "suspended_job": job("suspended"),
            "canceled_job": job("canceled"),
            "incompatible_step": step("incompatible"),
            "failed_deps_job": job("failed_deps"),
            "failed_with_retries_task": task("failed_deps", retried),
            "pending_step": step("failed_deps", 1),
            "archive_job": job("archive"),
            "showcase_job": job("showcase"),  # shared sessions, reclaims, failed env/sync
            "unreliable_worker": {
                "farmId": unreliable.farm_id,
                "fleetId": unreliable.fleet_id,
                "workerId": unreliable.worker_id,
            },
            "wedged_worker": {
                "farmId": wedged.farm_id,
                "fleetId": wedged.fleet_id,
                "workerId": wedged.worker_id,
            },
        }
