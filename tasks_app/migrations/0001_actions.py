"""Action runs (the audit trail and stored plans) and their per-task items."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="ActionRun",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "created_at",
                    models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                ),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                ("username", models.CharField(max_length=150)),
                (
                    "action",
                    models.CharField(
                        choices=[
                            ("requeue", "Requeue"),
                            ("cancel", "Cancel"),
                            ("suspend", "Suspend"),
                            ("succeed", "Mark succeeded"),
                            ("fail", "Mark failed"),
                            ("priority", "Set priority"),
                        ],
                        max_length=16,
                    ),
                ),
                (
                    "scope",
                    models.CharField(
                        choices=[
                            ("task", "Task"),
                            ("step", "Step"),
                            ("job", "Job"),
                            ("failures", "Failure group"),
                        ],
                        max_length=16,
                    ),
                ),
                ("farm_id", models.CharField(max_length=64)),
                ("queue_id", models.CharField(max_length=64)),
                ("job_id", models.CharField(max_length=64)),
                ("step_id", models.CharField(blank=True, max_length=64)),
                ("task_id", models.CharField(blank=True, max_length=64)),
                ("signature", models.TextField(blank=True)),
                ("job_name", models.CharField(blank=True, max_length=512)),
                ("step_name", models.CharField(blank=True, max_length=512)),
                ("run_statuses", models.JSONField(default=list)),
                ("priority", models.IntegerField(blank=True, null=True)),
                ("previous_priority", models.IntegerField(blank=True, null=True)),
                ("reason", models.TextField(blank=True)),
                ("counts", models.JSONField(default=dict)),
                ("worker_seconds", models.FloatField(default=0.0)),
                ("method", models.CharField(max_length=16)),
                ("backend", models.CharField(blank=True, max_length=300)),
                ("request_id", models.CharField(blank=True, max_length=200)),
                (
                    "state",
                    models.CharField(
                        choices=[
                            ("running", "Running"),
                            ("done", "Done"),
                            ("partial", "Partly done"),
                            ("failed", "Failed"),
                        ],
                        default="running",
                        max_length=16,
                    ),
                ),
                ("planned", models.PositiveIntegerField(default=0)),
                ("changed", models.PositiveIntegerField(default=0)),
                ("failed", models.PositiveIntegerField(default=0)),
                ("confirm_nonce", models.CharField(max_length=64, unique=True)),
                ("lease_owner", models.CharField(blank=True, max_length=64)),
                ("lease_until", models.DateTimeField(blank=True, null=True)),
            ],
            options={
                "ordering": ["-created_at", "-id"],
                "permissions": [
                    ("act_on_work", "Can requeue, cancel, suspend, mark and reprioritise farm work")
                ],
                "indexes": [
                    models.Index(fields=["farm_id", "-created_at"], name="actionrun_farm"),
                    models.Index(fields=["job_id", "-created_at"], name="actionrun_job"),
                    models.Index(fields=["username", "-created_at"], name="actionrun_user"),
                    models.Index(fields=["state", "lease_until"], name="actionrun_active"),
                ],
            },
        ),
        migrations.CreateModel(
            name="ActionItem",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("step_id", models.CharField(blank=True, max_length=64)),
                ("task_id", models.CharField(blank=True, max_length=64)),
                ("previous_status", models.CharField(blank=True, max_length=16)),
                ("client_token", models.CharField(max_length=64)),
                ("task_count", models.PositiveIntegerField(default=1)),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("pending", "Pending"),
                            ("changed", "Changed"),
                            ("failed", "Not changed"),
                        ],
                        default="pending",
                        max_length=16,
                    ),
                ),
                ("error", models.TextField(blank=True)),
                ("tries", models.PositiveIntegerField(default=0)),
                (
                    "run",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="items",
                        to="tasks_app.actionrun",
                    ),
                ),
            ],
            options={
                "ordering": ["id"],
                "indexes": [models.Index(fields=["run", "outcome"], name="actionitem_outcome")],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("run", "step_id", "task_id"), name="actionitem_once_per_run"
                    )
                ],
            },
        ),
    ]
