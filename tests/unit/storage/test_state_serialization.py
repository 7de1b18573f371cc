"""Records survive the JSON round trip every persistent backend uses."""

from __future__ import annotations

import json

from aloft.definitions.asset_key import AssetKey
from aloft.storage.records import (
    AssetCheckResult,
    AssetCheckSeverity,
    BackfillRecord,
    BackfillStatus,
    MaterializationRecord,
    PartitionStatus,
    RunRecord,
    RunStatus,
    RunTrigger,
    StepError,
    StepEvent,
    StepEventType,
    TickRecord,
    TickStatus,
)
from aloft.storage.serialization import (
    backfill_from_dict,
    backfill_to_dict,
    check_result_from_dict,
    check_result_to_dict,
    dumps,
    event_from_dict,
    event_to_dict,
    materialization_from_dict,
    materialization_to_dict,
    run_from_dict,
    run_to_dict,
    tick_from_dict,
    tick_to_dict,
)


def _through_json(data: dict[str, object]) -> dict[str, object]:
    loaded: dict[str, object] = json.loads(dumps(data))
    return loaded


def test_every_record_round_trips_through_json() -> None:
    run = RunRecord("r1", "daily", RunStatus.FAILURE, ("a", "b/c"), "p", ("p1", "p9"), RunTrigger.BACKFILL,
                    "key", {"t": "v"}, 1.5, 2.5, 3.5, "arn", "r0")
    assert run_from_dict(_through_json(run_to_dict(run))) == run
    event = StepEvent("r1", "a", StepEventType.FAILED, 1.0, 2, 0.5, StepError("E", "m", "tb"), "msg", ("l1",), "p")
    assert event_from_dict(_through_json(event_to_dict(event))) == event
    record = MaterializationRecord(AssetKey(["a", "b"]), "r1", "a__b", 1.0, "p",
                                   {"rows": {"type": "int", "value": 1}}, "v1", "dv", "s3://x", 3)
    assert materialization_from_dict(_through_json(materialization_to_dict(record))) == record
    tick = TickRecord("s", TickStatus.FAILURE, 1.0, ("r1",), "skip", "err", "cur", "t1")
    assert tick_from_dict(_through_json(tick_to_dict(tick))) == tick
    backfill = BackfillRecord("b1", "daily", ("p1", "p2"), ("a",), BackfillStatus.IN_PROGRESS,
                              {"p1": PartitionStatus.FAILED}, {"p1": "r1"}, {"t": "v"}, 1.0, 2.0)
    assert backfill_from_dict(_through_json(backfill_to_dict(backfill))) == backfill
    check = AssetCheckResult(AssetKey("a"), "c", False, "r1", 1.0, AssetCheckSeverity.WARN, "d",
                             {"n": {"type": "int", "value": 1}}, "p")
    assert check_result_from_dict(_through_json(check_result_to_dict(check))) == check


def test_stored_json_is_compact() -> None:
    assert dumps({"a": [1, 2]}) == '{"a":[1,2]}'
