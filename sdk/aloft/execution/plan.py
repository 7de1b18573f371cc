"""``ExecutionPlan``: the steps of a run, their inputs and their dependencies.

Pure data derived from definitions; the in-process executor walks it, the
compiler turns it into a state machine, and the step runner executes one
``PlanStep`` at a time wherever it runs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aloft.asset_graph import AssetGraph
from aloft.definitions.asset_key import AssetKey
from aloft.definitions.node import NodeDefinition

__all__ = ["ExecutionPlan", "PlanStep", "StepInputSource", "build_asset_plan", "order_steps"]


@dataclass(frozen=True)
class StepInputSource:
    """Where one data input of a step comes from."""

    name: str
    io_manager_key: str
    asset_key: AssetKey | None = None
    upstream_step: str | None = None  # set when the producing step is part of this run
    upstream_output: str = "result"
    metadata: Mapping[str, Any] = field(default_factory=dict)
    upstream_metadata: Mapping[str, Any] = field(default_factory=dict)
    partition_mapping: Any = None
    upstream_partitions_def: Any = None
    input_manager_key: str | None = None


@dataclass(frozen=True)
class PlanStep:
    """One unit of execution: a node with its resolved input sources."""

    key: str
    node: NodeDefinition
    inputs: tuple[StepInputSource, ...]
    upstream_steps: frozenset[str]
    asset_keys: tuple[AssetKey, ...] = ()
    partitions_def: Any = None

    @property
    def label(self) -> str:
        """How messages name the step: ``asset 'a/b'`` or ``op 'x'``."""
        if len(self.asset_keys) == 1:
            return f"asset '{self.asset_keys[0].to_user_string()}'"
        if self.asset_keys:
            return f"multi-asset '{self.key}'"
        return f"op '{self.key}'"


@dataclass(frozen=True)
class ExecutionPlan:
    """The steps of a run in a deterministic topological order."""

    job_name: str
    steps: Mapping[str, PlanStep]

    @property
    def order(self) -> list[str]:
        """Step keys, upstreams first (stable)."""
        return list(self.steps)

    def downstream_of(self) -> dict[str, list[str]]:
        """Step key -> the steps that wait for it."""
        children: dict[str, list[str]] = {key: [] for key in self.steps}
        for step in self.steps.values():
            for parent in step.upstream_steps:
                children[parent].append(step.key)
        return children

    @property
    def asset_keys(self) -> list[AssetKey]:
        """Every asset the plan materializes."""
        return [key for step in self.steps.values() for key in step.asset_keys]


def build_asset_plan(graph: AssetGraph, keys: Iterable[AssetKey], job_name: str) -> ExecutionPlan:
    """Plan the materialization of ``keys`` (multi-assets run whole)."""
    selected = set(keys) & graph.materializable_keys
    step_deps = graph.step_dependencies(selected)
    selected_nodes = set(step_deps)
    # A multi-asset runs as one step: every key it produces is materialized.
    keys_by_node: dict[str, list[AssetKey]] = {name: [] for name in selected_nodes}
    for name in selected_nodes:
        keys_by_node[name] = list(graph.get_by_node(name).keys)
    order = order_steps(step_deps)
    steps: dict[str, PlanStep] = {}
    for name in order:
        assets_def = graph.get_by_node(name)
        sources = []
        for node_input in assets_def.node.inputs:
            assert node_input.asset_key is not None
            upstream_def = graph.get(node_input.asset_key)
            upstream_output = upstream_def.output_for_key(node_input.asset_key)
            sources.append(
                StepInputSource(
                    name=node_input.name,
                    io_manager_key=upstream_output.io_manager_key,
                    asset_key=node_input.asset_key,
                    upstream_step=upstream_def.node_name if upstream_def.node_name in selected_nodes else None,
                    upstream_output=upstream_output.name,
                    metadata=node_input.metadata,
                    upstream_metadata=upstream_output.metadata,
                    partition_mapping=node_input.partition_mapping,
                    upstream_partitions_def=upstream_def.partitions_def,
                    input_manager_key=node_input.input_manager_key,
                )
            )
        steps[name] = PlanStep(
            key=name,
            node=assets_def.node,
            inputs=tuple(sources),
            upstream_steps=step_deps[name],
            asset_keys=tuple(keys_by_node[name]),
            partitions_def=assets_def.partitions_def,
        )
    return ExecutionPlan(job_name=job_name, steps=steps)


def order_steps(deps: Mapping[str, frozenset[str]]) -> list[str]:
    """Step keys level by level, alphabetical within a level (asset and op plans alike)."""
    from aloft.errors import DefinitionError

    remaining = {name: set(parents) for name, parents in deps.items()}
    children: dict[str, list[str]] = {name: [] for name in deps}
    for name, parents in deps.items():
        for parent in parents:
            children[parent].append(name)
    ready = sorted(name for name, parents in remaining.items() if not parents)
    order: list[str] = []
    while ready:
        order.extend(ready)
        following = []
        for name in ready:
            for child in children[name]:
                remaining[child].discard(name)
                if not remaining[child]:
                    following.append(child)
        ready = sorted(following)
    if len(order) != len(deps):
        stuck = sorted(name for name in deps if name not in order)
        raise DefinitionError(
            f"steps {stuck} depend on each other (through multi-asset outputs, say); "
            "split them so that no step needs its own outputs"
        )
    return order
