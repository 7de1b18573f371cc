"""``aloft compile``, ``aloft plan`` and ``aloft run --local-cloud``: jobs as Step Functions state machines.

    aloft compile --job daily --out build/asl      # one .asl.json per state machine + a manifest
    aloft compile --job daily --backfill           # + the job's backfill state machine
    aloft plan --job daily                         # transitions, invocations and cost of one run
    aloft run --job daily --local-cloud            # run the compiled machine on emulated AWS (moto)
    aloft run --job daily --local-cloud --config run.yaml   # ... with this run's own config

``aloft backfill --job daily --all --local-cloud`` (the ``aloft backfill``
command routes here) runs ONE execution of the job's backfill state machine.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> register(parser.add_subparsers())
    >>> parser.parse_args(["plan", "--job", "daily"]).job
    ['daily']
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from pathlib import Path
from typing import Any

from aloft.cli.context import CommandContext

__all__ = ["backfill_on_local_cloud", "register", "resume_on_local_cloud", "resolve_backfill_keys"]


def register(commands: Any) -> None:
    """Add ``aloft compile``, ``aloft plan`` and ``aloft run``."""
    compile_parser = commands.add_parser(
        "compile", help="compile jobs to Step Functions state machines (ASL) and a manifest"
    )
    _job_options(compile_parser)
    compile_parser.add_argument(
        "--out", default="build/asl", help="output directory (default: build/asl)"
    )
    compile_parser.add_argument(
        "--backfill",
        action="store_true",
        help="also write each job's backfill state machine (a Distributed Map over partitions)",
    )
    compile_parser.set_defaults(handler=_compile)

    plan = commands.add_parser(
        "plan", help="estimate state transitions, Lambda invocations and cost of one run"
    )
    _job_options(plan)
    plan.add_argument(
        "--seconds-per-step",
        type=float,
        default=1.0,
        help="assumed Lambda duration of a step (default: 1)",
    )
    plan.add_argument(
        "--memory-mb", type=int, default=1024, help="assumed Lambda memory (default: 1024)"
    )
    plan.set_defaults(handler=_plan)

    run = commands.add_parser("run", help="run a job's compiled state machine")
    run.add_argument("-j", "--job", required=True, help="job name")
    run.add_argument(
        "--local-cloud",
        action="store_true",
        required=True,
        help="on emulated AWS in this process (moto): the real ASL, the real Lambda handlers",
    )
    run.add_argument("--partition", help="partition key")
    run.add_argument("--select", help="comma-separated assets of the job to run (default: all)")
    run.add_argument(
        "--config",
        metavar="FILE",
        help="run config (YAML or JSON) replacing the job's config for this run; checked before the "
        "run starts, kept in the run record (never in the execution input)",
    )
    run.add_argument(
        "--timeout", type=float, default=600.0, help="seconds to wait for the run (default: 600)"
    )
    run.add_argument("--json", action="store_true", help="print the result as JSON")
    run.set_defaults(handler=_run)


def _job_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-j", "--job", action="append", required=True, help="job name (repeatable)")
    parser.add_argument(
        "--layout", choices=("auto", "layers"), default="auto", help=argparse.SUPPRESS
    )
    parser.add_argument("--json", action="store_true", help="print JSON")


def _compile_jobs(args: argparse.Namespace, ctx: CommandContext | None = None) -> list[Any]:
    from aloft.compiler import CompileOptions, compile_job

    definitions = (ctx or CommandContext(args)).definitions
    options = CompileOptions(layout=args.layout)
    return [compile_job(definitions, name, options) for name in args.job]


def _compile(args: argparse.Namespace) -> int:
    from aloft.compiler import CompileOptions
    from aloft.compiler.backfill import compile_backfill

    out = Path(args.out)
    summary = []
    ctx = CommandContext(args)
    for job in _compile_jobs(args, ctx):
        paths = job.write(out)
        if args.backfill:
            options = CompileOptions(layout=args.layout)
            paths += compile_backfill(ctx.definitions, job.job_name, options).write(out)
        summary.append(
            {
                "job": job.job_name,
                "layout": job.layout,
                "files": [str(p) for p in paths],
                "estimate": job.manifest["estimate"],
                "warnings": list(job.warnings),
            }
        )
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    for item in summary:
        estimate = item["estimate"]
        print(
            f"{item['job']}: {estimate['steps']} steps, {item['layout']} layout, "
            f"{sum(1 for f in item['files'] if f.endswith('.asl.json'))} state machine(s), "
            f"~{estimate['history_events']} history events per run"
        )
        for path in item["files"]:
            print(f"  wrote {path}")
        for warning in item["warnings"]:
            print(f"  warning: {warning}")
    return 0


def _plan(args: argparse.Namespace) -> int:
    from aloft.compiler import estimate_cost

    rows = []
    for job in _compile_jobs(args):
        estimate = job.manifest["estimate"]
        cost = estimate_cost(
            estimate["state_transitions"],
            estimate["lambda_invocations"],
            seconds_per_invocation=args.seconds_per_step,
            memory_mb=args.memory_mb,
        )
        rows.append(
            {
                "job": job.job_name,
                "layout": job.layout,
                "state_machines": len(job.state_machines),
                **estimate,
                "cost_usd": {
                    "step_functions": round(cost.step_functions_usd, 6),
                    "lambda_requests": round(cost.lambda_requests_usd, 6),
                    "lambda_compute": round(cost.lambda_compute_usd, 6),
                    "total": round(cost.total_usd, 6),
                },
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        usd = row["cost_usd"]
        print(
            f"job {row['job']} ({row['steps']} steps, {row['layout']}, {row['state_machines']} state machine(s))"
        )
        print(
            f"  state transitions   {row['state_transitions']:>8}  ({row['transitions_per_step']} per step)"
        )
        print(
            f"  history events      {row['history_events']:>8}  ({row['history_events_per_step']} per step; "
            f"largest execution {row['max_history_events_per_execution']} of 25,000)"
        )
        print(
            f"  Lambda invocations  {row['lambda_invocations']:>8}  ({row['gated_steps']} gated steps)"
        )
        print(
            f"  cost of one run     ${usd['total']:.6f}  = Step Functions ${usd['step_functions']:.6f}"
            f" + Lambda requests ${usd['lambda_requests']:.6f} + Lambda compute ${usd['lambda_compute']:.6f}"
            f" ({args.seconds_per_step:g}s at {args.memory_mb} MB per step; us-east-1 list prices)"
        )
    return 0


def _quiet_local_cloud() -> None:
    # The handlers log JSON and emit metrics for CloudWatch; on a terminal the run's own lines say it.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    logging.getLogger("moto").setLevel(logging.CRITICAL)


def _run(args: argparse.Namespace) -> int:
    from aloft.cli.runconfig import read_run_config
    from aloft.cloud.local import LocalCloud
    from aloft.storage.records import StepEvent

    _quiet_local_cloud()
    run_config = read_run_config(args.config)
    ctx = CommandContext(args)
    selection = (
        [name.strip() for name in args.select.split(",") if name.strip()] if args.select else None
    )

    def show(event: StepEvent) -> None:
        if not args.json:
            detail = f" ({event.duration:.2f}s)" if event.duration else ""
            reason = f": {event.error.error_type}: {event.error.message}" if event.error else ""
            reason = reason or (f": {event.message}" if event.message else "")
            print(
                f"  {event.step_key:<30} {event.event_type.value.removeprefix('STEP_')}{detail}{reason}",
                flush=True,
            )

    with LocalCloud(ctx.definitions, store=ctx.store) as cloud:
        deployment = cloud.deploy(args.job)
        if not args.json:
            compiled = cloud.compiled(args.job)
            print(
                f"job {args.job}: {len(deployment.steps)} steps, {compiled.layout} layout, "
                f"state machine {deployment.state_machine_arn.rsplit(':', 1)[-1]} (local cloud)",
                flush=True,
            )
        run = cloud.launch(
            args.job, selection=selection, partition_key=args.partition, run_config=run_config
        )
        if not args.json:
            print(f"run {run.run_id}", flush=True)
        result = cloud.wait(run.run_id, timeout=args.timeout, on_event=show)
    if args.json:
        print(
            json.dumps(
                {
                    "run_id": result.run.run_id,
                    "status": result.status,
                    "execution_status": result.execution_status,
                    "steps": dict(result.steps),
                },
                indent=2,
            )
        )
    else:
        print(f"run {result.run.run_id} {result.status} (execution {result.execution_status})")
        print(
            "  outputs were written to the emulated S3 bucket, which is gone now; the run is in the state store"
        )
    return 0 if result.status == "SUCCESS" else 1


# -- aloft backfill ... --local-cloud ------------------------------------------------------------


def resolve_backfill_keys(
    definitions: Any,
    job_name: str,
    store: Any,
    *,
    partition_keys: list[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    missing: bool = False,
) -> list[str]:
    """The partitions a cloud backfill of ``job_name`` runs, in partition order.

    Example:
        >>> from aloft import Definitions, asset, define_asset_job
        >>> from aloft.partitions import StaticPartitionsDefinition
        >>> from aloft.storage.memory import InMemoryStateStore
        >>> @asset(partitions_def=StaticPartitionsDefinition(["eu", "us", "apac"]))
        ... def sales() -> int: return 1
        >>> defs = Definitions(assets=[sales], jobs=[define_asset_job("regions", selection="*")])
        >>> resolve_backfill_keys(defs, "regions", InMemoryStateStore(), start="us", end="apac")
        ['us', 'apac']
    """
    from aloft.cloud.backfill import order_partition_keys
    from aloft.errors import DefinitionError
    from aloft.execution.plan import build_asset_plan
    from aloft.partitions.base import PartitionKeyRange
    from aloft.storage.records import PartitionStatus

    plan = build_asset_plan(
        definitions.get_asset_graph(), definitions.resolve_job_keys(job_name), job_name
    )
    partitioned = [step for step in plan.steps.values() if step.partitions_def is not None]
    if not partitioned:
        raise DefinitionError(f"job '{job_name}' has no partitioned asset; there is nothing to backfill")
    definition = partitioned[0].partitions_def
    if partition_keys is not None:
        return order_partition_keys(
            definition, partition_keys, asset_name=job_name, dynamic_partitions_store=store
        )
    if start is not None and end is not None:
        return list(
            definition.get_partition_keys_in_range(
                PartitionKeyRange(start, end), dynamic_partitions_store=store
            )
        )
    keys = list(definition.get_partition_keys(dynamic_partitions_store=store))
    if missing:
        done: set[str] | None = None
        for step in plan.steps.values():
            for asset in step.asset_keys:
                statuses = store.partition_statuses(asset)
                materialized = {k for k, v in statuses.items() if v is PartitionStatus.MATERIALIZED}
                done = materialized if done is None else done & materialized
        keys = [key for key in keys if key not in (done or set())]
    return keys


def _cloud_backfill_options(args: argparse.Namespace) -> Any:
    from aloft.compiler.backfill import BackfillOptions
    from aloft.errors import DefinitionError

    if getattr(args, "config", None):
        raise DefinitionError(
            "--config cannot go with --local-cloud: the cloud's functions run each job with its own "
            "config (define_asset_job(config=...))"
        )
    concurrency = getattr(args, "max_concurrent", None)
    return BackfillOptions(max_concurrency=concurrency) if concurrency else None


def backfill_on_local_cloud(args: argparse.Namespace, partition_keys: list[str] | None) -> int:
    """``aloft backfill --job J ... --local-cloud``: one execution over a partition manifest in S3."""
    from aloft.errors import DefinitionError

    if args.job is None or args.select is not None:
        raise DefinitionError(
            "--local-cloud backfills a job (it runs the job's compiled state machine): pass --job NAME "
            "instead of --select"
        )
    options = _cloud_backfill_options(args)
    _quiet_local_cloud()
    ctx = CommandContext(args)
    keys = resolve_backfill_keys(
        ctx.definitions,
        args.job,
        ctx.store,
        partition_keys=partition_keys,
        start=args.start,
        end=args.end,
        missing=args.missing,
    )
    if not keys:
        print(f"nothing to backfill: every requested partition of job {args.job} is materialized")
        return 0

    def launch(cloud: Any) -> Any:
        return cloud.launch_backfill(args.job, keys)

    return _backfill_on_local_cloud(args, ctx, launch, options)


def resume_on_local_cloud(args: argparse.Namespace) -> int:
    """``aloft backfill resume ID --local-cloud``: a new backfill of what ``ID`` left undone."""
    options = _cloud_backfill_options(args)
    _quiet_local_cloud()
    ctx = CommandContext(args)
    parent = ctx.store.get_backfill(args.backfill_id)
    if parent is None:
        from aloft.cloud.exceptions import CloudError

        raise CloudError(f"no backfill '{args.backfill_id}'")

    def launch(cloud: Any) -> Any:
        cloud.deploy_backfill(parent.job_name, options=options)
        resumed = cloud.backfill_launcher.resume(args.backfill_id)
        if not args.json:
            # Unlike a local resume (same id), a cloud resume is a new backfill: an execution name
            # and the partitions' run ids derive from the backfill id and cannot be used twice.
            print(
                f"backfill {args.backfill_id} is resumed as a new backfill {resumed.backfill_id} "
                f"(tag aloft/resumed_from={args.backfill_id}); `aloft backfill status {args.backfill_id}` "
                "keeps showing the first attempt",
                flush=True,
            )
        return resumed

    return _backfill_on_local_cloud(args, ctx, launch, options, job_name=parent.job_name)


def _backfill_on_local_cloud(
    args: argparse.Namespace,
    ctx: CommandContext,
    launch: Any,
    options: Any,
    *,
    job_name: str | None = None,
) -> int:
    import time

    from aloft.cloud.local import LocalCloud

    job = job_name or args.job
    started = time.monotonic()
    with LocalCloud(ctx.definitions, store=ctx.store) as cloud:
        deployment = cloud.deploy_backfill(job, options=options)
        backfill = launch(cloud)
        if not args.json:
            compiled = cloud.compiled_backfill(job)
            how = (
                "in partition order, one at a time"
                if compiled.ordered
                else f"up to {compiled.manifest['max_concurrency']} at a time"
            )
            print(
                f"backfill {backfill.backfill_id}: job {job}, {len(backfill.partition_keys)} partitions in "
                f"ONE execution of {deployment.state_machine_arn.rsplit(':', 1)[-1]} ({how}; local cloud)",
                flush=True,
            )
        result = cloud.wait_backfill(backfill.backfill_id, timeout=getattr(args, "timeout", 3600.0))
    elapsed = time.monotonic() - started
    partitions = result.partitions
    counts: dict[str, int] = {}
    for status in partitions.values():
        counts[status] = counts.get(status, 0) + 1
    if args.json:
        print(
            json.dumps(
                {
                    "backfill_id": result.backfill.backfill_id,
                    "status": result.status,
                    "execution_status": result.execution_status,
                    "counts": counts,
                    "partitions": partitions,
                    "partition_run_ids": dict(result.backfill.partition_run_ids),
                    "elapsed": round(elapsed, 3),
                },
                indent=2,
            )
        )
    else:
        summary = ", ".join(f"{count} {status.lower()}" for status, count in sorted(counts.items()))
        print(
            f"backfill {result.backfill.backfill_id} {result.status} (execution {result.execution_status}): "
            f"{summary} ({elapsed:.2f}s)"
        )
        for key, status in partitions.items():
            if status != "MATERIALIZED":
                print(f"  {key}  {status.lower()}")
        if result.status != "COMPLETED":
            print(f"resume with: aloft backfill resume {result.backfill.backfill_id} --local-cloud")
    return 0 if result.status == "COMPLETED" else 1
