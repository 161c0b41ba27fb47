"""One name per failure: the title the failures page gives a cause, for any page that shows a
failed attempt (the step table's last error, a task's attempts), from the cached analysis."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from . import signatures
from .records import FailureScope
from .verdicts import verdicts


def cause_titles(
    scope: FailureScope,
    session_action_ids: Iterable[str],
    *,
    reported: Mapping[str, tuple[int | None, str | None]] | None = None,
) -> dict[str, str]:
    """session action ID -> the title of its cause as the failures view of ``scope`` names
    it. ``reported`` (ID -> exit code and progress message) names attempts the analysis did
    not read by the cause the logs of attempts with the same exit code and message showed,
    when that is clear. IDs it cannot name are left out. No API call."""
    known = verdicts(scope)
    if known is None:
        return {}
    found: dict[str, str] = {}
    for action_id in session_action_ids:
        title = known.names.get(action_id)
        if title is None and reported and action_id in reported:
            title = known.by_exit.get(signatures.exit_key(*reported[action_id]))
        if title:
            found[action_id] = title
    return found
