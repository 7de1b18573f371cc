"""Size limits applied to every stored record."""

from __future__ import annotations

import json

from aloft.definitions.asset_key import AssetKey
from aloft.storage.limits import (
    MAX_ERROR_CHARS,
    MAX_LOG_BYTES,
    MAX_METADATA_BYTES,
    TRUNCATED_LABEL,
    bound_event,
    bound_logs,
    bound_materialization,
    bound_metadata,
)
from aloft.storage.records import MaterializationRecord, StepError, StepEvent, StepEventType


def test_small_metadata_is_kept_as_is() -> None:
    metadata = {"rows": {"type": "int", "value": 3}, "path": {"type": "path", "value": "/x"}}
    assert bound_metadata(metadata) == metadata
    record = MaterializationRecord(AssetKey("a"), "r1", "a", metadata=metadata)
    assert bound_materialization(record) is record


def test_one_huge_value_becomes_a_preview() -> None:
    bounded = bound_metadata({"rows": {"type": "int", "value": 3}, "table": {"type": "json", "value": list(range(100_000))}})
    assert bounded["rows"] == {"type": "int", "value": 3}
    assert bounded["table"]["type"] == "text"
    assert bounded["table"]["value"].startswith("[json value of ")
    assert bounded[TRUNCATED_LABEL]["value"]["truncated"] == ["table"]
    assert bounded[TRUNCATED_LABEL]["value"]["dropped"] == []


def test_many_mid_sized_values_are_dropped_past_the_budget() -> None:
    metadata = {f"v{i:02d}": {"type": "text", "value": "x" * 20_000} for i in range(20)}
    bounded = bound_metadata(metadata)
    assert len(json.dumps(bounded)) <= MAX_METADATA_BYTES
    dropped = bounded[TRUNCATED_LABEL]["value"]["dropped"]
    assert dropped and set(dropped).isdisjoint(bounded)
    assert "v00" in bounded  # earlier entries win


def test_logs_keep_head_and_tail() -> None:
    lines = [f"line {i}" for i in range(100_000)]
    bounded = bound_logs(lines)
    assert sum(len(line) + 1 for line in bounded) <= MAX_LOG_BYTES
    assert bounded[0] == "line 0" and bounded[-1] == "line 99999"
    assert "log lines cut" in " ".join(bounded)
    assert bound_logs(["a", "b"]) == ("a", "b")


def test_one_runaway_line_is_clipped() -> None:
    bounded = bound_logs(["start", "x" * 1_000_000, "end"])
    assert bounded[0] == "start" and bounded[-1] == "end"
    assert sum(len(line) for line in bounded) <= MAX_LOG_BYTES


def test_event_error_keeps_the_end_of_the_traceback() -> None:
    event = StepEvent("r1", "a", StepEventType.FAILED,
                      error=StepError("ValueError", "m" * 50_000, "frames\n" * 10_000 + "ValueError: boom"))
    bounded = bound_event(event)
    assert bounded.error is not None
    assert bounded.error.traceback.endswith("ValueError: boom")
    assert len(bounded.error.traceback) <= MAX_ERROR_CHARS
    assert len(bounded.error.message) < 20_000
    small = StepEvent("r1", "a", StepEventType.STARTED, logs=("x",))
    assert bound_event(small) is small
