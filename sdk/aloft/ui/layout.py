"""A layered drawing of the asset graph: where each asset box and each edge goes.

Columns are the graph's topological levels (``AssetGraph.levels()``: every
asset sits one column right of its deepest upstream). Within a column, assets
are ordered by the mean row of their neighbours (a few barycenter sweeps
down and up, which removes most crossings), ties broken by group then key so
the drawing is deterministic. Edges are cubic curves from the right side of
the upstream box to the left side of the downstream one. Pure and cached by
the caller: the browser only draws what this returns.

Example:
    >>> from aloft import asset
    >>> from aloft.asset_graph import AssetGraph
    >>> @asset
    ... def a() -> int: return 1
    >>> @asset
    ... def b(a: int) -> int: return a
    >>> drawing = layout_asset_graph(AssetGraph.from_assets([a, b]))
    >>> [(n.key, n.level, n.x) for n in drawing.nodes]
    [('a', 0, 20.0), ('b', 1, 280.0)]
    >>> [(e.source, e.target) for e in drawing.edges]
    [('a', 'b')]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aloft.asset_graph import AssetGraph
from aloft.definitions.asset_key import AssetKey

__all__ = ["GraphLayout", "LaidOutEdge", "LaidOutNode", "layout_asset_graph"]

NODE_WIDTH = 200.0
NODE_HEIGHT = 44.0
COLUMN_GAP = 60.0
ROW_GAP = 16.0
MARGIN = 20.0
SWEEPS = 4


@dataclass(frozen=True)
class LaidOutNode:
    """One asset box: its key, group, column (``level``) and top-left corner."""

    key: str
    group: str
    level: int
    x: float
    y: float

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"key": self.key, "group": self.group, "level": self.level, "x": self.x, "y": self.y}


@dataclass(frozen=True)
class LaidOutEdge:
    """One dependency, ``source`` (upstream) to ``target``, with its SVG path."""

    source: str
    target: str
    path: str

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"source": self.source, "target": self.target, "path": self.path}


@dataclass(frozen=True)
class GraphLayout:
    """The whole drawing: boxes, edges and the size of the canvas.

    Example:
        >>> GraphLayout((), (), 40.0, 40.0).to_json()["node_width"]
        200.0
    """

    nodes: tuple[LaidOutNode, ...]
    edges: tuple[LaidOutEdge, ...]
    width: float
    height: float

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (what ``/api/assets`` returns as ``graph``)."""
        return {
            "nodes": [n.to_json() for n in self.nodes],
            "edges": [e.to_json() for e in self.edges],
            "width": self.width,
            "height": self.height,
            "node_width": NODE_WIDTH,
            "node_height": NODE_HEIGHT,
        }


def layout_asset_graph(graph: AssetGraph) -> GraphLayout:
    """Lay out ``graph`` in columns by topological level (see the module docstring)."""
    levels = [list(level) for level in graph.levels()]
    group = _groups(graph)
    for column in levels:
        column.sort(key=lambda k: (group[k], k))
    row = _rows(levels)
    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        ordered = levels[1:] if downward else list(reversed(levels[:-1]))
        for column in ordered:
            neighbours = graph.upstream if downward else graph.downstream
            column.sort(key=lambda k: (_barycenter(neighbours(k), row, row[k]), group[k], k))
            row.update({key: index for index, key in enumerate(column)})
    tallest = max((len(column) for column in levels), default=0)
    pitch = NODE_HEIGHT + ROW_GAP
    nodes: list[LaidOutNode] = []
    where: dict[AssetKey, tuple[float, float]] = {}
    for level, column in enumerate(levels):
        x = MARGIN + level * (NODE_WIDTH + COLUMN_GAP)
        top = MARGIN + (tallest - len(column)) * pitch / 2
        for index, key in enumerate(column):
            y = top + index * pitch
            where[key] = (x, y)
            nodes.append(LaidOutNode(key.to_user_string(), group[key], level, x, y))
    edges = [
        LaidOutEdge(
            upstream.to_user_string(), key.to_user_string(), _curve(where[upstream], where[key])
        )
        for column in levels
        for key in column
        for upstream in graph.upstream(key)
    ]
    width = 2 * MARGIN + len(levels) * NODE_WIDTH + max(len(levels) - 1, 0) * COLUMN_GAP
    height = 2 * MARGIN + tallest * NODE_HEIGHT + max(tallest - 1, 0) * ROW_GAP
    return GraphLayout(tuple(nodes), tuple(edges), width, height)


def _groups(graph: AssetGraph) -> dict[AssetKey, str]:
    groups: dict[AssetKey, str] = {}
    for assets_def in graph.assets_defs:
        groups.update(assets_def.group_names_by_key)
    return {key: groups.get(key, "default") for key in graph.all_keys}


def _rows(levels: Sequence[Sequence[AssetKey]]) -> dict[AssetKey, int]:
    return {key: index for column in levels for index, key in enumerate(column)}


def _barycenter(neighbours: Sequence[AssetKey], row: Mapping[AssetKey, int], current: int) -> float:
    if not neighbours:
        return float(current)
    return sum(row[n] for n in neighbours) / len(neighbours)


def _curve(start: tuple[float, float], end: tuple[float, float]) -> str:
    x1, y1 = start[0] + NODE_WIDTH, start[1] + NODE_HEIGHT / 2
    x2, y2 = end[0], end[1] + NODE_HEIGHT / 2
    bend = max((x2 - x1) / 2, COLUMN_GAP / 2)
    return f"M{x1:g},{y1:g} C{x1 + bend:g},{y1:g} {x2 - bend:g},{y2:g} {x2:g},{y2:g}"
