"""A time-partitioned asset may read its own earlier partitions; every other self-dependency is a cycle."""

from __future__ import annotations

import pytest

from aloft import AssetIn, AssetKey, DefinitionError, Definitions, asset, materialize
from aloft.io.memory import InMemoryIOManager
from aloft.partitions import (
    DailyPartitionsDefinition,
    IdentityPartitionMapping,
    StaticPartitionsDefinition,
    TimeWindowPartitionMapping,
)

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
