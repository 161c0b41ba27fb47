"""Where evaluation and delivery run. With a broker, the workers' periodic task
(``tasks_app.notify``); without one (``make run`` on the demo world, a bare runserver), a thread
of each serving process; or ``manage.py notify run``. Each round evaluates once per period
across every process and host (the database's once-per-period row) and sends what is due
(each message claimed by one sender)."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import close_old_connections, connection

from .. import background
from .delivery import deliver_due
from .evaluation import evaluate

logger = logging.getLogger(__name__)
PERIODIC_JOB = "notify-evaluate"

_lock = threading.Lock()
_thread: threading.Thread | None = None
_stop = threading.Event()


def run_round() -> bool:
    """Evaluate (unless another process did this period), then send what is due; True when
    this process evaluated."""
    evaluated = background.run_periodic(
        PERIODIC_JOB, period_seconds=float(settings.DASHBOARD_NOTIFY_SECONDS), work=evaluate
    )
    deliver_due()
    return evaluated


def start_notifier() -> None:
    """In a serving process without a broker: a round every DASHBOARD_NOTIFY_SECONDS
    (idempotent). With a broker the workers' beat does it."""
    global _thread  # one per process
    if not background.in_process():
        return
    with _lock:
        if _thread is not None and _thread.is_alive():
            return
        _stop.clear()
        _thread = threading.Thread(target=_forever, name="notifier", daemon=True)
        _thread.start()


def notifier_running() -> bool:
    """True while this process's notifier thread is alive (never with a broker)."""
    with _lock:
        return _thread is not None and _thread.is_alive()


def stop_notifier(timeout: float = 5.0) -> bool:
    """Ask this process's notifier thread to stop after its current round and wait up to
    ``timeout`` seconds for it; True when no thread is left running."""
    global _thread
    with _lock:
        thread = _thread
        _stop.set()
    if thread is not None:
        thread.join(timeout)
    with _lock:
        if _thread is thread and (thread is None or not thread.is_alive()):
            _thread = None
        return _thread is None


def _forever() -> None:
    # A period first: a process that only lives a moment (a command, a test) never runs one.
    while not _stop.wait(float(settings.DASHBOARD_NOTIFY_SECONDS)):
        try:
            close_old_connections()
            run_round()
        except Exception:  # the database may be down or not migrated yet: try again later
            logger.warning("notifications: could not evaluate or deliver", exc_info=True)
        finally:
            connection.close()
