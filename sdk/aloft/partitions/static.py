"""Static partitions: a fixed, ordered list of keys (regions, customers, model variants).

Example:
    >>> regions = StaticPartitionsDefinition(["eu", "us", "apac"])
    >>> regions.get_partition_keys()
    ['eu', 'us', 'apac']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from aloft.errors import did_you_mean
from aloft.partitions.base import DynamicPartitionsStore, PartitionsDefinition, quote_keys
from aloft.partitions.errors import PartitionsDefinitionError

__all__ = ["StaticPartitionsDefinition"]


@dataclass(frozen=True, init=False, repr=False)
class StaticPartitionsDefinition(PartitionsDefinition):
    """A fixed set of partition keys, in the order given; duplicates are rejected.

    Example:
        >>> StaticPartitionsDefinition(["eu", "us"]).has_partition_key("us")
        True
    """

    partition_keys: tuple[str, ...]

    def __init__(self, partition_keys: Sequence[str]) -> None:
        if isinstance(partition_keys, str) or not isinstance(partition_keys, Sequence):
            raise PartitionsDefinitionError(
                "StaticPartitionsDefinition expects a list of partition keys, got"
                f" {partition_keys!r}; write StaticPartitionsDefinition(['a', 'b'])"
            )
        keys = tuple(partition_keys)
        invalid = [key for key in keys if not isinstance(key, str) or not key]
        if invalid:
            raise PartitionsDefinitionError(
                f"StaticPartitionsDefinition keys must be non-empty strings, got {invalid[0]!r}"
            )
        seen: set[str] = set()
        duplicates: list[str] = []
        for key in keys:
            if key in seen and key not in duplicates:
                duplicates.append(key)
            seen.add(key)
        if duplicates:
            raise PartitionsDefinitionError(
                "StaticPartitionsDefinition got duplicate partition keys:"
                f" {', '.join(repr(key) for key in duplicates)}. Each key must appear once."
            )
        object.__setattr__(self, "partition_keys", keys)

    @cached_property
    def _key_set(self) -> frozenset[str]:
        return frozenset(self.partition_keys)

    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """The keys, in definition order.

        Example:
            >>> StaticPartitionsDefinition(["b", "a"]).get_partition_keys()
            ['b', 'a']
        """
        return list(self.partition_keys)

    def get_num_partitions(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> int:
        """How many keys there are.

        Example:
            >>> StaticPartitionsDefinition(["a", "b", "c"]).get_num_partitions()
            3
        """
        return len(self.partition_keys)

    def has_partition_key(
        self,
        partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> bool:
        """Whether ``partition_key`` is one of the keys (a set lookup).

        Example:
            >>> StaticPartitionsDefinition(["a"]).has_partition_key("A")
            False
        """
        return partition_key in self._key_set

    def describe_invalid_key(
        self,
        partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> str:
        """The valid keys and, when one is close, a suggestion.

        Example:
            >>> StaticPartitionsDefinition(["north", "south"]).describe_invalid_key("nort")
            "expected one of 'north', 'south'. Did you mean 'north'?"
        """
        suggestion = did_you_mean(str(partition_key), self.partition_keys)
        if not suggestion:
            lowered = {key.lower(): key for key in self.partition_keys}
            match = lowered.get(str(partition_key).lower())
            suggestion = f" Did you mean '{match}'?" if match else ""
        return f"expected one of {quote_keys(self.partition_keys)}.{suggestion}"

    def __repr__(self) -> str:
        return f"StaticPartitionsDefinition({list(self.partition_keys)!r})"

    def __str__(self) -> str:
        return f"Static partitions: {quote_keys(self.partition_keys)}"
