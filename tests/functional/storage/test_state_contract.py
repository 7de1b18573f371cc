"""The state store contract: every backend (memory, SQLite, DynamoDB on moto) passes the same tests."""

from __future__ import annotations

import threading
import time

import pytest
from state_stores import StoreFactory

from aloft.definitions.asset_key import AssetKey
from aloft.definitions.config import EnvVar
from aloft.errors import RunConfigError
from aloft.storage.base import (
    BackfillNotFound,
    DuplicateRunKey,
    InvalidRunTransition,
    RunAlreadyExists,
    RunNotFound,
    StateStore,
    StateStoreError,
)
from aloft.storage.limits import (
    MAX_LOG_BYTES,
    MAX_METADATA_BYTES,
    MAX_RUN_CONFIG_BYTES,
    TRUNCATED_LABEL,
)
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
from aloft.storage.serialization import dumps

ORDERS = AssetKey(["warehouse", "orders"])
DAILY = AssetKey("daily")
T0 = 1_700_000_000.0


def run(run_id: str, job: str = "daily", created_at: float = T0, **kwargs: object) -> RunRecord:
    return RunRecord(run_id=run_id, job_name=job, created_at=created_at, **kwargs)  # type: ignore[arg-type]


def mat(
    asset: AssetKey = ORDERS, run_id: str = "r1", timestamp: float = T0, partition: str | None = None, **kwargs: object
) -> MaterializationRecord:
    return MaterializationRecord(
        asset_key=asset, run_id=run_id, step_key=asset.to_python_identifier(), timestamp=timestamp,
        partition_key=partition, **kwargs,  # type: ignore[arg-type]
    )


# -- runs ----------------------------------------------------------------------------------


def test_run_round_trip_keeps_every_field(store: StateStore) -> None:
    original = run(
        "r1",
        selection=("warehouse/orders", "daily"),
        partition_key="2026-03-01",
        partition_range=("2026-03-01", "2026-03-31"),
        trigger=RunTrigger.SENSOR,
        run_key="s3://bucket/key",
        tags={"team": "data", "aloft/backfill": "b1"},
        parent_run_id="r0",
        execution_arn="arn:aws:states:us-east-1:123456789012:execution:m:r1",
    )
    assert store.create_run(original) == original
    assert store.get_run("r1") == original
    assert store.get_run("missing") is None


def test_run_config_round_trips_and_survives_status_changes(store: StateStore) -> None:
    config = {
        "ops": {"orders": {"config": {"limit": 5, "regions": ["eu", "us"], "ratio": 0.5, "strict": True}}},
        "resources": {"api": {"config": {"token": EnvVar("API_TOKEN"), "timeout": None}}},
    }
    stored = {**config, "resources": {"api": {"config": {"token": {"env": "API_TOKEN"}, "timeout": None}}}}
    created, _ = store.reserve_run(run("r1", run_key="k1", run_config=config))
    assert created.run_config == stored  # an EnvVar is kept by name: its value is never stored
    assert store.get_run("r1").run_config == stored  # type: ignore[union-attr]
    store.update_run_status("r1", RunStatus.STARTED, execution_arn="arn:x")
    assert store.update_run_status("r1", RunStatus.SUCCESS).run_config == stored
    assert store.get_run_by_key("k1").run_config == stored  # type: ignore[union-attr]
    assert store.list_runs()[0].run_config == stored
    store.create_run(run("r2", created_at=T0 + 1))
    assert store.get_run("r2").run_config == {}  # type: ignore[union-attr]


def test_a_run_config_too_large_to_store_is_refused_before_any_write(store: StateStore) -> None:
    huge = {"ops": {"orders": {"config": {"rows": "x" * MAX_RUN_CONFIG_BYTES}}}}
    with pytest.raises(RunConfigError, match="at most 64,000 bytes"):
        store.reserve_run(run("r1", run_key="k1", run_config=huge))
    with pytest.raises(RunConfigError, match=r"ops\.orders\.config\.when"):
        store.create_run(run("r2", run_config={"ops": {"orders": {"config": {"when": object()}}}}))
    assert store.get_run("r1") is None and store.get_run("r2") is None
    assert store.get_run_by_key("k1") is None
    assert store.list_runs() == []
    assert store.reserve_run(run("r3", run_key="k1"))[1]  # the key was not taken


