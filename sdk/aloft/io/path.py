"""``PathIOManager``: the shared logic of I/O managers that store one object per path.

Subclasses say how bytes reach storage (local files, S3) and how values
become bytes (pickle, Parquet); this base maps asset keys and partitions to
paths and returns ``{partition: value}`` when several partitions are loaded.
"""

from __future__ import annotations

from abc import abstractmethod
from typing import Any

from aloft.definitions.metadata import MetadataValue
from aloft.io.base import ConfigurableIOManager, InputContext, OutputContext

__all__ = ["PathIOManager"]


class PathIOManager(ConfigurableIOManager):
    """Stores each output at ``<base>/<asset key parts>[/<partition>]<extension>``."""

    extension: str = ""

    @abstractmethod
    def _base(self) -> str:
        """Where paths start (a directory or ``s3://bucket/prefix``)."""

    @abstractmethod
    def _write(self, path: str, data: bytes) -> None: ...

    @abstractmethod
    def _read(self, path: str) -> bytes: ...

    @abstractmethod
    def dump_to_bytes(self, obj: Any) -> bytes:
        """Serialize a value."""

    @abstractmethod
    def load_from_bytes(self, data: bytes) -> Any:
        """Deserialize a value."""

    def _path_for(self, parts: list[str]) -> str:
        return "/".join([self._base().rstrip("/"), *parts]) + self.extension

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        path = self._path_for(context.get_identifier())
        self._write(path, self.dump_to_bytes(obj))
        context.add_output_metadata({"path": MetadataValue.path(path)})

    def load_input(self, context: InputContext) -> Any:
        upstream = context.upstream_output
        if context.has_asset_partitions and not context.asset_partition_keys:
            return None  # the mapped upstream partitions do not exist (e.g. the day before the first)
        if len(context.asset_partition_keys) > 1 and upstream.asset_key is not None:
            base = list(upstream.asset_key.path)
            return {
                key: self.load_from_bytes(self._read(self._path_for([*base, key])))
                for key in context.asset_partition_keys
            }
        if len(context.asset_partition_keys) == 1 and upstream.asset_key is not None:
            parts = [*upstream.asset_key.path, context.asset_partition_keys[0]]
        else:
            parts = upstream.get_identifier()
        path = self._path_for(parts)
        try:
            return self.load_from_bytes(self._read(path))
        except FileNotFoundError:
            what = upstream.asset_key.to_user_string() if upstream.asset_key else upstream.step_key
            raise FileNotFoundError(
                f"no stored value for '{what}' at {path}: materialize it first "
                f"(e.g. `aloft materialize --select {what}`)"
            ) from None
