"""Quickstart: a CSV of orders -> cleaned orders -> revenue by region.

Run it with ``make demo`` (or ``aloft materialize`` from the repository root),
then look at what was built with ``aloft runs list`` and ``aloft asset status``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from aloft import (
    AssetExecutionContext,
    Config,
    Definitions,
    MaterializeResult,
    MetadataValue,
    Output,
    asset,
    define_asset_job,
)

DATA = Path(__file__).parent / "data" / "orders.csv"


def _preview(frame: pd.DataFrame, rows: int = 5) -> MetadataValue:
    return MetadataValue.table(frame.head(rows).astype(str).to_dict("records"))


@asset(group_name="raw", code_version="1", metadata={"source": str(DATA.name)})
def raw_orders() -> Output[pd.DataFrame]:
    """Orders as exported by the shop, one row per order."""
    # "NA" is North America here, not a missing value: only empty cells are missing.
    frame = pd.read_csv(DATA, keep_default_na=False, na_values=[""])
    return Output(frame, metadata={"row_count": len(frame), "preview": _preview(frame)})


class CleaningConfig(Config):
    """Which orders count as revenue."""

    statuses: list[str] = ["complete"]
    min_amount: float = 0.0


@asset(group_name="processed", code_version="1")
def cleaned_orders(
    context: AssetExecutionContext, config: CleaningConfig, raw_orders: pd.DataFrame
) -> pd.DataFrame:
    """Orders with an amount, in a revenue-bearing status, typed."""
    frame = raw_orders.dropna(subset=["amount"])
    dropped = len(raw_orders) - len(frame)
    frame = frame[frame["status"].isin(config.statuses) & (frame["amount"] >= config.min_amount)]
    frame = frame.assign(order_date=pd.to_datetime(frame["order_date"]))
    context.log.info("dropped %d rows without an amount, kept %d orders", dropped, len(frame))
    context.add_output_metadata({"row_count": len(frame), "dropped_missing_amount": dropped})
    return frame


@asset(group_name="mart", code_version="1")
def revenue_by_region(cleaned_orders: pd.DataFrame) -> Output[pd.DataFrame]:
    """Total revenue and order count per region, largest first."""
    summary = (
        cleaned_orders.groupby("region")
        .agg(revenue=("amount", "sum"), orders=("order_id", "count"))
        .reset_index()
        .sort_values("revenue", ascending=False)
    )
    summary["revenue"] = summary["revenue"].round(2)
    return Output(
        summary,
        metadata={
            "regions": len(summary),
            "total_revenue": float(summary["revenue"].sum()),
            "top_region": str(summary.iloc[0]["region"]),
            "preview": _preview(summary),
        },
    )


@asset(group_name="mart", deps=[revenue_by_region])
def revenue_report() -> MaterializeResult:
    """A one-line report written next to the data (an asset that stores its own output)."""
    return MaterializeResult(metadata={"note": MetadataValue.md("Revenue refreshed; see `revenue_by_region`.")})


daily_revenue = define_asset_job("daily_revenue", selection="raw_orders*", tags={"team": "finance"})

defs = Definitions(
    assets=[raw_orders, cleaned_orders, revenue_by_region, revenue_report],
    jobs=[daily_revenue],
)
