"""``aloft schedule ...``, ``aloft sensor ...`` and ``aloft automation status`` (``aloft daemon``: ``cli/dev.py``).

Example:
    $ aloft schedule list
    $ aloft schedule preview nightly --count 5
    $ aloft sensor list
    $ aloft sensor preview orders_dropped --event drop.json
    $ aloft sensor cursor new_files --set 2024-03-01.csv
    $ aloft automation status
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aloft.cli.context import CommandContext
from aloft.cli.output import print_json
from aloft.definitions.definitions import Definitions
from aloft.errors import AloftError, DefinitionError, did_you_mean

__all__ = ["register"]


def register(commands: Any) -> None:
    """Add ``aloft schedule``, ``aloft sensor`` and ``aloft automation``."""
    schedule = commands.add_parser("schedule", help="list schedules and preview their ticks")
    schedule_sub = schedule.add_subparsers(dest="schedule_command", metavar="ACTION", required=True)
    listing = schedule_sub.add_parser("list", help="every schedule: cron, timezone, EventBridge expression, next tick")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_schedule_list)
    preview = schedule_sub.add_parser("preview", help="the next ticks of a schedule, in its timezone (DST-correct)")
    preview.add_argument("name", metavar="NAME")
    preview.add_argument("--count", type=int, default=5, help="how many ticks (default 5)")
    preview.add_argument("--after", help="start after this ISO time (default: now)")
    preview.add_argument("--json", action="store_true", help="print JSON")
    preview.set_defaults(handler=_schedule_preview)

    sensor = commands.add_parser("sensor", help="list sensors, preview them, read or set their cursors")
    sensor_sub = sensor.add_subparsers(dest="sensor_command", metavar="ACTION", required=True)
    listing = sensor_sub.add_parser("list", help="every sensor: kind, target, cursor, last tick")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_sensor_list)
    preview = sensor_sub.add_parser(
        "preview", help="evaluate a sensor once without launching runs or storing anything"
    )
    preview.add_argument("name", metavar="NAME")
    preview.add_argument("--cursor", help="evaluate from this cursor instead of the stored one")
    preview.add_argument("--event", help="S3 sensors: a JSON file with the S3 event to evaluate")
    preview.add_argument("--json", action="store_true", help="print JSON")
    preview.set_defaults(handler=_sensor_preview)
    cursor = sensor_sub.add_parser("cursor", help="print a sensor's stored cursor, or set it with --set")
    cursor.add_argument("name", metavar="NAME")
    cursor.add_argument("--set", dest="value", metavar="VALUE", help="store VALUE ('' clears the cursor)")
    cursor.set_defaults(handler=_sensor_cursor)

    automation = commands.add_parser("automation", help="declarative automation: why each asset runs or waits")
    automation_sub = automation.add_subparsers(dest="automation_command", metavar="ACTION", required=True)
    status = automation_sub.add_parser("status", help="every automated asset and its latest evaluation")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(handler=_automation_status)



# -- helpers ------------------------------------------------------------------------------------


def _definitions(ctx: CommandContext) -> Definitions:
    from aloft.automation.validation import automation_definitions

    return automation_definitions(ctx.definitions)


def _table(headers: list[str], rows: list[list[str]]) -> None:
    if not rows:
        return
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    for row in [headers, *rows]:
        print("  ".join(f"{cell!s:<{widths[i]}}" for i, cell in enumerate(row)).rstrip())


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _last_tick(ctx: CommandContext, name: str) -> dict[str, Any] | None:
    ticks = ctx.store.list_ticks(name, limit=1)
    if not ticks:
        return None
    tick = ticks[0]
    return {
        "time": _when(tick.timestamp),
        "status": tick.status.value,
        "run_ids": list(tick.run_ids),
        "detail": tick.error or tick.skip_reason,
    }


def _names(items: Any) -> list[str]:
    return sorted(str(getattr(item, "name", item)) for item in items)


def _get(defs: Definitions, kind: str, name: str) -> Any:
    items = defs.schedules if kind == "schedule" else defs.sensors
    for item in items:
        if getattr(item, "name", None) == name:
            return item
    names = _names(items)
    raise DefinitionError(
        f"no {kind} named '{name}'." + did_you_mean(name, names) + f" {kind.capitalize()}s: {', '.join(names) or 'none'}"
    )


# -- schedules ----------------------------------------------------------------------------------


def _schedule_list(args: argparse.Namespace) -> int:
    from aloft.automation.cron import next_ticks
    from aloft.automation.schedule import ScheduleDefinition

    ctx = CommandContext(args)
    defs = _definitions(ctx)
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    for item in sorted(defs.schedules, key=lambda s: s.name):
        if not isinstance(item, ScheduleDefinition):
            continue
        upcoming = next_ticks(item, now, 1)
        rows.append(
            {
                "name": item.name,
                "job": item.job_name,
                "cron": list(item.cron_schedules),
                "timezone": item.execution_timezone,
                "eventbridge": list(item.eventbridge_expressions),
                "default_status": item.default_status.value,
                "next_tick": upcoming[0].isoformat() if upcoming else None,
                "last_tick": _last_tick(ctx, item.name),
            }
        )
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("no schedules")
        return 0
    _table(
        ["NAME", "JOB", "CRON", "TIMEZONE", "EVENTBRIDGE", "STATUS", "NEXT TICK", "LAST TICK"],
        [
            [
                r["name"], r["job"], " | ".join(r["cron"]), r["timezone"], " | ".join(r["eventbridge"]),
                r["default_status"], r["next_tick"] or "-",
                f"{r['last_tick']['status']} {r['last_tick']['time']}" if r["last_tick"] else "-",
            ]
            for r in rows
        ],
    )
    return 0


def _schedule_preview(args: argparse.Namespace) -> int:
    from aloft.automation.cron import execution_name, next_ticks

    ctx = CommandContext(args)
    item = _get(_definitions(ctx), "schedule", args.name)
    if args.count < 1:
        raise DefinitionError("--count must be at least 1")
    if args.after:
        try:
            after = datetime.fromisoformat(args.after.replace("Z", "+00:00"))
        except ValueError:
            raise DefinitionError(f"--after {args.after!r} is not an ISO 8601 time (e.g. 2024-03-30T12:00)") from None
    else:
        after = datetime.now(UTC)
    ticks = next_ticks(item, after, args.count)
    rows = [
        {
            "local": tick.isoformat(),
            "utc": tick.astimezone(UTC).isoformat(),
            "execution_name": execution_name(item.name, tick),
        }
        for tick in ticks
    ]
    if args.json:
        print_json({"schedule": item.name, "timezone": item.execution_timezone, "ticks": rows})
        return 0
    crons = " | ".join(item.cron_schedules)
    print(f"{item.name}: {crons} in {item.execution_timezone} -> job {item.job_name}")
    _table(["TICK (" + item.execution_timezone + ")", "UTC", "EXECUTION NAME"],
           [[r["local"], r["utc"], r["execution_name"]] for r in rows])
    return 0


# -- sensors ------------------------------------------------------------------------------------


def _sensor_target(item: Any) -> str:
    if getattr(item, "sensor_type", None) == "s3":
        return f"s3://{item.bucket}/{item.prefix}*{item.suffix}"
    return f"every {item.minimum_interval_seconds}s"


def _sensor_list(args: argparse.Namespace) -> int:
    from aloft.automation.sensor import SensorDefinition

    ctx = CommandContext(args)
    defs = _definitions(ctx)
    rows: list[dict[str, Any]] = []
    for item in sorted(defs.sensors, key=lambda s: s.name):
        if not isinstance(item, SensorDefinition):
            continue
        rows.append(
            {
                "name": item.name,
                "type": item.sensor_type,
                "job": item.job_name,
                "trigger": _sensor_target(item),
                "default_status": item.default_status.value,
                "cursor": ctx.store.get_sensor_cursor(item.name),
                "last_tick": _last_tick(ctx, item.name),
            }
        )
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print("no sensors")
        return 0
    _table(
        ["NAME", "TYPE", "JOB", "TRIGGER", "STATUS", "CURSOR", "LAST TICK"],
        [
            [
                r["name"], r["type"], r["job"] or "-", r["trigger"], r["default_status"],
                _short(r["cursor"]),
                f"{r['last_tick']['status']} {r['last_tick']['time']}" if r["last_tick"] else "-",
            ]
            for r in rows
        ],
    )
    return 0


def _short(value: str | None, width: int = 40) -> str:
    if value is None:
        return "-"
    return value if len(value) <= width else value[: width - 3] + "..."


def _request_json(request: Any) -> dict[str, Any]:
    return {
        "run_key": request.run_key,
        "job_name": request.job_name,
        "partition_key": request.partition_key,
        "asset_selection": None
        if request.asset_selection is None
        else [k.to_user_string() for k in request.asset_selection],
        "run_config": dict(request.run_config),
        "tags": dict(request.tags),
    }


def _sensor_preview(args: argparse.Namespace) -> int:
    from aloft.automation.s3 import S3SensorDefinition, parse_s3_events
    from aloft.automation.sensor import SensorEvaluationContext

    ctx = CommandContext(args)
    defs = _definitions(ctx)
    item = _get(defs, "sensor", args.name)
    cursor = args.cursor if args.cursor is not None else ctx.store.get_sensor_cursor(item.name)
    context = SensorEvaluationContext(
        cursor=cursor, instance=ctx.store, resources=defs.resources, sensor_name=item.name, definitions=defs
    )
    evaluations: list[tuple[str | None, Any]] = []
    payload: Any = None
    if isinstance(item, S3SensorDefinition):
        if not args.event:
            raise DefinitionError(f"sensor '{item.name}' is an S3 sensor: pass --event FILE with an S3 event")
        try:
            payload = json.loads(Path(args.event).read_text())
        except (OSError, ValueError) as err:
            raise DefinitionError(f"--event {args.event}: {err}") from None
    try:
        if isinstance(item, S3SensorDefinition):
            for record in parse_s3_events(payload):
                if record.error is not None:
                    raise record.error
                if record.event is not None:
                    evaluations.append((record.event.uri, item.evaluate_event(context, record.event)))
        else:
            evaluations.append((None, item.evaluate_tick(context)))
    except AloftError as err:
        print(f"sensor '{item.name}' failed: {err}", file=sys.stderr)
        if err.__cause__ is not None:
            print(f"  caused by {type(err.__cause__).__name__}: {err.__cause__}", file=sys.stderr)
        return 1
    out = [
        {
            "event": uri,
            "run_requests": [_request_json(r) for r in evaluation.run_requests],
            "skip_reason": evaluation.skip_message,
            "cursor": evaluation.cursor if evaluation.cursor_set else cursor,
            "cursor_changed": evaluation.cursor_set and evaluation.cursor != cursor,
        }
        for uri, evaluation in evaluations
    ]
    if args.json:
        print_json({"sensor": item.name, "evaluations": out})
        return 0
    print(f"{item.name} (preview: nothing launched, nothing stored)")
    for entry in out:
        if entry["event"]:
            print(f"  event {entry['event']}")
        if entry["run_requests"]:
            for request in entry["run_requests"]:
                print(f"  run request: key={request['run_key']} partition={request['partition_key']} "
                      f"job={request['job_name'] or item.job_name}")
        else:
            print(f"  skipped: {entry['skip_reason']}")
        if entry["cursor_changed"]:
            print(f"  cursor would become: {entry['cursor']}")
    return 0


def _sensor_cursor(args: argparse.Namespace) -> int:
    from aloft.automation.evaluator import AUTOMATION_CURSOR

    ctx = CommandContext(args)
    if args.name != AUTOMATION_CURSOR:
        _get(_definitions(ctx), "sensor", args.name)
    if args.value is None:
        value = ctx.store.get_sensor_cursor(args.name)
        print(value if value is not None else "(no cursor)")
        return 0
    ctx.store.set_sensor_cursor(args.name, args.value or None)
    print(f"cursor of {args.name} {'set to ' + args.value if args.value else 'cleared'}")
    return 0


# -- automation and the daemon ---------------------------------------------------------------


def _automation_status(args: argparse.Namespace) -> int:
    from aloft.automation.evaluator import AUTOMATION_CURSOR, AutomationState, automated_assets

    ctx = CommandContext(args)
    defs = _definitions(ctx)
    state = AutomationState.from_cursor(ctx.store.get_sensor_cursor(AUTOMATION_CURSOR))
    rows: list[dict[str, Any]] = []
    for key, labels in automated_assets(defs).items():
        name = key.to_user_string()
        reasons = {ident: reason for ident, reason in state.reasons.items() if ident.split("|")[0] == name}
        rows.append(
            {
                "asset": name,
                "conditions": list(labels),
                "last_requested": _when(state.requested.get(name)),
                "latest": reasons,
            }
        )
    if args.json:
        print_json({"last_evaluation": _when(state.last_evaluation), "assets": rows})
        return 0
    if not rows:
        print("no asset has an automation condition or a freshness policy")
        return 0
    print(f"last evaluation: {_when(state.last_evaluation)}")
    for row in rows:
        print(f"{row['asset']}  [{', '.join(row['conditions'])}]  last requested: {row['last_requested']}")
        for ident, reason in sorted(row["latest"].items()):
            print(f"    {ident}: {reason}")
            for line in _condition_tree(ctx, ident, reason):
                print(f"        {line}")
        if not row["latest"]:
            print("    not evaluated yet")
    return 0


def _condition_tree(ctx: CommandContext, ident: str, reason: str) -> list[str]:
    """The evaluation tree of a combined condition, from the asset's latest automation tick."""
    # Ticks of one daemon pass share a timestamp: find the one that recorded this reason.
    for tick in ctx.store.list_ticks(f"automation:{ident}", limit=5):
        first, _, tree = (tick.skip_reason or "").partition("\n")
        if first == reason:
            return tree.splitlines()
    return []
