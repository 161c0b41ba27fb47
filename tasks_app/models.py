"""The dashboard's own records: actions on farm work (the audit trail and the stored plan).

Everything else the dashboard shows lives in Deadline Cloud. An ``ActionRun`` is written when
an operator confirms an action and never deleted by the dashboard: it is the audit row (who,
when, what, where, why, counts, result) and, with its ``ActionItem`` rows (one per task, or
one per scope-wide call), the plan a process works through and another resumes if that process
stops. With ``DATABASE_URL`` on PostgreSQL every host shares them.

Over 400 lines because every table of the app is declared here, where Django looks for them.
"""

from __future__ import annotations

from django.conf import settings
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


# --- Notifications -------------------------------------------------------------------------------

#: What a rule can announce: each is a judgement the dashboard already makes.
NOTIFY_EVENT_CHOICES = [
    ("job_failed", "A job gains failed tasks"),
    ("job_finished", "A job finishes"),
    ("task_stalled", "A task stalls"),
    ("worker_sick", "A worker is sick"),
    ("queue_blocked", "A queue is blocked"),
    ("budget_threshold", "A budget passes a threshold"),
    ("waiting_job", "A job waits"),
]


class NotificationRule(models.Model):
    """Who hears about which event where. A team rule (``owner`` empty) is an operator's: any
    channel. A follower's rule (``owner`` set) only ever reaches that user: in-app, or e-mail
    to the address their account holds when the message is sent (``target`` stays empty)."""

    class Channel(models.TextChoices):
        SLACK = "slack", "Slack"
        WEBHOOK = "webhook", "Webhook"
        EMAIL = "email", "E-mail"
        IN_APP = "in_app", "In the dashboard"

    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="follows",
    )
    event = models.CharField(max_length=32, choices=NOTIFY_EVENT_CHOICES)
    farm_id = models.CharField(max_length=64)
    queue_id = models.CharField(max_length=64, blank=True)
    job_id = models.CharField(max_length=64, blank=True)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    # A Slack or webhook URL, or an e-mail address (team rules only).
    target = models.TextField(blank=True)
    # Webhooks: the HMAC-SHA256 key of the X-Dashboard-Signature header.
    secret = models.CharField(max_length=200, blank=True)
    # Option: only jobs this user submitted (matched against the job's createdBy).
    only_user = models.CharField(max_length=200, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    # The first look: what was true then is recorded, not announced.
    baseline_at = models.DateTimeField(null=True, blank=True)
    # Removed rules stay for the delivery log; they match nothing.
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["active", "event"], name="notifyrule_active")]

    def __str__(self) -> str:
        where = self.job_id or self.queue_id or self.farm_id
        return f"rule {self.pk}: {self.event} in {where} by {self.channel}"


class NotificationDelivery(models.Model):
    """One message of one rule about one event: the unique (rule, event key) makes it exactly
    once in every process and host; a sender claims it by a conditional update."""

    class Status(models.TextChoices):
        BASELINE = "baseline", "Baseline (not announced)"
        SNOOZED = "snoozed", "Snoozed (not announced)"
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled (rule removed)"

    rule = models.ForeignKey(NotificationRule, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=32, choices=NOTIFY_EVENT_CHOICES)
    # What the message is about ("job_failed:<job ID>"); its digests share it.
    subject_key = models.CharField(max_length=200)
    # Unique per rule: the subject, plus a digest's count.
    event_key = models.CharField(max_length=240)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # A number that grows (a job's failed tasks): a digest is sent when it does.
    count = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=512, blank=True)
    # The event as the channels format it (title, facts, url, names): API strings, unescaped.
    payload = models.JSONField(default=dict)
    farm_id = models.CharField(max_length=64, blank=True)
    queue_id = models.CharField(max_length=64, blank=True)
    job_id = models.CharField(max_length=64, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    worker_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "event_key"], name="notifydelivery_once")
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="notifydelivery_due"),
            models.Index(fields=["rule", "subject_key"], name="notifydelivery_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.event_key} for rule {self.rule_id}: {self.status}"


class NotificationSnooze(models.Model):
    """A job nobody wants to hear about until ``until``: its events are recorded as snoozed."""

    farm_id = models.CharField(max_length=64)
    queue_id = models.CharField(max_length=64)
    job_id = models.CharField(max_length=64, unique=True)
    until = models.DateTimeField()
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.job_id} snoozed until {self.until:%Y-%m-%d %H:%M}"


class NotificationRuleChange(models.Model):
    """The audit of rules, like an action's row: who changed which rule how, from which
    request (the line ``tasks_app.audit`` logs carries the same)."""

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    username = models.CharField(max_length=150)
    change = models.CharField(max_length=16)  # created, removed, snoozed, tested, followed...
    rule = models.ForeignKey(
        NotificationRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="changes"
    )
    details = models.JSONField(default=dict)
    request_id = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.change} rule {self.rule_id} by {self.username}"


class MachineAction(models.Model):
    """One confirmed action on a machine and its audit row: remove a worker (DeleteWorker) or
    set a fleet's minimum and maximum worker counts (UpdateFleet)."""

    class Kind(models.TextChoices):
        REMOVE_WORKER = "remove-worker", "Remove the worker"
        FLEET_SIZE = "fleet-size", "Set the fleet's size"

    class State(models.TextChoices):
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    username = models.CharField(max_length=150)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    farm_id = models.CharField(max_length=64)
    fleet_id = models.CharField(max_length=64)
    worker_id = models.CharField(max_length=64, blank=True)
    # What the machine was at the confirmed preview (a worker's status and host name, a
    # fleet's name and counts) and what was asked (a fleet's new minimum and maximum).
    before = models.JSONField(default=dict)
    requested = models.JSONField(default=dict)
    reason = models.TextField(blank=True)
    method = models.CharField(max_length=16)  # DeleteWorker | UpdateFleet
    state = models.CharField(max_length=16, choices=State.choices)
    error = models.TextField(blank=True)  # the API's refusal, naming the IAM action if denied
    backend = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=200, blank=True)
    client_request_id = models.CharField(max_length=200, blank=True)
    # The confirm token's nonce: a second POST of one confirmation finds this row.
    confirm_nonce = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.worker_id or self.fleet_id} by {self.username}: {self.state}"


class AttentionAck(models.Model):
    """An incident of the attention list acknowledged or snoozed, and its audit row (never
    deleted): who, when, until when, and when it ended (cleared, expired, or the incident
    changed). At most one open row per incident, by a partial unique constraint, so two
    people or processes cannot both take it (docs/attention.md)."""

    class Kind(models.TextChoices):
        ACK = "ack", "Acknowledged"
        SNOOZE = "snooze", "Snoozed"

    item_key = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    # The incident's state when acknowledged: an acknowledgement ends when it changes.
    state = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=300, blank=True)
    farm_id = models.CharField(max_length=64, blank=True)
    until = models.DateTimeField()
    username = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=150, blank=True)  # a person, "expired", "changed"
    request_id = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item_key"],
                condition=models.Q(ended_at__isnull=True),
                name="attentionack_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.item_key} {self.kind} by {self.username} until {self.until:%H:%M}"
