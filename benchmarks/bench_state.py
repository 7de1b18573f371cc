"""State store figures: SQLite cost per materialization, partition reads, DynamoDB request counts.

Run it from the repository root:

    .venv/bin/python benchmarks/bench_state.py [--records 3000] [--partitions 10000]

It prints one JSON object per figure (``{"benchmark": ..., "value": ..., "unit": ...,
"target": ...}``) and then a short table. DynamoDB figures come from moto in-process:
request and page counts are what DynamoDB would see; moto's wall times are not.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from aloft.definitions.asset_key import AssetKey
from aloft.storage.records import (
    MaterializationRecord,
    PartitionStatus,
    RunRecord,
    StepEvent,
    StepEventType,
)
from aloft.storage.sqlite import SqliteStateStore

WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
METADATA = {
    "path": {"type": "path", "value": "/project/.aloft/storage/warehouse/orders"},
    "row_count": {"type": "int", "value": 1234},
    "preview": {"type": "md", "value": "| region | revenue |\n| --- | --- |\n| EU | 12.5 |\n"},
}


def figure(name: str, value: float, unit: str, target: str, note: str = "") -> dict[str, Any]:
    row = {"benchmark": name, "value": round(value, 4), "unit": unit, "target": target}
    if note:
        row["note"] = note
    print(json.dumps(row), flush=True)
    return row


def _records(count: int) -> list[MaterializationRecord]:
    """A 300-asset graph's materializations, half of them partitioned, as the executor makes them."""
    keys = [AssetKey(["warehouse", f"asset_{i:03d}"]) for i in range(300)]
    return [
        MaterializationRecord(
            keys[i % 300],
            f"run-{i // 300}",
            keys[i % 300].to_python_identifier(),
            metadata=METADATA,
            partition_key=f"2026-03-{1 + i % 28:02d}" if i % 2 else None,
            code_version="v1",
        )
        for i in range(count)
    ]


def bench_sqlite(records: int, partitions: int, workdir: Path) -> list[dict[str, Any]]:
    store = SqliteStateStore(workdir / "state.db")
    batch = _records(records)
    # Median of five passes over fresh identities: the first pass also warms SQLite's page cache.
    costs = []
    for attempt in range(5):
        started = time.perf_counter()
        for record in batch:
            store.record_materialization(replace(record, attempt=attempt + 1))
        costs.append((time.perf_counter() - started) / len(batch) * 1000)
    events = [
        StepEvent("run-x", f"step_{i}", StepEventType.SUCCEEDED, logs=("INFO done",))
        for i in range(1000)
    ]
    started = time.perf_counter()
    for event in events:
        store.add_step_event(event)
    event_ms = (time.perf_counter() - started) / len(events) * 1000

    asset = AssetKey(["warehouse", "daily_orders"])
    for i in range(partitions):
        store.set_partition_status(
            asset, f"{2000 + i // 365}-{i % 365:03d}", PartitionStatus.MATERIALIZED, "r1"
        )
    reads = []
    for _ in range(5):
        started = time.perf_counter()
        found = store.partition_statuses(asset)
        reads.append(time.perf_counter() - started)
    assert len(found) == partitions
    store.close()
    return [
        figure(
            "sqlite_ms_per_materialization",
            statistics.median(costs),
            "ms",
            "<= 0.5",
            f"{records} records, median of 5 passes, WAL + synchronous=NORMAL",
        ),
        figure("sqlite_ms_per_step_event", event_ms, "ms", "-"),
        figure(
            "sqlite_read_partition_statuses",
            statistics.median(reads),
            "s",
            "<= 0.2",
            f"{partitions} partitions of one asset",
        ),
    ]