def test_creating_a_known_run_id_fails(store: StateStore) -> None:
    store.create_run(run("r1"))
    with pytest.raises(RunAlreadyExists, match="r1"):
        store.create_run(run("r1", job="other"))
    assert store.get_run("r1").job_name == "daily"  # type: ignore[union-attr]


def test_reserving_a_taken_run_key_returns_the_existing_run(store: StateStore) -> None:
    first, created = store.reserve_run(run("r1", run_key="2026-03-01"))
    assert created and first.run_id == "r1"
    again, created = store.reserve_run(run("r2", run_key="2026-03-01", created_at=T0 + 5))
    assert not created
    assert again.run_id == "r1"
    assert store.get_run("r2") is None
    assert [r.run_id for r in store.list_runs()] == ["r1"]
    assert store.get_run_by_key("2026-03-01").run_id == "r1"  # type: ignore[union-attr]
    assert store.get_run_by_key("other") is None
    # create_run never bypasses a reservation
    with pytest.raises(DuplicateRunKey) as raised:
        store.create_run(run("r3", run_key="2026-03-01"))
    assert raised.value.existing.run_id == "r1"
    # runs without a key are not deduplicated
    assert store.reserve_run(run("r4"))[1] and store.reserve_run(run("r5"))[1]


def test_run_status_moves_forward_only(store: StateStore) -> None:
    store.create_run(run("r1"))
    started = store.update_run_status("r1", RunStatus.STARTED, timestamp=T0 + 1)
    assert started.status == RunStatus.STARTED and started.started_at == T0 + 1 and started.ended_at is None
    again = store.update_run_status("r1", RunStatus.STARTED, timestamp=T0 + 2)
    assert again.started_at == T0 + 1  # a retried update is harmless and does not move the start
    done = store.update_run_status("r1", RunStatus.SUCCESS, timestamp=T0 + 3, execution_arn="arn:x")
    assert (done.status, done.started_at, done.ended_at, done.execution_arn) == (RunStatus.SUCCESS, T0 + 1, T0 + 3, "arn:x")
    for status in (RunStatus.STARTED, RunStatus.QUEUED, RunStatus.FAILURE, RunStatus.CANCELED):
        with pytest.raises(InvalidRunTransition, match="SUCCESS"):
            store.update_run_status("r1", status)
    assert store.update_run_status("r1", RunStatus.SUCCESS, timestamp=T0 + 9).ended_at == T0 + 3
    assert store.get_run("r1") == done


def test_run_status_rules_from_queued_and_started(store: StateStore) -> None:
    store.create_run(run("q"))
    assert store.update_run_status("q", RunStatus.CANCELED).status == RunStatus.CANCELED
    store.create_run(run("s"))
    store.update_run_status("s", RunStatus.STARTED)
    with pytest.raises(InvalidRunTransition):
        store.update_run_status("s", RunStatus.QUEUED)
    with pytest.raises(RunNotFound):
        store.update_run_status("nope", RunStatus.STARTED)


def test_list_runs_newest_first_by_job_status_and_page(store: StateStore) -> None:
    for i in range(6):
        store.create_run(run(f"r{i}", job="daily" if i % 2 == 0 else "hourly", created_at=T0 + i))
    store.update_run_status("r4", RunStatus.STARTED)
    store.update_run_status("r4", RunStatus.FAILURE)
    store.update_run_status("r3", RunStatus.FAILURE)
    assert [r.run_id for r in store.list_runs()] == ["r5", "r4", "r3", "r2", "r1", "r0"]
    assert [r.run_id for r in store.list_runs(limit=2)] == ["r5", "r4"]
    assert [r.run_id for r in store.list_runs(before=T0 + 4)] == ["r3", "r2", "r1", "r0"]
    assert [r.run_id for r in store.list_runs(job_name="daily")] == ["r4", "r2", "r0"]
    assert [r.run_id for r in store.list_runs(status=RunStatus.FAILURE)] == ["r4", "r3"]
    assert [r.run_id for r in store.list_runs(status=RunStatus.QUEUED, limit=1)] == ["r5"]
    assert [r.run_id for r in store.list_runs(job_name="hourly", status=RunStatus.FAILURE)] == ["r3"]
    assert [r.run_id for r in store.list_runs(job_name="daily", before=T0 + 4)] == ["r2", "r0"]
    assert store.list_runs(job_name="none") == []


