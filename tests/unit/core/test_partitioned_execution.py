"""Partitioned assets through materialize: context, mappings, validation, recorded status."""

from __future__ import annotations

from pathlib import Path

import pytest

from aloft import (
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    DailyPartitionsDefinition,
    DefinitionError,
    FilesystemIOManager,
    StaticPartitionsDefinition,
    TimeWindowPartitionMapping,
    asset,
    materialize,
)
from aloft.storage.memory import InMemoryStateStore
from aloft.storage.records import PartitionStatus

days = DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-10")


@asset(partitions_def=days)
def events(context: AssetExecutionContext) -> str:
    window = context.partition_time_window
    return f"{context.partition_key}:{window.start.day}-{window.end.day}"


@asset(partitions_def=days, ins={"events": AssetIn(partition_mapping=TimeWindowPartitionMapping(start_offset=-1, end_offset=-1))})
def day_over_day(context: AssetExecutionContext, events: str) -> str:
    return f"{context.partition_key} reads {events}"


@asset
def every_day(events: dict[str, str]) -> list[str]:
    return sorted(events)


@pytest.fixture
def io(tmp_path: Path) -> dict[str, FilesystemIOManager]:
    return {"io_manager": FilesystemIOManager(base_dir=str(tmp_path))}


def test_partition_key_and_time_window(io: dict[str, FilesystemIOManager]) -> None:
    result = materialize([events], partition_key="2026-01-03", resources=io)
    assert result.output_for_node("events") == "2026-01-03:3-4"
    assert result.asset_materializations_for_node("events")[0].partition == "2026-01-03"


def test_previous_partition_mapping_reads_yesterday(io: dict[str, FilesystemIOManager]) -> None:
    materialize([events], partition_key="2026-01-02", resources=io)
    result = materialize([events, day_over_day], partition_key="2026-01-03", resources=io, selection="day_over_day")
    assert result.output_for_node("day_over_day") == "2026-01-03 reads 2026-01-02:2-3"


def test_unpartitioned_downstream_reads_every_partition_as_a_dict(io: dict[str, FilesystemIOManager]) -> None:
    for day in ("2026-01-01", "2026-01-02", "2026-01-03"):
        materialize([events], partition_key=day, resources=io)
    partial = DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-04")

    @asset(partitions_def=partial, name="events")
    def three_days() -> str:
        return "x"

    result = materialize([three_days, every_day], resources=io, selection="every_day")
    assert result.output_for_node("every_day") == ["2026-01-01", "2026-01-02", "2026-01-03"]


def test_partition_status_is_recorded() -> None:
    store = InMemoryStateStore()

    @asset(partitions_def=StaticPartitionsDefinition(["eu", "us"]))
    def regional(context: AssetExecutionContext) -> str:
        if context.partition_key == "us":
            raise RuntimeError("us feed missing")
        return context.partition_key

    materialize([regional], partition_key="eu", instance=store)
    materialize([regional], partition_key="us", instance=store, raise_on_error=False)
    assert store.partition_statuses(AssetKey("regional")) == {
        "eu": PartitionStatus.MATERIALIZED, "us": PartitionStatus.FAILED}


def test_invalid_partition_key_shows_format_and_range() -> None:
    with pytest.raises(DefinitionError, match=r"2026-13-01 is not a partition of events: expected YYYY-MM-DD between 2026-01-01 and 2026-01-09"):
        materialize([events], partition_key="2026-13-01")


def test_partition_key_for_unpartitioned_assets() -> None:
    @asset
    def plain() -> int:
        return 1

    with pytest.raises(DefinitionError, match="none of the selected assets is partitioned"):
        materialize([plain], partition_key="2026-01-01")


def test_incompatible_mapping_is_a_definition_error() -> None:
    @asset(partitions_def=StaticPartitionsDefinition(["a"]))
    def static_up() -> int:
        return 1

    @asset(partitions_def=days)
    def daily_down(static_up: int) -> int:
        return static_up

    with pytest.raises(DefinitionError, match="static_up"):
        materialize([static_up, daily_down], partition_key="2026-01-01")


def test_an_unpartitioned_asset_in_a_partitioned_run_is_stored_whole(tmp_path: Path) -> None:
    @asset
    def regions() -> list[str]:
        return ["EU", "NA"]

    @asset(partitions_def=days)
    def sales(context: AssetExecutionContext, regions: list[str]) -> str:
        return f"{context.partition_key}:{len(regions)}"

    store = InMemoryStateStore()
    io = FilesystemIOManager(base_dir=str(tmp_path))
    for day in ("2026-01-02", "2026-01-03"):  # the second run reads what the first stored
        result = materialize([regions, sales], partition_key=day, instance=store, resources={"io_manager": io})
        assert result.output_for_node("sales") == f"{day}:2"
    assert (tmp_path / "regions").is_file() and (tmp_path / "sales" / "2026-01-03").is_file()
    assert [r.partition_key for r in store.materialization_history(AssetKey("regions"))] == [None, None]
    assert set(store.partition_statuses(AssetKey("sales"))) == {"2026-01-02", "2026-01-03"}


def test_a_failed_unpartitioned_asset_marks_no_partition(tmp_path: Path) -> None:
    @asset
    def broken() -> int:
        raise RuntimeError("no")

    @asset(partitions_def=days)
    def after(broken: int) -> int:
        return broken

    store = InMemoryStateStore()
    result = materialize([broken, after], partition_key="2026-01-02", instance=store, raise_on_error=False)
    assert not result.success
    assert store.partition_statuses(AssetKey("broken")) == {}
