"""The dashboard's own records: actions on farm work (the audit trail and the stored plan).

Everything else the dashboard shows lives in Deadline Cloud. An ``ActionRun`` is written when
an operator confirms an action and never deleted by the dashboard: it is the audit row (who,
when, what, where, why, counts, result) and, with its ``ActionItem`` rows (one per task, or
one per scope-wide call), the plan a process works through and another resumes if that process
stops. With ``DATABASE_URL`` on PostgreSQL every host shares them.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

#: What an operator can do, as the forms and URLs name it.
ACTION_CHOICES = [
    ("requeue", "Requeue"),
    ("cancel", "Cancel"),
    ("suspend", "Suspend"),
    ("succeed", "Mark succeeded"),
    ("fail", "Mark failed"),
    ("priority", "Set priority"),
]
#: Where it applies.
SCOPE_CHOICES = [
    ("task", "Task"),
    ("step", "Step"),
    ("job", "Job"),
    ("failures", "Failure group"),
]


class ActionRun(models.Model):
    """One confirmed action: its audit row and the state of its execution."""

    class State(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"  # every planned change was made
        PARTIAL = "partial", "Partly done"  # some were not: each is listed with its reason
        FAILED = "failed", "Failed"  # none was made
        # Its process stopped and it made no progress for a confirm window: not resumed
        # silently; what was left is listed, not sent.
        EXPIRED = "expired", "Expired"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    username = models.CharField(max_length=150)
    action = models.CharField(max_length=16, choices=ACTION_CHOICES)
    scope = models.CharField(max_length=16, choices=SCOPE_CHOICES)
    farm_id = models.CharField(max_length=64)
    queue_id = models.CharField(max_length=64)
    job_id = models.CharField(max_length=64)
    step_id = models.CharField(max_length=64, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    # The failure group's signature (scope "failures").
    signature = models.TextField(blank=True)
    # The job's (and step's) name when the action was taken: names come from job submitters,
    # templates escape them like every other API string.
    job_name = models.CharField(max_length=512, blank=True)
    step_name = models.CharField(max_length=512, blank=True)
    run_statuses = models.JSONField(default=list)
    priority = models.IntegerField(null=True, blank=True)
    previous_priority = models.IntegerField(null=True, blank=True)
    reason = models.TextField(blank=True)
    # Status -> how many tasks the confirmed preview counted.
    counts = models.JSONField(default=dict)
    worker_seconds = models.FloatField(default=0.0)
    # The API operation used: BatchUpdateTask (100 tasks a call), UpdateTask per task, or one
    # UpdateStep / UpdateJob call.
    method = models.CharField(max_length=16)
    # Why the batch operation was not used (the backend refused it), or "".
    fallback = models.TextField(blank=True)
    # Digest of the confirmed task set (IDs and the statuses they were previewed in).
    task_set = models.CharField(max_length=64, blank=True)
    backend = models.CharField(max_length=300, blank=True)
    # The dashboard's own ID for the confirming request (its log lines carry it too).
    request_id = models.CharField(max_length=200, blank=True)
    # The X-Request-ID the client sent, if any: kept beside ours, never trusted as ours.
    client_request_id = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.RUNNING)
    planned = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    # The confirm token's nonce: a second POST of one confirmation finds this run.
    confirm_nonce = models.CharField(max_length=64, unique=True)
    # Which process works on it, until when (heartbeats extend it; others resume it after).
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # When a call last came back (a run idle longer than a confirm window is not resumed).
    last_progress_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One running action per job, whatever its scope (a step's or a failure group's
            # tasks are the job's too): two confirmations cannot both start, in any process.
            models.UniqueConstraint(
                fields=["job_id"],
                condition=models.Q(state="running"),
                name="actionrun_one_running_per_job",
            )
        ]
        permissions = [
            (
                "act_on_work",
                "Can requeue, cancel, suspend, mark and reprioritise farm work",
            )
        ]
        indexes = [
            models.Index(fields=["farm_id", "-created_at"], name="actionrun_farm"),
            models.Index(fields=["job_id", "-created_at"], name="actionrun_job"),
            models.Index(fields=["username", "-created_at"], name="actionrun_user"),
            models.Index(fields=["state", "lease_until"], name="actionrun_active"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.scope} {self.job_id} by {self.username} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state != self.State.RUNNING

    @property
    def pending(self) -> int:
        return max(0, self.planned - self.changed - self.failed)


class ActionItem(models.Model):
    """One Update* call of a run: a task (UpdateTask), or a whole step or job (``task_id``
    empty; ``step_id`` empty too for UpdateJob). Its client token makes a retry, or a resumed
    run, change it at most once."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Pending"
        CHANGED = "changed", "Changed"
        FAILED = "failed", "Not changed"

    run = models.ForeignKey(ActionRun, on_delete=models.CASCADE, related_name="items")
    step_id = models.CharField(max_length=64, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    previous_status = models.CharField(max_length=16, blank=True)
    client_token = models.CharField(max_length=64)
    # The client token of the BatchUpdateTask call carrying this task, stored before the call
    # is sent: a resumed run sends the same items again with it (the service replays).
    batch_token = models.CharField(max_length=64, blank=True)
    # Tasks this call changes: 1 for UpdateTask, the previewed count for a scope-wide call.
    task_count = models.PositiveIntegerField(default=1)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, default=Outcome.PENDING)
    error = models.TextField(blank=True)
    tries = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "step_id", "task_id"], name="actionitem_once_per_run"
            )
        ]
        indexes = [models.Index(fields=["run", "outcome"], name="actionitem_outcome")]

    def __str__(self) -> str:
        return f"{self.task_id or self.step_id or 'job'}: {self.outcome}"


class ActionBatch(models.Model):
    """One BatchUpdateTask call as it was (or may have been) sent: its client token and its
    items in order, stored before the call goes out. A resumed run sends exactly these items
    again with this token, so the service answers the first answer again and changes nothing
    twice (a token reused with other items is refused)."""

    run = models.ForeignKey(ActionRun, on_delete=models.CASCADE, related_name="batches")
    client_token = models.CharField(max_length=64, unique=True)
    # ActionItem primary keys, in the order the call lists them.
    items = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"batch {self.client_token} of run {self.run_id} ({len(self.items)} tasks)"


class PeriodicRun(models.Model):
    """A periodic job's run for one period, inserted before the job runs: the unique pair
    (job, period start) lets exactly one of several schedulers (celery beat on two hosts, say)
    run it per period, whichever inserts first."""

    job = models.CharField(max_length=100)
    period_start = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    # Which worker ran it, for the logs and the tests.
    ran_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-period_start", "job"]
        constraints = [
            models.UniqueConstraint(fields=["job", "period_start"], name="periodicrun_once")
        ]

    def __str__(self) -> str:
        return f"{self.job} for {self.period_start:%Y-%m-%d %H:%M:%S}"


class WorkLease(models.Model):
    """Who runs a piece of background work now (a failure analysis of one scope), until when.
    Taken by a conditional insert or update, renewed by its holder, released by its holder
    only; a lapsed lease (its worker was killed) is taken over by the next one to ask."""

    name = models.CharField(max_length=300, unique=True)
    owner = models.CharField(max_length=64)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} held by {self.owner} until {self.expires_at:%H:%M:%S}"
