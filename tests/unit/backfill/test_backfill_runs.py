"""aloft.backfill in process: concurrency, partition order, failures, policies, cancel, resume."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

import aloft
from aloft import (
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    Config,
    Definitions,
    asset,
    define_asset_job,
)
from aloft.execution.backfill import (
    BACKFILL_TAG,
    BackfillPartitionStatus,
    BackfillProgress,
    backfill,
    cancel_backfill,
    resume_backfill,
)
from aloft.io.memory import InMemoryIOManager
from aloft.partitions import (
    BackfillPolicy,
    DailyPartitionsDefinition,
    DynamicPartitionsDefinition,
    StaticPartitionsDefinition,
    TimeWindowPartitionMapping,
)
from aloft.storage.memory import InMemoryStateStore
from aloft.storage.records import BackfillStatus, PartitionStatus, RunTrigger

days = DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-11")
KEYS = days.get_partition_keys()  # ten days


@pytest.fixture
def store() -> InMemoryStateStore:
    return InMemoryStateStore()


@pytest.fixture
def io() -> dict[str, Any]:
    return {"io_manager": InMemoryIOManager()}


def test_public_api_exports_backfill() -> None:
    assert aloft.backfill is backfill
    assert "BackfillResult" in aloft.__all__


def test_partitions_really_run_at_the_same_time(io: dict[str, Any]) -> None:
    # Four partitions meet at a barrier: they only get past it if all four run at once.
    barrier = threading.Barrier(4, timeout=5)

    @asset(partitions_def=StaticPartitionsDefinition(["a", "b", "c", "d"]))
    def together() -> int:
        barrier.wait()
        return 1

    result = backfill([together], resources=io, max_concurrent=4)
    assert result.success, result.errors


def test_max_concurrent_bounds_the_runs_in_flight(io: dict[str, Any]) -> None:
    lock, running, peak = threading.Lock(), [0], [0]
    # Runs meet in threes: with fewer than three at once a barrier breaks (and its run fails), with
    # more, one run would count four in flight. So success and a peak of 3 hold for every schedule.
    barrier = threading.Barrier(3, timeout=5)

    @asset(partitions_def=StaticPartitionsDefinition([str(i) for i in range(6)]))
    def slow() -> int:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        barrier.wait()
        with lock:
            running[0] -= 1
        return 1

    result = backfill([slow], resources=io, max_concurrent=3)
    assert result.success, result.errors
    assert peak[0] == 3


def test_a_self_dependent_asset_materializes_its_partitions_in_order(store: InMemoryStateStore, io: dict[str, Any]) -> None:
    seen: list[tuple[str, int | None]] = []

    @asset(partitions_def=days, ins={"running": AssetIn(
        "running", partition_mapping=TimeWindowPartitionMapping(start_offset=-1, end_offset=-1))})
    def running(context: AssetExecutionContext, running: int | None) -> int:
        time.sleep(0.002)  # give a wrong order a chance to show
        seen.append((context.partition_key, running))
        return (running or 0) + 1

    result = backfill([running], instance=store, resources=io, max_concurrent=8)
    assert result.success
    assert seen == [(key, index or None) for index, key in enumerate(KEYS)]
    history = store.materialization_history(AssetKey("running"), limit=20)
    assert [r.partition_key for r in reversed(history)] == KEYS


def test_a_failure_skips_the_later_partitions_and_resume_finishes_them(
    store: InMemoryStateStore, io: dict[str, Any]
) -> None:
    broken = {KEYS[4]}
    seen: list[str] = []

    @asset(partitions_def=days, ins={"chain": AssetIn(
        "chain", partition_mapping=TimeWindowPartitionMapping(start_offset=-1, end_offset=-1))})
    def chain(context: AssetExecutionContext, chain: int | None) -> int:
        if context.partition_key in broken:
            raise ValueError(f"no data for {context.partition_key}")
        seen.append(context.partition_key)
        return (chain or 0) + 1

    first = backfill([chain], instance=store, resources=io, max_concurrent=4)
    assert first.status is BackfillStatus.FAILED and not first.success
    assert first.materialized_partitions == KEYS[:4]
    assert first.failed_partitions == [KEYS[4]]
    assert first.skipped_partitions == KEYS[5:]
    assert "ValueError: no data for 2026-01-05" in first.errors[KEYS[4]]
    assert seen == KEYS[:4]
    record = store.get_backfill(first.backfill_id)
    assert record is not None and record.status is BackfillStatus.FAILED
    assert record.status_of(KEYS[4]) is PartitionStatus.FAILED
    assert {record.status_of(k) for k in KEYS[5:]} == {PartitionStatus.MISSING}
    assert record.partition_run_ids[KEYS[0]] in first.run_ids

    broken.clear()
    resumed = resume_backfill([chain], first.backfill_id, instance=store, resources=io)
    assert resumed.success and resumed.status is BackfillStatus.COMPLETED
    assert seen == KEYS  # only the failed and missing partitions ran again, in order
    assert len(resumed.run_ids) == 6
    assert resumed.partition_statuses[KEYS[0]] is BackfillPartitionStatus.MATERIALIZED
    assert store.partition_statuses(AssetKey("chain")) == dict.fromkeys(KEYS, PartitionStatus.MATERIALIZED)


def test_runs_are_tagged_and_recorded_as_backfill_runs(store: InMemoryStateStore, io: dict[str, Any]) -> None:
    @asset(partitions_def=days)
    def tagged() -> int:
        return 1

    result = backfill([tagged], partition_keys=KEYS[:2], instance=store, resources=io, tags={"team": "data"})
    runs = [store.get_run(run_id) for run_id in result.run_ids]
    assert all(run is not None and run.trigger is RunTrigger.BACKFILL for run in runs)
    assert all(run is not None and run.tags[BACKFILL_TAG] == result.backfill_id and run.tags["team"] == "data"
               for run in runs)
    assert sorted(run.partition_key for run in runs if run is not None) == KEYS[:2]


def test_single_run_policy_is_one_run_over_the_range(store: InMemoryStateStore) -> None:
    ranges: list[tuple[str, str]] = []

    @asset(partitions_def=days, backfill_policy=BackfillPolicy.single_run())
    def bulk(context: AssetExecutionContext) -> aloft.MaterializeResult:
        key_range = context.partition_key_range
        ranges.append((key_range.start, key_range.end))
        return aloft.MaterializeResult(metadata={"days": len(context.partition_keys)})

    result = backfill([bulk], partition_key_range=(KEYS[1], KEYS[5]), instance=store)
    assert result.success and len(result.run_ids) == 1
    assert ranges == [(KEYS[1], KEYS[5])]
    run = store.get_run(result.run_ids[0])
    assert run is not None and run.partition_range == (KEYS[1], KEYS[5]) and run.partition_key is None
    # One run, but every partition of its range is recorded as materialized.
    assert store.partition_statuses(AssetKey("bulk")) == dict.fromkeys(KEYS[1:6], PartitionStatus.MATERIALIZED)


def test_multi_run_policy_chunks_the_partitions(store: InMemoryStateStore, io: dict[str, Any]) -> None:
    ranges: list[tuple[str, str]] = []
    lock = threading.Lock()

    @asset(partitions_def=days, backfill_policy=BackfillPolicy.multi_run(3))
    def chunked(context: AssetExecutionContext) -> int:
        with lock:
            ranges.append((context.partition_key_range.start, context.partition_key_range.end))
        return 1

    result = backfill([chunked], partition_keys=KEYS[:7], instance=store, resources=io)
    assert result.success and len(result.run_ids) == 3
    assert sorted(ranges) == [(KEYS[0], KEYS[2]), (KEYS[3], KEYS[5]), (KEYS[6], KEYS[6])]


def test_default_policy_is_one_run_per_partition(io: dict[str, Any]) -> None:
    @asset(partitions_def=days)
    def plain() -> int:
        return 1

    result = backfill([plain], resources=io)
    assert len(result.run_ids) == 10
    assert result.partition_run_ids[KEYS[0]] != result.partition_run_ids[KEYS[1]]


def test_a_job_with_config_and_a_self_dependent_asset(store: InMemoryStateStore, io: dict[str, Any]) -> None:
    class Scale(Config):
        factor: int = 1

    @asset(partitions_def=days)
    def raw(context: AssetExecutionContext, config: Scale) -> int:
        return config.factor

    @asset(partitions_def=days, ins={"level": AssetIn(
        "level", partition_mapping=TimeWindowPartitionMapping(start_offset=-1, end_offset=-1))})
    def level(level: int | None, raw: int) -> int:
        return (level or 0) + raw

    defs = Definitions(assets=[raw, level], jobs=[define_asset_job("levels", selection="raw+")],
                       resources=io)
    result = backfill(defs, job="levels", partition_keys=KEYS[:4], instance=store,
                      run_config={"ops": {"raw": {"config": {"factor": 10}}}})
    assert result.success, result.errors
    assert store.get_backfill(result.backfill_id).job_name == "levels"  # type: ignore[union-attr]
    assert io["io_manager"]._values[("level", KEYS[3])] == 40


def test_missing_only_runs_what_is_not_materialized(store: InMemoryStateStore, io: dict[str, Any]) -> None:
    ran: list[str] = []

    @asset(partitions_def=days)
    def gaps(context: AssetExecutionContext) -> int:
        ran.append(context.partition_key)
        return 1

    backfill([gaps], partition_keys=[KEYS[0], KEYS[2]], instance=store, resources=io)
    ran.clear()
    result = backfill([gaps], missing_only=True, partition_key_range=(KEYS[0], KEYS[4]), instance=store, resources=io)
    assert sorted(ran) == [KEYS[1], KEYS[3], KEYS[4]]
    assert list(result.partition_statuses) == [KEYS[1], KEYS[3], KEYS[4]]


def test_dynamic_partitions_are_read_from_the_store(store: InMemoryStateStore, io: dict[str, Any]) -> None:
    customers = DynamicPartitionsDefinition(name="customers")
    store.add_dynamic_partitions("customers", ["acme", "globex"])

    @asset(partitions_def=customers)
    def accounts(context: AssetExecutionContext) -> str:
        return context.partition_key

    assert backfill([accounts], instance=store, resources=io).materialized_partitions == ["acme", "globex"]


def test_progress_is_reported_until_every_partition_ended(io: dict[str, Any]) -> None:
    reports: list[BackfillProgress] = []

    @asset(partitions_def=days)
    def reported() -> int:
        return 1

    backfill([reported], resources=io, on_progress=reports.append, max_concurrent=2)
    assert reports[0].done == 0 and reports[0].in_progress == 2 and reports[0].total == 10
    assert reports[-1].materialized == 10 and reports[-1].in_progress == 0
    finished = [key for report in reports for key, _ in report.finished]
    assert sorted(finished) == KEYS


def test_cancel_stops_launching_and_resume_runs_the_rest(store: InMemoryStateStore, io: dict[str, Any]) -> None:
    ran: list[str] = []

    @asset(partitions_def=days)
    def stoppable(context: AssetExecutionContext) -> int:
        ran.append(context.partition_key)
        if context.partition_key == KEYS[2]:
            cancel_backfill(store, "stopme")
        return 1

    result = backfill([stoppable], instance=store, resources=io, max_concurrent=1, backfill_id="stopme")
    assert result.status is BackfillStatus.CANCELED
    assert ran == KEYS[:3]
    assert result.canceled_partitions == KEYS[3:]
    assert store.get_backfill("stopme").status is BackfillStatus.CANCELED  # type: ignore[union-attr]

    resumed = resume_backfill([stoppable], "stopme", instance=store, resources=io)
    assert resumed.success and ran == KEYS


def test_a_cancel_written_by_another_process_is_noticed(store: InMemoryStateStore, io: dict[str, Any]) -> None:
    ran: list[str] = []

    @asset(partitions_def=days)
    def polled(context: AssetExecutionContext) -> int:
        ran.append(context.partition_key)
        if context.partition_key == KEYS[1]:
            store.update_backfill("elsewhere", status=BackfillStatus.CANCELED)  # not through cancel_backfill
        time.sleep(0.03)
        return 1

    result = backfill([polled], instance=store, resources=io, max_concurrent=1, backfill_id="elsewhere")
    assert result.status is BackfillStatus.CANCELED
    assert 2 <= len(ran) < len(KEYS)
    assert result.canceled_partitions == KEYS[len(ran):]


def test_resuming_a_job_backfill_uses_the_job_config(store: InMemoryStateStore, io: dict[str, Any]) -> None:
    class Factor(Config):
        factor: int = 1

    broken = {KEYS[1]}
    seen: list[int] = []

    @asset(partitions_def=days)
    def scaled(context: AssetExecutionContext, config: Factor) -> int:
        if context.partition_key in broken:
            raise RuntimeError("late file")
        seen.append(config.factor)
        return config.factor

    job = define_asset_job("scaled_job", selection="scaled", config={"ops": {"scaled": {"config": {"factor": 7}}}})
    defs = Definitions(assets=[scaled], jobs=[job], resources=io)
    first = backfill(defs, job="scaled_job", partition_keys=KEYS[:3], instance=store)
    assert first.failed_partitions == [KEYS[1]]
    broken.clear()
    assert resume_backfill(defs, first.backfill_id, instance=store).success
    assert seen == [7, 7, 7]
    assert {store.get_run(r).job_name for r in first.run_ids} == {"scaled_job"}  # type: ignore[union-attr]
