"""Layouts: how the steps of a job are arranged into sequences, parallels and gated chains.

A layout is a small tree of blocks, independent of ASL:

- ``StepBlock``: one step, optionally behind a gate (it has an upstream that
  another branch runs, so it must wait for a task token);
- ``SequenceBlock``: blocks that run one after the other;
- ``ParallelBlock``: blocks that run at the same time and are joined.

Three layouts exist. ``series_parallel_layout`` reproduces series-parallel
graphs exactly and covers the other pieces with gated chains (the default);
``split_layout`` cuts a job too big for one execution into parts made of
gated chain segments; ``layered_layout`` runs one Parallel per topological
level, the classic approach, kept as a baseline for benchmarks.

Example:
    >>> from aloft.compiler.topology import StepGraph
    >>> n_graph = StepGraph.from_parents({"a": [], "b": [], "c": ["a"], "d": ["a", "b"]})
    >>> layout = series_parallel_layout(n_graph)
    >>> [[(s.key, s.gate_upstream) for s in branch_steps(b)] for b in layout.branches]
    [[('a', None), ('c', None)], [('b', None), ('d', ('a', 'b'))]]
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

from aloft.compiler import topology
from aloft.compiler.topology import StepGraph

__all__ = [
    "Block",
    "ParallelBlock",
    "SequenceBlock",
    "StepBlock",
    "block_keys",
    "branch_steps",
    "layered_layout",
    "series_parallel_layout",
    "split_layout",
]


@dataclass(frozen=True)
class StepBlock:
    """One step; ``gate_upstream`` lists the upstreams its gate waits for (None: no gate)."""

    key: str
    gate_upstream: tuple[str, ...] | None = None


@dataclass(frozen=True)
class SequenceBlock:
    """Blocks run in order."""

    items: tuple[Block, ...]


@dataclass(frozen=True)
class ParallelBlock:
    """Blocks run concurrently, then joined."""

    branches: tuple[Block, ...]


Block = StepBlock | SequenceBlock | ParallelBlock


def block_keys(block: Block) -> Iterator[str]:
    """The step keys of a block, in the order the block lists them."""
    if isinstance(block, StepBlock):
        yield block.key
    elif isinstance(block, SequenceBlock):
        for item in block.items:
            yield from block_keys(item)
    else:
        for branch in block.branches:
            yield from block_keys(branch)


def branch_steps(block: Block) -> list[StepBlock]:
    """The step blocks of a branch made of steps only (a chain)."""
    if isinstance(block, StepBlock):
        return [block]
    if isinstance(block, SequenceBlock):
        return [s for item in block.items for s in branch_steps(item)]
    raise TypeError("branch_steps() expects a chain of steps")


def _sequence(items: Sequence[Block]) -> Block:
    return items[0] if len(items) == 1 else SequenceBlock(tuple(items))


def _gated_chain(graph: StepGraph, chain: Sequence[str], members: set[str]) -> Block:
    earlier: set[str] = set()
    steps: list[Block] = []
    for key in chain:
        # Upstreams earlier in the chain are done when the branch gets here; an upstream
        # outside ``members`` is in a block that finished before this one started.
        waits = any(p in members and p not in earlier for p in graph.parents[key])
        steps.append(StepBlock(key, graph.parents[key] if waits else None))
        earlier.add(key)
    return _sequence(steps)


def _critical_first(
    graph: StepGraph, branches: Sequence[Block], heights: Mapping[str, int]
) -> list[Block]:
    # Branches start in the order they are listed (Step Functions, and moto's interpreter, start
    # them one after the other): the ones on the longest remaining path go first.
    def priority(block: Block) -> tuple[int, int]:
        keys = list(block_keys(block))
        return (-max(heights[k] for k in keys), graph.index[keys[0]])

    return sorted(branches, key=priority)


def _chains_block(graph: StepGraph, keys: Sequence[str], heights: Mapping[str, int]) -> Block:
    members = set(keys)
    chains = topology.chain_cover(graph, keys)
    branches = [_gated_chain(graph, chain, members) for chain in chains]
    if len(branches) == 1:
        return branches[0]
    return ParallelBlock(tuple(_critical_first(graph, branches, heights)))


def _from_sp(graph: StepGraph, node: topology.SPNode, heights: Mapping[str, int]) -> Block:
    if isinstance(node, topology.Leaf):
        return StepBlock(node.key)
    if isinstance(node, topology.Series):
        return _sequence([_from_sp(graph, item, heights) for item in node.items])
    if isinstance(node, topology.Parallel):
        items = [_from_sp(graph, item, heights) for item in node.items]
        return ParallelBlock(tuple(_critical_first(graph, items, heights)))
    return _chains_block(graph, node.keys, heights)


def series_parallel_layout(graph: StepGraph) -> Block:
    """Nested sequences and parallels for the series-parallel pieces, gated chains elsewhere."""
    return _from_sp(graph, topology.decompose(graph), topology.heights(graph))


def layered_layout(graph: StepGraph) -> Block:
    """One Parallel per topological level (the baseline: every level waits for its slowest step)."""
    items: list[Block] = []
    for level in topology.levels(graph):
        steps = [StepBlock(key) for key in level]
        items.append(steps[0] if len(steps) == 1 else ParallelBlock(tuple(steps)))
    return _sequence(items)


def split_layout(graph: StepGraph, capacity: int) -> list[list[Block]]:
    """Parts of at most ``capacity`` steps, each a list of gated chain segments (its branches).

    Chains longer than ``capacity`` are cut into segments; the head of a
    segment that continues a chain waits at a gate for its upstreams, which
    may run in another part (gates work across executions: they share the
    run id and the state store). Chains are packed in the topological order
    of their heads, so neighbouring steps tend to share a part.
    """
    capacity = max(1, capacity)
    members = set(graph.order)
    segments: list[list[str]] = []
    for chain in topology.chain_cover(graph, graph.order):
        segments.extend(chain[i : i + capacity] for i in range(0, len(chain), capacity))
    parts: list[list[Block]] = []
    current: list[Block] = []
    size = 0
    for segment in segments:
        if current and size + len(segment) > capacity:
            parts.append(current)
            current, size = [], 0
        current.append(_gated_chain(graph, segment, members))
        size += len(segment)
    if current:
        parts.append(current)
    return parts
