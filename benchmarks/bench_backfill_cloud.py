"""Cloud backfill figures: a 10,000-partition backfill is ONE execution over a manifest in S3.

Run it from the repository root:

    .venv/bin/python benchmarks/bench_backfill_cloud.py [--quick] [--partitions 10000] [--json]

It prints one JSON object per figure (``{"benchmark": ..., "value": ..., "unit": ...,
"target": ...}``), then a table, and writes everything to
``benchmarks/results/backfill_cloud.json`` (gitignored).

Figures:

- ``compile_backfill_*``: ``compile_backfill`` of a daily-partitioned job (a 4-asset
  diamond and a 200-asset chain; median of 5). The partition count is not an input
  of the compiler: the same ONE state machine runs 10 or 10,000 partitions.
- ``backfill_asl_bytes`` / ``parent_history_events`` / ``child_history_events``: the size of
  the definition (compact, placeholders counted as 140-character ARNs) and the estimated
  history of the parent execution and of one child.
- ``manifest_write_<n>``: generating and streaming the partition manifest of n partitions
  to S3 (moto, in process), and ``manifest_bytes_<n>`` its size.
- ``manifest_peak_memory_<n>``: peak Python allocation (``tracemalloc``) while streaming the
  manifest to an uploader that reads it in 8 KiB pieces, against ``naive_manifest_peak_memory``,
  the peak of building the same JSON in one ``json.dumps``.
- ``launch_<n>``: ``BackfillLauncher.launch`` of n partitions against moto (the backfill
  record with one item per partition in DynamoDB, the manifest in S3, StartExecution
  recorded but not run), and ``execution_input_bytes_<n>``, the input it started the
  execution with (the same for 10 and 10,000 partitions: it only names the manifest).
- ``run_<k>_partitions``: a k-partition backfill of a 2-asset daily job executed on the local
  cloud (moto's ASL interpreter runs the Distributed Map, the handlers in process, the
  state store in memory), wall time and the parent's recorded history events (the same for
  every k).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "backfill_cloud.json"


def figure(
    rows: list[dict[str, Any]], name: str, value: float, unit: str, target: str = "", note: str = ""
) -> None:
    row: dict[str, Any] = {"benchmark": name, "value": round(value, 4), "unit": unit, "target": target}
    if note:
        row["note"] = note
    rows.append(row)
    print(json.dumps(row), flush=True)


def median_seconds(work: Callable[[], Any], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def daily_job(parents: dict[str, list[str]], job: str = "daily") -> Any:
    from aloft import Definitions, asset, define_asset_job
    from aloft.partitions import DailyPartitionsDefinition

    days = DailyPartitionsDefinition("1990-01-01")
    assets = [
        asset(name=name, deps=list(ups), partitions_def=days)(lambda: None)
        for name, ups in parents.items()
    ]
    return Definitions(assets=assets, jobs=[define_asset_job(job, selection="*")])


def partition_keys(count: int) -> list[str]:
    from aloft.partitions import DailyPartitionsDefinition

    keys = DailyPartitionsDefinition("1990-01-01").get_partition_keys()
    if len(keys) < count:
        raise SystemExit(f"only {len(keys)} daily partitions since 1990; ask for fewer")
    return keys[:count]


def bench_compile(rows: list[dict[str, Any]]) -> None:
    from aloft.compiler.backfill import compile_backfill

    diamond = daily_job({"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]})
    chain = daily_job({f"s{i:03d}": [f"s{i - 1:03d}"] if i else [] for i in range(200)})
    figure(
        rows,
        "compile_backfill_diamond",
        median_seconds(lambda: compile_backfill(diamond, "daily")),
        "s",
        "",
        "4 daily assets; the partition count is not an input",
    )
    figure(
        rows,
        "compile_backfill_chain_200",
        median_seconds(lambda: compile_backfill(chain, "daily")),
        "s",
    )
    backfill = compile_backfill(diamond, "daily")
    figure(rows, "backfill_state_machines", len(backfill.state_machines), "count", "1 (one execution)")
    figure(
        rows,
        "backfill_asl_bytes",
        backfill.state_machine.estimate.definition_bytes,
        "bytes",
        "<= 1,000,000",
        "the diamond job; compact, placeholders as 140-character ARNs",
    )
    figure(
        rows,
        "backfill_asl_bytes_chain_200",
        compile_backfill(chain, "daily").state_machine.estimate.definition_bytes,
        "bytes",
        "<= 1,000,000",
    )
    figure(rows, "parent_history_events", backfill.state_machine.estimate.history_events, "events", "< 25,000, any n")
    figure(rows, "child_history_events", backfill.per_partition.history_events, "events", "< 25,000")


class DiscardingS3:
    """An uploader that reads the stream in 8 KiB pieces and keeps nothing (our side's memory only)."""

    def __init__(self) -> None:
        self.size = 0

    def upload_fileobj(self, stream: Any, bucket: str, key: str, ExtraArgs: Any = None) -> None:
        while chunk := stream.read(8192):
            self.size += len(chunk)


def bench_manifest(rows: list[dict[str, Any]], count: int) -> None:
    from moto import mock_aws

    from aloft.cloud.backfill import manifest_items, write_partition_manifest

    keys = partition_keys(count)
    with mock_aws():
        import boto3

        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="bench-data")
        started = time.perf_counter()
        location = write_partition_manifest(
            s3, "bench-data", "tmp/backfills/b/partitions.json", manifest_items("b", keys, ordered=True)
        )
        figure(rows, f"manifest_write_{count}", time.perf_counter() - started, "s", "", "moto S3, in process")
        figure(rows, f"manifest_bytes_{count}", location.size, "bytes")
    sink = DiscardingS3()
    tracemalloc.start()
    write_partition_manifest(sink, "b", "k", manifest_items("b", keys, ordered=True))
    _, streamed = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    tracemalloc.start()
    naive = json.dumps(list(manifest_items("b", keys, ordered=True))).encode()
    _, whole = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    figure(rows, f"manifest_peak_memory_{count}", streamed, "bytes", "independent of n", f"{sink.size:,} bytes streamed")
    figure(rows, "naive_manifest_peak_memory", whole, "bytes", "", f"json.dumps of {len(naive):,} bytes at once")


