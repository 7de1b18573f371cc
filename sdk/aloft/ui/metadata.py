"""Stored metadata (``{label: MetadataValue.to_json()}``) as bounded entries the browser renders.

Each entry is ``{"label", "type", "value"}`` plus, where it applies,
``truncated`` (the value was cut to fit), ``total_rows`` (a table preview
keeps its first rows) and ``href`` (a ``url`` value whose scheme is safe to
link to: http, https or mailto; anything else, ``javascript:`` included, is
shown as text). Lists show short previews, the asset page longer ones.

Example:
    >>> entries = metadata_entries({"rows": {"type": "int", "value": 3},
    ...                             "docs": {"type": "url", "value": "https://example.com"}})
    >>> [(e["label"], e["type"], e["value"]) for e in entries]
    [('rows', 'int', 3), ('docs', 'url', 'https://example.com')]
    >>> entries[1]["href"]
    'https://example.com'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

__all__ = ["metadata_entries", "safe_href"]

_TEXT_TYPES = frozenset({"text", "md", "path", "url", "notebook"})
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})


def safe_href(value: Any) -> str | None:
    """``value`` when it is a link the UI may render as one, else None.

    Example:
        >>> safe_href("javascript:alert(1)") is None
        True
        >>> safe_href("https://example.com/a")
        'https://example.com/a'
    """
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return None
    return text if scheme in _SAFE_SCHEMES else None


def metadata_entries(
    metadata: Mapping[str, Any], *, max_chars: int = 4000, max_rows: int = 20
) -> list[dict[str, Any]]:
    """Bounded, typed entries of a materialization's metadata, in the order they were recorded.

    Strings longer than ``max_chars`` (text, markdown, serialized JSON) are cut;
    tables keep their first ``max_rows`` records.
    """
    return [_entry(str(label), value, max_chars, max_rows) for label, value in metadata.items()]


def _entry(label: str, stored: Any, max_chars: int, max_rows: int) -> dict[str, Any]:
    if isinstance(stored, Mapping) and "type" in stored:
        kind, value = str(stored["type"]), stored.get("value")
    else:  # a raw value written by something other than MetadataValue
        kind, value = "json", stored
    entry: dict[str, Any] = {"label": label, "type": kind, "value": value}
    if kind in _TEXT_TYPES:
        text = "" if value is None else str(value)
        entry["value"] = _cut(text, max_chars, entry)
        if kind == "url":
            href = safe_href(text)
            if href is not None and len(href) <= max_chars:
                entry["href"] = href
    elif kind == "table" and isinstance(value, Mapping):
        records = list(value.get("records") or [])
        entry["value"] = {
            "columns": list(value.get("columns") or []),
            "records": records[:max_rows],
        }
        entry["total_rows"] = len(records)
        if len(records) > max_rows:
            entry["truncated"] = True
        if len(json.dumps(entry["value"], default=str)) > max_chars * 4:
            entry["type"] = "json"
            entry["value"] = _cut(json.dumps(value, default=str), max_chars, entry)
    elif kind not in ("int", "float", "bool", "null", "timestamp"):
        # json, table_schema and unknown types: keep them whole while small, else a text preview.
        text = json.dumps(value, default=str)
        if len(text) > max_chars:
            entry["type"] = "json"
            entry["value"] = _cut(text, max_chars, entry)
    return entry


def _cut(text: str, max_chars: int, entry: dict[str, Any]) -> str:
    if len(text) <= max_chars:
        return text
    entry["truncated"] = True
    return text[:max_chars] + f"... [{len(text) - max_chars} more characters]"
