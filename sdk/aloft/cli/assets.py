"""``aloft materialize``, ``aloft list`` and ``aloft graph``."""

from __future__ import annotations

import argparse
from typing import Any

from aloft.asset_graph import AssetGraph
from aloft.cli.context import CommandContext
from aloft.cli.output import print_json, run_and_report
from aloft.cli.runconfig import read_run_config
from aloft.definitions.asset_key import AssetKey
from aloft.definitions.selection import AssetSelection

__all__ = ["register", "render_mermaid", "render_text"]


def register(commands: Any) -> None:
    """Add the asset commands."""
    materialize = commands.add_parser("materialize", help="materialize assets in this process")
    materialize.add_argument("--select", default="*", help="asset selection, e.g. 'orders+', 'group:mart' (default: all)")
    materialize.add_argument("--config", help="run config file (YAML or JSON)")
    materialize.add_argument("--partition", help="partition key to materialize")
    materialize.add_argument("--json", action="store_true", help="print the run as JSON")
    materialize.set_defaults(handler=_materialize)

    listing = commands.add_parser("list", help="list assets, groups and jobs")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)

    graph = commands.add_parser("graph", help="print the asset graph as text or Mermaid")
    graph.add_argument("--format", choices=("text", "mermaid"), default="text")
    graph.add_argument("--select", default=None, help="only these assets")
    graph.set_defaults(handler=_graph)


def _materialize(args: argparse.Namespace) -> int:
    from aloft.execution.plan import build_asset_plan

    ctx = CommandContext(args)
    defs = ctx.definitions
    graph = defs.get_asset_graph()
    plan = build_asset_plan(graph, AssetSelection.from_string(args.select).resolve(graph), "__ASSET_JOB")
    return run_and_report(
        plan,
        resources={**ctx.default_resources(), **defs.resources},
        store=ctx.store,
        run_config=read_run_config(args.config),
        partition_key=args.partition,
        as_json=args.json,
    )


def _list(args: argparse.Namespace) -> int:
    defs = CommandContext(args).definitions
    graph = defs.get_asset_graph()
    assets: list[dict[str, Any]] = []
    for key in graph.toposort():
        assets_def = graph.get(key)
        output = assets_def.output_for_key(key)
        assets.append(
            {
                "key": key.to_user_string(),
                "group": output.group_name,
                "deps": [d.to_user_string() for d in graph.upstream(key)],
                "external": assets_def.is_external,
                "partitioned": assets_def.partitions_def is not None,
                "description": (output.description or "").split("\n")[0],
            }
        )
    jobs = [{"name": job.name, "kind": type(job).__name__} for job in defs.jobs]
    groups = sorted({a["group"] for a in assets})
    if args.json:
        print_json({"assets": assets, "groups": groups, "jobs": jobs})
        return 0
    print(f"assets ({len(assets)}):")
    for item in assets:
        deps = f"  <- {', '.join(item['deps'])}" if item["deps"] else ""
        flags = " [external]" if item["external"] else ""
        print(f"  {item['key']}  ({item['group']}){flags}{deps}")
    print(f"groups: {', '.join(groups) or '-'}")
    print(f"jobs: {', '.join(j['name'] for j in jobs) or '-'}")
    return 0


def render_text(graph: AssetGraph, keys: set[AssetKey]) -> str:
    """The graph level by level: ``name <- upstreams``."""
    lines = []
    for depth, level in enumerate(graph.levels()):
        shown = [k for k in level if k in keys]
        if not shown:
            continue
        lines.append(f"level {depth}:")
        for key in shown:
            deps = [d.to_user_string() for d in graph.upstream(key) if d in keys]
            lines.append(f"  {key.to_user_string()}" + (f" <- {', '.join(deps)}" if deps else ""))
    return "\n".join(lines)


def render_mermaid(graph: AssetGraph, keys: set[AssetKey]) -> str:
    """A Mermaid flowchart, one subgraph per group."""
    ids = {key: f"a{index}" for index, key in enumerate(graph.toposort())}
    groups: dict[str, list[AssetKey]] = {}
    for key in graph.toposort():
        if key in keys:
            groups.setdefault(graph.get(key).output_for_key(key).group_name, []).append(key)
    lines = ["flowchart LR"]
    for group, members in sorted(groups.items()):
        lines.append(f"  subgraph {group}")
        lines.extend(f'    {ids[k]}["{k.to_user_string()}"]' for k in members)
        lines.append("  end")
    for key in graph.toposort():
        if key in keys:
            lines.extend(f"  {ids[d]} --> {ids[key]}" for d in graph.upstream(key) if d in keys)
    return "\n".join(lines)


def _graph(args: argparse.Namespace) -> int:
    graph = CommandContext(args).definitions.get_asset_graph()
    keys = AssetSelection.from_string(args.select).resolve(graph) if args.select else set(graph.all_keys)
    print(render_mermaid(graph, keys) if args.format == "mermaid" else render_text(graph, keys))
    return 0
