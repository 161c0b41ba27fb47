"""The round every runner makes (a serving process's thread, the Celery task): evaluation
once per period whichever process asks first, delivery by each."""

from __future__ import annotations

import threading

import pytest
from django.conf import LazySettings

from tasks_app.models import PeriodicRun
from tasks_app.services import notifications
from tasks_app.services.notifications import runner

pytestmark = pytest.mark.django_db


def test_a_round_evaluates_once_per_period(settings: LazySettings) -> None:
    settings.DASHBOARD_NOTIFY_SECONDS = 3600.0  # one period for the whole test
    assert notifications.run_round() is True
    assert notifications.run_round() is False  # another process's round in the same period
    assert PeriodicRun.objects.filter(job=runner.PERIODIC_JOB).count() == 1


def test_no_thread_with_a_broker(settings: LazySettings) -> None:
    assert runner.stop_notifier()
    settings.DASHBOARD_TASKS_IN_PROCESS = False
    runner.start_notifier()
    assert not runner.notifier_running()


def test_without_a_broker_one_thread_runs_until_stopped(settings: LazySettings) -> None:
    assert runner.stop_notifier()
    settings.DASHBOARD_TASKS_IN_PROCESS = True
    settings.DASHBOARD_NOTIFY_SECONDS = 3600.0  # no round while the test runs
    runner.start_notifier()
    runner.start_notifier()  # idempotent: still the one thread
    assert runner.notifier_running()
    assert [t.name for t in threading.enumerate()].count("notifier") == 1
    assert runner.stop_notifier()
    assert not runner.notifier_running()
