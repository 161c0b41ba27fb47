"""``failure_report`` for callers that still ask a selector for a scope's report.

Transitional: a selector cannot start an analysis (services run them), so this calls the
reporter the analysis runner installs when it is loaded, and without one groups what the
cache holds. Views should call ``services.failure_runs.report`` and pass the report on."""

from __future__ import annotations

from typing import Protocol

from .assembly import assemble
from .records import FailureScope
from .report import FailureReport
from .store import load_listing


class Reporter(Protocol):
    def __call__(
        self,
        scope: FailureScope,
        *,
        worker_id: str = "",
        wait_seconds: float | None = None,
        more_logs: bool = False,
    ) -> FailureReport: ...


_installed: list[Reporter] = []


def install(reporter: Reporter) -> None:
    """Called by the analysis runner when it is loaded."""
    _installed[:] = [reporter]


def failure_report(
    scope: FailureScope,
    *,
    worker_id: str = "",
    wait_seconds: float | None = None,
    more_logs: bool = False,
) -> FailureReport:
    """The failure groups of ``scope`` as far as they are known, after starting an analysis in
    this process when something is missing (never with a broker)."""
    if not _installed:
        return assemble(scope, load_listing(scope), worker_id=worker_id)
    return _installed[0](scope, worker_id=worker_id, wait_seconds=wait_seconds, more_logs=more_logs)
