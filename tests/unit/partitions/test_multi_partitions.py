"""Multi-dimensional partitions and their keys."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from aloft.partitions import (
    DailyPartitionsDefinition,
    DynamicPartitionsDefinition,
    HourlyPartitionsDefinition,
    MultiPartitionKey,
    MultiPartitionsDefinition,
    PartitionDimensionKey,
    PartitionKeyError,
    PartitionsDefinitionError,
    StaticPartitionsDefinition,
)

DAILY = DailyPartitionsDefinition("2026-01-01")
REGIONS = StaticPartitionsDefinition(["eu", "us"])
GRID = MultiPartitionsDefinition({"region": REGIONS, "date": DAILY})
NOW = datetime(2026, 1, 4)


def test_keys_are_the_product_in_dimension_name_order() -> None:
    keys = GRID.get_partition_keys(current_time=NOW)
    assert keys == [
        "2026-01-01|eu",
        "2026-01-01|us",
        "2026-01-02|eu",
        "2026-01-02|us",
        "2026-01-03|eu",
        "2026-01-03|us",
    ]
    assert all(isinstance(key, MultiPartitionKey) for key in keys)
    second = keys[1]
    assert isinstance(second, MultiPartitionKey)
    assert second.keys_by_dimension == {"date": "2026-01-01", "region": "us"}
    assert GRID.get_num_partitions(current_time=NOW) == 6
    assert GRID.partition_dimension_names == ["date", "region"]


def test_multi_partition_key() -> None:
    key = MultiPartitionKey({"region": "eu", "date": "2026-01-02"})
    assert key == "2026-01-02|eu"
    assert isinstance(key, str)
    assert key.dimension_keys == [
        PartitionDimensionKey("date", "2026-01-02"),
        PartitionDimensionKey("region", "eu"),
    ]
    assert "2026-01-02|eu" in {key}
    assert hash(key) == hash("2026-01-02|eu")
    assert repr(key) == "MultiPartitionKey({'date': '2026-01-02', 'region': 'eu'})"
    for clone in (pickle.loads(pickle.dumps(key)), copy.deepcopy(key)):
        assert clone == key
        assert clone.keys_by_dimension == key.keys_by_dimension
    key.keys_by_dimension["region"] = "us"
    assert key.keys_by_dimension["region"] == "eu"


def test_multi_partition_key_rejects_the_delimiter() -> None:
    with pytest.raises(PartitionKeyError, match="contains '\\|'"):
        MultiPartitionKey({"a": "x|y", "b": "z"})


def test_has_partition_key_accepts_strings_and_keys() -> None:
    assert GRID.has_partition_key("2026-01-02|us", current_time=NOW)
    assert GRID.has_partition_key(MultiPartitionKey({"date": "2026-01-02", "region": "us"}), NOW)
    assert not GRID.has_partition_key("us|2026-01-02", current_time=NOW)
    assert not GRID.has_partition_key("2026-01-09|us", current_time=NOW)
    assert not GRID.has_partition_key("2026-01-02", current_time=NOW)


def test_validate_returns_a_multi_partition_key() -> None:
    key = GRID.validate_partition_key("2026-01-02|us", current_time=NOW)
    assert isinstance(key, MultiPartitionKey)
    assert key.keys_by_dimension["region"] == "us"
    assert GRID.get_partition_key_from_str("2026-01-02|us") == key


def test_missing_dimension_is_named() -> None:
    with pytest.raises(PartitionKeyError) as caught:
        GRID.validate_partition_key(
            MultiPartitionKey({"date": "2026-01-02"}), asset_name="sales", current_time=NOW
        )
    assert str(caught.value) == (
        "2026-01-02 is not a partition of sales: missing dimension 'region'; a key has one value"
        " per dimension, as MultiPartitionKey({'date': ..., 'region': ...}) or the string"
        " '<date>|<region>'."
    )


def test_unknown_dimension_is_named_with_a_suggestion() -> None:
    with pytest.raises(PartitionKeyError, match="unknown dimension 'regoin'.*Did you mean 'region'"):
        GRID.validate_partition_key(
            MultiPartitionKey({"date": "2026-01-02", "regoin": "eu"}), current_time=NOW
        )


def test_wrong_number_of_parts() -> None:
    with pytest.raises(PartitionKeyError, match="expected 2 values joined by '\\|'"):
        GRID.validate_partition_key("2026-01-02|eu|x", current_time=NOW)


def test_invalid_value_reports_the_dimension_and_what_it_expects() -> None:
    with pytest.raises(PartitionKeyError) as caught:
        GRID.validate_partition_key("2026-01-02|mars", asset_name="sales", current_time=NOW)
    assert str(caught.value) == (
        "2026-01-02|mars is not a partition of sales: its dimension 'region' is mars, which is"
        " not a partition: expected one of 'eu', 'us'."
    )
    with pytest.raises(PartitionKeyError, match="dimension 'date' is 2026-02-30.*expected YYYY-MM-DD"):
        GRID.validate_partition_key("2026-02-30|eu", current_time=NOW)


def test_time_window_of_a_key() -> None:
    window = GRID.time_window_for_partition_key("2026-01-02|us")
    assert window.start == datetime(2026, 1, 2, tzinfo=UTC)
    assert GRID.time_window_dimension.name == "date"
    assert GRID.primary_dimension.name == "date"
    assert GRID.secondary_dimension.name == "region"
    plain = MultiPartitionsDefinition({"b": REGIONS, "a": StaticPartitionsDefinition(["x"])})
    assert not plain.has_time_window_dimension
    with pytest.raises(PartitionsDefinitionError, match="has no time-window dimension"):
        plain.time_window_for_partition_key("x|eu")


def test_dimension_lookup() -> None:
    assert GRID.get_partitions_def_for_dimension("region") == REGIONS
    with pytest.raises(PartitionsDefinitionError, match="no dimension 'regions'.*Did you mean 'region'"):
        GRID.get_partitions_def_for_dimension("regions")


def test_dynamic_dimension_uses_the_store() -> None:
    class Store:
        def get_dynamic_partitions(self, partitions_def_name: str) -> Sequence[str]:
            return ["acme"]

    multi = MultiPartitionsDefinition({"customer": DynamicPartitionsDefinition("customers"), "region": REGIONS})
    assert multi.get_partition_keys(dynamic_partitions_store=Store()) == ["acme|eu", "acme|us"]
    with pytest.raises(PartitionsDefinitionError, match="pass dynamic_partitions_store"):
        multi.get_partition_keys()


@pytest.mark.parametrize(
    ("dimensions", "message"),
    [
        ({"region": REGIONS}, "needs exactly two dimensions, got 1 \\('region'\\)"),
        (
            {"a": REGIONS, "b": REGIONS, "c": REGIONS},
            "needs exactly two dimensions, got 3",
        ),
        (
            {"day": DAILY, "hour": HourlyPartitionsDefinition("2026-01-01-00:00")},
            "at most one time-window dimension, got 'day' and 'hour'",
        ),
        ({"a": GRID, "b": REGIONS}, "dimension 'a' is itself multi-dimensional"),
        ({"a": StaticPartitionsDefinition(["x|y"]), "b": REGIONS}, "has key 'x\\|y' containing"),
        ({"a|b": REGIONS, "c": DAILY}, "dimension names must be non-empty strings"),
        ({"a": ["x"], "b": REGIONS}, "dimension 'a' must be a partitions definition"),
    ],
)
def test_bad_definitions_are_rejected(dimensions: dict[str, object], message: str) -> None:
    with pytest.raises(PartitionsDefinitionError, match=message):
        MultiPartitionsDefinition(dimensions)  # type: ignore[arg-type]


def test_value_semantics() -> None:
    same = MultiPartitionsDefinition({"date": DailyPartitionsDefinition("2026-01-01"), "region": REGIONS})
    assert same == GRID
    assert hash(GRID) == hash(same)
    assert repr(GRID) == (
        "MultiPartitionsDefinition({'date': DailyPartitionsDefinition(start_date='2026-01-01'),"
        " 'region': StaticPartitionsDefinition(['eu', 'us'])})"
    )
    assert pickle.loads(pickle.dumps(GRID)) == GRID
