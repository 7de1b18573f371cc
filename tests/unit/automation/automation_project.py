"""The tiny project the automation tests share: orders -> revenue, job 'ingest'."""

from __future__ import annotations

from typing import Any

from aloft import Definitions, asset, define_asset_job
from aloft.io.memory import InMemoryIOManager


@asset
def orders() -> list[int]:
    return [1, 2, 3]


@asset
def revenue(orders: list[int]) -> int:
    return sum(orders)


ingest = define_asset_job("ingest", selection="*")


def make_defs(**kwargs: Any) -> Definitions:
    """The tiny project (orders -> revenue, job 'ingest') with extra schedules/sensors."""
    kwargs.setdefault("assets", [orders, revenue])
    kwargs.setdefault("jobs", [ingest])
    kwargs.setdefault("resources", {"io_manager": InMemoryIOManager()})
    return Definitions(**kwargs)
