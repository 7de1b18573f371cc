"""``AssetGraph``: the validated, immutable graph of a project's assets.

Built once from the assets of a ``Definitions``; every view (topological
order, levels, closures, the step graph) is computed once and cached, and
is deterministic: within a level, keys are in alphabetical order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from functools import cached_property

from aloft.definitions.asset import AssetsDefinition
from aloft.definitions.asset_key import AssetKey
from aloft.errors import DefinitionError, did_you_mean

__all__ = ["AssetGraph"]


class AssetGraph:
    """The assets of a project and the dependencies between them.

    Example:
        >>> from aloft import asset
        >>> @asset
        ... def a() -> int: return 1
        >>> @asset
        ... def b(a: int) -> int: return a + 1
        >>> graph = AssetGraph.from_assets([a, b])
        >>> [k.to_user_string() for k in graph.toposort()]
        ['a', 'b']
        >>> graph.downstream_closure([AssetKey("a")]) == {AssetKey("a"), AssetKey("b")}
        True
    """

    def __init__(self, assets_defs: Sequence[AssetsDefinition]) -> None:
        by_key: dict[AssetKey, AssetsDefinition] = {}
        by_node: dict[str, AssetsDefinition] = {}
        for assets_def in assets_defs:
            for key in assets_def.keys:
                if key in by_key and by_key[key] is not assets_def:
                    raise DefinitionError(
                        f"asset key '{key.to_user_string()}' is defined twice (by "
                        f"'{by_key[key].node_name}' and '{assets_def.node_name}'); "
                        "rename one of them or give it a key_prefix"
                    )
                by_key[key] = assets_def
            other = by_node.get(assets_def.node_name)
            if other is not None and other is not assets_def:
                raise DefinitionError(
                    f"two asset definitions share the step name '{assets_def.node_name}'; "
                    "give one of them a different name or key_prefix"
                )
            by_node[assets_def.node_name] = assets_def
        resolved = [self._resolve_inputs(d, by_key) for d in by_node.values()]
        self._defs: tuple[AssetsDefinition, ...] = tuple(sorted(resolved, key=lambda d: d.node_name))
        self._by_key: dict[AssetKey, AssetsDefinition] = {k: d for d in self._defs for k in d.keys}
        self._by_node: dict[str, AssetsDefinition] = {d.node_name: d for d in self._defs}
        upstream: dict[AssetKey, tuple[AssetKey, ...]] = {}
        self_dependent: set[AssetKey] = set()
        for assets_def in self._defs:
            for key, parents in assets_def.asset_deps.items():
                if key in parents and _reads_own_earlier_partitions(assets_def, key):
                    # Partition k reads partitions before k: an order between partitions, not a cycle.
                    self_dependent.add(key)
                    parents = parents - {key}
                upstream[key] = tuple(sorted(parents))
        self._self_dependent = frozenset(self_dependent)
        self._upstream = upstream
        downstream: dict[AssetKey, list[AssetKey]] = {key: [] for key in upstream}
        for key, deps in upstream.items():
            for dep in deps:
                downstream[dep].append(key)
        self._downstream = {k: tuple(sorted(v)) for k, v in downstream.items()}
        self._levels = self._compute_levels()

    @classmethod
    def from_assets(cls, assets: Iterable[AssetsDefinition]) -> AssetGraph:
        """Build and validate a graph (raises ``DefinitionError`` on any problem)."""
        return cls(list(assets))

    @staticmethod
    def _resolve_inputs(
        assets_def: AssetsDefinition, by_key: Mapping[AssetKey, AssetsDefinition]
    ) -> AssetsDefinition:
        """Check every upstream exists; resolve a bare input name relative to the asset's prefix."""
        renames: dict[AssetKey, AssetKey] = {}
        for key, deps in assets_def.asset_deps.items():
            for dep in deps:
                if dep in by_key or dep in renames:
                    continue
                prefix = key.path[:-1]
                relative = AssetKey([*prefix, *dep.path]) if prefix else None
                if relative is not None and relative in by_key:
                    renames[dep] = relative
                    continue
                names = [k.to_user_string() for k in by_key]
                data_params = {i.asset_key: i.name for i in assets_def.node.inputs}
                if dep in data_params:
                    raise DefinitionError(
                        f"parameter '{data_params[dep]}' of asset '{key.to_user_string()}' is "
                        f"neither an upstream asset, a resource, `config` nor `context`: no asset "
                        f"'{dep.to_user_string()}' is defined.{did_you_mean(dep.to_user_string(), names)} "
                        "Define that asset, map the parameter with ins={...: AssetIn(key=...)}, or, "
                        "for a resource, annotate the parameter with its ConfigurableResource class."
                    )
                raise DefinitionError(
                    f"asset '{key.to_user_string()}' depends on '{dep.to_user_string()}', which is "
                    f"not defined.{did_you_mean(dep.to_user_string(), names)} Add it to "
                    "Definitions(assets=[...]) (an AssetSpec for an external asset) or fix the name."
                )
        if not renames:
            return assets_def
        inputs = tuple(
            replace(i, asset_key=renames.get(i.asset_key, i.asset_key)) if i.asset_key else i
            for i in assets_def.node.inputs
        )
        resolved = {
            key: frozenset(renames.get(d, d) for d in upstream)
            for key, upstream in assets_def.asset_deps.items()
        }
        return replace(assets_def, node=replace(assets_def.node, inputs=inputs), asset_deps=resolved)

    def _compute_levels(self) -> tuple[tuple[AssetKey, ...], ...]:
        remaining = {key: len(deps) for key, deps in self._upstream.items()}
        level = sorted(key for key, count in remaining.items() if count == 0)
        levels: list[tuple[AssetKey, ...]] = []
        seen = 0
        while level:
            levels.append(tuple(level))
            seen += len(level)
            following: list[AssetKey] = []
            for key in level:
                for child in self._downstream[key]:
                    remaining[child] -= 1
                    if remaining[child] == 0:
                        following.append(child)
            level = sorted(following)
        if seen != len(self._upstream):
            cycle = self._find_cycle({k for k, c in remaining.items() if c > 0})
            raise DefinitionError(
                "the asset graph has a cycle: "
                + " -> ".join(k.to_user_string() for k in cycle)
                + ". Remove one of these dependencies (an asset cannot depend on its own output)."
            )
        return tuple(levels)

    def _find_cycle(self, candidates: set[AssetKey]) -> list[AssetKey]:
        start = min(candidates)
        path: list[AssetKey] = [start]
        position = {start: 0}
        current = start
        while True:
            current = next(d for d in self._upstream[current] if d in candidates)
            if current in position:
                cycle = [*path[position[current] :], current]
                return list(reversed(cycle))
            position[current] = len(path)
            path.append(current)

    # -- views --------------------------------------------------------------------------

    @property
    def self_dependent_keys(self) -> frozenset[AssetKey]:
        """Assets whose partitions read their own earlier partitions (left out of ``upstream``)."""
        return self._self_dependent

    @property
    def assets_defs(self) -> tuple[AssetsDefinition, ...]:
        """Every definition, sorted by step name."""
        return self._defs

    @property
    def all_keys(self) -> frozenset[AssetKey]:
        """Every asset key, external ones included."""
        return frozenset(self._upstream)

    @cached_property
    def materializable_keys(self) -> frozenset[AssetKey]:
        """Keys aloft can materialize (external assets excluded)."""
        return frozenset(k for k, d in self._by_key.items() if not d.is_external)

    def has(self, key: AssetKey) -> bool:
        """Whether ``key`` is in the graph."""
        return key in self._by_key

    def get(self, key: AssetKey) -> AssetsDefinition:
        """The definition that produces ``key``."""
        try:
            return self._by_key[key]
        except KeyError:
            names = [k.to_user_string() for k in self._by_key]
            raise DefinitionError(
                f"no asset '{key.to_user_string()}'.{did_you_mean(key.to_user_string(), names)}"
            ) from None

    def get_by_node(self, node_name: str) -> AssetsDefinition:
        """The definition whose step is ``node_name``."""
        return self._by_node[node_name]

    def upstream(self, key: AssetKey) -> tuple[AssetKey, ...]:
        """Direct upstream keys of ``key``, sorted."""
        return self._upstream[key]

    def downstream(self, key: AssetKey) -> tuple[AssetKey, ...]:
        """Direct downstream keys of ``key``, sorted."""
        return self._downstream[key]

    def levels(self) -> tuple[tuple[AssetKey, ...], ...]:
        """Keys grouped by topological level (alphabetical within a level)."""
        return self._levels

    @cached_property
    def _order(self) -> tuple[AssetKey, ...]:
        return tuple(key for level in self._levels for key in level)

    def toposort(self) -> tuple[AssetKey, ...]:
        """Every key, upstreams first; stable."""
        return self._order

    def upstream_closure(self, keys: Iterable[AssetKey], depth: int | None = None) -> set[AssetKey]:
        """``keys`` and everything upstream of them (up to ``depth`` hops)."""
        return self._closure(keys, self._upstream, depth)

    def downstream_closure(self, keys: Iterable[AssetKey], depth: int | None = None) -> set[AssetKey]:
        """``keys`` and everything downstream of them (up to ``depth`` hops)."""
        return self._closure(keys, self._downstream, depth)

    @staticmethod
    def _closure(
        keys: Iterable[AssetKey], edges: Mapping[AssetKey, tuple[AssetKey, ...]], depth: int | None
    ) -> set[AssetKey]:
        result = set(keys)
        frontier = list(result)
        hops = 0
        while frontier and (depth is None or hops < depth):
            following = []
            for key in frontier:
                for other in edges[key]:
                    if other not in result:
                        result.add(other)
                        following.append(other)
            frontier = following
            hops += 1
        return result

    def step_dependencies(self, keys: Iterable[AssetKey]) -> dict[str, frozenset[str]]:
        """The steps computing ``keys`` and, for each, the selected steps it waits for.

        Only materializable assets are steps; an upstream outside ``keys`` is
        loaded from storage rather than waited for.
        """
        selected = set(keys) & self.materializable_keys
        nodes = {self._by_key[k].node_name for k in selected}
        deps: dict[str, set[str]] = {name: set() for name in nodes}
        for key in selected:
            node = self._by_key[key].node_name
            for upstream in self._upstream[key]:
                if upstream in selected:
                    other = self._by_key[upstream].node_name
                    if other != node:
                        deps[node].add(other)
        return {name: frozenset(v) for name, v in sorted(deps.items())}

    def __repr__(self) -> str:
        return f"<AssetGraph {len(self._upstream)} assets, {len(self._levels)} levels>"


def _reads_own_earlier_partitions(assets_def: AssetsDefinition, key: AssetKey) -> bool:
    """Whether ``key`` depends on itself only through inputs mapped to strictly earlier partitions.

    Dagster allows exactly this (e.g. a running total that reads yesterday's partition);
    any other self-dependency is a cycle.
    """
    own_inputs = [i for i in assets_def.node.inputs if i.asset_key == key]
    if not own_inputs:
        return False
    from aloft.partitions.mapping import TimeWindowPartitionMapping
    from aloft.partitions.time_window import TimeWindowPartitionsDefinition

    if not isinstance(assets_def.partitions_def, TimeWindowPartitionsDefinition) or any(
        not isinstance(i.partition_mapping, TimeWindowPartitionMapping) or i.partition_mapping.end_offset >= 0
        for i in own_inputs
    ):
        raise DefinitionError(
            f"asset '{key.to_user_string()}' depends on itself. An asset may only read its own earlier "
            "partitions: partition it by time and map that input to previous partitions, e.g. "
            f"ins={{'{own_inputs[0].name}': AssetIn(key='{key.to_user_string()}', "
            "partition_mapping=TimeWindowPartitionMapping(start_offset=-1, end_offset=-1))}"
        )
    return True
