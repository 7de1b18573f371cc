"""What the gate and run_status functions do for a backfill: each partition's run, the backfill's end."""

from __future__ import annotations

import json
from typing import Any

import pytest

from aloft.cloud.backfill_status import BACKFILL_TAG, SKIPPED_TAG
from aloft.cloud.events import ExecutionStatusDetail, GateEvent, parse_event
from aloft.cloud.exceptions import AloftMalformedEvent
from aloft.cloud.gates import handle_gate_event
from aloft.cloud.runtime import CloudRuntime
from aloft.cloud.status import record_execution_status
from aloft.storage.memory import InMemoryStateStore
from aloft.storage.records import BackfillRecord, BackfillStatus, RunStatus, RunTrigger

KEYS = ("2026-03-01", "2026-03-02", "2026-03-03")
EXECUTION = "arn:aws:states:us-east-1:1:execution:aloft-daily-backfill:b1"


@pytest.fixture
def runtime() -> CloudRuntime:
    store = InMemoryStateStore()
    store.create_backfill(BackfillRecord("b1", "daily", partition_keys=KEYS))
    return CloudRuntime(store=store)


def gate(runtime: CloudRuntime, event: dict[str, Any]) -> dict[str, Any]:
    """Parse the event as the gate function does and handle it."""
    result: dict[str, Any] = handle_gate_event(parse_event(event, GateEvent), runtime).to_json()
    return result


def start(key: str, run_id: str, after: str | None = None, **extra: Any) -> dict[str, Any]:
    event = {
        "kind": "partition_start",
        "job": "daily",
        "backfill_id": "b1",
        "execution_arn": f"{EXECUTION}/child-{key}",
        "selection": ["events"],
        "run": {"run_id": run_id, "partition_key": key, "skip": {"summary": True}},
        **extra,
    }
    if after is not None or extra.get("ordered"):
        event["after_run_id"] = after
    event.pop("ordered", None)
    return event


def end(key: str, run_id: str, *, failed: bool) -> dict[str, Any]:
    event: dict[str, Any] = {
        "kind": "partition_end",
        "job": "daily",
        "backfill_id": "b1",
        "failed": failed,
        "run": {"run_id": run_id, "partition_key": key, "skip": {}},
    }
    if failed:
        event["error"] = {"Error": "AloftRunFailed", "Cause": "one or more steps failed"}
    return event


def test_a_partition_records_its_run_when_it_starts_and_when_it_ends(runtime: CloudRuntime) -> None:
    store = runtime.store
    assert gate(runtime, start(KEYS[0], "r1")) == {
        "kind": "partition_start",
        "status": "started",
        "detail": "r1",
        "proceed": True,
    }
    run = store.get_run("r1")
    assert run is not None and run.status is RunStatus.STARTED and run.partition_key == KEYS[0]
    assert run.trigger is RunTrigger.BACKFILL and run.tags == {BACKFILL_TAG: "b1"}
    assert run.selection == ("events",) and run.execution_arn == f"{EXECUTION}/child-{KEYS[0]}"
    backfill = store.get_backfill("b1")
    assert backfill is not None and backfill.status_of(KEYS[0]).value == "IN_PROGRESS"
    assert backfill.partition_run_ids == {KEYS[0]: "r1"}
    gate(runtime, end(KEYS[0], "r1", failed=False))
    gate(runtime, start(KEYS[1], "r2"))
    assert gate(runtime, end(KEYS[1], "r2", failed=True))["status"] == "FAILURE"
    backfill = store.get_backfill("b1")
    assert backfill is not None
    assert [backfill.status_of(k).value for k in KEYS] == ["MATERIALIZED", "FAILED", "MISSING"]
    assert [r.status for r in (store.get_run("r1"), store.get_run("r2")) if r] == [
        RunStatus.SUCCESS,
        RunStatus.FAILURE,
    ]


def test_retried_tasks_change_nothing_twice(runtime: CloudRuntime) -> None:
    for _ in range(2):
        gate(runtime, start(KEYS[0], "r1"))
    for _ in range(2):
        gate(runtime, end(KEYS[0], "r1", failed=False))
    gate(runtime, start(KEYS[0], "r1"))  # a late duplicate of the start: the run stays closed
    run = runtime.store.get_run("r1")
    assert run is not None and run.status is RunStatus.SUCCESS


