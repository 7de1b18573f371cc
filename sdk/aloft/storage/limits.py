"""Size limits of stored records, shared by every backend.

A DynamoDB item holds at most 400 KB, and a run must never fail because a
step logged a lot or attached a huge table preview. Every backend applies
the same bounds, so a record reads back the same from memory, SQLite and
DynamoDB: metadata values above :data:`MAX_METADATA_VALUE_BYTES` become a
short text preview, entries beyond :data:`MAX_METADATA_BYTES` are dropped,
and :data:`TRUNCATED_LABEL` says what happened. Logs keep their head and
tail within :data:`MAX_LOG_BYTES`. A run's config is the user's input, not
output: one above :data:`MAX_RUN_CONFIG_BYTES` is refused
(:func:`check_run_config_size`) before the run is written, never cut.

Example:
    >>> bounded = bound_metadata({"preview": {"type": "text", "value": "x" * 100_000}})
    >>> sorted(bounded)
    ['aloft/metadata_truncated', 'preview']
    >>> len(bounded["preview"]["value"]) < 2_000
    True
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from aloft.errors import RunConfigError
from aloft.storage.records import (
    AssetCheckResult,
    MaterializationRecord,
    RunRecord,
    StepError,
    StepEvent,
)
from aloft.storage.serialization import jsonable_run_config

__all__ = [
    "MAX_ERROR_CHARS",
    "MAX_LOG_BYTES",
    "MAX_METADATA_BYTES",
    "MAX_METADATA_VALUE_BYTES",
    "MAX_RUN_CONFIG_BYTES",
    "TRUNCATED_LABEL",
    "bound_check_result",
    "bound_event",
    "bound_logs",
    "bound_materialization",
    "bound_metadata",
    "check_run",
    "check_run_config_size",
]

# A materialization is written three times (history, latest, partition latest), each its own
# item: 100 KB of metadata keeps every item far below DynamoDB's 400 KB.
MAX_METADATA_BYTES = 100_000
MAX_METADATA_VALUE_BYTES = 32_000
MAX_LOG_BYTES = 64_000
MAX_ERROR_CHARS = 16_000
PREVIEW_CHARS = 1_000
# The run item also holds the selection and tags, and every cloud step whose container has not
# seen the run reads it (read units grow per 4 KB): config is for parameters, data goes through assets.
MAX_RUN_CONFIG_BYTES = 64_000
TRUNCATED_LABEL = "aloft/metadata_truncated"


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), default=str).encode())


def bound_metadata(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """``metadata`` (label -> ``MetadataValue.to_json()``) within the size limits.

    Example:
        >>> bound_metadata({"rows": {"type": "int", "value": 3}})
        {'rows': {'type': 'int', 'value': 3}}
    """
    if _size(metadata) <= MAX_METADATA_BYTES:
        return dict(metadata)
    kept: dict[str, Any] = {}
    truncated: list[str] = []
    dropped: list[str] = []
    budget = MAX_METADATA_BYTES - 2_000  # room for the note below
    for label, value in metadata.items():
        size = _size(value)
        if size > MAX_METADATA_VALUE_BYTES:
            kind = value.get("type", "?") if isinstance(value, Mapping) else type(value).__name__
            preview = json.dumps(value.get("value") if isinstance(value, Mapping) else value, default=str)
            value = {
                "type": "text",
                "value": f"[{kind} value of {size} bytes truncated by aloft] {preview[:PREVIEW_CHARS]}",
            }
            size = _size(value)
            truncated.append(label)
        if size + len(label) > budget:
            dropped.append(label)
            continue
        budget -= size + len(label)
        kept[label] = value
    kept[TRUNCATED_LABEL] = {
        "type": "json",
        "value": {
            "truncated": truncated[:50],
            "dropped": dropped[:50],
            "limit_bytes": MAX_METADATA_BYTES,
            "original_bytes": _size(metadata),
        },
    }
    return kept


def check_run_config_size(run_config: Mapping[str, Any]) -> dict[str, Any]:
    """``run_config`` as stored (JSON values); a :class:`~aloft.errors.RunConfigError` when too large.

    Example:
        >>> check_run_config_size({"ops": {"orders": {"config": {"limit": 5}}}})
        {'ops': {'orders': {'config': {'limit': 5}}}}
        >>> check_run_config_size({"ops": {"orders": {"config": {"rows": "x" * 70_000}}}})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        aloft.errors.RunConfigError: the run config is 70,041 bytes as JSON; a run's config may be at most 64,000 bytes...
    """
    stored = jsonable_run_config(run_config)
    size = _size(stored)
    if size > MAX_RUN_CONFIG_BYTES:
        raise RunConfigError(
            f"the run config is {size:,} bytes as JSON; a run's config may be at most "
            f"{MAX_RUN_CONFIG_BYTES:,} bytes (it is stored with the run). Pass large inputs through an "
            "asset or a file in S3 and put its location in the config"
        )
    return stored


def check_run(run: RunRecord) -> RunRecord:
    """``run`` as a store writes it: its config in JSON values and within the limit (else an error).

    Every backend calls this before its first write of a run, so a config that
    cannot be stored fails the launch and leaves nothing behind.

    Example:
        >>> run = RunRecord("r1", "daily", run_config={"ops": {}})
        >>> check_run(run) is run
        True
    """
    if not run.run_config:
        return run
    stored = check_run_config_size(run.run_config)
    return run if stored == run.run_config else replace(run, run_config=stored)


def bound_logs(lines: Sequence[str]) -> tuple[str, ...]:
    """Log lines within :data:`MAX_LOG_BYTES`: the head and the tail, with a note between.

    Example:
        >>> len(bound_logs(["x" * 1000] * 1000)) < 100
        True
    """
    if sum(len(line.encode()) + 1 for line in lines) <= MAX_LOG_BYTES:
        return tuple(lines)
    # One runaway line cannot take the whole budget.
    clipped = [_clip_bytes(line, MAX_LOG_BYTES // 4) for line in lines]
    sizes = [len(line.encode()) + 1 for line in clipped]
    budget = MAX_LOG_BYTES - 200  # room for the note
    if sum(sizes) <= budget:
        return tuple(clipped)
    head = used = 0
    while head < len(clipped) and used + sizes[head] <= budget // 2:
        used += sizes[head]
        head += 1
    tail = used = 0
    while tail < len(clipped) - head and used + sizes[-1 - tail] <= budget // 2:
        used += sizes[-1 - tail]
        tail += 1
    cut = len(clipped) - head - tail
    note = f"... {cut} log lines cut by aloft (limit {MAX_LOG_BYTES} bytes per step event) ..."
    return (*clipped[:head], note, *clipped[len(clipped) - tail :])


def bound_event(event: StepEvent) -> StepEvent:
    """A step event whose logs, message and error fit the limits (the same object when they do)."""
    logs = bound_logs(event.logs)
    error = event.error
    if error is not None and (len(error.traceback) > MAX_ERROR_CHARS or len(error.message) > MAX_ERROR_CHARS):
        error = StepError(
            error.error_type,
            _clip(error.message, MAX_ERROR_CHARS),
            # The end of a traceback names the failing line: keep it.
            error.traceback[-MAX_ERROR_CHARS:],
        )
    message = _clip(event.message, MAX_ERROR_CHARS) if event.message is not None else None
    if logs == event.logs and error is event.error and message == event.message:
        return event
    return replace(event, logs=logs, error=error, message=message)


def bound_materialization(record: MaterializationRecord) -> MaterializationRecord:
    """A materialization whose metadata fits the limits (the same object when it does)."""
    metadata = bound_metadata(record.metadata)
    return record if metadata == record.metadata else replace(record, metadata=metadata)


def bound_check_result(result: AssetCheckResult) -> AssetCheckResult:
    """An asset check result whose metadata fits the limits."""
    metadata = bound_metadata(result.metadata)
    description = _clip(result.description, MAX_ERROR_CHARS) if result.description is not None else None
    if metadata == result.metadata and description == result.description:
        return result
    return replace(result, metadata=metadata, description=description)


def _clip_bytes(text: str, limit: int) -> str:
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[:limit].decode(errors="ignore") + f"... [{len(data) - limit} bytes cut]"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + f"... [{len(text) - limit} chars cut]"
