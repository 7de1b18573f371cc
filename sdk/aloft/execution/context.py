"""``AssetExecutionContext``: what a running asset or op can ask about its run."""

from __future__ import annotations

from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from aloft.definitions.asset_key import AssetKey
from aloft.definitions.metadata import MetadataValue, normalize_metadata
from aloft.errors import AloftError
from aloft.execution.logs import StepLog

__all__ = ["AssetExecutionContext", "OpExecutionContext", "Resources", "build_asset_context", "build_op_context"]


class Resources(SimpleNamespace):
    """``context.resources``: each resource as an attribute.

    Example:
        >>> Resources(db="duckdb").db
        'duckdb'
    """

    def __getattr__(self, name: str) -> Any:
        from aloft.errors import did_you_mean

        raise AloftError(
            f"resource '{name}' is not available to this step." + did_you_mean(name, vars(self))
            + " Add a parameter annotated with the resource's class, or required_resource_keys={...}."
        )


class AssetExecutionContext:
    """The ``context`` parameter of an asset or op.

    Example:
        >>> ctx = build_asset_context(partition_key="2026-01-01")
        >>> ctx.partition_key
        '2026-01-01'
        >>> ctx.add_output_metadata({"rows": 3})
    """

    def __init__(
        self,
        *,
        run_id: str,
        step_key: str,
        asset_keys: tuple[AssetKey, ...] = (),
        log: StepLog | None = None,
        resources: Resources | None = None,
        partition_key: str | None = None,
        partition_key_range: Any = None,
        partitions_def: Any = None,
        op_config: Any = None,
        job_name: str | None = None,
        instance: Any = None,
        retry_number: int = 0,
        run_tags: Mapping[str, str] | None = None,
    ) -> None:
        self.run_id = run_id
        self.step_key = step_key
        self.asset_keys = asset_keys
        self.log = log or StepLog(step_key)
        self.resources = resources or Resources()
        self._partition_key = partition_key
        self._partition_key_range = partition_key_range
        self._partitions_def = partitions_def
        self.op_config = op_config
        self.job_name = job_name
        self.instance = instance
        self.retry_number = retry_number
        self.run_tags = dict(run_tags or {})
        self._output_metadata: dict[str | None, dict[str, MetadataValue]] = {}

    # -- assets -----------------------------------------------------------------------------
    @property
    def asset_key(self) -> AssetKey:
        """The key of the asset being materialized (single-asset steps)."""
        if len(self.asset_keys) != 1:
            raise AloftError(
                f"step '{self.step_key}' materializes {len(self.asset_keys)} assets; use context.asset_keys"
            )
        return self.asset_keys[0]

    @property
    def selected_asset_keys(self) -> set[AssetKey]:
        """The assets of this step the run materializes."""
        return set(self.asset_keys)

    @property
    def op_execution_context(self) -> AssetExecutionContext:
        """Dagster compatibility: the same context."""
        return self

    # -- partitions ------------------------------------------------------------------------
    @property
    def has_partition_key(self) -> bool:
        """Whether the run targets one partition."""
        return self._partition_key is not None

    @property
    def partition_key(self) -> str:
        """The partition being materialized; raises when the run is not partitioned."""
        if self._partition_key is None:
            raise AloftError(
                f"step '{self.step_key}' is not running for a partition; check context.has_partition_key first"
            )
        return self._partition_key

    @property
    def has_partition_key_range(self) -> bool:
        """Whether the run targets a range of partitions (a single-run backfill)."""
        return self._partition_key_range is not None or self._partition_key is not None

    @property
    def partition_key_range(self) -> Any:
        """The range of partitions of a single-run backfill (one key: a range of one)."""
        if self._partition_key_range is not None:
            return self._partition_key_range
        from aloft.partitions import PartitionKeyRange

        key = self.partition_key
        return PartitionKeyRange(key, key)

    @property
    def partition_keys(self) -> list[str]:
        """Every partition key of the run's range."""
        key_range = self.partition_key_range
        if self._partitions_def is None:
            return [key_range.start] if key_range.start == key_range.end else [key_range.start, key_range.end]
        return list(self._partitions_def.get_partition_keys_in_range(key_range))

    @property
    def partition_time_window(self) -> Any:
        """The time window of the partition (time-window partitions only)."""
        if self._partitions_def is None or not hasattr(self._partitions_def, "time_window_for_partition_key"):
            raise AloftError(f"step '{self.step_key}' has no time-window partitions")
        key_range = self.partition_key_range
        first = self._partitions_def.time_window_for_partition_key(key_range.start)
        last = self._partitions_def.time_window_for_partition_key(key_range.end)
        return type(first)(first.start, last.end)

    @property
    def partitions_def(self) -> Any:
        """The partitions definition of the asset, if any."""
        return self._partitions_def

    # -- metadata --------------------------------------------------------------------------
    def add_output_metadata(self, metadata: Mapping[str, Any], output_name: str | None = None) -> None:
        """Attach metadata to the materialization of an output (the only one by default)."""
        self._output_metadata.setdefault(output_name, {}).update(normalize_metadata(metadata))

    def output_metadata_for(self, output_name: str) -> dict[str, MetadataValue]:
        """Metadata added for ``output_name`` (plus metadata added without a name)."""
        return {**self._output_metadata.get(None, {}), **self._output_metadata.get(output_name, {})}

    def __repr__(self) -> str:
        return f"<AssetExecutionContext run={self.run_id} step={self.step_key}>"


OpExecutionContext = AssetExecutionContext


def build_asset_context(
    resources: Mapping[str, Any] | None = None,
    partition_key: str | None = None,
    partition_key_range: Any = None,
    partitions_def: Any = None,
    asset_key: Any = None,
    run_id: str = "direct-invocation",
    instance: Any = None,
    run_tags: Mapping[str, str] | None = None,
) -> AssetExecutionContext:
    """A context for calling an asset function directly in a unit test.

    Example:
        >>> from aloft import asset
        >>> @asset
        ... def tagged(context: AssetExecutionContext) -> str:
        ...     return context.partition_key
        >>> tagged(build_asset_context(partition_key="EU"))
        'EU'
    """
    from aloft.definitions.resources import resolve_resource

    keys = (AssetKey.from_coercible(asset_key),) if asset_key is not None else ()
    resolved = {name: resolve_resource(value) for name, value in (resources or {}).items()}
    return AssetExecutionContext(
        run_id=run_id,
        step_key=keys[0].to_python_identifier() if keys else "direct",
        asset_keys=keys,
        resources=Resources(**{k: getattr(v, "get_resource", lambda v=v: v)() for k, v in resolved.items()}),
        partition_key=partition_key,
        partition_key_range=partition_key_range,
        partitions_def=partitions_def,
        instance=instance,
        run_tags=run_tags,
    )


def build_op_context(
    resources: Mapping[str, Any] | None = None, op_config: Any = None
) -> AssetExecutionContext:
    """A context for calling an op function directly in a unit test.

    Example:
        >>> build_op_context(op_config={"n": 1}).op_config
        {'n': 1}
    """
    context = build_asset_context(resources=resources)
    context.op_config = op_config
    return context
