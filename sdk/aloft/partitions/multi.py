"""Multi-dimensional partitions: the cross product of two partitions definitions.

A key has one value per dimension. As in Dagster, its string form joins the values with
``|`` in the alphabetical order of the dimension names, so ``{"region": "eu", "date":
"2026-01-01"}`` is ``2026-01-01|eu``.

Example:
    >>> from aloft.partitions import DailyPartitionsDefinition, StaticPartitionsDefinition
    >>> from datetime import datetime
    >>> by_day_and_region = MultiPartitionsDefinition(
    ...     {"date": DailyPartitionsDefinition("2026-01-01"), "region": StaticPartitionsDefinition(["eu", "us"])}
    ... )
    >>> [str(key) for key in by_day_and_region.get_partition_keys(current_time=datetime(2026, 1, 3))]
    ['2026-01-01|eu', '2026-01-01|us', '2026-01-02|eu', '2026-01-02|us']
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple

from aloft.errors import did_you_mean
from aloft.partitions.base import DynamicPartitionsStore, PartitionsDefinition
from aloft.partitions.errors import PartitionKeyError, PartitionsDefinitionError
from aloft.partitions.static import StaticPartitionsDefinition
from aloft.partitions.time_window import TimeWindow, TimeWindowPartitionsDefinition

__all__ = [
    "MULTIPARTITION_KEY_DELIMITER",
    "MultiPartitionKey",
    "MultiPartitionsDefinition",
    "PartitionDimensionDefinition",
    "PartitionDimensionKey",
]

MULTIPARTITION_KEY_DELIMITER = "|"


class PartitionDimensionKey(NamedTuple):
    """One dimension's value within a multi-partition key.

    Example:
        >>> PartitionDimensionKey("region", "eu").partition_key
        'eu'
    """

    dimension_name: str
    partition_key: str


class MultiPartitionKey(str):
    """A key of a ``MultiPartitionsDefinition``: a string like ``2026-01-01|eu`` that also
    knows its value in each dimension.

    Example:
        >>> key = MultiPartitionKey({"region": "eu", "date": "2026-01-01"})
        >>> key
        MultiPartitionKey({'date': '2026-01-01', 'region': 'eu'})
        >>> str(key), key.keys_by_dimension["region"]
        ('2026-01-01|eu', 'eu')
        >>> key == "2026-01-01|eu"
        True
    """

    _keys_by_dimension: dict[str, str]

    def __new__(cls, keys_by_dimension: Mapping[str, str]) -> MultiPartitionKey:
        if not isinstance(keys_by_dimension, Mapping) or not keys_by_dimension:
            raise PartitionKeyError(
                "MultiPartitionKey needs a mapping from dimension name to partition key, e.g."
                f" MultiPartitionKey({{'date': '2026-01-01', 'region': 'eu'}}), got {keys_by_dimension!r}"
            )
        for name, value in keys_by_dimension.items():
            if not isinstance(name, str) or not isinstance(value, str) or not value:
                raise PartitionKeyError(
                    f"MultiPartitionKey dimension {name!r} must map to a non-empty string key,"
                    f" got {value!r}"
                )
            if MULTIPARTITION_KEY_DELIMITER in value:
                raise PartitionKeyError(
                    f"MultiPartitionKey value {value!r} of dimension '{name}' contains"
                    f" '{MULTIPARTITION_KEY_DELIMITER}', which separates the dimensions"
                )
        ordered = {name: keys_by_dimension[name] for name in sorted(keys_by_dimension)}
        key = super().__new__(cls, MULTIPARTITION_KEY_DELIMITER.join(ordered.values()))
        key._keys_by_dimension = ordered
        return key

    @property
    def keys_by_dimension(self) -> dict[str, str]:
        """The key of each dimension, by dimension name.

        Example:
            >>> MultiPartitionKey({"a": "1", "b": "2"}).keys_by_dimension
            {'a': '1', 'b': '2'}
        """
        return dict(self._keys_by_dimension)

    @property
    def dimension_keys(self) -> list[PartitionDimensionKey]:
        """The (dimension name, key) pairs in dimension-name order.

        Example:
            >>> MultiPartitionKey({"b": "2", "a": "1"}).dimension_keys[0]
            PartitionDimensionKey(dimension_name='a', partition_key='1')
        """
        return [PartitionDimensionKey(name, key) for name, key in self._keys_by_dimension.items()]

    def __repr__(self) -> str:
        return f"MultiPartitionKey({self._keys_by_dimension!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (MultiPartitionKey, (dict(self._keys_by_dimension),))


@dataclass(frozen=True)
class PartitionDimensionDefinition:
    """A named dimension of a ``MultiPartitionsDefinition``.

    Example:
        >>> PartitionDimensionDefinition("region", StaticPartitionsDefinition(["eu"])).name
        'region'
    """

    name: str
    partitions_def: PartitionsDefinition


@dataclass(frozen=True, init=False, repr=False)
class MultiPartitionsDefinition(PartitionsDefinition):
    """The cross product of exactly two partitions definitions, keyed by dimension name.

    At most one dimension may be time-based, and a dimension cannot itself be multi.

    Example:
        >>> colors_sizes = MultiPartitionsDefinition(
        ...     {"color": StaticPartitionsDefinition(["red"]), "size": StaticPartitionsDefinition(["s", "m"])}
        ... )
        >>> colors_sizes.has_partition_key("red|m"), colors_sizes.has_partition_key("red|xl")
        (True, False)
    """

    dimensions: tuple[PartitionDimensionDefinition, ...]

    def __init__(self, partitions_defs: Mapping[str, PartitionsDefinition]) -> None:
        if not isinstance(partitions_defs, Mapping):
            raise PartitionsDefinitionError(
                "MultiPartitionsDefinition expects a dict from dimension name to partitions"
                f" definition, got {partitions_defs!r}"
            )
        if len(partitions_defs) != 2:
            raise PartitionsDefinitionError(
                "MultiPartitionsDefinition needs exactly two dimensions, got"
                f" {len(partitions_defs)} ({', '.join(map(repr, partitions_defs)) or 'none'})"
            )
        for name, definition in partitions_defs.items():
            _check_dimension(name, definition)
        time_dimensions = [
            name
            for name, definition in partitions_defs.items()
            if isinstance(definition, TimeWindowPartitionsDefinition)
        ]
        if len(time_dimensions) > 1:
            raise PartitionsDefinitionError(
                "MultiPartitionsDefinition allows at most one time-window dimension, got"
                f" {' and '.join(repr(name) for name in sorted(time_dimensions))}"
            )
        dimensions = tuple(
            PartitionDimensionDefinition(name, partitions_defs[name]) for name in sorted(partitions_defs)
        )
        object.__setattr__(self, "dimensions", dimensions)

    # -- dimensions --------------------------------------------------------------------

    @property
    def partitions_defs(self) -> list[PartitionDimensionDefinition]:
        """The dimensions, in name order (Dagster's name for them).

        Example:
            >>> [d.name for d in MultiPartitionsDefinition(
            ...     {"b": StaticPartitionsDefinition(["1"]), "a": StaticPartitionsDefinition(["2"])}
            ... ).partitions_defs]
            ['a', 'b']
        """
        return list(self.dimensions)

    @property
    def partition_dimension_names(self) -> list[str]:
        """The dimension names, in order.

        Example:
            >>> MultiPartitionsDefinition(
            ...     {"y": StaticPartitionsDefinition(["1"]), "x": StaticPartitionsDefinition(["2"])}
            ... ).partition_dimension_names
            ['x', 'y']
        """
        return [dimension.name for dimension in self.dimensions]

    def get_partitions_def_for_dimension(self, dimension_name: str) -> PartitionsDefinition:
        """The partitions definition of one dimension.

        Example:
            >>> regions = StaticPartitionsDefinition(["eu"])
            >>> multi = MultiPartitionsDefinition({"r": regions, "s": StaticPartitionsDefinition(["x"])})
            >>> multi.get_partitions_def_for_dimension("r") == regions
            True
        """
        for dimension in self.dimensions:
            if dimension.name == dimension_name:
                return dimension.partitions_def
        raise PartitionsDefinitionError(
            f"{self!r} has no dimension '{dimension_name}'; its dimensions are"
            f" {', '.join(self.partition_dimension_names)}."
            f"{did_you_mean(dimension_name, self.partition_dimension_names)}"
        )

    @property
    def has_time_window_dimension(self) -> bool:
        """Whether one dimension is time-based.

        Example:
            >>> MultiPartitionsDefinition(
            ...     {"a": StaticPartitionsDefinition(["1"]), "b": StaticPartitionsDefinition(["2"])}
            ... ).has_time_window_dimension
            False
        """
        return any(
            isinstance(dimension.partitions_def, TimeWindowPartitionsDefinition)
            for dimension in self.dimensions
        )

    @property
    def time_window_dimension(self) -> PartitionDimensionDefinition:
        """The time-based dimension (an error when there is none).

        Example:
            >>> from aloft.partitions import DailyPartitionsDefinition
            >>> MultiPartitionsDefinition(
            ...     {"day": DailyPartitionsDefinition("2026-01-01"), "r": StaticPartitionsDefinition(["eu"])}
            ... ).time_window_dimension.name
            'day'
        """
        for dimension in self.dimensions:
            if isinstance(dimension.partitions_def, TimeWindowPartitionsDefinition):
                return dimension
        raise PartitionsDefinitionError(f"{self!r} has no time-window dimension")

    @property
    def primary_dimension(self) -> PartitionDimensionDefinition:
        """The time dimension if there is one, else the first dimension by name.

        Example:
            >>> MultiPartitionsDefinition(
            ...     {"b": StaticPartitionsDefinition(["1"]), "a": StaticPartitionsDefinition(["2"])}
            ... ).primary_dimension.name
            'a'
        """
        return self.time_window_dimension if self.has_time_window_dimension else self.dimensions[0]

    @property
    def secondary_dimension(self) -> PartitionDimensionDefinition:
        """The dimension that is not the primary one.

        Example:
            >>> MultiPartitionsDefinition(
            ...     {"b": StaticPartitionsDefinition(["1"]), "a": StaticPartitionsDefinition(["2"])}
            ... ).secondary_dimension.name
            'b'
        """
        primary = self.primary_dimension
        return next(dimension for dimension in self.dimensions if dimension != primary)

    # -- keys --------------------------------------------------------------------------

    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """Every combination, the first dimension (by name) varying slowest.

        Example:
            >>> keys = MultiPartitionsDefinition(
            ...     {"n": StaticPartitionsDefinition(["1", "2"]), "l": StaticPartitionsDefinition(["a", "b"])}
            ... ).get_partition_keys()
            >>> [str(key) for key in keys]
            ['a|1', 'a|2', 'b|1', 'b|2']
        """
        per_dimension = [
            dimension.partitions_def.get_partition_keys(current_time, dynamic_partitions_store)
            for dimension in self.dimensions
        ]
        names = self.partition_dimension_names
        return [
            MultiPartitionKey(dict(zip(names, combination, strict=True)))
            for combination in itertools.product(*per_dimension)
        ]

    def get_num_partitions(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> int:
        """The product of the dimensions' sizes, without listing the keys.

        Example:
            >>> MultiPartitionsDefinition(
            ...     {"n": StaticPartitionsDefinition(["1", "2"]), "l": StaticPartitionsDefinition(["a"])}
            ... ).get_num_partitions()
            2
        """
        return math.prod(
            dimension.partitions_def.get_num_partitions(current_time, dynamic_partitions_store)
            for dimension in self.dimensions
        )

    def has_partition_key(
        self,
        partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> bool:
        """Whether each dimension has its part of the key (``"a|b"`` or a MultiPartitionKey).

        Example:
            >>> multi = MultiPartitionsDefinition(
            ...     {"n": StaticPartitionsDefinition(["1"]), "l": StaticPartitionsDefinition(["a"])}
            ... )
            >>> multi.has_partition_key("a|1"), multi.has_partition_key("1|a")
            (True, False)
        """
        keys = self._split(partition_key)
        if isinstance(keys, str):
            return False
        return all(
            dimension.partitions_def.has_partition_key(
                keys[dimension.name], current_time, dynamic_partitions_store
            )
            for dimension in self.dimensions
        )

    def get_partition_key_from_str(self, partition_key_str: str) -> MultiPartitionKey:
        """The ``MultiPartitionKey`` of a ``"a|b"`` string (its shape is checked, not existence).

        Example:
            >>> MultiPartitionsDefinition(
            ...     {"n": StaticPartitionsDefinition(["1"]), "l": StaticPartitionsDefinition(["a"])}
            ... ).get_partition_key_from_str("a|1").keys_by_dimension
            {'l': 'a', 'n': '1'}
        """
        keys = self._split(partition_key_str)
        if isinstance(keys, str):
            raise PartitionKeyError(
                f"{partition_key_str} is not a key of {self!r}: {keys}",
                partition_key=str(partition_key_str),
            )
        return MultiPartitionKey(keys)

    def validate_partition_key(
        self,
        partition_key: str,
        *,
        asset_name: str | None = None,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> MultiPartitionKey:
        """The key as a ``MultiPartitionKey`` if it exists; ``PartitionKeyError`` otherwise.

        Example:
            >>> multi = MultiPartitionsDefinition(
            ...     {"n": StaticPartitionsDefinition(["1"]), "l": StaticPartitionsDefinition(["a"])}
            ... )
            >>> multi.validate_partition_key("a|1").keys_by_dimension
            {'l': 'a', 'n': '1'}
            >>> multi.validate_partition_key("a|2", asset_name="grid")
            Traceback (most recent call last):
            ...
            aloft.partitions.errors.PartitionKeyError: a|2 is not a partition of grid: its dimension 'n' is 2, which is not a partition: expected one of '1'.
        """
        super().validate_partition_key(
            partition_key,
            asset_name=asset_name,
            current_time=current_time,
            dynamic_partitions_store=dynamic_partitions_store,
        )
        keys = self._split(partition_key)
        assert not isinstance(keys, str)
        return MultiPartitionKey(keys)

    def time_window_for_partition_key(self, partition_key: str) -> TimeWindow:
        """The time window of a key's time dimension.

        Example:
            >>> from aloft.partitions import DailyPartitionsDefinition
            >>> multi = MultiPartitionsDefinition(
            ...     {"day": DailyPartitionsDefinition("2026-01-01"), "r": StaticPartitionsDefinition(["eu"])}
            ... )
            >>> multi.time_window_for_partition_key("2026-01-02|eu").start.isoformat()
            '2026-01-02T00:00:00+00:00'
        """
        dimension = self.time_window_dimension
        time_def = dimension.partitions_def
        assert isinstance(time_def, TimeWindowPartitionsDefinition)
        key = self.get_partition_key_from_str(partition_key)
        return time_def.time_window_for_partition_key(key.keys_by_dimension[dimension.name])

    def describe_invalid_key(
        self,
        partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> str:
        """Which dimension is wrong (or missing) and what that dimension expects.

        Example:
            >>> multi = MultiPartitionsDefinition(
            ...     {"n": StaticPartitionsDefinition(["1"]), "l": StaticPartitionsDefinition(["a"])}
            ... )
            >>> multi.describe_invalid_key(MultiPartitionKey({"l": "a"}))
            "missing dimension 'n'; a key has one value per dimension, as MultiPartitionKey({'l': ..., 'n': ...}) or the string '<l>|<n>'."
        """
        keys = self._split(partition_key)
        if isinstance(keys, str):
            return keys
        for dimension in self.dimensions:
            definition = dimension.partitions_def
            value = keys[dimension.name]
            if not definition.has_partition_key(value, current_time, dynamic_partitions_store):
                detail = definition.describe_invalid_key(value, current_time, dynamic_partitions_store)
                return f"its dimension '{dimension.name}' is {value}, which is not a partition: {detail}"
        return "every dimension is valid, but the combination does not exist."

    def _split(self, partition_key: object) -> dict[str, str] | str:
        """The key's value per dimension, or a message saying what is wrong with its shape."""
        names = self.partition_dimension_names
        shape = (
            "a key has one value per dimension, as MultiPartitionKey("
            + "{"
            + ", ".join(f"'{name}': ..." for name in names)
            + "}) or the string '"
            + MULTIPARTITION_KEY_DELIMITER.join(f"<{name}>" for name in names)
            + "'."
        )
        if isinstance(partition_key, (MultiPartitionKey, Mapping)):
            given = (
                partition_key.keys_by_dimension
                if isinstance(partition_key, MultiPartitionKey)
                else dict(partition_key)
            )
            unknown = [name for name in given if name not in names]
            if unknown:
                return f"unknown dimension '{unknown[0]}'; {shape}{did_you_mean(str(unknown[0]), names)}"
            missing = [name for name in names if name not in given]
            if missing:
                return f"missing dimension '{missing[0]}'; {shape}"
            return {name: str(given[name]) for name in names}
        if not isinstance(partition_key, str):
            return f"expected a string or MultiPartitionKey, got {partition_key!r}; {shape}"
        parts = partition_key.split(MULTIPARTITION_KEY_DELIMITER)
        if len(parts) != len(names):
            return f"expected {len(names)} values joined by '{MULTIPARTITION_KEY_DELIMITER}'; {shape}"
        return dict(zip(names, parts, strict=True))

    def __repr__(self) -> str:
        inner = ", ".join(f"{d.name!r}: {d.partitions_def!r}" for d in self.dimensions)
        return f"MultiPartitionsDefinition({{{inner}}})"


def _check_dimension(name: object, definition: object) -> None:
    if not isinstance(name, str) or not name or MULTIPARTITION_KEY_DELIMITER in name:
        raise PartitionsDefinitionError(
            f"MultiPartitionsDefinition dimension names must be non-empty strings without"
            f" '{MULTIPARTITION_KEY_DELIMITER}', got {name!r}"
        )
    if isinstance(definition, MultiPartitionsDefinition):
        raise PartitionsDefinitionError(
            f"MultiPartitionsDefinition dimension '{name}' is itself multi-dimensional;"
            " use exactly two one-dimensional definitions"
        )
    if not isinstance(definition, PartitionsDefinition):
        raise PartitionsDefinitionError(
            f"MultiPartitionsDefinition dimension '{name}' must be a partitions definition,"
            f" got {definition!r}"
        )
    if isinstance(definition, StaticPartitionsDefinition):
        bad = [key for key in definition.partition_keys if MULTIPARTITION_KEY_DELIMITER in key]
        if bad:
            raise PartitionsDefinitionError(
                f"MultiPartitionsDefinition dimension '{name}' has key {bad[0]!r} containing"
                f" '{MULTIPARTITION_KEY_DELIMITER}', which separates the dimensions of a key"
            )
