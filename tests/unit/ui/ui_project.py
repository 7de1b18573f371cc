"""The small project the UI tests serve: a few assets really materialized into a state store.

raw/orders -> revenue, raw/orders -> broken (always fails), regional (static partitions:
eu materialized, us failed, apac in progress, latam missing), vendor_feed (external),
plus a job, a schedule and a sensor. ``raw/orders`` carries every kind of metadata and,
with ``revenue``, hostile text that the UI must never render as HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aloft import (
    AssetExecutionContext,
    AssetIn,
    AssetSpec,
    Definitions,
    MetadataValue,
    Output,
    asset,
    define_asset_job,
)
from aloft.automation import ScheduleDefinition, SkipReason, sensor
from aloft.execution.materialize import materialize_to_memory
from aloft.partitions import StaticPartitionsDefinition
from aloft.storage.base import StateStore
from aloft.storage.records import RunRecord, RunStatus, TickRecord, TickStatus

XSS_DESCRIPTION = '<script>alert("xss-description")</script>'
XSS_TEXT = "<img src=x onerror=alert('xss-metadata')>"
XSS_URL = "javascript:alert('xss-url')"
REGIONS = StaticPartitionsDefinition(["eu", "us", "apac", "latam"])

vendor_feed = AssetSpec("vendor_feed", description="an external file drop", group_name="raw")


@asset(key_prefix="raw", group_name="raw", deps=[vendor_feed])
def orders() -> Output[list[dict[str, Any]]]:
    rows = [{"region": "EU", "amount": 12.5}, {"region": "NA", "amount": 3.0}]
    return Output(
        rows,
        metadata={
            "rows": len(rows),
            "share": 0.25,
            "note": MetadataValue.text(XSS_TEXT),
            "preview": MetadataValue.md("| region | amount |\n| --- | --- |\n| EU | 12.5 |"),
            "schema": MetadataValue.json({"columns": ["region", "amount"]}),
            "dashboard": MetadataValue.url("https://example.com/orders"),
            "evil_link": MetadataValue.url(XSS_URL),
            "sample": MetadataValue.table(rows),
            "location": MetadataValue.path("/data/orders.parquet"),
            "fresh": True,
        },
    )


@asset(group_name="mart", description=XSS_DESCRIPTION, ins={"orders": AssetIn(key="raw/orders")})
def revenue(context: AssetExecutionContext, orders: list[dict[str, Any]]) -> float:
    total = sum(row["amount"] for row in orders)
    context.log.info("revenue is %.2f", total)
    return total


@asset(group_name="mart", ins={"orders": AssetIn(key="raw/orders")})
def broken(orders: list[dict[str, Any]]) -> int:
    raise ValueError("broken on purpose")


@asset(group_name="regional", partitions_def=REGIONS)
def regional(context: AssetExecutionContext) -> str:
    if context.partition_key == "us":
        raise RuntimeError("the us feed is late")
    return context.partition_key


daily = define_asset_job("daily", selection="raw/orders+")
nightly = ScheduleDefinition(
    name="nightly", job=daily, cron_schedule="0 2 * * *", execution_timezone="Europe/Berlin"
)


@sensor(job=daily, minimum_interval_seconds=60)
def new_files(context: Any) -> SkipReason:
    return SkipReason("no new files")


DEFS = Definitions(
    assets=[vendor_feed, orders, revenue, broken, regional],
    jobs=[daily],
    schedules=[nightly],
    sensors=[new_files],
)


@dataclass(frozen=True)
class Populated:
    """The run ids the population step produced."""

    failed_run: str
    ok_run: str
    regional_runs: dict[str, str]
    started_run: str


def populate(store: StateStore) -> Populated:
    """Materialize the project into ``store`` (real runs), then leave one run in progress."""
    assets = [vendor_feed, orders, revenue, broken, regional]
    failed = materialize_to_memory(
        assets, instance=store, selection="raw/orders+", raise_on_error=False
    )
    ok = materialize_to_memory(assets, instance=store, selection="raw/orders or revenue")
    regional_runs = {}
    for region in ("eu", "us"):
        result = materialize_to_memory(
            [regional], instance=store, partition_key=region, raise_on_error=False
        )
        regional_runs[region] = result.run_id
    started = store.create_run(
        RunRecord("run-in-progress", "__ASSET_JOB", selection=("regional",), partition_key="apac")
    )
    store.update_run_status(started.run_id, RunStatus.STARTED)
    store.add_tick(
        TickRecord("new_files", TickStatus.SKIPPED, skip_reason="no new files", cursor="c-1")
    )
    store.set_sensor_cursor("new_files", "c-1")
    return Populated(failed.run_id, ok.run_id, regional_runs, started.run_id)
