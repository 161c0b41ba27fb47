"""An analysis's progress (what a waiting request watches) and the pools it reads on."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from ...deadline.errors import DeadlineError
from ...deadline.resilience import ContextThreadPoolExecutor


@dataclass
class Progress:
    """An analysis in this process: when it is done, what failed, and how far it got."""

    done: threading.Event = field(default_factory=threading.Event)
    listed: threading.Event = field(default_factory=threading.Event)
    first: threading.Event = field(default_factory=threading.Event)
    error: DeadlineError | None = None


@dataclass(frozen=True)
class Pools:
    size: int  # of the log reads' pool
    logs: ContextThreadPoolExecutor  # log reads (and a retried task's attempts)
    meta: ContextThreadPoolExecutor  # searches, batch reads, session samples
    runs: ThreadPoolExecutor  # the analyses themselves: they wait on the two above
