"""The project the cloud backfill tests deploy on their own local cloud.

- ``bf_daily``: a daily chain (``bf_events`` -> ``bf_summary``); ``bf_events``
  fails for the partitions listed in ``FAILING``;
- ``bf_totals``: ``bf_running_total`` reads its own previous partition (a
  running total), so its backfill must run the days in order; ``bf_sales``
  fails for the partitions in ``FAILING``.
"""

from __future__ import annotations

from typing import Any

from aloft import AssetExecutionContext, AssetIn, Definitions, asset, define_asset_job
from aloft.errors import DefinitionError
from aloft.partitions import DailyPartitionsDefinition, TimeWindowPartitionMapping

DAILY = DailyPartitionsDefinition("2026-01-01")
FAILING: set[str] = set()


@asset(partitions_def=DAILY)
def bf_events(context: AssetExecutionContext) -> dict[str, str]:
    if context.partition_key in FAILING:
        raise ValueError(f"no events file for {context.partition_key}")
    return {"day": context.partition_key}


@asset(partitions_def=DAILY)
def bf_summary(context: AssetExecutionContext, bf_events: dict[str, str]) -> str:
    return f"{context.partition_key}: {bf_events['day']}"


@asset(partitions_def=DAILY)
def bf_sales(context: AssetExecutionContext) -> int:
    if context.partition_key in FAILING:
        raise ValueError(f"the till of {context.partition_key} is missing")
    return int(context.partition_key[-2:])


@asset(
    partitions_def=DAILY,
    ins={
        "previous": AssetIn(
            key="bf_running_total",
            partition_mapping=TimeWindowPartitionMapping(
                start_offset=-1, end_offset=-1, allow_nonexistent_upstream_partitions=True
            ),
        )
    },
)
def bf_running_total(context: AssetExecutionContext, bf_sales: int, previous: Any) -> int:
    # The first day of the range reads a day nobody materialized: it starts from zero.
    if isinstance(previous, dict):
        previous = next(iter(previous.values()), None)
    return bf_sales + (previous or 0)


BASE = [bf_events, bf_summary]
JOBS = [define_asset_job("bf_daily", selection=["bf_events", "bf_summary"])]
try:
    Definitions(assets=[bf_sales, bf_running_total])
    SELF_DEPENDENCY = True
except DefinitionError:  # an asset graph that does not know self-dependent assets yet
    SELF_DEPENDENCY = False
if SELF_DEPENDENCY:
    BASE += [bf_sales, bf_running_total]
    JOBS.append(define_asset_job("bf_totals", selection=["bf_sales", "bf_running_total"]))

defs = Definitions(assets=BASE, jobs=JOBS)
