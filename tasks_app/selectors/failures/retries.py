"""Will a retry help? A cause is flaky when the retries of tasks that failed that way succeed
notably more often than the retries of the scope's other failures; else it wants a fix before
its tasks are requeued.

Per cause, the evidence is the sampled tasks that failed that way and then succeeded on a
retry (``retried_ok``) against its failed tasks that were retried and still failed. Notably
more: at least ``MIN_RETRIED_OK`` successes, a success rate of at least ``MIN_RATE``, and a
lower bound of that rate (Wilson, one standard error) above the rate of the other causes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

from .report import NOT_ANALYSED, FailureGroup

MIN_RETRIED_OK = 2
MIN_RATE = 0.25
Z = 1.0


def wilson_lower(successes: int, trials: int, z: float = Z) -> float:
    """The lower bound of a success rate's Wilson interval (0 without trials)."""
    if trials <= 0:
        return 0.0
    rate = successes / trials
    centre = rate + z * z / (2 * trials)
    spread = z * math.sqrt(rate * (1 - rate) / trials + z * z / (4 * trials * trials))
    return max(0.0, (centre - spread) / (1 + z * z / trials))


def retried_and_failed(group: FailureGroup) -> int:
    """The group's failed tasks that were retried (and still failed)."""
    return sum(1 for t in group.tasks if t.retries)


def judge(groups: Sequence[FailureGroup], *, known: bool) -> list[FailureGroup]:
    """``groups`` with ``flaky`` decided against the scope's other causes (None while the
    analysis runs: the sample of retried successes comes last)."""
    trials = {g.signature: g.retried_ok + retried_and_failed(g) for g in groups}
    total_ok = sum(g.retried_ok for g in groups)
    total_trials = sum(trials.values())
    judged = []
    for group in groups:
        own = trials[group.signature]
        others = total_trials - own
        baseline = (total_ok - group.retried_ok) / others if others else 0.0
        if not known or group.signature == NOT_ANALYSED:
            flaky = None
        else:
            flaky = (
                group.retried_ok >= MIN_RETRIED_OK
                and group.retried_ok / own >= MIN_RATE
                and wilson_lower(group.retried_ok, own) > baseline
            )
        judged.append(replace(group, flaky=flaky, retry_trials=own, retry_baseline=baseline))
    return judged
