"""The API stays bounded on 10,000 partitions and 1,000 runs (SQLite store).

Response times are measured in ``benchmarks/bench_ui.py``, not here: targets live in
benchmarks, where a noisy machine cannot fail the suite.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import fetch

from aloft import AssetExecutionContext, Definitions, asset
from aloft.definitions.asset_key import AssetKey
from aloft.partitions import StaticPartitionsDefinition
from aloft.storage.records import MaterializationRecord, PartitionStatus, RunRecord
from aloft.storage.sqlite import SqliteStateStore
from aloft.ui.server import UIServer

KEYS = [f"p{i:05d}" for i in range(10_000)]


@asset(partitions_def=StaticPartitionsDefinition(KEYS))
def events(context: AssetExecutionContext) -> str:
    return context.partition_key


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UIServer]:
    store = SqliteStateStore(Path(tmp_path_factory.mktemp("ui-big")) / "state.db")
    key = AssetKey("events")
    for i, partition in enumerate(KEYS):
        if i % 100 == 42:
            store.set_partition_status(
                key, partition, PartitionStatus.FAILED, "r-failed", timestamp=1.0
            )
        elif i < 9_000:
            store.record_materialization(
                MaterializationRecord(key, "r-ok", "events", 1.0 + i, partition_key=partition)
            )
    for i in range(1_000):
        store.create_run(
            RunRecord(f"run-{i:04d}", "daily", selection=("events",), created_at=1_000.0 + i)
        )
    with UIServer(Definitions(assets=[events]), store, port=0) as server:
        yield server
    store.close()


def test_a_page_of_ten_thousand_partitions(big: UIServer) -> None:
    response = fetch(big.url + "/api/assets/events?partitions_limit=10000")
    assert response.status == 200
    partitions = response.json()["partitions"]
    assert len(partitions["cells"]) == 10_000 and partitions["next_cursor"] is None
    assert partitions["counts"] == {
        "MATERIALIZED": 8_910,
        "FAILED": 100,
        "IN_PROGRESS": 0,
        "MISSING": 990,
    }


def test_partition_pages_are_bounded(big: UIServer) -> None:
    partitions = fetch(big.url + "/api/assets/events").json()["partitions"]
    assert len(partitions["cells"]) == 1_000 and partitions["next_cursor"] == "1000"
    capped = fetch(big.url + "/api/assets/events?partitions_limit=50000").json()["partitions"]
    assert len(capped["cells"]) == 10_000
    assets = fetch(big.url + "/api/assets")
    assert assets.json()["assets"][0]["partitions"]["total"] == 10_000
    assert len(assets.body) < 10_000  # the list carries counts, not the grid


def test_a_thousand_runs(big: UIServer) -> None:
    response = fetch(big.url + "/api/runs?limit=1000")
    assert response.status == 200
    runs = response.json()["runs"]
    assert (
        len(runs) == 1_000 and runs[0]["run_id"] == "run-0999" and runs[-1]["run_id"] == "run-0000"
    )
    default = fetch(big.url + "/api/runs").json()
    assert len(default["runs"]) == 50 and default["next_cursor"]
    assert len(fetch(big.url + "/api/runs?limit=5000").json()["runs"]) == 1_000  # capped at 1,000
