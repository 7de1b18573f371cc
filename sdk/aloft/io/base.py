"""The I/O manager interface and the contexts it receives."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aloft.definitions.asset_key import AssetKey
from aloft.definitions.metadata import MetadataValue, normalize_metadata
from aloft.definitions.resources import ConfigurableResource

__all__ = ["ConfigurableIOManager", "IOManager", "InputContext", "OutputContext"]


@dataclass
class OutputContext:
    """What an I/O manager knows about a value it must store.

    Example:
        >>> ctx = OutputContext(name="result", step_key="orders", run_id="r1", asset_key=AssetKey("orders"))
        >>> ctx.get_asset_identifier()
        ['orders']
    """

    name: str
    step_key: str
    run_id: str
    asset_key: AssetKey | None = None
    partition_key: str | None = None
    definition_metadata: Mapping[str, Any] = field(default_factory=dict)
    resources: Any = None
    log: logging.Logger | Any = field(default_factory=lambda: logging.getLogger("aloft.io"))
    _metadata: dict[str, MetadataValue] = field(default_factory=dict)

    @property
    def has_asset_key(self) -> bool:
        """Whether the output is an asset."""
        return self.asset_key is not None

    @property
    def has_partition_key(self) -> bool:
        """Whether a partition of the asset is being stored."""
        return self.partition_key is not None

    @property
    def metadata(self) -> Mapping[str, Any]:
        """The output's definition metadata (Dagster's ``context.metadata``)."""
        return self.definition_metadata

    def add_output_metadata(self, metadata: Mapping[str, Any]) -> None:
        """Attach metadata (a path, a row count...) to the materialization."""
        self._metadata.update(normalize_metadata(metadata))

    def consume_logged_metadata(self) -> dict[str, MetadataValue]:
        """The metadata added by the I/O manager (the step runner reads this)."""
        return dict(self._metadata)

    def get_asset_identifier(self) -> list[str]:
        """The path parts naming this asset value (plus the partition key)."""
        if self.asset_key is None:
            raise ValueError("get_asset_identifier() needs an asset output; use get_identifier()")
        parts = list(self.asset_key.path)
        return [*parts, self.partition_key] if self.partition_key is not None else parts

    def get_identifier(self) -> list[str]:
        """Asset outputs: the asset identifier; op outputs: run id, step and output name."""
        if self.asset_key is not None:
            return self.get_asset_identifier()
        return [self.run_id, self.step_key, self.name]


@dataclass
class InputContext:
    """What an I/O manager knows about a value it must load.

    ``asset_partition_keys`` lists the upstream partitions to load; when it has
    more than one key, path-based I/O managers return ``{partition: value}``;
    when the upstream asset is partitioned (``asset_partitions_def``) and none of
    the mapped partitions exists (the partition before the first one), they
    return None, as Dagster's do.
    """

    name: str
    upstream_output: OutputContext
    asset_key: AssetKey | None = None
    partition_key: str | None = None
    asset_partition_keys: Sequence[str] = ()
    asset_partitions_def: Any = None
    definition_metadata: Mapping[str, Any] = field(default_factory=dict)
    resources: Any = None
    log: logging.Logger | Any = field(default_factory=lambda: logging.getLogger("aloft.io"))

    @property
    def has_asset_key(self) -> bool:
        """Whether the input is an asset."""
        return self.asset_key is not None

    @property
    def has_partition_key(self) -> bool:
        """Whether (one or more) upstream partitions are loaded."""
        return bool(self.asset_partition_keys)

    @property
    def has_asset_partitions(self) -> bool:
        """Whether the upstream asset is partitioned (even when no partition is loaded)."""
        return self.asset_partitions_def is not None

    @property
    def metadata(self) -> Mapping[str, Any]:
        """The input's metadata (``AssetIn(metadata=...)``)."""
        return self.definition_metadata


class IOManager(ABC):
    """Stores outputs and loads inputs. Subclass it, or :class:`ConfigurableIOManager`.

    Example:
        >>> class DictIOManager(IOManager):
        ...     def __init__(self) -> None:
        ...         self.values: dict[tuple[str, ...], object] = {}
        ...     def handle_output(self, context: OutputContext, obj: object) -> None:
        ...         self.values[tuple(context.get_identifier())] = obj
        ...     def load_input(self, context: InputContext) -> object:
        ...         return self.values[tuple(context.upstream_output.get_identifier())]
    """

    @abstractmethod
    def handle_output(self, context: OutputContext, obj: Any) -> None:
        """Store ``obj``."""

    @abstractmethod
    def load_input(self, context: InputContext) -> Any:
        """Load the value ``context.upstream_output`` stored."""


class ConfigurableIOManager(ConfigurableResource, IOManager):
    """An I/O manager with typed, validated configuration (a pydantic model).

    Example:
        >>> import json, pathlib
        >>> class JsonIOManager(ConfigurableIOManager):
        ...     base_dir: str
        ...     def _path(self, ctx: OutputContext) -> pathlib.Path:
        ...         return pathlib.Path(self.base_dir, *ctx.get_identifier()).with_suffix(".json")
        ...     def handle_output(self, context: OutputContext, obj: object) -> None:
        ...         path = self._path(context)
        ...         path.parent.mkdir(parents=True, exist_ok=True)
        ...         path.write_text(json.dumps(obj))
        ...     def load_input(self, context: InputContext) -> object:
        ...         return json.loads(self._path(context.upstream_output).read_text())
    """