# -- step events ---------------------------------------------------------------------------


def test_step_events_oldest_first_with_every_field(store: StateStore) -> None:
    failed = StepEvent(
        "r1",
        "orders",
        StepEventType.FAILED,
        timestamp=T0 + 2,
        attempt=2,
        duration=1.5,
        error=StepError("ValueError", "bad row", "Traceback ...\nValueError: bad row"),
        logs=("10:00:00 INFO reading", "10:00:01 ERROR bad row"),
        partition_key="2026-03-01",
    )
    started = StepEvent("r1", "orders", StepEventType.STARTED, timestamp=T0 + 1, message="go")
    store.add_step_event(failed)
    store.add_step_event(started)
    store.add_step_event(StepEvent("r2", "orders", StepEventType.STARTED, timestamp=T0))
    assert store.get_step_events("r1") == [started, failed]
    assert store.get_step_events("none") == []


def test_step_event_logs_are_bounded(store: StateStore) -> None:
    lines = tuple(f"line {i} " + "x" * 2000 for i in range(2000))  # ~4 MB, ten times an item
    store.add_step_event(StepEvent("r1", "big", StepEventType.SUCCEEDED, timestamp=T0, logs=lines))
    (event,) = store.get_step_events("r1")
    assert sum(len(line) for line in event.logs) <= MAX_LOG_BYTES
    assert event.logs[0].startswith("line 0 ") and event.logs[-1].startswith("line 1999 ")
    assert any("log lines cut" in line for line in event.logs)


def test_step_events_and_ticks_expire(make_store: StoreFactory) -> None:
    expired = make_store(event_ttl=-1.0)
    expired.add_step_event(StepEvent("r1", "a", StepEventType.STARTED, timestamp=T0))
    expired.add_tick(TickRecord("sensor", TickStatus.SKIPPED, timestamp=T0))
    assert expired.get_step_events("r1") == []
    assert expired.list_ticks("sensor") == []
    kept = make_store(event_ttl=None)
    kept.add_step_event(StepEvent("r2", "a", StepEventType.STARTED, timestamp=T0))
    assert len(kept.get_step_events("r2")) == 1


# -- materializations ----------------------------------------------------------------------


def test_record_materialization_is_idempotent(store: StateStore) -> None:
    record = mat(partition="2026-03-01", metadata={"rows": {"type": "int", "value": 3}}, code_version="v2",
                 data_version="abc", storage_location="s3://b/k")
    assert store.record_materialization(record) is True
    retried = mat(partition="2026-03-01", timestamp=T0 + 30)  # a retried Lambda: same identity, later clock
    assert store.record_materialization(retried) is False
    assert store.materialization_history(ORDERS) == [record]
    assert store.latest_materialization(ORDERS) == record
    assert store.latest_materialization(ORDERS, "2026-03-01") == record
    # another attempt, another partition or another run is another materialization
    assert store.record_materialization(mat(partition="2026-03-01", attempt=2, timestamp=T0 + 1))
    assert store.record_materialization(mat(partition="2026-03-02", timestamp=T0 + 1))
    assert store.record_materialization(mat(timestamp=T0 + 1))
    assert store.record_materialization(mat(run_id="r2", partition="2026-03-01", timestamp=T0 + 2))
    assert len(store.materialization_history(ORDERS)) == 5


