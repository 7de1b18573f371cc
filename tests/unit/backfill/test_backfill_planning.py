"""The backfill planner: units, policies, partition-order dependencies, resume sets (pure)."""

from __future__ import annotations

import inspect

import pytest

from aloft import AssetIn, DefinitionError, Definitions, asset
from aloft.execution.backfill_plan import (
    BackfillPlan,
    backfill_outcome_status,
    combined_backfill_policy,
    partitions_to_resume,
    plan_backfill,
)
from aloft.execution.plan import build_asset_plan
from aloft.partitions import (
    AllPartitionMapping,
    BackfillPolicy,
    DailyPartitionsDefinition,
    StaticPartitionsDefinition,
    TimeWindowPartitionMapping,
)
from aloft.storage.records import BackfillRecord, BackfillStatus, PartitionStatus

days = DailyPartitionsDefinition(start_date="2026-01-01", end_date="2026-01-07")
KEYS = days.get_partition_keys()  # 2026-01-01 .. 2026-01-06
previous = TimeWindowPartitionMapping(start_offset=-1, end_offset=-1)


def planned(*assets: object, keys: list[str] | None = None, partitions: object = days) -> BackfillPlan:
    defs = Definitions(assets=list(assets))
    graph = defs.get_asset_graph()
    plan = build_asset_plan(graph, graph.materializable_keys, "job")
    policies = {name: graph.get_by_node(name).backfill_policy for name in plan.steps}
    return plan_backfill(plan, keys if keys is not None else KEYS, partitions_def=partitions, policies=policies)


def shape(backfill: BackfillPlan) -> list[tuple[tuple[str, ...], tuple[str, ...], list[int]]]:
    return [(u.step_keys, u.partition_keys, sorted(u.depends_on)) for u in backfill.units]


@asset(partitions_def=days)
def events() -> int:
    return 1


@asset(partitions_def=days, ins={"total": AssetIn("total", partition_mapping=previous)})
def total(total: int | None, events: int) -> int:
    return (total or 0) + events


def test_independent_partitions_are_independent_units_in_key_order() -> None:
    backfill = planned(events, keys=["2026-01-03", "2026-01-01", "2026-01-02", "2026-01-01"])
    assert shape(backfill) == [
        (("events",), ("2026-01-01",), []),
        (("events",), ("2026-01-02",), []),
        (("events",), ("2026-01-03",), []),
    ]
    assert backfill.partition_keys == ("2026-01-01", "2026-01-02", "2026-01-03")


def test_assets_reading_the_same_partition_share_one_run_per_partition() -> None:
    @asset(partitions_def=days)
    def cleaned(events: int) -> int:
        return events

    backfill = planned(events, cleaned, keys=KEYS[:2])
    assert shape(backfill) == [
        (("events", "cleaned"), ("2026-01-01",), []),
        (("events", "cleaned"), ("2026-01-02",), []),
    ]


def test_a_self_dependent_asset_waits_for_its_previous_partition_and_runs_apart() -> None:
    backfill = planned(events, total, keys=KEYS[:3])
    units = {(u.step_keys, u.partition_keys): u for u in backfill.units}
    index = {key: u.index for key, u in units.items()}
    day1, day2, day3 = (("total",), (KEYS[0],)), (("total",), (KEYS[1],)), (("total",), (KEYS[2],))
    assert units[day1].depends_on == {index[(("events",), (KEYS[0],))]}
    assert units[day2].depends_on == {index[day1], index[(("events",), (KEYS[1],))]}
    assert units[day3].depends_on == {index[day2], index[(("events",), (KEYS[2],))]}
    assert all(not u.depends_on for u in backfill.units if u.step_keys == ("events",))


def test_a_gap_in_the_requested_keys_breaks_the_chain() -> None:
    backfill = planned(total, events, keys=[KEYS[0], KEYS[2]])
    chained = [u for u in backfill.units if u.step_keys == ("total",)]
    assert [u.partition_keys for u in chained] == [(KEYS[0],), (KEYS[2],)]
    assert all(u.depends_on <= {x.index for x in backfill.units if x.step_keys == ("events",)} for u in chained)


def test_policies_chunk_keys_into_contiguous_ranges() -> None:
    @asset(partitions_def=days, backfill_policy=BackfillPolicy.single_run())
    def whole() -> int:
        return 1

    @asset(partitions_def=days, backfill_policy=BackfillPolicy.multi_run(2))
    def pairs() -> int:
        return 1

    assert [u.partition_keys for u in planned(whole, keys=[KEYS[0], KEYS[1], KEYS[3], KEYS[4]]).units] == [
        (KEYS[0], KEYS[1]),
        (KEYS[3], KEYS[4]),
    ]
    units = planned(pairs, keys=KEYS[:5]).units
    assert [u.partition_keys for u in units] == [(KEYS[0], KEYS[1]), (KEYS[2], KEYS[3]), (KEYS[4],)]
    assert units[0].partition_key is None and units[0].partition_key_range is not None
    assert (units[0].partition_key_range.start, units[0].partition_key_range.end) == (KEYS[0], KEYS[1])
    assert units[2].partition_key == KEYS[4] and units[2].partition_key_range is None


