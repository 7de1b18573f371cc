"""The partitions definition contract shared by time-window, static, multi and dynamic partitions.

Example:
    >>> from aloft.partitions import StaticPartitionsDefinition
    >>> regions = StaticPartitionsDefinition(["eu", "us", "apac"])
    >>> regions.get_partition_keys_in_range(PartitionKeyRange("us", "apac"))
    ['us', 'apac']
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from aloft.partitions.errors import PartitionKeyError

__all__ = [
    "DynamicPartitionsStore",
    "PartitionKeyRange",
    "PartitionsDefinition",
]


@runtime_checkable
class DynamicPartitionsStore(Protocol):
    """Where the keys of dynamic partitions live (the state store implements it).

    Example:
        >>> class InMemoryStore:
        ...     def get_dynamic_partitions(self, partitions_def_name: str) -> list[str]:
        ...         return {"customers": ["acme", "globex"]}.get(partitions_def_name, [])
        >>> isinstance(InMemoryStore(), DynamicPartitionsStore)
        True
    """

    def get_dynamic_partitions(self, partitions_def_name: str) -> Sequence[str]:
        """The current keys of the dynamic partitions definition named ``partitions_def_name``."""
        ...


@dataclass(frozen=True)
class PartitionKeyRange:
    """An inclusive range of partition keys, from ``start`` to ``end``, in definition order.

    Example:
        >>> PartitionKeyRange("2026-01-01", "2026-01-31")
        PartitionKeyRange(start='2026-01-01', end='2026-01-31')
    """

    start: str
    end: str

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, str):
                raise TypeError(f"PartitionKeyRange.{name} must be a partition key string, got {value!r}")


class PartitionsDefinition(ABC):
    """A set of partitions that an asset (or job) is split into.

    Subclasses are immutable values; they list their keys with ``get_partition_keys``
    and may override the other methods with faster versions. ``current_time`` makes
    time-based answers deterministic; ``dynamic_partitions_store`` is required by
    dynamic partitions.

    Example:
        >>> from aloft.partitions import DailyPartitionsDefinition
        >>> from datetime import datetime
        >>> daily = DailyPartitionsDefinition(start_date="2026-01-01")
        >>> daily.get_partition_keys(current_time=datetime(2026, 1, 4))
        ['2026-01-01', '2026-01-02', '2026-01-03']
    """

    @abstractmethod
    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """Every partition key, in order."""

    def get_num_partitions(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> int:
        """How many partitions there are.

        Example:
            >>> from aloft.partitions import StaticPartitionsDefinition
            >>> StaticPartitionsDefinition(["a", "b"]).get_num_partitions()
            2
        """
        return len(self.get_partition_keys(current_time, dynamic_partitions_store))

    def has_partition_key(
        self,
        partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> bool:
        """Whether ``partition_key`` is one of the partitions.

        Example:
            >>> from aloft.partitions import StaticPartitionsDefinition
            >>> StaticPartitionsDefinition(["a", "b"]).has_partition_key("c")
            False
        """
        return partition_key in self.get_partition_keys(current_time, dynamic_partitions_store)

    def get_first_partition_key(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> str | None:
        """The first partition key, or None when there are no partitions.

        Example:
            >>> from aloft.partitions import StaticPartitionsDefinition
            >>> StaticPartitionsDefinition(["a", "b"]).get_first_partition_key()
            'a'
        """
        keys = self.get_partition_keys(current_time, dynamic_partitions_store)
        return keys[0] if keys else None

    def get_last_partition_key(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> str | None:
        """The last partition key, or None when there are no partitions.

        Example:
            >>> from aloft.partitions import StaticPartitionsDefinition
            >>> StaticPartitionsDefinition(["a", "b"]).get_last_partition_key()
            'b'
        """
        keys = self.get_partition_keys(current_time, dynamic_partitions_store)
        return keys[-1] if keys else None

    def get_partition_keys_in_range(
        self,
        partition_key_range: PartitionKeyRange,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """The keys from ``partition_key_range.start`` to ``.end``, both included.

        Both ends must be partitions, and the start must not come after the end.

        Example:
            >>> from aloft.partitions import StaticPartitionsDefinition
            >>> abc = StaticPartitionsDefinition(["a", "b", "c"])
            >>> abc.get_partition_keys_in_range(PartitionKeyRange("b", "c"))
            ['b', 'c']
        """
        keys = self.get_partition_keys(current_time, dynamic_partitions_store)
        positions = {key: position for position, key in enumerate(keys)}
        for bound in (partition_key_range.start, partition_key_range.end):
            if bound not in positions:
                self.validate_partition_key(
                    bound,
                    current_time=current_time,
                    dynamic_partitions_store=dynamic_partitions_store,
                )
        first, last = positions[partition_key_range.start], positions[partition_key_range.end]
        if first > last:
            raise self._range_order_error(partition_key_range)
        return keys[first : last + 1]

    def validate_partition_key(
        self,
        partition_key: str,
        *,
        asset_name: str | None = None,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> str:
        """Return ``partition_key`` if it is a partition; raise ``PartitionKeyError`` otherwise.

        The error shows what a key looks like and which keys exist, and names
        ``asset_name`` when given.

        Example:
            >>> from aloft.partitions import DailyPartitionsDefinition
            >>> from datetime import datetime
            >>> daily = DailyPartitionsDefinition(start_date="2026-01-01")
            >>> daily.validate_partition_key(
            ...     "2026-13-01", asset_name="daily_events", current_time=datetime(2026, 11, 21)
            ... )
            Traceback (most recent call last):
            ...
            aloft.partitions.errors.PartitionKeyError: 2026-13-01 is not a partition of daily_events: expected YYYY-MM-DD between 2026-01-01 and 2026-11-20.
        """
        if self.has_partition_key(partition_key, current_time, dynamic_partitions_store):
            return partition_key
        subject = asset_name if asset_name is not None else _shortened(repr(self))
        detail = self.describe_invalid_key(partition_key, current_time, dynamic_partitions_store)
        raise PartitionKeyError(
            f"{partition_key} is not a partition of {subject}: {detail}",
            partition_key=partition_key if isinstance(partition_key, str) else None,
        )

    def describe_invalid_key(
        self,
        partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> str:
        """Why ``partition_key`` is not a partition and what a valid key looks like.

        Used to finish the message of ``validate_partition_key``; subclasses say more.

        Example:
            >>> from aloft.partitions import StaticPartitionsDefinition
            >>> StaticPartitionsDefinition(["eu", "us"]).describe_invalid_key("EU")
            "expected one of 'eu', 'us'. Did you mean 'eu'?"
        """
        keys = self.get_partition_keys(current_time, dynamic_partitions_store)
        return f"expected one of {quote_keys(keys)}."

    def _range_order_error(self, partition_key_range: PartitionKeyRange) -> PartitionKeyError:
        return PartitionKeyError(
            f"partition key range {partition_key_range.start}..{partition_key_range.end} of"
            f" {self!r} is reversed: {partition_key_range.start} comes after"
            f" {partition_key_range.end}. Swap start and end.",
            partition_key=partition_key_range.start,
        )


def quote_keys(keys: Sequence[str], limit: int = 10) -> str:
    """Keys for an error message: quoted, comma-separated, at most ``limit`` shown.

    Example:
        >>> quote_keys(["a", "b", "c"], limit=2)
        "'a', 'b', ... (3 keys)"
        >>> quote_keys([])
        'no keys (the definition is empty)'
    """
    if not keys:
        return "no keys (the definition is empty)"
    shown = ", ".join(f"'{key}'" for key in keys[:limit])
    return shown if len(keys) <= limit else f"{shown}, ... ({len(keys)} keys)"


def _shortened(text: str, limit: int = 100) -> str:
    """A repr short enough for an error message (a thousand static keys would drown it)."""
    return text if len(text) <= limit else f"{text[: limit - 4]}...)"
