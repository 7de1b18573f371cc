"""In-process benchmarks for one backend; prints one JSON object per line on stdout.

Run it with the interpreter of the backend's venv::

    .venv/bin/python benchmarks/bench_core.py --backend aloft
    benchmarks/.venv-dagster/bin/python benchmarks/bench_core.py --backend dagster

``benchmarks/run.py`` does both and compares. Every line has ``backend`` and ``bench``; a
measurement has ``seconds`` (the headline figure) and may carry extra fields; a benchmark
that could not run has ``error`` (or ``skipped``) instead. The user code under test lives in
``graphs.py`` and is identical for both backends.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import graphs

BACKENDS = ("aloft", "dagster")


class Sizes:
    """Benchmark sizes; ``--quick`` shrinks them for a smoke run."""

    def __init__(self, quick: bool, repeat: int | None = None) -> None:
        self.quick = quick
        self.chain = 30 if quick else 300
        self.wide = 30 if quick else 300
        self.defs = 500 if quick else 5000
        self.defs_layers = 50
        self.partitions = 10 if quick else 365
        self.import_runs = 3 if quick else 5
        # materialize benchmarks report the best of ``repeat`` runs (all runs are kept)
        self.repeat = repeat if repeat is not None else (1 if quick else 3)


# A benchmark: (api module, backend name, sizes) -> fields of its JSON record.
Bench = Callable[[ModuleType, str, Sizes], dict[str, Any]]


def emit(record: dict[str, Any]) -> None:
    print(json.dumps(record, sort_keys=True), flush=True)


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def check_result(result: Any, graph: graphs.BenchGraph) -> dict[str, Any]:
    """Dagster-API result checks: ``success`` and, when known, one output value."""
    out: dict[str, Any] = {"success": bool(result.success)}
    if not result.success:
        raise RuntimeError("materialize reported failure")
    if graph.expected is not None:
        name, value = graph.expected
        got = result.output_for_node(name)
        if got != value:
            raise RuntimeError(f"output of {name} was {got!r}, expected {value!r}")
        out["output_checked"] = name
    return out


def warm_up(api: ModuleType) -> None:
    """Materialize a 2-asset chain once so lazy imports do not land in the first timing."""
    api.materialize(graphs.chain(2, api, prefix="warmup").assets)


def best_of(repeat: int, fn: Callable[[], float]) -> tuple[float, list[float]]:
    runs = [fn() for _ in range(repeat)]
    return min(runs), runs


# --------------------------------------------------------------------------------------
# Instances
# --------------------------------------------------------------------------------------


@contextlib.contextmanager
def persistent_instance(api: ModuleType, backend: str, tmp: Path) -> Iterator[Any]:
    """A persistent (on-disk) instance to pass as ``materialize(..., instance=...)``."""
    if backend == "dagster":
        with api.DagsterInstance.local_temp(tempdir=str(tmp)) as instance:
            yield instance
        return
    # TODO(aloft): persistent SQLite state store. The SDK is expected to provide
    # ``aloft.storage.sqlite.SqliteStateStore(path)``, accepted by
    # ``aloft.materialize(..., instance=...)``. Until it exists the persistent variants are
    # reported as skipped rather than failing the run.
    try:
        sqlite = importlib.import_module("aloft.storage.sqlite")
    except ImportError as exc:
        raise NotImplementedError(f"aloft.storage.sqlite not available ({exc})") from exc
    store = sqlite.SqliteStateStore(str(tmp / "aloft.sqlite"))
    try:
        yield store
    finally:
        close = getattr(store, "close", None)
        if callable(close):
            close()


# --------------------------------------------------------------------------------------
# Benchmarks
# --------------------------------------------------------------------------------------


def bench_chain(api: ModuleType, backend: str, sizes: Sizes) -> dict[str, Any]:
    """Chain of N trivial assets, one ``materialize`` with the default (ephemeral) instance."""
    build_s, graph = timed(lambda: graphs.chain(sizes.chain, api))
    checks: dict[str, Any] = {}

    def once() -> float:
        seconds, result = timed(lambda: api.materialize(graph.assets))
        checks.update(check_result(result, graph))
        return seconds

    seconds, runs = best_of(sizes.repeat, once)
    return {"seconds": seconds, "runs": runs, "assets": sizes.chain, "build_s": build_s, **checks}


def bench_chain_persistent(api: ModuleType, backend: str, sizes: Sizes) -> dict[str, Any]:
    """Same chain, materialized into a persistent on-disk instance in a temp directory."""
    graph = graphs.chain(sizes.chain, api)
    checks: dict[str, Any] = {}

    def once() -> float:
        with (
            tempfile.TemporaryDirectory(prefix="aloft-bench-") as tmp,
            persistent_instance(api, backend, Path(tmp)) as instance,
        ):
            seconds, result = timed(lambda: api.materialize(graph.assets, instance=instance))
        checks.update(check_result(result, graph))
        return seconds

    seconds, runs = best_of(sizes.repeat, once)
    return {"seconds": seconds, "runs": runs, "assets": sizes.chain, **checks}


def bench_wide(api: ModuleType, backend: str, sizes: Sizes) -> dict[str, Any]:
    """1 -> W -> 1; the W middle assets sleep 10 ms each. Compared to the critical path.

    The critical path is the sum of the sleeps along the longest path (10 ms here), with no
    allowance for orchestration overhead. The same graph with 0 ms sleeps is also timed
    (``zero_sleep_s``): that is the pure fan-out/fan-in overhead of the backend. And the
    sleeping graph with values kept in memory (``in_memory_s``, ``materialize_to_memory``):
    the difference to ``seconds`` is what writing 302 pickles to disk costs.
    """
    graph = graphs.wide(sizes.wide, api)
    idle = graphs.wide(sizes.wide, api, sleep_s=0.0)
    critical = graph.critical_path_s()
    checks: dict[str, Any] = {}

    def once(g: graphs.BenchGraph, how: Any = api.materialize) -> float:
        seconds, result = timed(lambda: how(g.assets))
        checks.update(check_result(result, g))
        return seconds

    seconds, runs = best_of(sizes.repeat, lambda: once(graph))
    zero_sleep_s, zero_runs = best_of(sizes.repeat, lambda: once(idle))
    extra: dict[str, float] = {}
    if backend == "aloft":  # Dagster runs the sleeps serially either way
        in_memory_s, _ = best_of(sizes.repeat, lambda: once(graph, api.materialize_to_memory))
        extra = {"in_memory_s": in_memory_s, "in_memory_over_critical_path": in_memory_s / critical}
    serial = sum(graph.sleeps.values())
    return {
        "seconds": seconds,
        "runs": runs,
        "width": sizes.wide,
        "critical_path_s": critical,
        "wall_over_critical_path": seconds / critical,
        "sum_of_sleeps_s": serial,
        "zero_sleep_s": zero_sleep_s,
        "zero_sleep_runs": zero_runs,
        **extra,
        **checks,
    }


def _subprocess_seconds(code: str, cwd: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=cwd)
    return time.perf_counter() - start


def bench_import(api: ModuleType, backend: str, sizes: Sizes) -> dict[str, Any]:
    """``python -c "import X"`` minus ``python -c pass``, medians of N fresh interpreters."""
    with tempfile.TemporaryDirectory(prefix="aloft-bench-") as cwd:  # nothing to shadow imports
        _subprocess_seconds(f"import {backend}", cwd)  # warm the bytecode/page cache
        baseline = [_subprocess_seconds("pass", cwd) for _ in range(sizes.import_runs)]
        imports = [_subprocess_seconds(f"import {backend}", cwd) for _ in range(sizes.import_runs)]
    base = statistics.median(baseline)
    raw = statistics.median(imports)
    return {
        "seconds": raw - base,
        "import_median_s": raw,
        "baseline_median_s": base,
        "runs": imports,
        "baseline_runs": baseline,
    }


def bench_defs(api: ModuleType, backend: str, sizes: Sizes) -> dict[str, Any]:
    """Decorate N assets of a layered random DAG, then build + validate ``Definitions``.

    ``seconds`` is build + validate only; decoration is reported as ``decorate_s``.
    Dagster: ``Definitions(...)`` + ``Definitions.validate_loadable(defs)`` (builds the
    repository, asset graph and asset jobs) + ``defs.resolve_asset_graph()``.
    aloft: ``Definitions(...)`` + ``defs.get_asset_graph()``.
    """
    decorate_s, graph = timed(lambda: graphs.layered(sizes.defs, api, layers=sizes.defs_layers))

    def build_and_validate() -> int:
        defs = graphs.layered_definitions(api, graph)
        if backend == "dagster":
            api.Definitions.validate_loadable(defs)
            asset_graph = defs.resolve_asset_graph()
            return len(list(asset_graph.get_all_asset_keys()))
        asset_graph = defs.get_asset_graph()
        keys = getattr(asset_graph, "all_keys", None)
        if keys is None:
            return len(asset_graph)
        return len(keys() if callable(keys) else keys)

    seconds, n_keys = timed(build_and_validate)
    if n_keys != sizes.defs:
        raise RuntimeError(f"asset graph has {n_keys} assets, expected {sizes.defs}")
    return {
        "seconds": seconds,
        "decorate_s": decorate_s,
        "assets": sizes.defs,
        "edges": sum(len(u) for u in graph.upstreams.values()),
        "layers": sizes.defs_layers,
    }


def bench_partitions(api: ModuleType, backend: str, sizes: Sizes) -> dict[str, Any]:
    """Backfill of a daily-partitioned asset: one ``materialize(partition_key=k)`` per key."""
    graph = graphs.daily_partitioned(api)
    keys = graphs.daily_keys(sizes.partitions)
    per_run: list[float] = []
    start = time.perf_counter()
    for key in keys:
        seconds, result = timed(lambda k=key: api.materialize(graph.assets, partition_key=k))
        check_result(result, graph)
        per_run.append(seconds)
    total = time.perf_counter() - start
    return {
        "seconds": total,
        "partitions": len(keys),
        "per_run_median_s": statistics.median(per_run),
        "per_run_max_s": max(per_run),
    }


def bench_partitions_concurrent(api: ModuleType, backend: str, sizes: Sizes) -> dict[str, Any]:
    """aloft only: the same keys through one ``aloft.backfill`` (runs in parallel, recorded).

    Dagster has no in-process concurrent backfill; ``run.py`` compares this figure with
    Dagster's ``partitions_365`` (one ``materialize`` per key).
    """
    if backend != "aloft":
        raise NotImplementedError("no in-process concurrent backfill API in Dagster")
    graph = graphs.daily_partitioned(api)
    keys = graphs.daily_keys(sizes.partitions)
    seconds, result = timed(lambda: api.backfill(graph.assets, partition_keys=keys))
    if not result.success:
        raise RuntimeError(f"backfill reported failure: {dict(list(result.errors.items())[:3])}")
    if len(result.materialized_partitions) != len(keys):
        raise RuntimeError(f"backfill materialized {len(result.materialized_partitions)} of {len(keys)} keys")
    return {
        "seconds": seconds,
        "partitions": len(keys),
        "runs": len(result.run_ids),
        "per_partition_ms": seconds / len(keys) * 1000,
    }


BENCHES: dict[str, tuple[Bench, str]] = {
    "import": (bench_import, "python -c 'import X' minus 'python -c pass' (median)"),
    "chain_300": (bench_chain, "chain of 300 trivial assets, one materialize, ephemeral"),
    "chain_300_persistent": (
        bench_chain_persistent,
        "chain of 300, materialize into a persistent on-disk instance",
    ),
    "wide_1_300_1": (bench_wide, "1 -> 300 -> 1, middle assets sleep 10 ms"),
    "defs_5000": (bench_defs, "Definitions build + validate, 5,000-asset layered DAG"),
    "partitions_365": (bench_partitions, "365 daily partitions, one materialize per key"),
    "partitions_365_concurrent": (
        bench_partitions_concurrent,
        "365 daily partitions via a concurrent backfill (aloft)",
    ),
}


def select(only: str | None) -> list[str]:
    if not only:
        return list(BENCHES)
    wanted = [w.strip() for w in only.split(",") if w.strip()]
    unknown = [w for w in wanted if w not in BENCHES]
    if unknown:
        raise SystemExit(f"unknown benchmark(s) {unknown}; choose from {list(BENCHES)}")
    return wanted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=BACKENDS, required=True)
    parser.add_argument("--only", help="comma-separated benchmark names")
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    parser.add_argument("--repeat", type=int, help="runs per materialize benchmark (best kept)")
    args = parser.parse_args(argv)
    sizes = Sizes(args.quick, args.repeat)
    names = select(args.only)
    backend: str = args.backend

    meta: dict[str, Any] = {
        "backend": backend,
        "bench": "_meta",
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "quick": sizes.quick,
    }
    if hasattr(os, "getloadavg"):
        meta["loadavg_1m"] = round(os.getloadavg()[0], 2)
    try:
        api = importlib.import_module(backend)
        # Touch the API surface the graphs use so a missing name fails loudly here.
        for attr in ("asset", "AssetIn", "AssetKey", "Definitions", "materialize"):
            getattr(api, attr)
    except Exception as exc:
        meta["error"] = f"import {backend} failed: {type(exc).__name__}: {exc}"
        emit(meta)
        return 1
    meta["version"] = getattr(api, "__version__", "unknown")
    emit(meta)

    if any(n != "import" for n in names):
        try:
            warm_up(api)
        except Exception as exc:
            print(traceback.format_exc(), file=sys.stderr)
            emit({"backend": backend, "bench": "_warmup", "error": f"{type(exc).__name__}: {exc}"})

    for name in names:
        fn, what = BENCHES[name]
        record: dict[str, Any] = {"backend": backend, "bench": name, "what": what}
        try:
            record.update(fn(api, backend, sizes))
        except NotImplementedError as exc:
            record["skipped"] = str(exc)
        except Exception as exc:
            print(traceback.format_exc(), file=sys.stderr)
            record["error"] = f"{type(exc).__name__}: {exc}"
        emit(record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