class RecordingSfn:
    def __init__(self) -> None:
        self.inputs: list[str] = []

    def start_execution(self, **kwargs: Any) -> dict[str, str]:
        self.inputs.append(kwargs["input"])
        return {"executionArn": "arn:aws:states:us-east-1:1:execution:m:" + kwargs["name"]}


def bench_launch(rows: list[dict[str, Any]], count: int) -> None:
    for n in (10, count):
        launch_once(rows, n)


def launch_once(rows: list[dict[str, Any]], count: int) -> None:
    import boto3
    from moto import mock_aws

    from aloft.cloud.backfill import BackfillDeployment, BackfillLauncher
    from aloft.cloud.launcher import JobDeployment
    from aloft.storage.dynamodb import DynamoDBStateStore

    keys = partition_keys(count)
    with mock_aws():
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="bench-data")
        store = DynamoDBStateStore("bench-state", region="us-east-1")
        store.create_table(wait=True)
        job = JobDeployment("daily", "", ("a", "b"), {"a": "a", "b": "b"})
        machine = "arn:aws:states:us-east-1:1:stateMachine:aloft-daily-backfill"
        deployment = BackfillDeployment("daily", machine, ordered=False, job=job)
        sfn = RecordingSfn()
        launcher = BackfillLauncher(store, sfn, s3, {"daily": deployment}, bucket="bench-data")
        started = time.perf_counter()
        launcher.launch("daily", keys, backfill_id="0123456789abcdef0123456789abcdef")
        figure(
            rows,
            f"launch_{count}",
            time.perf_counter() - started,
            "s",
            "",
            "record (DynamoDB in moto) + manifest (S3 in moto) + StartExecution",
        )
    figure(
        rows,
        f"execution_input_bytes_{count}",
        len(sfn.inputs[0]),
        "bytes",
        "<= 256 KiB, independent of n",
    )


def bench_run(rows: list[dict[str, Any]], sizes: list[int]) -> None:
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    logging.disable(logging.CRITICAL)
    from aloft.cloud.local import LocalCloud
    from aloft.storage.memory import InMemoryStateStore

    definitions = daily_job({"events": [], "summary": ["events"]})
    with LocalCloud(definitions, store=InMemoryStateStore(), instant_retries=True) as cloud:
        cloud.backfill("daily", partition_keys(2))  # warm-up: the ASL grammar loads once
        for size in sizes:
            keys = partition_keys(size + 2)[2:]
            started = time.perf_counter()
            result = cloud.backfill("daily", keys, timeout=600)
            wall = time.perf_counter() - started
            assert result.status == "COMPLETED", result.partitions
            history = cloud.history(str(result.execution["executionArn"]))
            figure(rows, f"run_{size}_partitions", wall, "s", "", f"{wall / size * 1000:.1f} ms per partition")
            figure(rows, f"run_{size}_parent_history_events", len(history), "events", "same for every size")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--partitions", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="1,000 partitions, small runs")
    parser.add_argument("--json", action="store_true", help="only the JSON lines")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    count = 1_000 if args.quick else args.partitions
    rows: list[dict[str, Any]] = []
    bench_compile(rows)
    bench_manifest(rows, count)
    bench_launch(rows, count)
    bench_run(rows, [5, 20] if args.quick else [10, 50])
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2) + "\n")
    if not args.json:
        print()
        print(f"{'figure':<34} {'value':>14}  unit    target / note")
        for row in rows:
            extra = " ".join(filter(None, [row["target"], row.get("note", "")]))
            print(f"{row['benchmark']:<34} {row['value']:>14,}  {row['unit']:<7} {extra}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
