"""The infra tests' second project: what the quickstart does not exercise.

- a diamond job and a job split into parts (``[tool.aloft.compile] max_steps_per_part``);
- schedules: one running in a DST zone, one stopped, one with two crons;
- S3 sensors with prefix+suffix, prefix only and suffix only, on two buckets;
- a polled sensor (so the automation function gets its stream and tick);
- steps of their own size: ``enriched`` by op tag and ``report`` by asset tag (one size, so
  one extra function), ``audit`` by ``[tool.aloft.assets]`` (in ``../pyproject.toml``);
- a daily-partitioned job (``daily``), which gets a backfill state machine.
"""

from __future__ import annotations

from aloft import Definitions, asset, define_asset_job
from aloft.automation.run_request import DefaultScheduleStatus, DefaultSensorStatus
from aloft.automation.s3 import s3_sensor
from aloft.automation.schedule import ScheduleDefinition
from aloft.automation.sensor import SensorDefinition
from aloft.partitions import DailyPartitionsDefinition


@asset
def orders() -> list[int]:
    """Raw orders."""
    return [1, 2, 3]


@asset
def customers() -> list[str]:
    """Raw customers."""
    return ["a", "b"]


@asset(op_tags={"aloft/memory_mb": "4096"})
def enriched(orders: list[int], customers: list[str]) -> int:
    """Orders joined with customers."""
    return len(orders) * len(customers)


@asset(tags={"aloft/memory_mb": "4096", "aloft/timeout_seconds": "900"})
def report(enriched: int) -> str:
    """The daily report."""
    return f"{enriched} rows"


@asset
def audit(orders: list[int]) -> int:
    """An independent check on orders."""
    return sum(orders)


days = DailyPartitionsDefinition(start_date="2026-01-01")


@asset(partitions_def=days, op_tags={"aloft/memory_mb": "4096"})
def daily_orders() -> list[int]:
    """One day of orders."""
    return [1, 2]


@asset(partitions_def=days)
def daily_totals(daily_orders: list[int]) -> int:
    """One day's total."""
    return sum(daily_orders)


everything = define_asset_job(
    "everything", selection=["orders", "customers", "enriched", "report", "audit"]
)
daily = define_asset_job("daily", selection=["daily_orders", "daily_totals"])
ingest = define_asset_job("ingest", selection=["orders", "customers"])

nightly = ScheduleDefinition(
    name="nightly",
    job=everything,
    cron_schedule="30 2 * * *",
    execution_timezone="Europe/Berlin",
    default_status=DefaultScheduleStatus.RUNNING,
)
weekdays = ScheduleDefinition(
    name="weekdays", job=ingest, cron_schedule="0 9 * * 1-5", execution_timezone="America/New_York"
)
twice = ScheduleDefinition(
    name="twice",
    job=ingest,
    cron_schedule=["0 6 * * *", "0 18 * * *"],
    default_status=DefaultScheduleStatus.RUNNING,
)


@s3_sensor(
    bucket="shop-landing",
    prefix="orders/",
    suffix=".csv",
    job=ingest,
    default_status=DefaultSensorStatus.RUNNING,
)
def order_files(context, s3_event):  # type: ignore[no-untyped-def]
    """A CSV of orders was dropped."""


@s3_sensor(bucket="shop-landing", prefix="customers/", job=ingest)
def customer_files(context, s3_event):  # type: ignore[no-untyped-def]
    """A customer export was dropped."""


@s3_sensor(
    bucket="partner-drops",
    suffix=".json",
    job=everything,
    default_status=DefaultSensorStatus.RUNNING,
)
def partner_files(context, s3_event):  # type: ignore[no-untyped-def]
    """A partner file was dropped."""


def _poll(context):  # type: ignore[no-untyped-def]
    return None


poller = SensorDefinition(
    "poller", evaluation_fn=_poll, job=everything, minimum_interval_seconds=300
)

defs = Definitions(
    assets=[orders, customers, enriched, report, audit, daily_orders, daily_totals],
    jobs=[everything, ingest, daily],
    schedules=[nightly, weekdays, twice],
    sensors=[order_files, customer_files, partner_files, poller],
)
