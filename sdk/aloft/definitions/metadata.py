"""Metadata attached to definitions and materializations (``MetadataValue``)."""

from __future__ import annotations

import builtins
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["MetadataValue", "TableColumn", "TableRecord", "TableSchema", "normalize_metadata"]


@dataclass(frozen=True)
class TableColumn:
    """One column of a table schema: ``TableColumn("region", "string")``."""

    name: str
    type: str = "string"
    description: str | None = None


@dataclass(frozen=True)
class TableSchema:
    """The columns of a table preview."""

    columns: tuple[TableColumn, ...]

    def __init__(self, columns: Sequence[TableColumn]) -> None:
        object.__setattr__(self, "columns", tuple(columns))


@dataclass(frozen=True)
class TableRecord:
    """One row of a table preview: ``TableRecord({"region": "EU", "revenue": 12.5})``."""

    data: Mapping[str, Any]


@dataclass(frozen=True)
class MetadataValue:
    """A typed metadata value, as in Dagster.

    Build them with the static constructors; plain Python values in a
    metadata dict are converted for you (``int`` -> ``MetadataValue.int`` ...).

    Example:
        >>> MetadataValue.int(42).value
        42
        >>> MetadataValue.md("**bold**").to_json()
        {'type': 'md', 'value': '**bold**'}
        >>> normalize_metadata({"rows": 3})["rows"]
        MetadataValue(type='int', value=3)
    """

    type: str
    value: Any

    # The constructors shadow builtins on purpose: they are Dagster's names.
    @staticmethod
    def int(value: int) -> MetadataValue:
        """An integer, e.g. a row count (plotted over time in the UI)."""
        return MetadataValue("int", int(value))

    @staticmethod
    def float(value: builtins.float) -> MetadataValue:
        """A float; NaN and infinities are kept as strings in JSON."""
        return MetadataValue("float", value)

    @staticmethod
    def text(value: str) -> MetadataValue:
        """Plain text."""
        return MetadataValue("text", str(value))

    @staticmethod
    def md(value: str) -> MetadataValue:
        """Markdown, rendered by the UI (a ``df.head().to_markdown()`` preview, say)."""
        return MetadataValue("md", str(value))

    @staticmethod
    def json(value: Any) -> MetadataValue:
        """Any JSON-serializable value."""
        json.dumps(value)  # fail early, at the author's call site
        return MetadataValue("json", value)

    @staticmethod
    def url(value: str) -> MetadataValue:
        """A link."""
        return MetadataValue("url", str(value))

    @staticmethod
    def path(value: str) -> MetadataValue:
        """A file system or object-store path."""
        return MetadataValue("path", str(value))

    @staticmethod
    def timestamp(value: builtins.float | datetime) -> MetadataValue:
        """A point in time (seconds since the epoch, or an aware datetime)."""
        seconds = value.timestamp() if isinstance(value, datetime) else float(value)
        return MetadataValue("timestamp", seconds)

    @staticmethod
    def bool(value: builtins.bool) -> MetadataValue:
        """A boolean."""
        return MetadataValue("bool", bool(value))

    @staticmethod
    def null() -> MetadataValue:
        """No value."""
        return MetadataValue("null", None)

    @staticmethod
    def table(
        records: Sequence[TableRecord | Mapping[str, Any]], schema: TableSchema | None = None
    ) -> MetadataValue:
        """A small table preview (keep it to a few rows)."""
        rows = [dict(r.data) if isinstance(r, TableRecord) else dict(r) for r in records]
        if schema is None:
            names = list(rows[0]) if rows else []
            schema = TableSchema([TableColumn(name) for name in names])
        columns = [{"name": c.name, "type": c.type, "description": c.description} for c in schema.columns]
        return MetadataValue("table", {"columns": columns, "records": rows})

    @staticmethod
    def table_schema(schema: TableSchema) -> MetadataValue:
        """The column schema of a table."""
        return MetadataValue(
            "table_schema",
            {"columns": [{"name": c.name, "type": c.type, "description": c.description} for c in schema.columns]},
        )

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; the inverse of :meth:`from_json`."""
        value = self.value
        if self.type == "float" and isinstance(value, float) and not math.isfinite(value):
            value = str(value)
        return {"type": self.type, "value": value}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MetadataValue:
        """Rebuild a value stored with :meth:`to_json`."""
        value = data["value"]
        if data["type"] == "float" and isinstance(value, str):
            value = float(value)
        return cls(str(data["type"]), value)


def _coerce(value: Any) -> MetadataValue:
    if isinstance(value, MetadataValue):
        return value
    if value is None:
        return MetadataValue.null()
    if isinstance(value, bool):
        return MetadataValue.bool(value)
    if isinstance(value, int):
        return MetadataValue.int(value)
    if isinstance(value, float):
        return MetadataValue.float(value)
    if isinstance(value, str):
        return MetadataValue.text(value)
    if isinstance(value, datetime):
        return MetadataValue.timestamp(value)
    if isinstance(value, TableSchema):
        return MetadataValue.table_schema(value)
    try:
        return MetadataValue.json(value)
    except TypeError as err:
        raise TypeError(
            f"metadata value {value!r} is not JSON-serializable: wrap it in a MetadataValue "
            "(e.g. MetadataValue.text(str(value)))"
        ) from err


def normalize_metadata(metadata: Mapping[str, Any] | None) -> dict[str, MetadataValue]:
    """Turn a user metadata dict into ``{label: MetadataValue}``."""
    if not metadata:
        return {}
    return {str(label): _coerce(value) for label, value in metadata.items()}
