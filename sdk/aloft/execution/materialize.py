"""``materialize`` and ``materialize_to_memory``: run assets in this process."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

from aloft.definitions.asset import AssetsDefinition, AssetSpec
from aloft.definitions.config import RunConfig
from aloft.definitions.definitions import Definitions
from aloft.definitions.selection import AssetSelection, CoercibleToAssetSelection
from aloft.execution.plan import build_asset_plan
from aloft.execution.result import ExecuteInProcessResult
from aloft.execution.run import execute_run
from aloft.storage.base import StateStore

__all__ = ["materialize", "materialize_to_memory"]

ADHOC_JOB_NAME = "__ASSET_JOB"


def materialize(
    assets: Sequence[AssetsDefinition | AssetSpec],
    run_config: Mapping[str, Any] | RunConfig | None = None,
    instance: StateStore | None = None,
    resources: Mapping[str, Any] | None = None,
    partition_key: str | None = None,
    raise_on_error: bool = True,
    tags: Mapping[str, str] | None = None,
    selection: CoercibleToAssetSelection = None,
) -> ExecuteInProcessResult:
    """Materialize assets in this process and return the result.

    Without ``instance``, state is kept in memory; without an ``io_manager``
    resource, values are pickled to a temporary directory (as Dagster's
    ephemeral instance does). ``selection`` narrows which of ``assets`` run;
    the others are loaded from storage when needed.

    Example:
        >>> from aloft import asset
        >>> @asset
        ... def numbers() -> list[int]: return [1, 2, 3]
        >>> @asset
        ... def total(numbers: list[int]) -> int: return sum(numbers)
        >>> result = materialize([numbers, total])
        >>> result.success, result.output_for_node("total")
        (True, 6)
    """
    from aloft.io.filesystem import FilesystemIOManager

    defaults = {"io_manager": FilesystemIOManager(base_dir=tempfile.mkdtemp(prefix="aloft-"))}
    return _materialize(assets, run_config, instance, resources, partition_key, raise_on_error, tags, selection, defaults)


def materialize_to_memory(
    assets: Sequence[AssetsDefinition | AssetSpec],
    run_config: Mapping[str, Any] | RunConfig | None = None,
    instance: StateStore | None = None,
    resources: Mapping[str, Any] | None = None,
    partition_key: str | None = None,
    raise_on_error: bool = True,
    tags: Mapping[str, str] | None = None,
    selection: CoercibleToAssetSelection = None,
) -> ExecuteInProcessResult:
    """Like :func:`materialize`, with every I/O manager replaced by an in-memory one.

    Example:
        >>> from aloft import asset
        >>> @asset
        ... def letters() -> str: return "abc"
        >>> materialize_to_memory([letters]).output_for_node("letters")
        'abc'
    """
    from aloft.io.base import IOManager
    from aloft.io.memory import InMemoryIOManager

    memory = InMemoryIOManager()
    replaced = {k: (memory if isinstance(v, IOManager) else v) for k, v in (resources or {}).items()}
    io_keys = {o.io_manager_key for a in assets if isinstance(a, AssetsDefinition) for o in a.node.outputs}
    replaced.update({key: memory for key in io_keys | {"io_manager"}})
    return _materialize(assets, run_config, instance, replaced, partition_key, raise_on_error, tags, selection, {})


def _materialize(
    assets: Sequence[AssetsDefinition | AssetSpec],
    run_config: Mapping[str, Any] | RunConfig | None,
    instance: StateStore | None,
    resources: Mapping[str, Any] | None,
    partition_key: str | None,
    raise_on_error: bool,
    tags: Mapping[str, str] | None,
    selection: CoercibleToAssetSelection,
    defaults: Mapping[str, Any],
) -> ExecuteInProcessResult:
    from aloft.storage.memory import InMemoryStateStore

    all_resources = {**defaults, **(resources or {})}
    defs = Definitions(assets=assets, resources=all_resources)
    graph = defs.get_asset_graph()
    keys = AssetSelection.coerce(selection).resolve(graph)
    plan = build_asset_plan(graph, keys, ADHOC_JOB_NAME)
    validate_partition_key(plan, partition_key)
    config = run_config.to_config_dict() if isinstance(run_config, RunConfig) else dict(run_config or {})
    return execute_run(
        plan,
        resources=all_resources,
        store=instance or InMemoryStateStore(),
        run_config=config,
        partition_key=partition_key,
        tags=tags,
        raise_on_error=raise_on_error,
    )


def validate_partition_key(plan: Any, partition_key: str | None) -> None:
    """Reject a partition key that is not a partition of every partitioned step."""
    from aloft.errors import DefinitionError

    partitioned = [s for s in plan.steps.values() if s.partitions_def is not None]
    if partition_key is None:
        return
    if not partitioned:
        raise DefinitionError(
            f"partition_key={partition_key!r} was given, but none of the selected assets is partitioned"
        )
    for step in partitioned:
        step.partitions_def.validate_partition_key(partition_key, asset_name=step.label.split("'")[1])
