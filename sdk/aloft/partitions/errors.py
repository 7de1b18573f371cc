"""Errors raised by partitions definitions, partition keys and partition mappings.

All three are definition errors: they are found when user code is loaded, validated
or asked for a partition, and their message names the culprit and the fix.

Example:
    >>> from aloft.errors import DefinitionError
    >>> issubclass(PartitionKeyError, DefinitionError)
    True
"""

from __future__ import annotations

from aloft.errors import DefinitionError

__all__ = ["PartitionKeyError", "PartitionMappingError", "PartitionsDefinitionError"]


class PartitionsDefinitionError(DefinitionError):
    """A partitions definition was built with invalid arguments.

    Example:
        >>> from aloft.partitions import StaticPartitionsDefinition
        >>> StaticPartitionsDefinition(["eu", "eu"])
        Traceback (most recent call last):
        ...
        aloft.partitions.errors.PartitionsDefinitionError: StaticPartitionsDefinition got duplicate partition keys: 'eu'. Each key must appear once.
    """


class PartitionKeyError(DefinitionError):
    """A partition key is not one of the partitions of a definition.

    ``partition_key`` is the offending key as given.

    Example:
        >>> from aloft.partitions import StaticPartitionsDefinition
        >>> regions = StaticPartitionsDefinition(["eu", "us"])
        >>> regions.validate_partition_key("uk", asset_name="sales")
        Traceback (most recent call last):
        ...
        aloft.partitions.errors.PartitionKeyError: uk is not a partition of sales: expected one of 'eu', 'us'.
    """

    def __init__(self, message: str, *, partition_key: str | None = None) -> None:
        super().__init__(message)
        self.partition_key = partition_key


class PartitionMappingError(DefinitionError):
    """A partition mapping cannot connect the partitions of two assets.

    Example:
        >>> from aloft.partitions import (
        ...     DailyPartitionsDefinition, IdentityPartitionMapping, StaticPartitionsDefinition,
        ...     validate_partition_mapping,
        ... )
        >>> validate_partition_mapping(
        ...     "report", "regions", IdentityPartitionMapping(),
        ...     DailyPartitionsDefinition("2026-01-01"), StaticPartitionsDefinition(["eu"]),
        ... )  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        aloft.partitions.errors.PartitionMappingError: asset 'report' depends on 'regions' through IdentityPartitionMapping(), ...
    """
