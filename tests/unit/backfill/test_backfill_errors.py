"""Bad backfill requests: clear errors naming the thing and the fix, and nothing recorded."""

from __future__ import annotations

from typing import Any

import pytest

from aloft import (
    AloftError,
    AssetIn,
    ConfigurableResource,
    DefinitionError,
    Definitions,
    EnvVar,
    RunConfigError,
    asset,
    define_asset_job,
)
from aloft.execution.backfill import (
    BackfillError,
    NothingToBackfill,
    backfill,
    cancel_backfill,
    find_backfill,
    resume_backfill,
)
from aloft.partitions import (
    DailyPartitionsDefinition,
    HourlyPartitionsDefinition,
    PartitionKeyError,
    StaticPartitionsDefinition,
)
from aloft.storage.base import BackfillNotFound
from aloft.storage.memory import InMemoryStateStore
from aloft.storage.records import BackfillRecord, BackfillStatus

days = DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-11-21")


@asset(partitions_def=days)
def daily_events() -> int:
    return 1


@asset
def summary() -> int:
    return 1


@asset(partitions_def=HourlyPartitionsDefinition(start_date="2026-01-01-00:00", end_date="2026-01-02-00:00"))
def hourly_events() -> int:
    return 1


@pytest.fixture
def store() -> InMemoryStateStore:
    return InMemoryStateStore()


def check_nothing_recorded(store: InMemoryStateStore) -> None:
    assert store.list_backfills() == [] and store.list_runs() == []


def test_an_invalid_key_shows_the_format_and_the_range(store: InMemoryStateStore) -> None:
    with pytest.raises(PartitionKeyError, match=(
        r"^2026-13-01 is not a partition of daily_events: expected YYYY-MM-DD between 2026-01-01 and 2026-11-20"
    )):
        backfill([daily_events], partition_keys=["2026-01-02", "2026-13-01"], instance=store)
    with pytest.raises(PartitionKeyError, match="2025-12-31 is not a partition of daily_events"):
        backfill([daily_events], partition_key_range=("2025-12-31", "2026-01-05"), instance=store)
    check_nothing_recorded(store)


def test_a_range_that_starts_after_it_ends(store: InMemoryStateStore) -> None:
    with pytest.raises(PartitionKeyError, match=(
        "the partition range of daily_events starts at 2026-03-10, which comes after its end 2026-03-01; swap"
    )):
        backfill([daily_events], partition_key_range=("2026-03-10", "2026-03-01"), instance=store)
    check_nothing_recorded(store)


def test_an_unknown_asset_suggests_a_close_name(store: InMemoryStateStore) -> None:
    with pytest.raises(DefinitionError, match="'daily_event', which is not an asset. Did you mean 'daily_events'"):
        backfill([daily_events, summary], selection=["daily_event"], instance=store)


def test_an_unpartitioned_asset_cannot_be_backfilled(store: InMemoryStateStore) -> None:
    with pytest.raises(DefinitionError, match=r"asset 'summary' is not partitioned.*Leave it out of the selection"):
        backfill([daily_events, summary], instance=store)
    check_nothing_recorded(store)


def test_assets_with_different_partitions_cannot_share_a_backfill(store: InMemoryStateStore) -> None:
    with pytest.raises(DefinitionError, match=r"share one partitions definition.*'daily_events'.*'hourly_events'"):
        backfill([daily_events, hourly_events], instance=store)


def test_both_keys_and_range(store: InMemoryStateStore) -> None:
    with pytest.raises(DefinitionError, match="partition_keys or partition_key_range, not both"):
        backfill([daily_events], partition_keys=["2026-01-01"], partition_key_range=("2026-01-01", "2026-01-02"))
    with pytest.raises(DefinitionError, match=r"a list of keys, e.g. \['2026-01-01'\]"):
        backfill([daily_events], partition_keys="2026-01-01")
    with pytest.raises(DefinitionError, match=r"must be \(first_key, last_key\) or a PartitionKeyRange"):
        backfill([daily_events], partition_key_range="2026-01-01")  # type: ignore[arg-type]


def test_a_job_and_a_selection_or_an_op_job(store: InMemoryStateStore) -> None:
    defs = Definitions(assets=[daily_events], jobs=[define_asset_job("events_job", selection="daily_events")])
    with pytest.raises(DefinitionError, match="give a job"):
        backfill(defs, job="events_job", selection="daily_events")
    with pytest.raises(DefinitionError, match="no job named 'event_job'. Did you mean 'events_job'"):
        backfill(defs, job="event_job")