def test_combined_policy_is_the_most_restrictive() -> None:
    assert combined_backfill_policy([BackfillPolicy.single_run(), BackfillPolicy.single_run()]) == BackfillPolicy.single_run()
    assert combined_backfill_policy([BackfillPolicy.multi_run(4), BackfillPolicy.multi_run(2)]) == BackfillPolicy.multi_run(2)
    assert combined_backfill_policy([BackfillPolicy.multi_run(4), None]) is None


def test_a_self_dependent_asset_cannot_run_several_partitions_per_run() -> None:
    @asset(partitions_def=days, backfill_policy=BackfillPolicy.single_run(),
           ins={"ranged": AssetIn("ranged", partition_mapping=previous)})
    def ranged(ranged: int | None) -> int:
        return 1

    with pytest.raises(DefinitionError, match=r"asset 'ranged' reads its own earlier partitions.*one by one"):
        planned(ranged)


def test_reading_every_upstream_partition_waits_for_all_of_them() -> None:
    regions = StaticPartitionsDefinition(["eu", "us", "apac"])

    @asset(partitions_def=regions)
    def sales() -> int:
        return 1

    @asset(partitions_def=regions, ins={"sales": AssetIn(partition_mapping=AllPartitionMapping())})
    def share(sales: dict[str, int]) -> float:
        return 1.0

    backfill = planned(sales, share, partitions=regions, keys=["eu", "us", "apac"])
    sales_units = {u.index for u in backfill.units if u.step_keys == ("sales",)}
    assert len(sales_units) == 3
    for unit in backfill.units:
        assert unit.depends_on == (sales_units if unit.step_keys == ("share",) else set())


def test_groups_that_would_wait_on_each_other_are_split() -> None:
    overlap = TimeWindowPartitionMapping(start_offset=-1, end_offset=0)  # yesterday and today

    @asset(partitions_def=days)
    def a() -> int:
        return 1

    @asset(partitions_def=days, ins={"a": AssetIn(partition_mapping=overlap)})
    def c(a: dict[str, int]) -> int:
        return 1

    @asset(partitions_def=days, ins={"c": AssetIn(partition_mapping=overlap)})
    def d(a: int, c: dict[str, int]) -> int:
        return 1

    backfill = planned(a, c, d, keys=KEYS[:3])
    assert {u.step_keys for u in backfill.units} == {("a",), ("c",), ("d",)}
    by = {(u.step_keys[0], u.partition_keys[0]): u for u in backfill.units}
    assert by[("d", KEYS[1])].depends_on == {by[("a", KEYS[1])].index, by[("c", KEYS[0])].index, by[("c", KEYS[1])].index}


def test_an_invalid_key_is_reported_with_the_expected_format() -> None:
    with pytest.raises(DefinitionError, match=r"2026-02-30 is not a partition of .*expected YYYY-MM-DD"):
        planned(events, keys=["2026-02-30"])


def test_partitions_to_resume_and_outcome_status() -> None:
    record = BackfillRecord(
        "b1",
        "job",
        partition_keys=("a", "b", "c", "d"),
        partition_statuses={
            "a": PartitionStatus.MATERIALIZED,
            "b": PartitionStatus.FAILED,
            "c": PartitionStatus.IN_PROGRESS,
        },
    )
    assert partitions_to_resume(record) == ["b", "c", "d"]
    assert backfill_outcome_status(record) is BackfillStatus.FAILED
    assert backfill_outcome_status(record, canceled=True) is BackfillStatus.CANCELED
    done = BackfillRecord("b2", "job", partition_keys=("a",), partition_statuses={"a": PartitionStatus.MATERIALIZED})
    assert partitions_to_resume(done) == []
    assert backfill_outcome_status(done, canceled=True) is BackfillStatus.COMPLETED


def test_local_and_cloud_backfills_share_one_tag_and_one_key_ordering() -> None:
    from aloft.cloud import backfill as cloud_backfill
    from aloft.cloud import backfill_status
    from aloft.execution import backfill as local_backfill
    from aloft.execution import backfill_plan

    assert cloud_backfill.order_partition_keys is backfill_plan.order_partition_keys
    for module in (local_backfill, backfill_status):
        assert 'BACKFILL_TAG = "' not in inspect.getsource(module), module.__name__
