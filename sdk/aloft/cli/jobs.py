"""``aloft job list`` and ``aloft job execute``."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from aloft.cli.context import CommandContext
from aloft.cli.output import LiveProgress, print_json, result_to_json, summarize
from aloft.cli.runconfig import read_run_config
from aloft.definitions.jobs import AssetJobDefinition

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add ``aloft job ...``."""
    job = commands.add_parser("job", help="list or execute jobs")
    sub = job.add_subparsers(dest="job_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="list jobs")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)
    execute = sub.add_parser("execute", help="execute a job in this process")
    execute.add_argument("-j", "--job", required=True, help="job name")
    execute.add_argument("--config", help="run config file (YAML or JSON)")
    execute.add_argument("--partition", help="partition key")
    execute.add_argument("--json", action="store_true")
    execute.set_defaults(handler=_execute)


def _list(args: argparse.Namespace) -> int:
    defs = CommandContext(args).definitions
    rows = []
    for job in defs.jobs:
        if isinstance(job, AssetJobDefinition):
            keys = sorted(k.to_user_string() for k in defs.resolve_job_keys(job.name))
            rows.append({"name": job.name, "kind": "assets", "assets": keys})
        else:
            rows.append({"name": job.name, "kind": "ops", "ops": list(job.plan.steps)})
    if args.json:
        print_json(rows)
    else:
        for row in rows:
            members = row.get("assets") or row.get("ops") or []
            print(f"{row['name']}  ({row['kind']}: {', '.join(members)})")
    return 0


def _execute(args: argparse.Namespace) -> int:
    from aloft.execution.materialize import validate_partition_key
    from aloft.execution.plan import build_asset_plan
    from aloft.execution.run import execute_run

    ctx = CommandContext(args)
    defs = ctx.definitions
    job = defs.get_job_def(args.job)
    run_config = read_run_config(args.config)
    if isinstance(job, AssetJobDefinition):
        plan = build_asset_plan(defs.get_asset_graph(), defs.resolve_job_keys(job.name), job.name)
        run_config = run_config or dict(job.config)
        resources = {**ctx.default_resources(), **defs.resources}
        tags = dict(job.tags)
    else:
        plan = job.plan
        run_config = run_config or dict(job.config)
        resources = {**ctx.default_resources(), **defs.resources, **job.resource_defs}
        tags = dict(job.tags)
    validate_partition_key(plan, args.partition)
    live = LiveProgress(len(plan.steps)) if sys.stdout.isatty() and not args.json else None
    result = execute_run(
        plan,
        resources=resources,
        store=ctx.store,
        run_config=run_config,
        partition_key=args.partition,
        tags=tags,
        raise_on_error=False,
        on_start=live.on_start if live else None,
        on_outcome=live.on_outcome if live else None,
    )
    if args.json:
        print_json(result_to_json(result))
    else:
        summarize(result)
    return 0 if result.success else 1