def test_bad_run_config_or_resources_leave_no_record(store: InMemoryStateStore) -> None:
    with pytest.raises(RunConfigError, match="ops.nope"):
        backfill([daily_events], run_config={"ops": {"nope": {}}}, instance=store)

    class Warehouse(ConfigurableResource):
        dsn: str

    @asset(partitions_def=days)
    def loaded(warehouse: Warehouse) -> int:
        return 1

    # An environment variable is read when runs start: a missing one is found before anything is recorded.
    warehouse = Warehouse(dsn=EnvVar("ALOFT_TEST_BACKFILL_DSN"))
    with pytest.raises(AloftError, match="ALOFT_TEST_BACKFILL_DSN"):
        backfill([loaded], resources={"warehouse": warehouse}, instance=store)
    check_nothing_recorded(store)


def test_a_bad_concurrency(store: InMemoryStateStore) -> None:
    with pytest.raises(DefinitionError, match="max_concurrent must be a positive number of runs, got 0"):
        backfill([daily_events], max_concurrent=0, instance=store)
    check_nothing_recorded(store)


def test_nothing_missing_is_reported_not_recorded(store: InMemoryStateStore) -> None:
    regions = StaticPartitionsDefinition(["eu"])

    @asset(partitions_def=regions)
    def sales() -> int:
        return 1

    backfill([sales], instance=store)
    with pytest.raises(NothingToBackfill, match="every requested partition of sales is materialized"):
        backfill([sales], missing_only=True, instance=store)
    assert len(store.list_backfills()) == 1


def test_a_taken_backfill_id(store: InMemoryStateStore) -> None:
    backfill([daily_events], partition_keys=["2026-01-01"], instance=store, backfill_id="mine")
    with pytest.raises(BackfillError, match="a backfill with id 'mine' already exists; resume it"):
        backfill([daily_events], partition_keys=["2026-01-01"], instance=store, backfill_id="mine")


def test_unknown_backfill_ids_suggest_a_close_one(store: InMemoryStateStore) -> None:
    with pytest.raises(BackfillNotFound, match="no backfill 'abc' in the state store. No backfill is recorded"):
        find_backfill(store, "abc")
    backfill([daily_events], partition_keys=["2026-01-01"], instance=store, backfill_id="qwertyui")
    with pytest.raises(BackfillNotFound, match="Did you mean 'qwertyui'"):
        resume_backfill([daily_events], "qwertyiu", instance=store)
    with pytest.raises(BackfillNotFound, match="Did you mean 'qwertyui'"):
        cancel_backfill(store, "qwertyuj")


def test_resume_and_cancel_of_a_finished_backfill(store: InMemoryStateStore) -> None:
    done = backfill([daily_events], partition_keys=["2026-01-01"], instance=store)
    with pytest.raises(BackfillError, match="is COMPLETED: all 1 partitions are materialized, nothing to resume"):
        resume_backfill([daily_events], done.backfill_id, instance=store)
    with pytest.raises(BackfillError, match=r"already ended \(COMPLETED\); nothing to cancel"):
        cancel_backfill(store, done.backfill_id)


def test_resume_of_a_backfill_still_in_progress(store: InMemoryStateStore) -> None:
    store.create_backfill(BackfillRecord("running", "__ASSET_JOB", partition_keys=("2026-01-01",),
                                         selection=("daily_events",), status=BackfillStatus.IN_PROGRESS))
    with pytest.raises(BackfillError, match=r"IN_PROGRESS: it may still be running. Cancel it first"):
        resume_backfill([daily_events], "running", instance=store)
    assert store.get_backfill("running").status is BackfillStatus.IN_PROGRESS  # type: ignore[union-attr]


def test_resume_after_the_definitions_lost_the_asset(store: InMemoryStateStore) -> None:
    store.create_backfill(BackfillRecord("gone", "__ASSET_JOB", partition_keys=("2026-01-01",),
                                         selection=("daily_event",), status=BackfillStatus.FAILED))
    with pytest.raises(DefinitionError, match="'daily_event', which is not an asset. Did you mean 'daily_events'"):
        resume_backfill([daily_events], "gone", instance=store)


def test_self_dependent_asset_with_a_single_run_policy_is_refused(store: InMemoryStateStore) -> None:
    from aloft.partitions import BackfillPolicy, TimeWindowPartitionMapping

    @asset(partitions_def=days, backfill_policy=BackfillPolicy.single_run(), ins={"cumulative": AssetIn(
        "cumulative", partition_mapping=TimeWindowPartitionMapping(start_offset=-1, end_offset=-1))})
    def cumulative(cumulative: Any) -> int:
        return 1

    with pytest.raises(DefinitionError, match="asset 'cumulative' reads its own earlier partitions"):
        backfill([cumulative], instance=store)
    check_nothing_recorded(store)
