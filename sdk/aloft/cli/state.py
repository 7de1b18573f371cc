"""``aloft runs``, ``aloft asset history|status`` and ``aloft state init``: reading the state store.

Every command reads the store named by ``--state``, ``$ALOFT_STATE`` or
``[tool.aloft] state`` (default ``sqlite:.aloft/state.db``), so the same
commands inspect local runs and, with ``--state dynamodb://TABLE?...``,
cloud runs.

Example:
    $ aloft runs list --status FAILURE
    $ aloft runs show 3f2a...            # steps, statuses, durations, logs
    $ aloft asset history warehouse/orders --json
    $ aloft asset status
    $ aloft --state 'dynamodb://aloft-state?endpoint=http://localhost:5000' state init
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from aloft.cli.context import CommandContext
from aloft.cli.output import print_json
from aloft.definitions.asset_key import AssetKey
from aloft.errors import DefinitionError
from aloft.storage.base import RunNotFound, StateStore
from aloft.storage.records import (
    MaterializationRecord,
    PartitionStatus,
    RunRecord,
    RunStatus,
    StepEvent,
    StepEventType,
)
from aloft.storage.serialization import event_to_dict, materialization_to_dict, run_to_display_dict

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add ``aloft runs ...``, ``aloft asset history|status`` and ``aloft state init``."""
    runs = _group(commands, "runs", "list and inspect recorded runs")
    listing = runs.add_parser("list", help="recent runs, newest first")
    listing.add_argument("--job", help="only runs of this job")
    listing.add_argument("--status", type=_run_status, help="only runs in this status (e.g. FAILURE)")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_runs_list)
    show = runs.add_parser("show", help="one run: its steps, statuses, durations and logs")
    show.add_argument("run_id", metavar="RUN_ID")
    show.add_argument("--json", action="store_true", help="print JSON")
    show.set_defaults(handler=_runs_show)

    asset = _group(commands, "asset", "materialization history and status of assets")
    history = asset.add_parser("history", help="an asset's materializations, newest first")
    history.add_argument("key", metavar="KEY", help="asset key, e.g. warehouse/orders")
    history.add_argument("--limit", type=int, default=20)
    history.add_argument("--json", action="store_true", help="print JSON")
    history.set_defaults(handler=_asset_history)
    status = asset.add_parser("status", help="the latest materialization of every asset of the definitions")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(handler=_asset_status)

    state = _group(commands, "state", "the state store")
    init = state.add_parser(
        "init", help="create the state store (the SQLite file, or the DynamoDB table on a local endpoint)"
    )
    init.set_defaults(handler=_state_init)


def _group(commands: Any, name: str, help_text: str) -> Any:
    """The sub-command group ``name``, shared with another module that already added it."""
    existing = commands.choices.get(name)
    if existing is not None:
        for action in existing._actions:
            if isinstance(action, argparse._SubParsersAction):
                return action
    parser = commands.add_parser(name, help=help_text)
    return parser.add_subparsers(dest=f"{name}_command", metavar="ACTION", required=True)


def _run_status(value: str) -> RunStatus:
    try:
        return RunStatus(value.upper())
    except ValueError:
        names = ", ".join(s.value for s in RunStatus)
        raise argparse.ArgumentTypeError(f"unknown run status {value!r} (one of {names})") from None


# -- formatting -----------------------------------------------------------------------------


def _when(timestamp: float | None) -> str:
    return "-" if timestamp is None else datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}s"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        print("  " + "  ".join(f"{cell!s:<{widths[i]}}" for i, cell in enumerate(row)).rstrip())


def _duration(run: RunRecord) -> float | None:
    if run.started_at is None or run.ended_at is None:
        return None
    return run.ended_at - run.started_at


def _metadata_summary(record: MaterializationRecord, width: int = 60) -> str:
    parts = []
    for label, value in record.metadata.items():
        if isinstance(value, dict) and value.get("type") in ("md", "table", "json", "table_schema"):
            continue
        parts.append(f"{label}={value.get('value') if isinstance(value, dict) else value}")
    text = ", ".join(parts)
    return text if len(text) <= width else text[: width - 3] + "..."


