"""Round three's judgement on its own: every task a stopped worker holds, in whichever queue
and status, stalled from one moment (when the worker was last seen starting work), so equal
stalls have equal impacts however long ago each task first started."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tasks_app.deadline.farm_types import TaskRow, TaskRows
from tasks_app.deadline.session_types import Worker
from tasks_app.deadline.types import Queue, TaskRunStatus
from tasks_app.selectors.attention.judgement import Evidence, Judgement
from tasks_app.selectors.attention.state import FarmState, QueueState

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FARM = "farm-" + "a" * 32
WORKER = "worker-" + "b" * 32


def _row(queue: int, n: int, status: TaskRunStatus, started: datetime | None) -> TaskRow:
    session = f"{n:032x}"
    return TaskRow(
        task_id=f"task-{'c' * 32}-{queue}{n}",
        run_status=status,
        job_id="job-" + "d" * 32,
        step_id="step-" + "e" * 32,
        started_at=started,
        updated_at=NOW - timedelta(minutes=3),
        latest_session_action_id=f"sessionaction-{session}-0",
    )


def test_every_task_a_stopped_worker_holds_stalled_at_one_moment() -> None:
    farm = FarmState(FARM, "Farm")
    farm.workers[WORKER] = Worker(FARM, "fleet-" + "f" * 32, WORKER, "NOT_RESPONDING", "render-1")
    rows = [
        # Retried long ago (its start is its first attempt's), started lately, never started.
        _row(1, 1, TaskRunStatus.RUNNING, NOW - timedelta(hours=471)),
        _row(1, 2, TaskRunStatus.ASSIGNED, None),
        _row(2, 3, TaskRunStatus.RUNNING, NOW - timedelta(hours=2)),
        _row(2, 4, TaskRunStatus.INTERRUPTING, NOW - timedelta(hours=30)),
    ]
    for row in rows:
        farm.saw(WORKER, row.session_id or "", None)
    queues = []
    for n, held in ((1, rows[:2]), (2, rows[2:])):
        queue = Queue(farm_id=FARM, queue_id=f"queue-{n:032x}", display_name=f"Q{n}")
        state = QueueState(FARM, "Farm", queue)
        state.live = TaskRows(rows=tuple(held), complete=True)
        queues.append(state)

    judged = Judgement(NOW, {FARM: farm}, queues)
    judged.pick_candidates()
    items = judged.task_items(Evidence())

    assert len(items) == 4 and {i.kind for i in items} == {"stalled_task"}
    # The latest sign of life is the task started two hours ago, in the second queue: every
    # task, the first queue's included, stalled from then.
    assert {round(i.impact) for i in items} == {2 * 3600}
    assert {i.worker_id for i in items} == {WORKER}
