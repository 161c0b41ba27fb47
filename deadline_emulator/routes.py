"""Route table derived from the model's ``http.method`` + ``requestUri`` (never hand-typed).

``{label}`` matches one path segment, ``{label+}`` (greedy) matches the rest of the path;
captured values are URL-decoded. Only ``SERVED_OPERATIONS`` are answered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from deadline_emulator.service_model import ServiceModel, deadline_model

SERVED_OPERATIONS: frozenset[str] = frozenset(
    {
        "ListFarms",
        "GetFarm",
        "ListQueues",
        "GetQueue",
        "ListJobs",
        "GetJob",
        "ListSteps",
        "GetStep",
        "ListTasks",
        "GetTask",
        "BatchGetTask",
        "BatchGetStep",
        "BatchGetJob",
        "SearchJobs",
        "SearchSteps",
        "SearchTasks",
        "ListSessions",
        "GetSession",
        "ListSessionActions",
        "GetSessionAction",
        "BatchGetSession",
        "BatchGetSessionAction",
        "ListWorkers",
        "GetWorker",
        "ListFleets",
        "GetFleet",
        "SearchWorkers",
        "ListSessionsForWorker",
        "UpdateTask",
        "UpdateStep",
        "UpdateJob",
        "BatchUpdateTask",
        "BatchUpdateJob",
        "BatchGetWorker",
        "ListQueueFleetAssociations",
        "UpdateFleet",
        "DeleteWorker",
        # Queue environments (queue_environments.py): `deadline queue paramdefs`.
        "ListQueueEnvironments",
        "GetQueueEnvironment",
        # Scheduling: associations, limits, budgets, dependencies (scheduling.py).
        "GetQueueFleetAssociation",
        "CreateQueueFleetAssociation",
        "UpdateQueueFleetAssociation",
        "DeleteQueueFleetAssociation",
        "CreateLimit",
        "GetLimit",
        "ListLimits",
        "UpdateLimit",
        "DeleteLimit",
        "CreateQueueLimitAssociation",
        "GetQueueLimitAssociation",
        "ListQueueLimitAssociations",
        "UpdateQueueLimitAssociation",
        "DeleteQueueLimitAssociation",
        "CreateBudget",
        "GetBudget",
        "ListBudgets",
        "UpdateBudget",
        "DeleteBudget",
        "ListStepDependencies",
        "ListStepConsumers",
        "UpdateQueue",
        # Usage: the sessions statistics aggregation (statistics.py).
        "StartSessionsStatisticsAggregation",
        "GetSessionsStatisticsAggregation",
    }
)

_LABEL = re.compile(r"\{([^}]+?)(\+?)\}")


@dataclass(frozen=True)
class Route:
    """One operation's compiled ``requestUri``."""

    operation: str
    method: str
    template: str
    regex: re.Pattern[str]
    literal_length: int

    def match(self, path: str) -> dict[str, str] | None:
        found = self.regex.fullmatch(path)
        if found is None:
            return None
        return {name: unquote(value) for name, value in found.groupdict().items()}


def compile_template(template: str) -> tuple[re.Pattern[str], int]:
    """Compile a ``requestUri`` path template to a regex; return it and its literal length."""
    path = template.split("?", 1)[0]  # static query parts ("?x-id=...") are not path
    pattern: list[str] = []
    literal = 0
    position = 0
    for label in _LABEL.finditer(path):
        chunk = path[position : label.start()]
        pattern.append(re.escape(chunk))
        literal += len(chunk)
        name, greedy = label.group(1), label.group(2)
        group = re.sub(r"\W", "_", name)
        pattern.append(f"(?P<{group}>.+)" if greedy else f"(?P<{group}>[^/]+)")
        position = label.end()
    tail = path[position:]
    pattern.append(re.escape(tail))
    literal += len(tail)
    return re.compile("".join(pattern)), literal


class RouteTable:
    """Matches ``(method, path)`` to ``(operation, uri params)`` for one service model."""

    def __init__(self, model: ServiceModel, served: frozenset[str] | None = None) -> None:
        self.model = model
        self.served = frozenset(model.operations) if served is None else served
        routes = []
        for name, operation in model.operations.items():
            http = operation["http"]
            regex, literal = compile_template(http["requestUri"])
            routes.append(Route(name, http["method"].upper(), http["requestUri"], regex, literal))
        # The most literal template wins when several match (".../search/jobs" vs a label).
        routes.sort(key=lambda route: -route.literal_length)
        self.routes: tuple[Route, ...] = tuple(routes)
        self._by_method: dict[str, tuple[Route, ...]] = {}
        for route in routes:
            self._by_method[route.method] = (*self._by_method.get(route.method, ()), route)
        # Label names in templates are member locationNames; map group names back.
        self._label_names = {
            route.operation: {
                re.sub(r"\W", "_", m.group(1)): m.group(1) for m in _LABEL.finditer(route.template)
            }
            for route in routes
        }

    def match(self, method: str, path: str) -> tuple[str, dict[str, str]] | None:
        """The model operation for ``method`` + ``path`` (served or not), or None."""
        for route in self._by_method.get(method.upper(), ()):
            params = route.match(path)
            if params is not None:
                names = self._label_names[route.operation]
                return route.operation, {names[key]: value for key, value in params.items()}
        return None


_deadline_routes: RouteTable | None = None


def deadline_routes() -> RouteTable:
    """The Deadline Cloud route table, built once."""
    global _deadline_routes
    if _deadline_routes is None:
        _deadline_routes = RouteTable(deadline_model(), SERVED_OPERATIONS)  # idempotent race
    return _deadline_routes