# -- runs -----------------------------------------------------------------------------------


def _runs_list(args: argparse.Namespace) -> int:
    store = CommandContext(args).store
    runs = store.list_runs(job_name=args.job, status=args.status, limit=args.limit)
    if args.json:
        print_json([run_to_display_dict(run) for run in runs])
        return 0
    if not runs:
        print("no runs recorded" + (f" for job '{args.job}'" if args.job else ""))
        return 0
    _table(
        ("run", "job", "status", "trigger", "partition", "created", "duration"),
        [
            (
                run.run_id,
                run.job_name,
                run.status.value,
                run.trigger.value,
                run.partition_key or "-",
                _when(run.created_at),
                _seconds(_duration(run)),
            )
            for run in runs
        ],
    )
    return 0


def _step_summaries(events: Sequence[StepEvent]) -> list[dict[str, Any]]:
    """One entry per step, in the order steps started: the final status and the last attempt."""
    steps: dict[str, dict[str, Any]] = {}
    for event in events:
        step = steps.setdefault(
            event.step_key, {"step": event.step_key, "status": None, "attempts": 0, "duration": None, "error": None}
        )
        step["attempts"] = max(step["attempts"], event.attempt)
        if event.event_type == StepEventType.STARTED and step["status"] is None:
            step["status"] = "STARTED"
        elif event.event_type != StepEventType.STARTED:
            step["status"] = event.event_type.value.removeprefix("STEP_")
            step["duration"] = event.duration
            if event.error is not None:
                step["error"] = {"type": event.error.error_type, "message": event.error.message}
    return list(steps.values())


def _runs_show(args: argparse.Namespace) -> int:
    store = CommandContext(args).store
    run = store.get_run(args.run_id)
    if run is None:
        raise RunNotFound(f"no run '{args.run_id}' in the state store" + _recent_hint(store))
    events = store.get_step_events(run.run_id)
    steps = _step_summaries(events)
    if args.json:
        print_json({"run": run_to_display_dict(run), "steps": steps, "events": [event_to_dict(e) for e in events]})
        return 0
    print(f"run {run.run_id}  {run.status.value}")
    details = [
        f"job {run.job_name}",
        f"trigger {run.trigger.value}",
        f"created {_when(run.created_at)}",
        f"duration {_seconds(_duration(run))}",
    ]
    if run.partition_key:
        details.insert(1, f"partition {run.partition_key}")
    if run.execution_arn:
        details.append(f"execution {run.execution_arn}")
    print("  " + " | ".join(details))
    if run.tags:
        print("  tags: " + ", ".join(f"{k}={v}" for k, v in sorted(run.tags.items())))
    if run.run_config:
        print("  run config: " + json.dumps(run_to_display_dict(run)["run_config"], sort_keys=True))
    print()
    if not steps:
        print("  no step events (none recorded yet, or expired)")
        return 0
    _table(
        ("step", "status", "attempts", "duration"),
        [(s["step"], s["status"] or "-", str(s["attempts"]), _seconds(s["duration"])) for s in steps],
    )
    for event in events:
        if not event.logs and event.error is None:
            continue
        kind = event.event_type.value.removeprefix("STEP_").lower()
        print(f"\n  -- {event.step_key} (attempt {event.attempt}, {kind}) --")
        for line in event.logs:
            print(f"  {line}")
        if event.error is not None:
            print(f"  {event.error.error_type}: {event.error.message}")
            for line in event.error.traceback.rstrip().splitlines():
                print(f"    {line}")
    return 0


def _recent_hint(store: StateStore) -> str:
    recent = store.list_runs(limit=3)
    return f"; recent runs: {', '.join(r.run_id for r in recent)}" if recent else "; no runs are recorded"


# -- assets ---------------------------------------------------------------------------------


