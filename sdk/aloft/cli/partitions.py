"""``aloft partitions status KEY``: every partition of an asset at a glance.

One character per partition, rows by month for daily partitions (by day for
hourly, by year for weekly and monthly, 50 per row otherwise), a legend with
the counts; ``--json`` for scripts.

Example:
    $ aloft partitions status daily_events
    $ aloft partitions status warehouse/orders --json
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aloft.cli.context import CommandContext
from aloft.cli.output import print_json
from aloft.definitions.asset_key import AssetKey
from aloft.errors import DefinitionError
from aloft.storage.partition_view import PartitionStatusView, active_runs, partition_status_view
from aloft.storage.records import PartitionStatus

__all__ = ["MARKS", "register", "render_grid"]

MARKS = {
    PartitionStatus.MATERIALIZED: "#",
    PartitionStatus.FAILED: "X",
    PartitionStatus.IN_PROGRESS: "~",
    PartitionStatus.MISSING: ".",
}


def register(commands: Any) -> None:
    """Add ``aloft partitions status``."""
    from aloft.cli.state import _group

    partitions = _group(commands, "partitions", "the partitions of assets")
    status = partitions.add_parser("status", help="a compact grid of an asset's partitions by status")
    status.add_argument("key", metavar="ASSET_KEY", help="asset key, e.g. daily_events or warehouse/orders")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(handler=_status)


def render_grid(view: PartitionStatusView, partitions_def: Any) -> list[str]:
    """The grid lines: a ruler, then one labelled row per month (daily), day (hourly),
    year (weekly, monthly) or 50 partitions, then the legend with counts.

    Example:
        >>> from aloft.partitions import DailyPartitionsDefinition
        >>> from aloft.storage.partition_view import PartitionStatusView
        >>> days = DailyPartitionsDefinition(start_date="2026-01-30", end_date="2026-02-03")
        >>> view = PartitionStatusView(tuple(days.get_partition_keys()),
        ...     (PartitionStatus.MATERIALIZED, PartitionStatus.FAILED, PartitionStatus.IN_PROGRESS,
        ...      PartitionStatus.MISSING), ("r", "r", "r", None))
        >>> print("\\n".join(render_grid(view, days)))
                 1234567890123456789012345678901
        2026-01                               #X
        2026-02  ~.
        <BLANKLINE>
        # materialized 1   X failed 1   ~ in progress 1   . missing 1
    """
    rows, ruler = _rows(view, partitions_def)
    width = max((len(label) for label, _ in rows), default=0)
    lines = [" " * (width + 2) + ruler] if ruler else []
    lines.extend(f"{label:<{width}}  {cells}" for label, cells in rows)
    counts = view.counts()
    legend = "   ".join(f"{MARKS[status]} {status.value.lower().replace('_', ' ')} {counts[status.value]}"
                        for status in PartitionStatus)
    return [*lines, "", legend]


_LAYOUTS: dict[str, tuple[str, Callable[[datetime], int] | None, str]] = {
    # schedule type -> (row label format, column of a partition in its row or None to append, ruler)
    "HOURLY": ("%Y-%m-%d", lambda moment: moment.hour, "".join(str(h % 10) for h in range(24))),
    "DAILY": ("%Y-%m", lambda moment: moment.day - 1, "".join(str(d % 10) for d in range(1, 32))),
    "WEEKLY": ("%Y", None, ""),
    "MONTHLY": ("%Y", lambda moment: moment.month - 1, "JFMAMJJASOND"),
}


def _rows(view: PartitionStatusView, partitions_def: Any) -> tuple[list[tuple[str, str]], str]:
    marks = [MARKS[status] for status in view.statuses]
    schedule = getattr(getattr(partitions_def, "schedule_type", None), "value", None)
    layout = _LAYOUTS.get(str(schedule))
    starts_of = getattr(partitions_def, "start_times_for_partition_keys", None)
    if layout is not None and starts_of is not None:
        # Window starts from the definition, in its timezone: a key format need not parse back
        # (an autumn hour is repeated, told apart by its UTC offset).
        label_format, column, ruler = layout
        rows: dict[str, list[str]] = {}
        for moment, mark in zip(starts_of(view.keys), marks, strict=True):
            label = moment.strftime(label_format)
            cells = rows.setdefault(label, [])
            if column is None:
                cells.append(mark)
                continue
            at = column(moment)
            if at < len(cells) and cells[at] != " ":  # a repeated hour (DST ends): its own row, by offset
                cells = rows.setdefault(f"{label} {moment.strftime('%z')}", [])
            cells.extend(" " * (at + 1 - len(cells)))  # a gap (DST starts, or the first row) stays blank
            cells[at] = mark
        return [(label, "".join(cells).rstrip()) for label, cells in rows.items()], ruler
    per_row = 50
    return [
        (view.keys[start], "".join(marks[start : start + per_row])) for start in range(0, len(marks), per_row)
    ], ""


def _status(args: argparse.Namespace) -> int:
    ctx = CommandContext(args)
    try:
        key = AssetKey.from_user_string(args.key)
    except ValueError as err:
        raise DefinitionError(f"invalid asset key {args.key!r}: {err}") from None
    graph = ctx.definitions.get_asset_graph()
    partitions_def = graph.get(key).partitions_def
    if partitions_def is None:
        raise DefinitionError(
            f"asset '{key.to_user_string()}' is not partitioned; `aloft asset status` shows its latest "
            "materialization"
        )
    store = ctx.store
    keys = partitions_def.get_partition_keys(dynamic_partitions_store=store)
    view = partition_status_view(keys, store.partition_status_records(key), active_runs(store, key))
    if args.json:
        print_json(
            {
                "asset": key.to_user_string(),
                "partitions_def": repr(partitions_def),
                "total": len(view.keys),
                "counts": view.counts(),
                "ranges": view.ranges(),
                "partitions": dict(zip(view.keys, (s.value for s in view.statuses), strict=True)),
                "run_ids": {k: r for k, r in zip(view.keys, view.run_ids, strict=True) if r is not None},
            }
        )
        return 0
    print(f"{key.to_user_string()}: {len(view.keys)} partitions  {partitions_def!r}")
    if not view.keys:
        print("  no partitions yet")
        return 0
    print()
    for line in render_grid(view, partitions_def):
        print(line)
    failed = [k for k, s in zip(view.keys, view.statuses, strict=True) if s is PartitionStatus.FAILED]
    if failed:
        print("failed: " + ", ".join(failed[:10]) + (f", ... ({len(failed)} in all)" if len(failed) > 10 else ""))
    return 0
