"""Static partitions: a fixed list of keys."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from aloft.partitions import (
    PartitionKeyError,
    PartitionKeyRange,
    PartitionsDefinitionError,
    StaticPartitionsDefinition,
)

REGIONS = StaticPartitionsDefinition(["eu", "us", "apac"])


def test_keys_keep_their_order() -> None:
    assert REGIONS.get_partition_keys() == ["eu", "us", "apac"]
    assert REGIONS.get_num_partitions() == 3
    assert REGIONS.get_first_partition_key() == "eu"
    assert REGIONS.get_last_partition_key() == "apac"


def test_has_partition_key_is_exact() -> None:
    assert REGIONS.has_partition_key("us")
    assert not REGIONS.has_partition_key("US")
    assert not REGIONS.has_partition_key("")


def test_returned_keys_are_a_copy() -> None:
    keys = REGIONS.get_partition_keys()
    keys.append("mars")
    assert REGIONS.get_partition_keys() == ["eu", "us", "apac"]


def test_range() -> None:
    assert REGIONS.get_partition_keys_in_range(PartitionKeyRange("us", "apac")) == ["us", "apac"]
    with pytest.raises(PartitionKeyError, match="is reversed: apac comes after eu"):
        REGIONS.get_partition_keys_in_range(PartitionKeyRange("apac", "eu"))
    with pytest.raises(PartitionKeyError, match="mars is not a partition"):
        REGIONS.get_partition_keys_in_range(PartitionKeyRange("eu", "mars"))


def test_duplicates_are_rejected() -> None:
    with pytest.raises(
        PartitionsDefinitionError,
        match="got duplicate partition keys: 'eu', 'us'. Each key must appear once.",
    ):
        StaticPartitionsDefinition(["eu", "us", "eu", "us", "us"])


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("eu", "expects a list of partition keys, got 'eu'"),
        (["eu", 3], "keys must be non-empty strings, got 3"),
        (["eu", ""], "keys must be non-empty strings, got ''"),
    ],
)
def test_bad_keys_are_rejected(keys: object, message: str) -> None:
    with pytest.raises(PartitionsDefinitionError, match=message):
        StaticPartitionsDefinition(keys)  # type: ignore[arg-type]


def test_invalid_key_lists_the_keys_and_suggests_one() -> None:
    with pytest.raises(PartitionKeyError) as caught:
        REGIONS.validate_partition_key("apc", asset_name="sales")
    assert str(caught.value) == (
        "apc is not a partition of sales: expected one of 'eu', 'us', 'apac'. Did you mean 'apac'?"
    )


def test_wrong_case_is_suggested() -> None:
    with pytest.raises(PartitionKeyError, match="Did you mean 'eu'"):
        REGIONS.validate_partition_key("EU", asset_name="sales")


def test_long_key_lists_are_shortened() -> None:
    many = StaticPartitionsDefinition([f"k{i}" for i in range(25)])
    with pytest.raises(PartitionKeyError) as caught:
        many.validate_partition_key("zzz")
    message = str(caught.value)
    assert "'k9', ... (25 keys)" in message
    assert "'k10'" not in message.split(":", 1)[1]
    subject = message.split(":", 1)[0]
    assert subject.startswith("zzz is not a partition of StaticPartitionsDefinition(['k0', ")
    assert subject.endswith("...)") and len(subject) < 140


def test_value_semantics() -> None:
    assert StaticPartitionsDefinition(["a", "b"]) == StaticPartitionsDefinition(("a", "b"))
    assert StaticPartitionsDefinition(["a", "b"]) != StaticPartitionsDefinition(["b", "a"])
    assert len({StaticPartitionsDefinition(["a"]), StaticPartitionsDefinition(["a"])}) == 1
    assert repr(REGIONS) == "StaticPartitionsDefinition(['eu', 'us', 'apac'])"
    assert pickle.loads(pickle.dumps(REGIONS)) == REGIONS
    with pytest.raises(dataclasses.FrozenInstanceError):
        REGIONS.partition_keys = ("x",)  # type: ignore[misc]
