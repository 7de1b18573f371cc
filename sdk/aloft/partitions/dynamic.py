"""Dynamic partitions: keys added and deleted at run time (by sensors, or by hand).

The keys live in the state store, which implements ``DynamicPartitionsStore``; a
definition only names the set. Sensors ask for changes with the request values below.

Example:
    >>> customers = DynamicPartitionsDefinition(name="customers")
    >>> customers.build_add_request(["acme", "globex"])
    AddDynamicPartitionsRequest(partitions_def_name='customers', partition_keys=('acme', 'globex'))
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from aloft.errors import did_you_mean
from aloft.partitions.base import DynamicPartitionsStore, PartitionsDefinition, quote_keys
from aloft.partitions.errors import PartitionsDefinitionError

__all__ = [
    "AddDynamicPartitionsRequest",
    "DeleteDynamicPartitionsRequest",
    "DynamicPartitionsDefinition",
    "DynamicPartitionsStore",
]


def _validated_keys(owner: str, partition_keys: Sequence[str]) -> tuple[str, ...]:
    if isinstance(partition_keys, str) or not isinstance(partition_keys, Sequence):
        raise PartitionsDefinitionError(
            f"{owner} expects a list of partition keys, got {partition_keys!r}"
        )
    keys = tuple(partition_keys)
    for key in keys:
        if not isinstance(key, str) or not key:
            raise PartitionsDefinitionError(
                f"{owner} partition keys must be non-empty strings, got {key!r}"
            )
    return keys


def _validated_name(owner: str, name: object) -> str:
    if not isinstance(name, str) or not name:
        raise PartitionsDefinitionError(
            f"{owner} needs the name of the dynamic partitions definition, got {name!r}"
        )
    return name


@dataclass(frozen=True)
class AddDynamicPartitionsRequest:
    """Ask for keys to be added to a dynamic partitions definition (from a sensor).

    Example:
        >>> AddDynamicPartitionsRequest("customers", ["acme"]).partition_keys
        ('acme',)
    """

    partitions_def_name: str
    partition_keys: tuple[str, ...]

    def __init__(self, partitions_def_name: str, partition_keys: Sequence[str]) -> None:
        owner = "AddDynamicPartitionsRequest"
        object.__setattr__(self, "partitions_def_name", _validated_name(owner, partitions_def_name))
        object.__setattr__(self, "partition_keys", _validated_keys(owner, partition_keys))


@dataclass(frozen=True)
class DeleteDynamicPartitionsRequest:
    """Ask for keys to be deleted from a dynamic partitions definition (from a sensor).

    Example:
        >>> DeleteDynamicPartitionsRequest("customers", ["acme"])
        DeleteDynamicPartitionsRequest(partitions_def_name='customers', partition_keys=('acme',))
    """

    partitions_def_name: str
    partition_keys: tuple[str, ...]

    def __init__(self, partitions_def_name: str, partition_keys: Sequence[str]) -> None:
        owner = "DeleteDynamicPartitionsRequest"
        object.__setattr__(self, "partitions_def_name", _validated_name(owner, partitions_def_name))
        object.__setattr__(self, "partition_keys", _validated_keys(owner, partition_keys))


@dataclass(frozen=True)
class DynamicPartitionsDefinition(PartitionsDefinition):
    """Partitions whose keys are kept in the state store under ``name``.

    Every question about its keys needs a ``dynamic_partitions_store``.

    Example:
        >>> class Store:
        ...     def get_dynamic_partitions(self, partitions_def_name):
        ...         return ["acme", "globex"]
        >>> customers = DynamicPartitionsDefinition(name="customers")
        >>> customers.get_partition_keys(dynamic_partitions_store=Store())
        ['acme', 'globex']
    """

    name: str

    def __post_init__(self) -> None:
        if callable(self.name):
            raise PartitionsDefinitionError(
                "DynamicPartitionsDefinition(partition_fn) is not supported: name the set"
                " instead, e.g. DynamicPartitionsDefinition(name='customers'), and add keys"
                " with AddDynamicPartitionsRequest"
            )
        _validated_name("DynamicPartitionsDefinition", self.name)

    def _store(self, store: DynamicPartitionsStore | None) -> DynamicPartitionsStore:
        if store is None:
            raise PartitionsDefinitionError(
                f"DynamicPartitionsDefinition '{self.name}' keeps its keys in the state store:"
                " pass dynamic_partitions_store (the instance) to read them"
            )
        return store

    def get_partition_keys(
        self,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> list[str]:
        """The keys currently in the store, in the store's order.

        Example:
            >>> DynamicPartitionsDefinition("customers").get_partition_keys()
            Traceback (most recent call last):
            ...
            aloft.partitions.errors.PartitionsDefinitionError: DynamicPartitionsDefinition 'customers' keeps its keys in the state store: pass dynamic_partitions_store (the instance) to read them
        """
        return list(self._store(dynamic_partitions_store).get_dynamic_partitions(self.name))

    def has_partition_key(
        self,
        partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> bool:
        """Whether the store has the key (one lookup when the store offers ``has_dynamic_partition``).

        Example:
            >>> class Store:
            ...     def get_dynamic_partitions(self, partitions_def_name):
            ...         return ["acme"]
            >>> DynamicPartitionsDefinition("customers").has_partition_key("acme", None, Store())
            True
        """
        store = self._store(dynamic_partitions_store)
        lookup = getattr(store, "has_dynamic_partition", None)
        if callable(lookup):
            return bool(lookup(self.name, partition_key))
        return partition_key in store.get_dynamic_partitions(self.name)

    def describe_invalid_key(
        self,
        partition_key: str,
        current_time: datetime | None = None,
        dynamic_partitions_store: DynamicPartitionsStore | None = None,
    ) -> str:
        """Which keys exist and how to add the missing one.

        Example:
            >>> class Store:
            ...     def get_dynamic_partitions(self, partitions_def_name):
            ...         return ["acme"]
            >>> DynamicPartitionsDefinition("customers").describe_invalid_key(
            ...     "acme2", dynamic_partitions_store=Store()
            ... )
            "expected one of the keys of dynamic partitions 'customers': 'acme'. Add it first with AddDynamicPartitionsRequest('customers', ['acme2']) from a sensor. Did you mean 'acme'?"
        """
        keys = self.get_partition_keys(current_time, dynamic_partitions_store)
        existing = (
            f"expected one of the keys of dynamic partitions '{self.name}': {quote_keys(keys)}"
            if keys
            else f"dynamic partitions '{self.name}' have no keys yet"
        )
        return (
            f"{existing}. Add it first with AddDynamicPartitionsRequest('{self.name}',"
            f" [{partition_key!r}]) from a sensor.{did_you_mean(str(partition_key), keys)}"
        )

    def build_add_request(self, partition_keys: Sequence[str]) -> AddDynamicPartitionsRequest:
        """A request to add ``partition_keys`` to this set.

        Example:
            >>> DynamicPartitionsDefinition("files").build_add_request(["a.csv"]).partitions_def_name
            'files'
        """
        return AddDynamicPartitionsRequest(self.name, partition_keys)

    def build_delete_request(self, partition_keys: Sequence[str]) -> DeleteDynamicPartitionsRequest:
        """A request to delete ``partition_keys`` from this set.

        Example:
            >>> DynamicPartitionsDefinition("files").build_delete_request(["a.csv"]).partition_keys
            ('a.csv',)
        """
        return DeleteDynamicPartitionsRequest(self.name, partition_keys)