def test_latest_and_partition_status_written_with_the_history(store: StateStore) -> None:
    store.record_materialization(mat(partition="a", timestamp=T0 + 1, run_id="r1"))
    store.record_materialization(mat(partition="b", timestamp=T0 + 2, run_id="r2"))
    assert store.latest_materialization(ORDERS).partition_key == "b"  # type: ignore[union-attr]
    assert store.latest_materialization(ORDERS, "a").run_id == "r1"  # type: ignore[union-attr]
    assert store.latest_materialization(ORDERS, "c") is None
    assert store.partition_statuses(ORDERS) == {"a": PartitionStatus.MATERIALIZED, "b": PartitionStatus.MATERIALIZED}
    records = store.partition_status_records(ORDERS)
    assert (records["b"].run_id, records["b"].updated_at) == ("r2", T0 + 2)
    assert store.latest_materialization(DAILY) is None
    assert store.partition_statuses(DAILY) == {}


def test_a_late_older_materialization_does_not_replace_the_latest(store: StateStore) -> None:
    store.record_materialization(mat(partition="p", timestamp=T0 + 10, run_id="new"))
    assert store.record_materialization(mat(partition="p", timestamp=T0 + 5, run_id="old"))
    assert store.latest_materialization(ORDERS).run_id == "new"  # type: ignore[union-attr]
    assert store.latest_materialization(ORDERS, "p").run_id == "new"  # type: ignore[union-attr]
    assert store.partition_status_records(ORDERS)["p"].run_id == "new"
    assert [r.run_id for r in store.materialization_history(ORDERS)] == ["new", "old"]


def test_history_newest_first_and_paged(store: StateStore) -> None:
    for i in range(7):
        store.record_materialization(mat(run_id=f"r{i}", timestamp=T0 + i))
    store.record_materialization(mat(asset=AssetKey(["warehouse", "orders_v2"]), timestamp=T0 + 100))
    history = store.materialization_history(ORDERS, limit=3)
    assert [r.run_id for r in history] == ["r6", "r5", "r4"]
    older = store.materialization_history(ORDERS, limit=3, before=history[-1].timestamp)
    assert [r.run_id for r in older] == ["r3", "r2", "r1"]
    assert [r.run_id for r in store.materialization_history(ORDERS, before=T0 + 1)] == ["r0"]
    assert store.materialization_history(DAILY) == []


def test_latest_materializations_of_many_assets(store: StateStore) -> None:
    keys = [AssetKey(f"asset_{i}") for i in range(130)]  # more than one BatchGetItem
    for i, key in enumerate(keys):
        if i % 3:
            store.record_materialization(mat(asset=key, timestamp=T0 + i))
    latest = store.latest_materializations([*keys, DAILY])
    assert set(latest) == {key for i, key in enumerate(keys) if i % 3}
    assert latest[keys[1]].timestamp == T0 + 1


def test_huge_metadata_is_truncated_not_failed(store: StateStore) -> None:
    metadata = {
        "preview": {"type": "md", "value": "| a |\n" * 120_000},  # ~700 KB: above DynamoDB's item limit
        "rows": {"type": "int", "value": 42},
        **{f"col_{i}": {"type": "text", "value": "y" * 20_000} for i in range(10)},
    }
    assert store.record_materialization(mat(partition="p", metadata=metadata))
    for record in (store.latest_materialization(ORDERS), store.latest_materialization(ORDERS, "p"),
                   store.materialization_history(ORDERS)[0]):
        assert record is not None
        kept = record.metadata
        assert len(dumps(kept)) <= MAX_METADATA_BYTES
        assert kept["rows"] == {"type": "int", "value": 42}
        assert kept["preview"]["value"].startswith("[md value of")
        note = kept[TRUNCATED_LABEL]["value"]
        assert note["truncated"] == ["preview"] and note["dropped"]
    assert store.partition_statuses(ORDERS) == {"p": PartitionStatus.MATERIALIZED}


# -- partition status ----------------------------------------------------------------------


