"""The project the end-to-end tests deploy on the local cloud.

- ``daily_revenue``: the quickstart (pandas frames, config, metadata, a MaterializeResult);
- ``n_graph``: the smallest graph that is not series-parallel (A->C, A->D, B->D);
- ``with_failure``: ``bad`` raises while ``SWITCHES["bad_fails"]`` is set; its downstream
  must be skipped while the independent branch finishes;
- ``flaky``: fails on its first attempt, succeeds on the retry its RetryPolicy allows;
- ``crashing``: its resource cannot start, so the step's Lambda fails without reporting;
- ``partitioned``: a daily-partitioned chain (the run input carries the partition key);
- ``split``: ``with_failure`` compiled into parts of at most 3 steps (child executions).
"""

from __future__ import annotations

from typing import Any

from aloft import (
    AssetExecutionContext,
    ConfigurableResource,
    Definitions,
    RetryPolicy,
    asset,
    define_asset_job,
)
from aloft.partitions import DailyPartitionsDefinition
from examples.quickstart.definitions import defs as quickstart

SWITCHES = {"bad_fails": True}
FAILURE_JOB = ["src", "bad", "src2", "other", "after_bad", "tail", "independent", "independent_2"]
ATTEMPTS: dict[str, int] = {}


# -- the N graph ---------------------------------------------------------------------------
@asset
def n_a() -> list[int]:
    return [1, 2, 3]


@asset
def n_b() -> dict[str, int]:
    return {"offset": 10}


@asset
def n_c(n_a: list[int]) -> int:
    return sum(n_a)


@asset
def n_d(n_a: list[int], n_b: dict[str, int]) -> list[int]:
    return [x + n_b["offset"] for x in n_a]


# -- a failure in the middle -----------------------------------------------------------------
@asset
def src() -> int:
    return 1


@asset
def bad(src: int) -> int:
    if SWITCHES["bad_fails"]:
        raise ValueError("the upstream file is truncated")
    return src * 100


@asset
def src2() -> int:
    return 2


@asset
def other(src2: int) -> int:
    return src2 + 1


@asset
def after_bad(bad: int, other: int) -> int:
    return bad + other


@asset
def tail(after_bad: int) -> int:
    return after_bad * 2


@asset
def independent(src2: int) -> int:
    return src2 * 10


@asset
def independent_2(independent: int) -> int:
    return independent + 1


# -- retries and crashes -------------------------------------------------------------------
@asset(retry_policy=RetryPolicy(max_retries=2, delay=5))
def flaky(context: AssetExecutionContext) -> str:
    ATTEMPTS["flaky"] = ATTEMPTS.get("flaky", 0) + 1
    if context.retry_number == 0:
        raise ConnectionError("the warehouse dropped the connection")
    return f"ok after {context.retry_number} retry"


class Warehouse(ConfigurableResource):
    """A resource whose connection cannot be opened: the step's Lambda fails before user code runs."""

    dsn: str = "warehouse://unreachable"

    def setup_for_execution(self, context: Any) -> None:
        raise OSError(f"cannot connect to {self.dsn}")


@asset
def needs_warehouse(warehouse: Warehouse) -> int:
    return 1


@asset
def after_crash(needs_warehouse: int) -> int:
    return needs_warehouse


# -- partitions ------------------------------------------------------------------------------
DAILY = DailyPartitionsDefinition("2026-01-01")


@asset(partitions_def=DAILY)
def daily_events(context: AssetExecutionContext) -> dict[str, str]:
    return {"day": context.partition_key}


@asset(partitions_def=DAILY)
def daily_summary(context: AssetExecutionContext, daily_events: dict[str, str]) -> str:
    return f"{context.partition_key}: {daily_events['day']}"


defs = Definitions(
    assets=[
        *quickstart.assets,
        n_a,
        n_b,
        n_c,
        n_d,
        src,
        bad,
        src2,
        other,
        after_bad,
        tail,
        independent,
        independent_2,
        flaky,
        needs_warehouse,
        after_crash,
        daily_events,
        daily_summary,
    ],
    jobs=[
        *quickstart.jobs,
        define_asset_job("n_graph", selection=["n_a", "n_b", "n_c", "n_d"]),
        define_asset_job("with_failure", selection=FAILURE_JOB),
        define_asset_job("split", selection=FAILURE_JOB),
        define_asset_job("flaky", selection=["flaky"]),
        define_asset_job("crashing", selection=["needs_warehouse", "after_crash"]),
        define_asset_job("partitioned", selection=["daily_events", "daily_summary"]),
    ],
    resources={"warehouse": Warehouse()},
)
