"""A time-partitioned asset may read its own earlier partitions; every other self-dependency is a cycle."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from aloft import (
    AssetExecutionContext,
    AssetIn,
    AssetKey,
    DefinitionError,
    Definitions,
    asset,
    materialize,
)
from aloft.execution.backfill import backfill, resume_backfill
from aloft.io.memory import InMemoryIOManager
from aloft.partitions import (
    DailyPartitionsDefinition,
    IdentityPartitionMapping,
    StaticPartitionsDefinition,
    TimeWindowPartitionMapping,
)
from aloft.partitions.errors import PartitionKeyError
from aloft.storage.memory import InMemoryStateStore

days = DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-05")


def test_reading_the_previous_partition_of_itself_is_allowed() -> None:
    @asset(partitions_def=days, ins={"balance": AssetIn(
        "balance", partition_mapping=TimeWindowPartitionMapping(start_offset=-1, end_offset=-1))})
    def balance(balance: int | None) -> int:
        return (balance or 100) + 1

    graph = Definitions(assets=[balance]).get_asset_graph()
    assert graph.self_dependent_keys == {AssetKey("balance")}
    assert graph.upstream(AssetKey("balance")) == ()
    io = {"io_manager": InMemoryIOManager()}
    # The first partition has no previous one: the input is None (as with Dagster's I/O managers).
    assert materialize([balance], partition_key="2026-01-01", resources=io).output_for_node("balance") == 101
    assert materialize([balance], partition_key="2026-01-02", resources=io).output_for_node("balance") == 102


@pytest.mark.parametrize(
    "mapping",
    [None, IdentityPartitionMapping(), TimeWindowPartitionMapping(start_offset=-1, end_offset=0),
     TimeWindowPartitionMapping(start_offset=1, end_offset=1)],
    ids=["default", "identity", "includes-itself", "later"],
)
def test_a_self_dependency_on_the_same_or_later_partitions_is_rejected(mapping: object) -> None:
    @asset(partitions_def=days, ins={"loop": AssetIn("loop", partition_mapping=mapping)})
    def loop(loop: int) -> int:
        return loop

    with pytest.raises(DefinitionError, match=r"asset 'loop' depends on itself.*start_offset=-1, end_offset=-1"):
        Definitions(assets=[loop])


def test_a_self_dependency_without_time_partitions_is_rejected() -> None:
    @asset(partitions_def=StaticPartitionsDefinition(["a", "b"]),
           ins={"static_loop": AssetIn("static_loop", partition_mapping=TimeWindowPartitionMapping(-1, -1))})
    def static_loop(static_loop: int) -> int:
        return static_loop

    with pytest.raises(DefinitionError, match="static_loop' depends on itself"):
        Definitions(assets=[static_loop])


def test_a_cycle_between_two_assets_is_still_a_cycle() -> None:
    earlier = TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)

    @asset(partitions_def=days, ins={"pong": AssetIn(partition_mapping=earlier)})
    def ping(pong: int) -> int:
        return pong

    @asset(partitions_def=days)
    def pong(ping: int) -> int:
        return ping

    with pytest.raises(DefinitionError, match="the asset graph has a cycle"):
        Definitions(assets=[ping, pong])


def test_a_resumed_backfill_reads_what_the_first_attempt_stored_without_an_io_manager(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    broken = {"2026-01-03"}

    @asset(partitions_def=days, ins={"ledger": AssetIn(
        "ledger", partition_mapping=TimeWindowPartitionMapping(start_offset=-1, end_offset=-1))})
    def ledger(context: AssetExecutionContext, ledger: int | None) -> int:
        if context.partition_key in broken:
            raise ValueError("feed not ready")
        return (ledger or 0) + 1

    store = InMemoryStateStore()
    first = backfill([ledger], instance=store, max_concurrent=1)
    assert first.failed_partitions == ["2026-01-03"]
    broken.clear()
    resumed = resume_backfill([ledger], first.backfill_id, instance=store)
    assert resumed.success, resumed.errors  # day 3 read day 2, stored by the first attempt
    assert [p.name for p in tmp_path.iterdir()] == [f"aloft-backfill-{first.backfill_id}"]


def test_a_refused_backfill_creates_no_storage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    @asset(partitions_def=days)
    def plain() -> int:
        return 1

    with pytest.raises(PartitionKeyError):
        backfill([plain], partition_keys=["2027-01-01"])
    assert list(tmp_path.iterdir()) == []
