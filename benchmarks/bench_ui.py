"""UI figures: response times of the local UI's JSON API over a large SQLite store.

Run it from the repository root:

    .venv/bin/python benchmarks/bench_ui.py [--partitions 10000] [--runs 1000] [--repeat 5]

The store holds one asset with ``--partitions`` static partitions (most materialized, 1 %
failed, the rest missing) and ``--runs`` runs. Each request is made once untimed (a page in
use has a warm SQLite cache) and then ``--repeat`` times; the median is reported, with the
response size. Target: every request under 0.2 s, so a page never feels slow.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from aloft import AssetExecutionContext, AssetSpec, Definitions, asset
from aloft.asset_graph import AssetGraph
from aloft.definitions.asset import AssetsDefinition
from aloft.definitions.asset_key import AssetKey
from aloft.partitions import StaticPartitionsDefinition
from aloft.storage.records import MaterializationRecord, PartitionStatus, RunRecord
from aloft.storage.sqlite import SqliteStateStore
from aloft.ui.layout import layout_asset_graph
from aloft.ui.server import UIServer

TARGET_S = 0.2


def populate(store: SqliteStateStore, keys: list[str], runs: int) -> None:
    key = AssetKey("events")
    for i, partition in enumerate(keys):
        if i % 100 == 42:
            store.set_partition_status(key, partition, PartitionStatus.FAILED, "r-failed", timestamp=1.0)
        elif i < len(keys) * 9 // 10:
            store.record_materialization(MaterializationRecord(key, "r-ok", "events", 1.0 + i, partition_key=partition))
    for i in range(runs):
        store.create_run(RunRecord(f"run-{i:05d}", "daily", selection=("events",), created_at=1_000.0 + i))


def layout_seconds(assets: int, repeat: int) -> float:
    """Lay out a graph of ``assets`` chains of 25 with cross links (what the asset page draws)."""
    specs = [
        AssetSpec(
            f"n{i:05d}",
            deps=([AssetKey(f"n{i - 1:05d}")] if i % 25 else [])
            + ([AssetKey(f"n{i - 30:05d}")] if i >= 30 and i % 7 == 0 else []),
        )
        for i in range(assets)
    ]
    graph = AssetGraph.from_assets([AssetsDefinition.from_spec(spec) for spec in specs])
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        layout_asset_graph(graph)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds)


def measure(url: str, repeat: int) -> tuple[float, int]:
    def get() -> bytes:
        with urllib.request.urlopen(url, timeout=30) as response:
            body: bytes = response.read()
            return body

    get()
    seconds = []
    for _ in range(repeat):
        started = time.perf_counter()
        body = get()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), len(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partitions", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    keys = [f"p{i:05d}" for i in range(args.partitions)]

    @asset(partitions_def=StaticPartitionsDefinition(keys))
    def events(context: AssetExecutionContext) -> str:
        return context.partition_key

    requests = {
        "one page of every partition": f"/api/assets/events?partitions_limit={args.partitions}",
        "asset page (default partition page)": "/api/assets/events",
        "asset list": "/api/assets",
        "run list, 1,000": "/api/runs?limit=1000",
        "run list, default page": "/api/runs",
        "the HTML page": "/",
    }
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="aloft-bench-ui-") as tmp:
        store = SqliteStateStore(Path(tmp) / "state.db")
        populate(store, keys, args.runs)
        with UIServer(Definitions(assets=[events]), store, port=0) as server:
            for what, path in requests.items():
                seconds, size = measure(server.url + path, args.repeat)
                rows.append({"benchmark": what, "seconds": round(seconds, 4), "bytes": size, "target_s": TARGET_S})
                print(json.dumps(rows[-1]))
        store.close()
    rows.append({"benchmark": "layout of 1,000 assets", "seconds": round(layout_seconds(1_000, args.repeat), 4),
                 "bytes": 0, "target_s": TARGET_S})
    print(json.dumps(rows[-1]))
    print()
    print(f"{'request':40} {'median':>9} {'size':>10}  target")
    for row in rows:
        verdict = "ok" if row["seconds"] <= TARGET_S else "MISSED"
        print(f"{row['benchmark']:40} {row['seconds']:8.4f}s {row['bytes']:>9}B  <= {TARGET_S}s {verdict}")


if __name__ == "__main__":
    main()
