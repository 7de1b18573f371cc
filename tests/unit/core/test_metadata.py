"""MetadataValue constructors, normalization and JSON round trips."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from aloft import MetadataValue, TableColumn, TableSchema
from aloft.definitions.metadata import normalize_metadata


def test_plain_values_are_normalized() -> None:
    normalized = normalize_metadata({"n": 3, "f": 1.5, "s": "x", "b": True, "none": None, "j": {"a": [1]},
                                     "t": datetime(2026, 1, 1, tzinfo=UTC)})
    assert {k: v.type for k, v in normalized.items()} == {
        "n": "int", "f": "float", "s": "text", "b": "bool", "none": "null", "j": "json", "t": "timestamp"}
    assert normalized["t"].value == 1767225600.0


def test_unserializable_values_are_rejected_with_advice() -> None:
    with pytest.raises(TypeError, match="wrap it in a MetadataValue"):
        normalize_metadata({"bad": object()})


@pytest.mark.parametrize(
    "value",
    [
        MetadataValue.int(1), MetadataValue.float(2.5), MetadataValue.float(math.inf), MetadataValue.text("t"),
        MetadataValue.md("# h"), MetadataValue.json({"a": 1}), MetadataValue.url("https://x"),
        MetadataValue.path("/tmp/x"), MetadataValue.timestamp(5.0), MetadataValue.bool(False), MetadataValue.null(),
        MetadataValue.table([{"a": 1}], TableSchema([TableColumn("a", "int")])),
        MetadataValue.table_schema(TableSchema([TableColumn("a")])),
    ],
)
def test_json_round_trip(value: MetadataValue) -> None:
    assert MetadataValue.from_json(value.to_json()) == value


def test_table_infers_columns() -> None:
    table = MetadataValue.table([{"region": "EU", "revenue": 1.0}])
    assert [c["name"] for c in table.value["columns"]] == ["region", "revenue"]