def test_an_ordered_partition_runs_only_after_the_one_before_succeeded(runtime: CloudRuntime) -> None:
    store = runtime.store
    assert gate(runtime, start(KEYS[0], "r1", ordered=True))["proceed"] is True  # the first one
    gate(runtime, end(KEYS[0], "r1", failed=True))
    skipped = gate(runtime, start(KEYS[1], "r2", after="r1"))
    assert (skipped["status"], skipped["proceed"]) == ("skipped", False)
    run = store.get_run("r2")
    assert run is not None and run.status is RunStatus.CANCELED and SKIPPED_TAG in run.tags
    # skipping is transitive: the run before was canceled
    assert gate(runtime, start(KEYS[2], "r3", after="r2"))["proceed"] is False
    backfill = store.get_backfill("b1")
    assert backfill is not None
    assert [backfill.status_of(k).value for k in KEYS] == ["FAILED", "MISSING", "MISSING"]
    assert backfill.partition_run_ids == {KEYS[0]: "r1", KEYS[1]: "r2", KEYS[2]: "r3"}


def test_backfill_done_closes_the_record_and_says_whether_it_failed(runtime: CloudRuntime) -> None:
    for index, key in enumerate(KEYS):
        gate(runtime, start(key, f"r{index}"))
        gate(runtime, end(key, f"r{index}", failed=False))
    done = gate(runtime, {"kind": "backfill_done", "job": "daily", "backfill_id": "b1"})
    assert done == {
        "kind": "backfill_done",
        "status": "COMPLETED",
        "failed": False,
        "counts": {"MATERIALIZED": 3},
    }
    backfill = runtime.store.get_backfill("b1")
    assert backfill is not None and backfill.status is BackfillStatus.COMPLETED


def test_a_partition_left_in_progress_counts_as_failed(runtime: CloudRuntime) -> None:
    gate(runtime, start(KEYS[0], "r1"))  # its child crashed before PartitionEnd
    done = gate(runtime, {"kind": "backfill_done", "job": "daily", "backfill_id": "b1"})
    assert (done["status"], done["failed"]) == ("FAILED", True)
    assert done["counts"] == {"FAILED": 1, "MISSING": 2}


def test_a_malformed_backfill_event_is_not_retried(runtime: CloudRuntime) -> None:
    with pytest.raises(AloftMalformedEvent, match="backfill_id"):
        parse_event({"kind": "partition_end", "job": "daily", "run": {"run_id": "r1"}, "failed": True}, GateEvent)


def status_change(status: str, **extra: Any) -> ExecutionStatusDetail:
    return ExecutionStatusDetail(
        executionArn=EXECUTION,
        stateMachineArn="arn:aws:states:us-east-1:1:stateMachine:aloft-daily-backfill",
        name="b1",
        status=status,  # type: ignore[arg-type]
        input=json.dumps({"backfill": {"backfill_id": "b1"}}),
        **extra,
    )


def test_run_status_moves_and_closes_the_backfill_execution(runtime: CloudRuntime) -> None:
    store = runtime.store
    report = record_execution_status(status_change("RUNNING"), runtime)
    assert (report.run_id, report.status, report.changed) == ("b1", "backfill IN_PROGRESS", True)
    gate(runtime, start(KEYS[0], "r1"))
    report = record_execution_status(status_change("ABORTED"), runtime)
    assert report.status == "backfill CANCELED"
    backfill = store.get_backfill("b1")
    assert backfill is not None and backfill.status is BackfillStatus.CANCELED
    assert backfill.status_of(KEYS[0]).value == "FAILED"  # it was running when the execution stopped
    # closed for good: a late event changes nothing
    assert record_execution_status(status_change("SUCCEEDED"), runtime).changed is False


def test_a_timed_out_backfill_fails(runtime: CloudRuntime) -> None:
    record_execution_status(status_change("TIMED_OUT"), runtime)
    backfill = runtime.store.get_backfill("b1")
    assert backfill is not None and backfill.status is BackfillStatus.FAILED


def test_the_first_partition_moves_the_backfill_in_progress(runtime: CloudRuntime) -> None:
    gate(runtime, start(KEYS[0], "r1"))
    backfill = runtime.store.get_backfill("b1")
    assert backfill is not None and backfill.status is BackfillStatus.IN_PROGRESS


class _ClosedMeanwhile(InMemoryStateStore):
    """Answers REQUESTED for the partition write, then run_status closes the backfill before the next write."""

    def update_backfill_partition(self, backfill_id: str, partition_key: str, **kwargs: Any) -> BackfillStatus:
        status = super().update_backfill_partition(backfill_id, partition_key, **kwargs)
        self.update_backfill(backfill_id, status=BackfillStatus.CANCELED)
        return status


def test_a_starting_partition_does_not_reopen_a_backfill_closed_meanwhile() -> None:
    store = _ClosedMeanwhile()
    store.create_backfill(BackfillRecord("b1", "daily", partition_keys=KEYS))
    gate(CloudRuntime(store=store), start(KEYS[0], "r1"))
    backfill = store.get_backfill("b1")
    assert backfill is not None and backfill.status is BackfillStatus.CANCELED