class _Counter:
    def __init__(self, client: Any) -> None:
        self.calls: Counter[str] = Counter()
        client.meta.events.register("before-call.dynamodb", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1

    def measure(self, action: Callable[[], object]) -> Counter[str]:
        self.calls.clear()
        action()
        return Counter(self.calls)


def bench_dynamodb(partitions: int) -> list[dict[str, Any]]:
    from moto import mock_aws

    from aloft.storage.dynamodb import DynamoDBStateStore

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    rows = []
    with mock_aws():
        store = DynamoDBStateStore("aloft-bench", region="us-east-1")
        store.create_table()
        counter = _Counter(store.client)
        store.create_run(RunRecord("r1", "daily"))
        asset = AssetKey(["warehouse", "orders"])

        plain = counter.measure(
            lambda: store.record_materialization(MaterializationRecord(asset, "r1", "orders"))
        )
        partitioned = counter.measure(
            lambda: store.record_materialization(
                MaterializationRecord(asset, "r1", "orders", partition_key="p")
            )
        )

        def step() -> None:
            store.add_step_event(StepEvent("r1", "orders", StepEventType.STARTED, attempt=2))
            store.record_materialization(
                MaterializationRecord(asset, "r1", "orders", attempt=2, metadata=METADATA)
            )
            store.add_step_event(
                StepEvent("r1", "orders", StepEventType.SUCCEEDED, attempt=2, logs=("INFO ok",))
            )

        whole_step = counter.measure(step)
        rows.append(
            figure(
                "dynamodb_writes_per_materialization",
                sum(plain[op] for op in WRITES),
                "requests",
                "<= 2",
                "unpartitioned: one TransactWriteItems",
            )
        )
        rows.append(
            figure(
                "dynamodb_writes_per_partitioned_materialization",
                sum(partitioned[op] for op in WRITES),
                "requests",
                "<= 2",
                "history + latest + partition latest + status + idempotency marker in one transaction",
            )
        )
        rows.append(
            figure(
                "dynamodb_writes_per_step",
                sum(whole_step[op] for op in WRITES),
                "requests",
                "-",
                "STARTED event + materialization + SUCCEEDED event",
            )
        )

        pk = "ASSET#warehouse/daily_orders"
        statuses = [s.value for s in (PartitionStatus.MATERIALIZED, PartitionStatus.FAILED)]
        items = [
            {
                "PutRequest": {
                    "Item": {
                        "pk": {"S": pk},
                        "sk": {"S": f"PART#{2000 + i // 365:04d}-{i % 365:03d}|region_{i % 7}"},
                        "status": {"S": statuses[i % 2]},
                        "run_id": {"S": str(uuid.uuid4())},
                        "ts": {"N": f"{1_767_000_000.123456 + i:.6f}"},
                    }
                }
            }
            for i in range(partitions)
        ]
        for start in range(0, len(items), 25):
            store.client.batch_write_item(RequestItems={"aloft-bench": items[start : start + 25]})
        found: dict[str, PartitionStatus] = {}
        pages = counter.measure(
            lambda: found.update(store.partition_statuses(AssetKey(["warehouse", "daily_orders"])))
        )
        assert len(found) == partitions
        rows.append(
            figure(
                "dynamodb_query_pages_partition_statuses",
                pages["Query"],
                "pages",
                "<= 5",
                f"{partitions} partitions of one asset, 1 MB per page (moto enforces it)",
            )
        )
        latest = counter.measure(lambda: store.latest_materialization(asset, "p"))
        rows.append(
            figure(
                "dynamodb_reads_latest_partition_materialization",
                sum(latest.values()),
                "requests",
                "1",
                "GetItem",
            )
        )
    return rows


def bench_partition_keys(partitions: int, workdir: Path) -> list[dict[str, Any]]:
    """A daily asset with ``partitions`` partitions: enumerating its keys, and everything
    ``aloft partitions status`` does on SQLite (keys, stored statuses, runs in progress, grid)."""
    from datetime import date, timedelta

    from aloft.cli.partitions import active_runs, partition_status_view, render_grid
    from aloft.partitions import DailyPartitionsDefinition

    start = date(1990, 1, 1)  # 10,000 days end in 2017, before today: every key exists
    end = (start + timedelta(days=partitions)).isoformat()
    cold, warm = [], []
    for _ in range(5):
        days = DailyPartitionsDefinition(start_date=start.isoformat(), end_date=end)  # nothing cached
        began = time.perf_counter()
        keys = days.get_partition_keys()
        cold.append(time.perf_counter() - began)
        began = time.perf_counter()
        days.get_partition_keys()
        warm.append(time.perf_counter() - began)
    assert len(keys) == partitions
    store = SqliteStateStore(workdir / "grid.db")
    asset = AssetKey(["warehouse", "daily_events"])
    for index, key in enumerate(keys):
        if index % 10:
            store.set_partition_status(asset, key, PartitionStatus.MATERIALIZED, "r1")
    costs = []
    for _ in range(5):
        began = time.perf_counter()
        all_keys = days.get_partition_keys(dynamic_partitions_store=store)
        view = partition_status_view(all_keys, store.partition_status_records(asset), active_runs(store, asset))
        render_grid(view, days)
        costs.append(time.perf_counter() - began)
    store.close()
    return [
        figure(
            "enumerate_daily_partition_keys",
            statistics.median(cold) * 1000,
            "ms",
            "<= 10",
            f"{partitions} daily keys, a fresh definition (cached afterwards: "
            f"{statistics.median(warm) * 1000:.3f} ms)",
        ),
        figure(
            "sqlite_partitions_status",
            statistics.median(costs),
            "s",
            "<= 0.2",
            f"aloft partitions status of {partitions} daily partitions: keys, statuses, runs, grid",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--records", type=int, default=3000, help="materializations recorded per SQLite pass"
    )
    parser.add_argument(
        "--partitions", type=int, default=10_000, help="partitions of the one asset read back"
    )
    parser.add_argument("--skip-dynamodb", action="store_true", help="only the SQLite figures")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="aloft-bench-state-") as workdir:
        rows = bench_sqlite(args.records, args.partitions, Path(workdir))
        rows += bench_partition_keys(args.partitions, Path(workdir))
    if not args.skip_dynamodb:
        rows += bench_dynamodb(args.partitions)
    width = max(len(r["benchmark"]) for r in rows)
    print(file=sys.stderr)
    print(f"{'benchmark':<{width}}  {'value':>10}  {'unit':<9} target", file=sys.stderr)
    for row in rows:
        print(
            f"{row['benchmark']:<{width}}  {row['value']:>10}  {row['unit']:<9} {row['target']}",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
