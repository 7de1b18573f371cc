"""``aloft job list`` and ``aloft job execute``."""

from __future__ import annotations

import argparse
from typing import Any

from aloft.cli.context import CommandContext
from aloft.cli.output import print_json, run_and_report
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
    from aloft.execution.plan import build_asset_plan

    ctx = CommandContext(args)
    defs = ctx.definitions
    job = defs.get_job_def(args.job)
    resources = {**ctx.default_resources(), **defs.resources}
    if isinstance(job, AssetJobDefinition):
        plan = build_asset_plan(defs.get_asset_graph(), defs.resolve_job_keys(job.name), job.name)
    else:
        plan = job.plan
        resources.update(job.resource_defs)
    return run_and_report(
        plan,
        resources=resources,
        store=ctx.store,
        run_config=read_run_config(args.config) or dict(job.config),
        partition_key=args.partition,
        as_json=args.json,
        tags=dict(job.tags),
    )
