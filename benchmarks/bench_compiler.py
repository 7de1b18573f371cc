"""Compiler figures: compile time, splitting, and makespan of compiled state machines on moto.

Run it from the repository root:

    .venv/bin/python benchmarks/bench_compiler.py [--quick] [--seeds 5] [--json]

It prints one JSON object per figure (``{"benchmark": ..., "value": ..., "unit": ...,
"target": ...}``), then a table, and writes everything to
``benchmarks/results/compiler.json`` (gitignored).

Figures:

- ``compile_5000``: ``compile_plan`` of a seeded 5,000-step random DAG (median of 5, the
  plan built beforehand); ``compile_job_5000`` is the same from ``Definitions``.
- ``compile_20000``: a 20,000-step DAG compiles (split into parts), with the largest
  part's estimated history events and definition size.
- ``makespan_ratio_*``: seeded random DAGs of 50-200 assets, each asset sleeping
  20-200 ms, executed on the local cloud (after one warm-up execution, best of
  ``--repeat``) (moto's ASL interpreter, the real Lambda handlers
  in-process, S3 in moto, the state store in memory: see ``bench_makespan``). ``makespan / critical path`` for aloft's layout and
  for the layer-by-layer baseline (one Parallel per topological level, as Kedro and
  datajob compile), both measured on the same graph, one after the other. The makespan is
  the execution's first to last history event.
- ``transitions_per_asset`` / ``history_events_per_asset``: counted from
  ``get_execution_history`` of the aloft executions (state entered events = billed
  transitions).
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

POLL = 0.05
RESULTS = Path(__file__).resolve().parent / "results" / "compiler.json"


def figure(
    rows: list[dict[str, Any]], name: str, value: float, unit: str, target: str, note: str = ""
) -> None:
    row: dict[str, Any] = {
        "benchmark": name,
        "value": round(value, 4),
        "unit": unit,
        "target": target,
    }
    if note:
        row["note"] = note
    rows.append(row)
    print(json.dumps(row), flush=True)


def random_dag(
    n: int, seed: int, *, max_parents: int = 3, window: int = 15, prefix: str = "s"
) -> dict[str, list[str]]:
    """Step i depends on up to ``max_parents`` steps among the ``window`` before it (seeded)."""
    rng = random.Random(seed)
    graph: dict[str, list[str]] = {}
    for i in range(n):
        earlier = list(range(max(0, i - window), i))
        count = rng.randint(0, min(max_parents, len(earlier)))
        graph[f"{prefix}{i:05d}"] = [f"{prefix}{j:05d}" for j in sorted(rng.sample(earlier, count))]
    return graph


def definitions_for(
    graph: dict[str, list[str]], sleeps: dict[str, float] | None = None, job: str = "bench"
) -> Any:
    """One asset per step (upstreams by ``deps``: ordering only, no data), sleeping if asked."""
    from aloft import AssetSelection, Definitions, asset, define_asset_job

    def body(seconds: float) -> Callable[[], None]:
        def run() -> None:
            if seconds:
                time.sleep(seconds)

        return run

    assets = [
        asset(name=name, deps=list(ups))(body((sleeps or {}).get(name, 0.0)))
        for name, ups in graph.items()
    ]
    return Definitions(
        assets=assets, jobs=[define_asset_job(job, selection=AssetSelection.keys(*graph))]
    )


# -- compile time ------------------------------------------------------------------------------


def bench_compile(rows: list[dict[str, Any]], quick: bool) -> None:
    from aloft.compiler import compile_job, compile_plan
    from aloft.execution.plan import build_asset_plan

    n = 1000 if quick else 5000
    defs = definitions_for(random_dag(n, seed=1))
    plan = build_asset_plan(defs.get_asset_graph(), defs.resolve_job_keys("bench"), "bench")
    compile_plan(plan)  # warm-up: imports, allocator
    times = []
    for _ in range(5):
        gc.collect()
        started = time.perf_counter()
        job = compile_plan(plan)
        times.append(time.perf_counter() - started)
    figure(
        rows,
        f"compile_{n}",
        statistics.median(times),
        "s",
        "<= 1.0 s",
        f"{job.layout}, {len(job.parts)} parts, median of 5 (min {min(times):.3f}s)",
    )
    started = time.perf_counter()
    compile_job(defs, "bench")
    figure(
        rows,
        f"compile_job_{n}",
        time.perf_counter() - started,
        "s",
        "none",
        "plan building included",
    )

    big = 4000 if quick else 20000
    defs = definitions_for(random_dag(big, seed=2))
    plan = build_asset_plan(defs.get_asset_graph(), defs.resolve_job_keys("bench"), "bench")
    gc.collect()
    started = time.perf_counter()
    job = compile_plan(plan)
    elapsed = time.perf_counter() - started
    biggest = max(job.state_machines, key=lambda m: m.estimate.history_events)
    figure(
        rows,
        f"compile_{big}",
        elapsed,
        "s",
        "compiles (split)",
        f"{job.layout}: {len(job.parts)} parts; largest part {biggest.estimate.history_events} history events, "
        f"{max(m.estimate.definition_bytes for m in job.state_machines):,} bytes",
    )


# -- makespan on moto ---------------------------------------------------------------------------


def _makespan(history: list[dict[str, Any]]) -> float:
    return float((history[-1]["timestamp"] - history[0]["timestamp"]).total_seconds())


def _deploy_layers(cloud: Any, job_name: str) -> Any:
    from aloft.cloud.launcher import JobDeployment
    from aloft.compiler import CompileOptions, compile_job, contract

    compiled = compile_job(
        cloud.definitions, job_name, CompileOptions(layout="layers", name_prefix="layers")
    )
    substitutions = {
        contract.RUN_STEP_FUNCTION: cloud.function_arns["run_step"],
        contract.GATE_FUNCTION: cloud.function_arns["gate"],
    }
    arn = cloud.client("stepfunctions").create_state_machine(
        name=compiled.entry.name,
        definition=compiled.entry.render(substitutions),
        roleArn=cloud.role_arn,
    )["stateMachineArn"]
    return JobDeployment.from_compiled(compiled, arn)


def _execute(cloud: Any, deployment: Any) -> tuple[str, list[dict[str, Any]]]:
    """Start one execution of ``deployment`` directly and wait for it (no run record needed)."""
    import uuid

    sfn = cloud.client("stepfunctions")
    run_id = str(uuid.uuid4())
    arn = sfn.start_execution(
        stateMachineArn=deployment.state_machine_arn,
        name=run_id,
        input=json.dumps(deployment.run_input(run_id)),
    )["executionArn"]
    while (status := sfn.describe_execution(executionArn=arn)["status"]) == "RUNNING":
        time.sleep(POLL)
    return status, cloud.history(arn)


def makespan_case(n: int, seed: int, repeat: int) -> dict[str, Any]:
    """Execute one seeded random DAG with both layouts on a fresh local cloud; the measurements."""
    from aloft.cloud.local import LocalCloud
    from aloft.compiler.topology import StepGraph, critical_path
    from aloft.storage.memory import InMemoryStateStore

    logging.getLogger("moto").setLevel(logging.CRITICAL)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    name = f"dag{n}_seed{seed}"
    graph = random_dag(n, seed=seed, max_parents=3, window=12, prefix=f"d{seed}_")
    rng = random.Random(seed * 7)
    sleeps = {key: rng.uniform(0.02, 0.2) for key in graph}
    best = critical_path(StepGraph.from_parents(graph), sleeps)
    # moto's DynamoDB deep-copies the whole table on every TransactWriteItems (its rollback
    # backup) and needs one request at a time in-process: it would measure moto, not the
    # orchestration. The steps' state therefore goes to an in-memory store here.
    with LocalCloud(definitions_for(graph, sleeps, job=name), store=InMemoryStateStore()) as cloud:
        aloft_deployment = cloud.deploy(name)
        layers_deployment = _deploy_layers(cloud, name)
        # One warm-up execution each: the first loads the ASL grammar (~2 s, once per process)
        # and starts the handler "containers" (Lambda cold starts, not orchestration).
        _execute(cloud, aloft_deployment)
        _execute(cloud, layers_deployment)
        aloft_runs: list[float] = []
        layer_runs: list[float] = []
        history: list[dict[str, Any]] = []
        for _ in range(repeat):  # alternate, so both layouts see the same machine load
            status, history = _execute(cloud, aloft_deployment)
            base_status, base_history = _execute(cloud, layers_deployment)
            assert status == base_status == "SUCCEEDED", (status, base_status)
            aloft_runs.append(_makespan(history))
            layer_runs.append(_makespan(base_history))
        compiled = cloud.compiled(name)
    return {
        "name": name,
        "steps": n,
        "critical_path": best,
        "aloft": aloft_runs,
        "layers": layer_runs,
        "layout": compiled.layout,
        "gated": compiled.manifest["estimate"]["gated_steps"],
        "transitions": sum(1 for e in history if e["type"].endswith("StateEntered")),
        "history_events": len(history),
    }


def bench_makespan(rows: list[dict[str, Any]], quick: bool, seeds: int, repeat: int) -> None:
    """One fresh process per graph: nothing left over from an earlier graph slows the next."""
    import subprocess

    sizes = [50, 80] if quick else [50, 80, 120, 160, 200][:seeds]
    results = []
    for seed, n in enumerate(sizes, start=11):
        done = subprocess.run(
            [sys.executable, __file__, "--case", f"{n}:{seed}", "--repeat", str(repeat)],
            capture_output=True,
            text=True,
            check=True,
        )
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    ratios, baseline_ratios, transitions, events = [], [], [], []
    for case in results:
        best, n = case["critical_path"], case["steps"]
        ratio = min(case["aloft"]) / best
        base_ratio = min(case["layers"]) / best
        ratios.append(ratio)
        baseline_ratios.append(base_ratio)
        transitions.append(case["transitions"] / n)
        events.append(case["history_events"] / n)
        figure(
            rows,
            f"makespan_ratio_{case['name']}",
            ratio,
            "x critical path",
            "<= 1.10",
            f"critical path {best:.2f}s; aloft best {min(case['aloft']):.2f}s, median "
            f"{statistics.median(case['aloft']) / best:.3f}x ({case['layout']}, {case['gated']} gated of {n}); "
            f"layer-by-layer best {min(case['layers']):.2f}s = {base_ratio:.2f}x",
        )
    figure(
        rows,
        "makespan_ratio_aloft_max",
        max(ratios),
        "x critical path",
        "<= 1.10",
        f"mean {statistics.mean(ratios):.3f}",
    )
    figure(
        rows,
        "makespan_ratio_layers_mean",
        statistics.mean(baseline_ratios),
        "x critical path",
        "baseline",
        f"max {max(baseline_ratios):.3f}",
    )
    figure(
        rows,
        "transitions_per_asset",
        max(transitions),
        "per asset",
        "<= 4",
        f"mean {statistics.mean(transitions):.2f}",
    )
    figure(
        rows,
        "history_events_per_asset",
        max(events),
        "per asset",
        "<= 15",
        f"mean {statistics.mean(events):.2f}",
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="small sizes: a smoke test, not a measurement"
    )
    parser.add_argument("--seeds", type=int, default=5, help="random DAGs executed on moto (1-5)")
    parser.add_argument("--skip-moto", action="store_true", help="compile figures only")
    parser.add_argument(
        "--repeat", type=int, default=3, help="executions per graph and layout (best is reported)"
    )
    parser.add_argument(
        "--case", help=argparse.SUPPRESS
    )  # N:SEED, one makespan case (a child process)
    args = parser.parse_args(argv)
    if args.case:
        n, seed = (int(part) for part in args.case.split(":"))
        print(json.dumps(makespan_case(n, seed, args.repeat)))
        return 0
    rows: list[dict[str, Any]] = []
    if not args.skip_moto:  # first: the compile figures leave a large heap behind
        bench_makespan(rows, args.quick, args.seeds, args.repeat)
    bench_compile(rows, args.quick)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(rows, indent=2) + "\n")
    print()
    for row in rows:
        print(
            f"{row['benchmark']:<38} {row['value']:>10} {row['unit']:<16} target {row['target']:<18} {row.get('note', '')}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
