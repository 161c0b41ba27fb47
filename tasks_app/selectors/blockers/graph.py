"""A job's steps and their dependencies (ListStepDependencies) as a graph the job page draws
as SVG: steps in columns by depth, edges from a step to the step that waits on it, and the
blocking path (unfinished steps that waiting steps wait on, and the edges between) marked."""

from __future__ import annotations

from dataclasses import dataclass

from ...deadline.types import Step, TaskRunStatus
from .. import browse
from ..resources import read_concurrently
from . import reads

NODE_W, NODE_H, COL_GAP, ROW_GAP, PAD = 180, 48, 60, 16, 8


@dataclass(frozen=True)
class GraphNode:
    step_id: str
    name: str
    status: str  # the aggregate run status, lower case for CSS
    done: int
    total: int
    x: int
    y: int
    blocking: bool  # an unfinished step that others wait on

    @property
    def label(self) -> str:
        return f"{self.done:,}/{self.total:,}"

    @property
    def text_x(self) -> int:
        return self.x + 10

    @property
    def name_y(self) -> int:
        return self.y + 20

    @property
    def count_y(self) -> int:
        return self.y + 38


@dataclass(frozen=True)
class GraphEdge:
    upstream: str
    downstream: str
    resolved: bool
    path: str  # the SVG path from the upstream's right to the downstream's left
    blocking: bool


@dataclass(frozen=True)
class StepGraph:
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]
    width: int
    height: int

    def waits_on(self, step_id: str) -> list[tuple[GraphNode, GraphEdge]]:
        by_id = {n.step_id: n for n in self.nodes}
        return [(by_id[e.upstream], e) for e in self.edges if e.downstream == step_id]

    def waited_by(self, step_id: str) -> list[tuple[GraphNode, GraphEdge]]:
        by_id = {n.step_id: n for n in self.nodes}
        return [(by_id[e.downstream], e) for e in self.edges if e.upstream == step_id]

    @property
    def has_edges(self) -> bool:
        return bool(self.edges)


def _depths(steps: tuple[Step, ...], deps: dict[str, list[str]]) -> dict[str, int]:
    depth: dict[str, int] = {}

    def of(step_id: str, seen: frozenset[str] = frozenset()) -> int:
        if step_id in depth:
            return depth[step_id]
        ups = [u for u in deps.get(step_id, ()) if u not in seen]
        value = 1 + max((of(u, seen | {step_id}) for u in ups), default=-1)
        depth[step_id] = value
        return value

    for s in steps:
        of(s.step_id)
    return depth


def step_graph(*, farm_id: str, queue_id: str, job_id: str) -> StepGraph:
    """The job's steps, placed by depth, with every edge ListStepDependencies gives."""
    steps = browse.list_steps(farm_id=farm_id, queue_id=queue_id, job_id=job_id).steps
    links = read_concurrently(
        {
            s.step_id: lambda s=s: reads.step_links(
                farm_id=farm_id, queue_id=queue_id, job_id=job_id, step_id=s.step_id
            )
            for s in steps
        }
    )
    deps = {sid: [u for u, _ in found.links] for sid, found in links.items()}
    resolved = {(u, sid): st == "RESOLVED" for sid, found in links.items() for u, st in found.links}
    depth = _depths(steps, deps)
    rows: dict[int, int] = {}
    place: dict[str, tuple[int, int]] = {}
    for s in steps:
        d = depth[s.step_id]
        row = rows.get(d, 0)
        rows[d] = row + 1
        place[s.step_id] = (PAD + d * (NODE_W + COL_GAP), PAD + row * (NODE_H + ROW_GAP))
    blocking = {u for (u, _), ok in resolved.items() if not ok}
    nodes = tuple(
        GraphNode(
            step_id=s.step_id,
            name=s.name,
            status=(s.task_run_status or TaskRunStatus.UNKNOWN).value.lower(),
            done=s.status_counts.get(TaskRunStatus.SUCCEEDED, 0),
            total=s.total_tasks,
            x=place[s.step_id][0],
            y=place[s.step_id][1],
            blocking=s.step_id in blocking,
        )
        for s in steps
    )
    edges = []
    for (u, d), ok in sorted(resolved.items()):
        if u not in place or d not in place:
            continue
        x1, y1 = place[u][0] + NODE_W, place[u][1] + NODE_H // 2
        x2, y2 = place[d][0], place[d][1] + NODE_H // 2
        mid = (x1 + x2) // 2
        edges.append(
            GraphEdge(u, d, ok, f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}", blocking=not ok)
        )
    width = PAD * 2 + (max(depth.values(), default=0) + 1) * (NODE_W + COL_GAP) - COL_GAP
    height = PAD * 2 + max(rows.values(), default=1) * (NODE_H + ROW_GAP) - ROW_GAP
    return StepGraph(nodes=nodes, edges=tuple(edges), width=width, height=height)
