"""Dynamic partitions: keys kept in a store, changed by requests."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pytest

from aloft.partitions import (
    AddDynamicPartitionsRequest,
    DeleteDynamicPartitionsRequest,
    DynamicPartitionsDefinition,
    DynamicPartitionsStore,
    PartitionKeyError,
    PartitionsDefinitionError,
)


class FakeStore:
    def __init__(self, partitions: dict[str, list[str]]) -> None:
        self.partitions = partitions
        self.calls: list[str] = []

    def get_dynamic_partitions(self, partitions_def_name: str) -> Sequence[str]:
        self.calls.append(partitions_def_name)
        return self.partitions.get(partitions_def_name, [])


CUSTOMERS = DynamicPartitionsDefinition(name="customers")


def test_keys_come_from_the_store_by_name() -> None:
    store = FakeStore({"customers": ["acme", "globex"], "other": ["x"]})
    assert isinstance(store, DynamicPartitionsStore)
    assert CUSTOMERS.get_partition_keys(dynamic_partitions_store=store) == ["acme", "globex"]
    assert store.calls == ["customers"]
    assert CUSTOMERS.has_partition_key("globex", dynamic_partitions_store=store)
    assert not CUSTOMERS.has_partition_key("x", dynamic_partitions_store=store)
    store.partitions["customers"].append("initech")
    assert CUSTOMERS.get_last_partition_key(dynamic_partitions_store=store) == "initech"


def test_a_store_is_required() -> None:
    with pytest.raises(PartitionsDefinitionError, match="pass dynamic_partitions_store"):
        CUSTOMERS.has_partition_key("acme")


def test_missing_partition_names_the_set_and_how_to_add_it() -> None:
    store = FakeStore({"customers": ["acme", "globex"]})
    with pytest.raises(PartitionKeyError) as caught:
        CUSTOMERS.validate_partition_key("acme-corp", asset_name="invoices", dynamic_partitions_store=store)
    assert str(caught.value) == (
        "acme-corp is not a partition of invoices: expected one of the keys of dynamic partitions"
        " 'customers': 'acme', 'globex'. Add it first with AddDynamicPartitionsRequest("
        "'customers', ['acme-corp']) from a sensor. Did you mean 'acme'?"
    )


def test_missing_partition_of_an_empty_set() -> None:
    with pytest.raises(PartitionKeyError, match="dynamic partitions 'customers' have no keys yet"):
        CUSTOMERS.validate_partition_key("acme", dynamic_partitions_store=FakeStore({}))


def test_requests_are_frozen_values() -> None:
    add = CUSTOMERS.build_add_request(["acme", "globex"])
    assert add == AddDynamicPartitionsRequest("customers", ("acme", "globex"))
    assert add.partition_keys == ("acme", "globex")
    delete = CUSTOMERS.build_delete_request(["acme"])
    assert delete == DeleteDynamicPartitionsRequest(partitions_def_name="customers", partition_keys=["acme"])
    assert hash(delete) == hash(DeleteDynamicPartitionsRequest("customers", ["acme"]))
    with pytest.raises(dataclasses.FrozenInstanceError):
        add.partition_keys = ()  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "keys", "message"),
    [
        ("customers", "acme", "expects a list of partition keys"),
        ("customers", ["acme", 7], "partition keys must be non-empty strings, got 7"),
        ("", ["acme"], "needs the name of the dynamic partitions definition"),
    ],
)
def test_bad_requests_are_rejected(name: str, keys: object, message: str) -> None:
    with pytest.raises(PartitionsDefinitionError, match=message):
        AddDynamicPartitionsRequest(name, keys)  # type: ignore[arg-type]


def test_definition_needs_a_name() -> None:
    with pytest.raises(PartitionsDefinitionError, match="needs the name"):
        DynamicPartitionsDefinition(name="")
    with pytest.raises(PartitionsDefinitionError, match="partition_fn\\) is not supported"):
        DynamicPartitionsDefinition(lambda: ["a"])  # type: ignore[arg-type]


def test_value_semantics() -> None:
    assert DynamicPartitionsDefinition("a") == DynamicPartitionsDefinition(name="a")
    assert DynamicPartitionsDefinition("a") != DynamicPartitionsDefinition("b")
    assert repr(CUSTOMERS) == "DynamicPartitionsDefinition(name='customers')"


def test_single_key_lookups_use_the_store_lookup_when_it_has_one() -> None:
    class LookupStore(FakeStore):
        def has_dynamic_partition(self, partitions_def_name: str, partition_key: str) -> bool:
            self.calls.append(f"has {partitions_def_name} {partition_key}")
            return partition_key in self.partitions.get(partitions_def_name, [])

    store = LookupStore({"customers": ["acme"]})
    assert CUSTOMERS.has_partition_key("acme", dynamic_partitions_store=store)
    assert not CUSTOMERS.has_partition_key("globex", dynamic_partitions_store=store)
    assert store.calls == ["has customers acme", "has customers globex"]
