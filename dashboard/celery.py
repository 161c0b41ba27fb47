"""The Celery application: the worker (``celery -A dashboard worker --beat``) and every process
that enqueues work load it. Its settings are Django's ``CELERY_*`` (dashboard/settings.py);
the tasks are in ``tasks_app/tasks.py``. Why Celery: docs/architecture.md."""

from __future__ import annotations

import os
import sys

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

app = Celery("dashboard")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def worker_command(*, schedule: str, concurrency: int) -> list[str]:
    """The worker as ``make run`` and ``make serve`` start it, with celery beat embedded: each
    host may run one, as every periodic job runs once per period whatever the number of beats
    (tasks_app.services.background.once_per_period)."""
    return [
        sys.executable, "-m", "celery", "-A", "dashboard", "worker",
        "--beat", "--schedule", schedule,
        "--concurrency", str(concurrency),
        "--loglevel", "INFO",
        # Its own name on each host: two workers of one host must not share one.
        "--hostname", f"dashboard-{os.getpid()}@%h",
    ]  # fmt: skip
