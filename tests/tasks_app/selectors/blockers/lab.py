"""The scheduling lab on the test's emulator, and a boto3 client on it for removing causes."""

from __future__ import annotations

from typing import Any

from deadline_emulator import Emulator
from deadline_emulator.scheduling_lab import add_scheduling_lab
from deadline_emulator.transport import in_process_client
from tasks_app.deadline import resilience


def install(emulator: Emulator) -> dict[str, Any]:
    return add_scheduling_lab(emulator.backend)


def api(emulator: Emulator) -> Any:
    """A real boto3 client on the emulator (the writes an administrator would make)."""
    return in_process_client(emulator)


def refresh() -> None:
    """Forget cached answers, as the TTLs would after a while."""
    from django.core.cache import cache

    cache.clear()
    resilience.near_cache().forget()