def test_partition_status_newest_write_wins(store: StateStore) -> None:
    store.set_partition_status(DAILY, "2026-03-01", PartitionStatus.IN_PROGRESS, "r1", timestamp=T0)
    store.record_materialization(mat(asset=DAILY, partition="2026-03-01", run_id="r1", timestamp=T0 + 1))
    assert store.partition_statuses(DAILY) == {"2026-03-01": PartitionStatus.MATERIALIZED}
    store.set_partition_status(DAILY, "2026-03-01", PartitionStatus.FAILED, "r2", timestamp=T0 + 2)
    store.set_partition_status(DAILY, "2026-03-01", PartitionStatus.IN_PROGRESS, "r0", timestamp=T0 - 5)  # stale
    record = store.partition_status_records(DAILY)["2026-03-01"]
    assert (record.status, record.run_id, record.updated_at) == (PartitionStatus.FAILED, "r2", T0 + 2)
    store.set_partition_status(DAILY, "2026-03-02", PartitionStatus.MISSING)
    assert store.partition_statuses(DAILY)["2026-03-02"] == PartitionStatus.MISSING
    assert store.partition_statuses(AssetKey(["daily", "sub"])) == {}


def test_sixteen_threads_lose_no_partition_status(store: StateStore) -> None:
    threads, per_thread = 16, 16
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(per_thread):
                key = f"p{worker:02d}-{i:02d}"
                store.set_partition_status(DAILY, key, PartitionStatus.IN_PROGRESS, f"r{worker}")
                if i % 2 == 0:
                    store.record_materialization(mat(asset=DAILY, run_id=f"r{worker}", partition=key,
                                                     timestamp=time.time() + 1))
                else:
                    store.set_partition_status(DAILY, key, PartitionStatus.FAILED, f"r{worker}",
                                               timestamp=time.time() + 1)
        except BaseException as err:  # surfaced below: a thread's failure must fail the test
            errors.append(err)

    workers = [threading.Thread(target=write, args=(w,)) for w in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    statuses = store.partition_statuses(DAILY)
    assert len(statuses) == threads * per_thread
    for worker in range(threads):
        for i in range(per_thread):
            expected = PartitionStatus.MATERIALIZED if i % 2 == 0 else PartitionStatus.FAILED
            assert statuses[f"p{worker:02d}-{i:02d}"] == expected
    assert len(store.materialization_history(DAILY, limit=1000)) == threads * per_thread // 2


# -- dynamic partitions --------------------------------------------------------------------


def test_dynamic_partitions(store: StateStore) -> None:
    assert store.get_dynamic_partitions("customers") == []
    store.add_dynamic_partitions("customers", ["globex", "acme", "globex"])
    store.add_dynamic_partitions("customers", ["acme", "initech"])
    store.add_dynamic_partitions("regions", ["eu"])
    assert store.get_dynamic_partitions("customers") == ["globex", "acme", "initech"]
    assert store.has_dynamic_partition("customers", "acme")
    assert not store.has_dynamic_partition("customers", "eu")
    store.delete_dynamic_partitions("customers", ["acme", "unknown"])
    assert store.get_dynamic_partitions("customers") == ["globex", "initech"]
    store.add_dynamic_partitions("customers", [])
    assert store.get_dynamic_partitions("regions") == ["eu"]


# -- sensors -------------------------------------------------------------------------------


def test_sensor_cursor(store: StateStore) -> None:
    assert store.get_sensor_cursor("s3_drops") is None
    store.set_sensor_cursor("s3_drops", '{"last_key": "a.csv"}')
    store.set_sensor_cursor("s3_drops", '{"last_key": "b.csv"}')
    store.set_sensor_cursor("other", "1")
    assert store.get_sensor_cursor("s3_drops") == '{"last_key": "b.csv"}'
    store.set_sensor_cursor("s3_drops", None)
    assert store.get_sensor_cursor("s3_drops") is None
    assert store.get_sensor_cursor("other") == "1"


def test_ticks_newest_first(store: StateStore) -> None:
    started = TickRecord("s3_drops", TickStatus.STARTED, timestamp=T0 + 2, tick_id="t2")
    store.add_tick(TickRecord("s3_drops", TickStatus.SKIPPED, timestamp=T0, skip_reason="nothing new", tick_id="t0"))
    store.add_tick(TickRecord("s3_drops", TickStatus.FAILURE, timestamp=T0 + 1, error="boom", tick_id="t1"))
    store.add_tick(started)
    done = TickRecord("s3_drops", TickStatus.SUCCESS, timestamp=T0 + 2, run_ids=("r1", "r2"), cursor="c", tick_id="t2")
    store.add_tick(done)  # the same tick, finished
    store.add_tick(TickRecord("daily_schedule", TickStatus.SUCCESS, timestamp=T0 + 5))
    ticks = store.list_ticks("s3_drops")
    assert [t.tick_id for t in ticks] == ["t2", "t1", "t0"]
    assert ticks[0] == done
    assert ticks[1].error == "boom" and ticks[2].skip_reason == "nothing new"
    assert [t.tick_id for t in store.list_ticks("s3_drops", limit=1)] == ["t2"]
    assert [t.tick_id for t in store.list_ticks("s3_drops", before=T0 + 1)] == ["t0"]


# -- backfills -----------------------------------------------------------------------------


def test_backfill_lifecycle(store: StateStore) -> None:
    keys = tuple(f"2026-03-{d:02d}" for d in (3, 1, 2))  # requested order is kept
    backfill = BackfillRecord("b1", "daily", partition_keys=keys, selection=("daily",), tags={"by": "me"},
                              created_at=T0)
    assert store.create_backfill(backfill) == backfill
    assert store.get_backfill("b1") == backfill
    with pytest.raises(StateStoreError, match="b1"):
        store.create_backfill(backfill)
    updated = store.update_backfill(
        "b1",
        status=BackfillStatus.IN_PROGRESS,
        partition_statuses={"2026-03-01": PartitionStatus.IN_PROGRESS},
        partition_run_ids={"2026-03-01": "r1"},
    )
    assert updated.status == BackfillStatus.IN_PROGRESS and updated.updated_at is not None
    store.update_backfill("b1", partition_statuses={"2026-03-01": PartitionStatus.MATERIALIZED,
                                                    "2026-03-03": PartitionStatus.FAILED})
    found = store.get_backfill("b1")
    assert found is not None
    assert found.partition_keys == keys
    assert found.status_of("2026-03-01") == PartitionStatus.MATERIALIZED
    assert found.status_of("2026-03-02") == PartitionStatus.MISSING
    assert found.status_of("2026-03-03") == PartitionStatus.FAILED
    assert found.partition_run_ids == {"2026-03-01": "r1"}
    assert found.status == BackfillStatus.IN_PROGRESS
    with pytest.raises(StateStoreError, match="2026-04-01"):
        store.update_backfill("b1", status=BackfillStatus.FAILED,
                              partition_statuses={"2026-03-02": PartitionStatus.FAILED,
                                                  "2026-04-01": PartitionStatus.FAILED})
    assert store.get_backfill("b1") == found  # a bad update changes nothing
    with pytest.raises(BackfillNotFound):
        store.update_backfill("nope", status=BackfillStatus.CANCELED)
    assert store.get_backfill("nope") is None


def test_update_one_backfill_partition(store: StateStore) -> None:
    store.create_backfill(BackfillRecord("b1", "daily", partition_keys=("a", "b"), created_at=T0))
    assert store.update_backfill_partition("b1", "a", status=PartitionStatus.IN_PROGRESS, run_id="r1") == (
        BackfillStatus.REQUESTED
    )
    store.update_backfill("b1", status=BackfillStatus.IN_PROGRESS)
    assert store.update_backfill_partition("b1", "a", status=PartitionStatus.MATERIALIZED) == (
        BackfillStatus.IN_PROGRESS
    )
    assert store.update_backfill_partition("b1", "b", run_id="r2") == BackfillStatus.IN_PROGRESS
    found = store.get_backfill("b1")
    assert found is not None
    assert found.status_of("a") == PartitionStatus.MATERIALIZED and found.status_of("b") == PartitionStatus.MISSING
    assert found.partition_run_ids == {"a": "r1", "b": "r2"}
    with pytest.raises(StateStoreError, match="'c'"):
        store.update_backfill_partition("b1", "c", status=PartitionStatus.FAILED)
    with pytest.raises(BackfillNotFound):
        store.update_backfill_partition("nope", "a", status=PartitionStatus.FAILED)
    assert store.get_backfill("b1") == found


def test_transition_backfill_changes_the_status_only_from_the_expected_one(store: StateStore) -> None:
    store.create_backfill(BackfillRecord("b1", "daily", partition_keys=("a",), created_at=T0))
    assert store.transition_backfill("b1", expected=BackfillStatus.REQUESTED, status=BackfillStatus.IN_PROGRESS)
    store.update_backfill("b1", status=BackfillStatus.CANCELED)
    assert not store.transition_backfill("b1", expected=BackfillStatus.IN_PROGRESS, status=BackfillStatus.COMPLETED)
    found = store.get_backfill("b1")
    assert found is not None and found.status is BackfillStatus.CANCELED
    assert [b.backfill_id for b in store.list_backfills(status=BackfillStatus.CANCELED)] == ["b1"]
    with pytest.raises(BackfillNotFound):
        store.transition_backfill("nope", expected=BackfillStatus.REQUESTED, status=BackfillStatus.IN_PROGRESS)


def test_list_backfills(store: StateStore) -> None:
    for i in range(3):
        store.create_backfill(BackfillRecord(f"b{i}", "daily", partition_keys=("a",), created_at=T0 + i))
    store.update_backfill("b1", status=BackfillStatus.COMPLETED)
    assert [b.backfill_id for b in store.list_backfills()] == ["b2", "b1", "b0"]
    assert [b.backfill_id for b in store.list_backfills(limit=1)] == ["b2"]
    assert [b.backfill_id for b in store.list_backfills(status=BackfillStatus.COMPLETED)] == ["b1"]
    assert [b.backfill_id for b in store.list_backfills(status=BackfillStatus.REQUESTED)] == ["b2", "b0"]


# -- asset checks --------------------------------------------------------------------------


def test_asset_check_results(store: StateStore) -> None:
    assert store.latest_check_result(ORDERS, "no_nulls") is None
    first = AssetCheckResult(ORDERS, "no_nulls", passed=False, run_id="r1", timestamp=T0, description="3 nulls",
                             metadata={"nulls": {"type": "int", "value": 3}}, severity=AssetCheckSeverity.WARN)
    second = AssetCheckResult(ORDERS, "no_nulls", passed=True, run_id="r2", timestamp=T0 + 10)
    late = AssetCheckResult(ORDERS, "no_nulls", passed=False, run_id="r0", timestamp=T0 + 5)
    fresh = AssetCheckResult(ORDERS, "fresh", passed=True, run_id="r2", timestamp=T0 + 3, partition_key="p")
    for result in (first, second, late, fresh):
        store.record_check_result(result)
    assert store.latest_check_result(ORDERS, "no_nulls") == second
    assert store.latest_check_results(ORDERS) == {"fresh": fresh, "no_nulls": second}
    assert store.latest_check_results(DAILY) == {}


# -- task tokens ---------------------------------------------------------------------------


def test_task_tokens(store: StateStore) -> None:
    assert store.get_task_token("r1", "orders") is None
    store.put_task_token("r1", "orders", "token-1")
    store.put_task_token("r1", "orders", "token-2")
    store.put_task_token("r1", "daily", "token-3")
    store.put_task_token("r2", "orders", "token-4")
    assert store.get_task_token("r1", "orders") == "token-2"
    assert store.list_task_tokens("r1") == {"daily": "token-3", "orders": "token-2"}
    assert store.list_task_tokens("r3") == {}
