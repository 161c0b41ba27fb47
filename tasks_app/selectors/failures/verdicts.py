"""What other pages ask of a scope's analysis — each failed attempt's cause title and each
task's suspect worker — worked out once per listing and kept beside it in the shared cache: a
step table page or a task page then reads one entry instead of every attempt of the job.

Kept only once every listed task's attempt is analysed; dropped when the listing is stored
again or forgotten and when an analysis ends (``store``), so it never answers for another."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ...deadline.cache import load_many, store_many
from ...deadline.types import Cacheable
from .assembly import assemble
from .grouping import cause_of, exit_to_log_signature, titles_of
from .records import AttemptFailure, FailureScope, Listing
from .report import WorkerCluster
from .store import VERDICTS, entry_ttl, load_attempts, load_listing


@dataclass(frozen=True)
class Verdicts(Cacheable):
    names: Mapping[str, str]  # session action ID -> its cause's title
    by_exit: Mapping[str, str]  # exit signature -> the cause its logs showed, when clear
    suspects: Mapping[str, Mapping[str, Any]]  # task ID -> its cause's worker cluster

    @classmethod
    def from_api(cls, answer: Mapping[str, Any]) -> Verdicts:
        return cls(
            names=dict(answer["names"]),
            by_exit=dict(answer["byExit"]),
            suspects=dict(answer["suspects"]),
        )

    def to_cache(self) -> dict[str, Any]:
        return {
            "names": dict(self.names),
            "byExit": dict(self.by_exit),
            "suspects": {k: dict(v) for k, v in self.suspects.items()},
        }

    def suspect(self, task_id: str) -> WorkerCluster | None:
        found = self.suspects.get(task_id)
        return None if found is None else WorkerCluster(**found)


def verdicts(scope: FailureScope) -> Verdicts | None:
    """The scope's verdicts (None before its listing): from the cache, else worked out from
    its records (and kept when the analysis covered every listed task). No API call."""
    kept = load_many(VERDICTS, [scope.ids], Verdicts).get(scope.ids)
    if kept is not None:
        return kept
    listing = load_listing(scope)
    if listing is None:
        return None
    attempts = load_attempts(scope, listing.tasks)
    found = _work_out(scope, listing, attempts)
    covered = all(t.action_id in attempts for t in listing.tasks if t.action_id)
    if listing.complete and covered:
        store_many(VERDICTS, {scope.ids: found}, entry_ttl())
    return found


def _work_out(
    scope: FailureScope, listing: Listing, attempts: Mapping[str, AttemptFailure]
) -> Verdicts:
    inference = exit_to_log_signature(attempts.values())
    titles = titles_of(attempts.values())
    names = {
        action_id: titles[cause_of(entry, inference)[0]][0]
        for action_id, entry in attempts.items()
        if cause_of(entry, inference)[0] in titles
    }
    by_exit = {key: titles[signature][0] for key, signature in inference.items()}
    report = assemble(scope, listing, attempts=attempts)
    clusters = {c.signature: c for c in report.clusters}
    suspects = {
        task_id: vars(clusters[group.signature])
        for group in report.groups
        if group.signature in clusters
        for task_id in group.task_ids
    }
    return Verdicts(names=names, by_exit=by_exit, suspects=suspects)
