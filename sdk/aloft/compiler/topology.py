"""Graph algorithms of the compiler: series-parallel decomposition, chain covers, levels.

All functions are pure and deterministic: ties are broken by topological
position, which the caller fixes (``StepGraph.order``).

Series-parallel recognition uses ancestor counts. In a connected DAG, a
split into a prefix ``P`` and the rest ``R`` where every node of ``R``
depends (transitively) on every node of ``P`` is exactly a threshold on the
number of ancestors: ``P = {v : |anc(v)| < k}``, valid exactly when
``|P| = k``. All valid thresholds are found in one pass over a histogram
of ancestor counts, so a chain of n steps decomposes in O(n), not O(n^2).

Example:
    >>> graph = StepGraph.from_parents({"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]})
    >>> decompose(graph)
    Series(items=(Leaf(key='a'), Parallel(items=(Leaf(key='b'), Leaf(key='c'))), Leaf(key='d')))
    >>> n_graph = StepGraph.from_parents({"a": [], "b": [], "c": ["a"], "d": ["a", "b"]})
    >>> decompose(n_graph)
    Prime(keys=('a', 'b', 'c', 'd'))
    >>> chain_cover(n_graph, n_graph.order)
    [['a', 'c'], ['b', 'd']]
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from aloft.compiler.exceptions import CompileError

__all__ = [
    "Leaf",
    "Parallel",
    "Prime",
    "SPNode",
    "Series",
    "StepGraph",
    "chain_cover",
    "critical_path",
    "decompose",
    "heights",
    "levels",
]


@dataclass(frozen=True)
class StepGraph:
    """Steps in a fixed topological order, with their direct upstreams and downstreams."""

    order: tuple[str, ...]
    parents: Mapping[str, tuple[str, ...]]
    children: Mapping[str, tuple[str, ...]]

    @classmethod
    def from_parents(cls, parents: Mapping[str, Iterable[str]]) -> StepGraph:
        """Build from ``{step: upstream steps}``; the order is a stable topological sort.

        Within a topological level, steps keep the order they have in ``parents``.
        """
        deps = {key: list(dict.fromkeys(ups)) for key, ups in parents.items()}
        for key, ups in deps.items():
            for up in ups:
                if up not in deps:
                    raise CompileError(
                        f"step '{key}' depends on '{up}', which is not a step of the job"
                    )
        position = {key: i for i, key in enumerate(deps)}
        remaining = {key: len(ups) for key, ups in deps.items()}
        kids: dict[str, list[str]] = {key: [] for key in deps}
        for key, ups in deps.items():
            for up in ups:
                kids[up].append(key)
        ready = [key for key, count in remaining.items() if count == 0]
        order: list[str] = []
        while ready:
            order.extend(ready)
            following: list[str] = []
            for key in ready:
                for child in kids[key]:
                    remaining[child] -= 1
                    if remaining[child] == 0:
                        following.append(child)
            ready = sorted(following, key=position.__getitem__)
        if len(order) != len(deps):
            stuck = sorted(key for key, count in remaining.items() if count > 0)
            raise CompileError(f"the steps {stuck} form a cycle; a job must be a DAG")
        index = {key: i for i, key in enumerate(order)}
        return cls(
            order=tuple(order),
            parents={key: tuple(sorted(deps[key], key=index.__getitem__)) for key in order},
            children={key: tuple(sorted(kids[key], key=index.__getitem__)) for key in order},
        )

    @cached_property
    def index(self) -> Mapping[str, int]:
        """Topological position of each step."""
        return {key: i for i, key in enumerate(self.order)}

    @property
    def edge_count(self) -> int:
        """The number of direct dependencies."""
        return sum(len(ups) for ups in self.parents.values())

    def __len__(self) -> int:
        return len(self.order)

    def __hash__(self) -> int:
        return hash(self.order)


# -- series-parallel decomposition ------------------------------------------------------------


@dataclass(frozen=True)
class Leaf:
    """One step."""

    key: str


@dataclass(frozen=True)
class Series:
    """Items that run one after the other; every step of an item depends on all earlier items."""

    items: tuple[SPNode, ...]


@dataclass(frozen=True)
class Parallel:
    """Items with no dependency between them."""

    items: tuple[SPNode, ...]


@dataclass(frozen=True)
class Prime:
    """A connected piece that is not series-parallel (e.g. the N graph), in topological order."""

    keys: tuple[str, ...]


SPNode = Leaf | Series | Parallel | Prime


def ancestor_counts(graph: StepGraph) -> dict[str, int]:
    """The number of (transitive) ancestors of every step (bitsets: O(E * n / 64))."""
    bits: dict[str, int] = {}
    counts: dict[str, int] = {}
    for i, key in enumerate(graph.order):
        mask = 0
        for parent in graph.parents[key]:
            mask |= bits[parent]
        counts[key] = mask.bit_count()
        bits[key] = mask | (1 << i)
    return counts


def decompose(graph: StepGraph) -> SPNode:
    """The series-parallel decomposition of ``graph``; non-SP pieces become ``Prime``."""
    if not graph.order:
        raise CompileError("a job needs at least one step")
    counts = ancestor_counts(graph)
    return _decompose(graph, list(graph.order), counts, 0)


def _decompose(graph: StepGraph, keys: list[str], counts: Mapping[str, int], offset: int) -> SPNode:
    # Every step of ``keys`` has the same ``offset`` ancestors outside ``keys`` (the earlier
    # pieces of every enclosing series), so counts inside ``keys`` are ``counts - offset``.
    if len(keys) == 1:
        return Leaf(keys[0])
    members = set(keys)
    components = _components(graph, keys, members)
    if len(components) > 1:
        return Parallel(tuple(_decompose(graph, c, counts, offset) for c in components))
    pieces = _series_pieces(keys, counts, offset)
    if len(pieces) > 1:
        items: list[SPNode] = []
        for piece in pieces:
            items.append(_decompose(graph, piece, counts, offset))
            offset += len(piece)
        return Series(tuple(items))
    return Prime(tuple(keys))


def _components(graph: StepGraph, keys: list[str], members: set[str]) -> list[list[str]]:
    root = {key: key for key in keys}

    def find(key: str) -> str:
        while root[key] != key:
            root[key] = root[root[key]]
            key = root[key]
        return key

    for key in keys:
        for parent in graph.parents[key]:
            if parent in members:
                a, b = find(key), find(parent)
                if a != b:
                    root[a] = b
    groups: dict[str, list[str]] = {}
    for key in keys:  # keys are in topological order, so each group is too
        groups.setdefault(find(key), []).append(key)
    return list(groups.values())


def _series_pieces(keys: list[str], counts: Mapping[str, int], offset: int) -> list[list[str]]:
    n = len(keys)
    local = {key: counts[key] - offset for key in keys}
    histogram = [0] * (n + 1)
    for value in local.values():
        histogram[value] += 1
    # P_k = {v : c(v) < k} is closed under ancestors; it is a valid series split iff |P_k| = k,
    # because a minimal step r of the rest has all its ancestors in P_k, so k <= c(r) <= |P_k|.
    splits: list[int] = []
    below = 0
    for k in range(1, n):
        below += histogram[k - 1]
        if below == k:
            splits.append(k)
    if not splits:
        return [keys]
    pieces: list[list[str]] = [[] for _ in range(len(splits) + 1)]
    for key in keys:
        pieces[bisect.bisect_right(splits, local[key])].append(key)
    return pieces


# -- chain covers -------------------------------------------------------------------------


def chain_cover(graph: StepGraph, keys: Sequence[str]) -> list[list[str]]:
    """Cover ``keys`` with chains along direct edges (greedy, O(V + E)).

    Walking in topological order, each step extends the chain of one of its
    direct upstreams that still ends there, preferring the upstream on the
    longest path (it is likely the last to finish, so the step's other
    upstreams are done by the time it runs); otherwise it starts a chain.
    Consecutive steps of a chain are direct dependencies, so a branch that
    runs a chain in order adds no false dependency. Chains are returned in
    the topological order of their first step.
    """
    members = set(keys)
    depth: dict[str, int] = {}
    tail_of: dict[str, int] = {}  # step -> chain index, while the step ends its chain
    chains: list[list[str]] = []
    for key in keys:
        inner = [p for p in graph.parents[key] if p in members]
        depth[key] = 1 + max((depth[p] for p in inner), default=0)
        free = [p for p in inner if p in tail_of]
        if free:
            best = max(free, key=lambda p: (depth[p], -graph.index[p]))
            chain = tail_of.pop(best)
            chains[chain].append(key)
        else:
            chain = len(chains)
            chains.append([key])
        tail_of[key] = chain
    return chains


# -- levels and critical path ----------------------------------------------------------------


def levels(graph: StepGraph) -> list[list[str]]:
    """Steps grouped by longest-path depth (what a layer-by-layer compiler runs together)."""
    depth: dict[str, int] = {}
    grouped: list[list[str]] = []
    for key in graph.order:
        d = 1 + max((depth[p] for p in graph.parents[key]), default=-1)
        depth[key] = d
        if d == len(grouped):
            grouped.append([])
        grouped[d].append(key)
    return grouped


def heights(graph: StepGraph) -> dict[str, int]:
    """The number of steps on the longest path from each step to the end of the graph.

    Example:
        >>> heights(StepGraph.from_parents({"a": [], "b": ["a"], "c": []}))
        {'a': 2, 'c': 1, 'b': 1}
    """
    height: dict[str, int] = {}
    for key in reversed(graph.order):
        height[key] = 1 + max((height[c] for c in graph.children[key]), default=0)
    return {key: height[key] for key in graph.order}


def critical_path(graph: StepGraph, weights: Mapping[str, float]) -> float:
    """The weight of the heaviest path (the best makespan any scheduler can reach).

    Example:
        >>> g = StepGraph.from_parents({"a": [], "b": ["a"], "c": []})
        >>> critical_path(g, {"a": 1.0, "b": 2.0, "c": 2.5})
        3.0
    """
    finish: dict[str, float] = {}
    for key in graph.order:
        finish[key] = weights[key] + max((finish[p] for p in graph.parents[key]), default=0.0)
    return max(finish.values(), default=0.0)
