"""``InMemoryIOManager``: values live in a dict for the life of the process."""

from __future__ import annotations

import threading
from typing import Any

from pydantic import PrivateAttr

from aloft.io.base import ConfigurableIOManager, InputContext, OutputContext

__all__ = ["InMemoryIOManager"]


class InMemoryIOManager(ConfigurableIOManager):
    """Keeps outputs in memory; what ``materialize_to_memory`` uses.

    Example:
        >>> from aloft import asset, materialize
        >>> @asset
        ... def one() -> int: return 1
        >>> result = materialize([one], resources={"io_manager": InMemoryIOManager()})
        >>> result.output_for_node("one")
        1
    """

    _values: dict[tuple[str, ...], Any] = PrivateAttr(default_factory=dict)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        with self._lock:
            self._values[tuple(context.get_identifier())] = obj

    def load_input(self, context: InputContext) -> Any:
        upstream = context.upstream_output
        if context.has_asset_partitions and not context.asset_partition_keys:
            return None  # the mapped upstream partitions do not exist (e.g. the day before the first)
        if len(context.asset_partition_keys) > 1:
            return {
                key: self._values[(*upstream.get_asset_identifier()[: len(upstream.asset_key.path)], key)]  # type: ignore[union-attr]
                for key in context.asset_partition_keys
            }
        identifier = tuple(upstream.get_identifier())
        try:
            return self._values[identifier]
        except KeyError:
            raise KeyError(
                f"no value stored in memory for {'/'.join(identifier)}; materialize it in the same "
                "process first (the in-memory I/O manager forgets everything between runs)"
            ) from None