def _asset_key(text: str) -> AssetKey:
    try:
        return AssetKey.from_user_string(text)
    except ValueError as err:
        raise DefinitionError(f"invalid asset key {text!r}: {err}") from None


def _asset_history(args: argparse.Namespace) -> int:
    store = CommandContext(args).store
    key = _asset_key(args.key)
    records = store.materialization_history(key, limit=args.limit)
    if args.json:
        print_json([materialization_to_dict(r) for r in records])
        return 0
    if not records:
        print(f"no materializations of {key.to_user_string()} recorded")
        return 0
    _table(
        ("materialized", "run", "partition", "metadata"),
        [(_when(r.timestamp), r.run_id, r.partition_key or "-", _metadata_summary(r)) for r in records],
    )
    return 0


def _partition_summary(counts: Counter[PartitionStatus], total: int | None) -> str:
    done = counts[PartitionStatus.MATERIALIZED]
    head = f"{done}/{total} materialized" if total is not None else f"{done} materialized"
    others = [
        f"{counts[s]} {s.value.lower().replace('_', ' ')}"
        for s in PartitionStatus
        if s != PartitionStatus.MATERIALIZED and counts[s]
    ]
    return ", ".join([head, *others])


def _asset_status(args: argparse.Namespace) -> int:
    ctx = CommandContext(args)
    graph = ctx.definitions.get_asset_graph()
    store = ctx.store
    keys = list(graph.toposort())
    latest = store.latest_materializations(keys)
    rows: list[dict[str, Any]] = []
    for key in keys:
        partitions_def = getattr(graph.get(key), "partitions_def", None)
        counts: Counter[PartitionStatus] = Counter()
        total: int | None = None
        if partitions_def is not None:
            counts = Counter(store.partition_statuses(key).values())
            try:
                total = len(partitions_def.get_partition_keys(dynamic_partitions_store=store))
            except Exception:  # a partitions definition that cannot list its keys here: counts only
                total = None
        record = latest.get(key)
        rows.append(
            {
                "asset": key.to_user_string(),
                "latest": None if record is None else materialization_to_dict(record),
                "partitioned": partitions_def is not None,
                "partitions": {s.value: n for s, n in counts.items()},
                "partition_count": total,
                "_summary": _partition_summary(counts, total) if partitions_def is not None else "-",
            }
        )
    if args.json:
        print_json([{k: v for k, v in row.items() if not k.startswith("_")} for row in rows])
        return 0
    _table(
        ("asset", "last materialized", "run", "partitions"),
        [
            (
                row["asset"],
                _when(row["latest"]["timestamp"]) if row["latest"] else "never",
                row["latest"]["run_id"] if row["latest"] else "-",
                row["_summary"],
            )
            for row in rows
        ],
    )
    return 0


# -- state ----------------------------------------------------------------------------------


def _state_init(args: argparse.Namespace) -> int:
    ctx = CommandContext(args)
    url = ctx.project.state_url(args.state)
    if url.startswith("dynamodb://"):
        from aloft.storage.dynamodb import DynamoDBStateStore
        from aloft.storage.url import open_store

        store = open_store(url)
        assert isinstance(store, DynamoDBStateStore)
        if not store.endpoint:
            print(
                f"aloft: error: refusing to create DynamoDB table '{store.table_name}' in AWS: the CDK app "
                "(infra/, `cdk deploy`) owns it there. `aloft state init` is for local endpoints: add "
                "?endpoint=http://localhost:5000 (moto) or http://localhost:4566 (LocalStack).",
                file=sys.stderr,
            )
            return 2
        created = store.create_table()
        verb = "created" if created else "already exists:"
        print(f"{verb} DynamoDB table '{store.table_name}' at {store.endpoint}")
        return 0
    store = ctx.store
    path = getattr(store, "path", None)
    if path is not None:
        print(f"SQLite state database ready at {path}")
    else:
        print(f"{url}: nothing to create")
    return 0
