"""``aloft backfill``: run, inspect, resume and cancel local backfills.

Example:
    $ aloft backfill --select daily_events --from 2026-01-01 --to 2026-03-31
    $ aloft backfill --job nightly --missing --max-concurrent 8
    $ aloft backfill list
    $ aloft backfill status qwertyui
    $ aloft backfill resume qwertyui        # only failed and missing partitions
    $ aloft backfill cancel qwertyui        # from another terminal: stop launching runs
    $ aloft backfill --job nightly --all --local-cloud   # ONE Step Functions execution on moto
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TextIO

from aloft.cli.context import CommandContext
from aloft.cli.output import print_json
from aloft.cli.runconfig import read_run_config
from aloft.errors import DefinitionError
from aloft.execution.backfill import (
    BackfillPartitionStatus,
    BackfillProgress,
    BackfillResult,
    NothingToBackfill,
)
from aloft.storage.records import BackfillRecord, BackfillStatus, PartitionStatus
from aloft.storage.serialization import backfill_to_dict

__all__ = ["ProgressBar", "key_ranges", "register"]


def register(commands: Any) -> None:
    """Add ``aloft backfill`` and its ``list``, ``status``, ``resume`` and ``cancel`` actions."""
    start = commands.add_parser(
        "backfill",
        help="materialize many partitions concurrently (or: backfill list|status|resume|cancel)",
        description="Backfill partitions of the selected assets in this process, or inspect, resume "
        "and cancel recorded backfills.",
    )
    start.add_argument("--select", help="asset selection, e.g. 'daily_events+' (all partitioned alike)")
    start.add_argument("--job", help="backfill the assets of this asset job instead of --select")
    which = start.add_mutually_exclusive_group()
    which.add_argument("--from", dest="start", metavar="KEY", help="first partition (with --to)")
    which.add_argument("--partitions", metavar="A,B,C", help="these partitions, comma-separated")
    which.add_argument("--all", action="store_true", help="every partition")
    which.add_argument("--missing", action="store_true", help="every partition not yet materialized")
    start.add_argument("--to", dest="end", metavar="KEY", help="last partition (with --from)")
    _run_options(start)
    _local_cloud_option(start)
    start.set_defaults(handler=_start)
    actions = start.add_subparsers(dest="backfill_command", metavar="ACTION")

    listing = actions.add_parser("list", help="recorded backfills, newest first")
    listing.add_argument("--status", type=_backfill_status, help="only backfills in this status (e.g. FAILED)")
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(handler=_list)
    status = actions.add_parser("status", help="one backfill: its partitions by status")
    status.add_argument("backfill_id", metavar="ID")
    status.add_argument("--json", action="store_true", help="print JSON")
    status.set_defaults(handler=_status)
    resume = actions.add_parser("resume", help="run again the partitions that failed or never ran")
    resume.add_argument("backfill_id", metavar="ID")
    _run_options(resume)
    _local_cloud_option(resume)
    resume.set_defaults(handler=_resume)
    cancel = actions.add_parser("cancel", help="stop launching runs (runs already started finish)")
    cancel.add_argument("backfill_id", metavar="ID")
    cancel.set_defaults(handler=_cancel)


def _run_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max-concurrent", type=int, metavar="N", help="runs at once (default 16)")
    parser.add_argument("--config", help="run config file (YAML or JSON) for every run")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")


def _local_cloud_option(parser: argparse.ArgumentParser) -> None:
    # The cloud path lives in aloft.cli.cloud (aloft.cloud's owner); this file only routes to it.
    parser.add_argument(
        "--local-cloud",
        action="store_true",
        help="on emulated AWS (moto): ONE execution of the job's compiled backfill state machine "
        "(a Distributed Map over the partitions); needs --job",
    )


def _backfill_status(value: str) -> BackfillStatus:
    try:
        return BackfillStatus(value.upper())
    except ValueError:
        names = ", ".join(s.value for s in BackfillStatus)
        raise argparse.ArgumentTypeError(f"unknown backfill status {value!r} (one of {names})") from None


# -- start and resume -------------------------------------------------------------------------


def _start(args: argparse.Namespace) -> int:
    from aloft.execution.backfill import backfill

    if args.select is None and args.job is None:
        raise DefinitionError("name the assets to backfill: --select SELECTION or --job NAME")
    if (args.start is None) != (args.end is None):
        raise DefinitionError("--from and --to go together: --from FIRST_KEY --to LAST_KEY")
    if not (args.start or args.partitions or args.all or args.missing):
        raise DefinitionError(
            "say which partitions: --from KEY --to KEY, --partitions A,B,C, --all or --missing"
        )
    keys = None
    if args.partitions is not None:
        keys = [key.strip() for key in args.partitions.split(",") if key.strip()]
        if not keys:
            raise DefinitionError("--partitions needs at least one key, e.g. --partitions 2026-01-01,2026-01-02")
    if args.local_cloud:
        from aloft.cli.cloud import backfill_on_local_cloud

        return backfill_on_local_cloud(args, keys)
    ctx = CommandContext(args)
    defs = ctx.definitions
    bar = ProgressBar(sys.stderr)
    try:
        result = backfill(
            defs,
            partition_keys=keys,
            partition_key_range=(args.start, args.end) if args.start is not None else None,
            missing_only=args.missing,
            selection=args.select,
            job=args.job,
            resources={**ctx.default_resources(), **defs.resources},
            run_config=read_run_config(args.config) if args.config else None,
            instance=ctx.store,
            max_concurrent=args.max_concurrent,
            on_progress=bar.update,
        )
    except NothingToBackfill as nothing:
        print(str(nothing))
        return 0
    return _outcome(result, args.json)


def _resume(args: argparse.Namespace) -> int:
    from aloft.execution.backfill import resume_backfill

    if args.local_cloud:
        from aloft.cli.cloud import resume_on_local_cloud

        return resume_on_local_cloud(args)
    ctx = CommandContext(args)
    defs = ctx.definitions
    result = resume_backfill(
        defs,
        args.backfill_id,
        resources={**ctx.default_resources(), **defs.resources},
        run_config=read_run_config(args.config) if args.config else None,
        instance=ctx.store,
        max_concurrent=args.max_concurrent,
        on_progress=ProgressBar(sys.stderr).update,
    )
    return _outcome(result, args.json)


def _outcome(result: BackfillResult, as_json: bool) -> int:
    if as_json:
        counts = Counter(status.value for status in result.partition_statuses.values())
        print_json(
            {
                "backfill_id": result.backfill_id,
                "status": result.status.value,
                "success": result.success,
                "counts": dict(counts),
                "partitions": {key: status.value for key, status in result.partition_statuses.items()},
                "partition_run_ids": dict(result.partition_run_ids),
                "run_ids": list(result.run_ids),
                "errors": dict(result.errors),
                "elapsed": round(result.elapsed, 6),
            }
        )
    else:
        _summarize(result)
    return 0 if result.success else 1


def _summarize(result: BackfillResult, out: TextIO | None = None) -> None:
    stream = out or sys.stdout
    order = list(result.partition_statuses)
    total = len(order)
    parts = [f"{len(result.materialized_partitions)} of {total} partitions materialized"]
    for name, keys in (
        ("failed", result.failed_partitions),
        ("skipped", result.skipped_partitions),
        ("not launched", result.canceled_partitions),
    ):
        if keys:
            parts.append(f"{len(keys)} {name}")
    print(
        f"backfill {result.backfill_id} {result.status.value}: {', '.join(parts)}"
        f" in {len(result.run_ids)} runs ({result.elapsed:.2f}s)",
        file=stream,
    )
    shown = result.failed_partitions[:10]
    for key in shown:
        print(f"  {key}  failed: {result.errors.get(key, '?')}", file=stream)
    if len(result.failed_partitions) > len(shown):
        print(f"  ... and {len(result.failed_partitions) - len(shown)} more failed", file=stream)
    if result.skipped_partitions:
        print(
            "  skipped (a partition they read failed): " + key_ranges(result.skipped_partitions, order),
            file=stream,
        )
    if result.canceled_partitions:
        print("  not launched (canceled): " + key_ranges(result.canceled_partitions, order), file=stream)
    if not result.success:
        print(f"resume with: aloft backfill resume {result.backfill_id}", file=stream)


class ProgressBar:
    """Backfill progress on stderr: a bar redrawn in place on a terminal, a line per tenth otherwise.

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> bar = ProgressBar(out, tty=False)
        >>> bar.update(BackfillProgress("abc", total=4, in_progress=4))
        >>> bar.update(BackfillProgress("abc", total=4, materialized=4, elapsed=0.5))
        >>> print(out.getvalue().strip())
        backfill abc: 4 partitions
          [4/4] 100%  4 materialized  (0.5s)
    """

    WIDTH = 30

    def __init__(self, stream: TextIO, *, tty: bool | None = None) -> None:
        self.stream = stream
        self.tty = stream.isatty() if tty is None else tty
        self.started = False
        self.last_draw = 0.0
        self.last_tenth = 0

    def update(self, progress: BackfillProgress) -> None:
        """Show ``progress`` (called by the backfill after every change)."""
        if not self.started:
            self.started = True
            print(f"backfill {progress.backfill_id}: {progress.total} partitions", file=self.stream, flush=True)
        finished = progress.done == progress.total
        if self.tty:
            self._draw(progress, finished)
        else:
            self._lines(progress)

    def _counts(self, progress: BackfillProgress) -> str:
        parts = [f"{progress.materialized} materialized"]
        for count, name in (
            (progress.failed, "failed"),
            (progress.skipped, "skipped"),
            (progress.canceled, "not launched"),
            (progress.in_progress, "running"),
        ):
            if count:
                parts.append(f"{count} {name}")
        return "  ".join(parts)

    def _draw(self, progress: BackfillProgress, finished: bool) -> None:
        now = time.perf_counter()
        if not finished and now - self.last_draw < 0.1:
            return
        self.last_draw = now
        filled = self.WIDTH * progress.done // max(progress.total, 1)
        bar = "#" * filled + "-" * (self.WIDTH - filled)
        line = f"\r[{bar}] {progress.done}/{progress.total}  {self._counts(progress)}  {progress.elapsed:.1f}s"
        self.stream.write(line + "\x1b[K" + ("\n" if finished else ""))
        self.stream.flush()

    def _lines(self, progress: BackfillProgress) -> None:
        for key, status in progress.finished:
            if status is BackfillPartitionStatus.FAILED:
                print(f"  {key} failed", file=self.stream, flush=True)
        tenth = 10 * progress.done // max(progress.total, 1)
        if tenth > self.last_tenth:
            self.last_tenth = tenth
            percent = 100 * progress.done // max(progress.total, 1)
            print(
                f"  [{progress.done}/{progress.total}] {percent}%  {self._counts(progress)}"
                f"  ({progress.elapsed:.1f}s)",
                file=self.stream,
                flush=True,
            )


# -- inspecting ---------------------------------------------------------------------------------


def _when(timestamp: float | None) -> str:
    return "-" if timestamp is None else datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M:%S")


def _record_counts(record: BackfillRecord) -> Counter[PartitionStatus]:
    return Counter(record.status_of(key) for key in record.partition_keys)


def _list(args: argparse.Namespace) -> int:
    store = CommandContext(args).store
    records = store.list_backfills(status=args.status, limit=args.limit)
    if args.json:
        print_json([{**backfill_to_dict(r), "counts": _json_counts(r)} for r in records])
        return 0
    if not records:
        print("no backfills recorded" + (f" in status {args.status.value}" if args.status else ""))
        return 0
    rows = [("backfill", "status", "job", "assets", "materialized", "failed", "created")]
    for record in records:
        counts = _record_counts(record)
        rows.append(
            (
                record.backfill_id,
                record.status.value,
                record.job_name,
                _shorten(", ".join(record.selection), 30),
                f"{counts[PartitionStatus.MATERIALIZED]}/{len(record.partition_keys)}",
                str(counts[PartitionStatus.FAILED]),
                _when(record.created_at),
            )
        )
    _table(rows)
    return 0


def _status(args: argparse.Namespace) -> int:
    from aloft.execution.backfill import find_backfill

    record = find_backfill(CommandContext(args).store, args.backfill_id)
    if args.json:
        print_json({**backfill_to_dict(record), "counts": _json_counts(record)})
        return 0
    counts = _record_counts(record)
    print(f"backfill {record.backfill_id}  {record.status.value}")
    print(
        f"  job {record.job_name} | assets {', '.join(record.selection)} | created {_when(record.created_at)}"
        f" | updated {_when(record.updated_at)}"
    )
    summary = ", ".join(f"{counts[s]} {s.value.lower().replace('_', ' ')}" for s in PartitionStatus if counts[s])
    print(f"  {len(record.partition_keys)} partitions: {summary or 'none'}")
    rows = [("status", "partitions", "count")]
    for status in PartitionStatus:
        keys = [key for key in record.partition_keys if record.status_of(key) is status]
        if keys:
            rows.append((status.value, key_ranges(keys, record.partition_keys, limit=6), str(len(keys))))
    print()
    _table(rows)
    failed = [key for key in record.partition_keys if record.status_of(key) is PartitionStatus.FAILED]
    if failed:
        print()
        for key in failed[:10]:
            print(f"  {key} failed in run {record.partition_run_ids.get(key, '-')} (`aloft runs show RUN_ID`)")
    if record.status.is_finished and record.status is not BackfillStatus.COMPLETED:
        print(f"\nresume with: aloft backfill resume {record.backfill_id}")
    return 0


def _cancel(args: argparse.Namespace) -> int:
    from aloft.execution.backfill import cancel_backfill

    record = cancel_backfill(CommandContext(args).store, args.backfill_id)
    left = sum(1 for key in record.partition_keys if record.status_of(key) is not PartitionStatus.MATERIALIZED)
    print(
        f"backfill {record.backfill_id} CANCELED: no new runs are launched; runs already started finish. "
        f"{left} partitions are not materialized; `aloft backfill resume {record.backfill_id}` runs them."
    )
    return 0


def _json_counts(record: BackfillRecord) -> dict[str, int]:
    counts = _record_counts(record)
    return {status.value: counts[status] for status in PartitionStatus}


def key_ranges(keys: Iterable[str], order: Sequence[str], *, limit: int = 20) -> str:
    """Keys as consecutive ranges of ``order``: ``a..c, e`` (at most ``limit`` ranges shown).

    Example:
        >>> key_ranges(["01", "02", "03", "05"], ["01", "02", "03", "04", "05"])
        '01..03, 05'
    """
    position = {key: index for index, key in enumerate(order)}
    indexes = sorted(position[key] for key in keys)
    spans: list[tuple[int, int]] = []
    for index in indexes:
        if spans and index == spans[-1][1] + 1:
            spans[-1] = (spans[-1][0], index)
        else:
            spans.append((index, index))
    text = [order[a] if a == b else f"{order[a]}..{order[b]}" for a, b in spans[:limit]]
    if len(spans) > limit:
        text.append(f"... ({len(spans) - limit} more ranges)")
    return ", ".join(text)


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def _table(rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  " + "  ".join(f"{cell:<{widths[i]}}" for i, cell in enumerate(row)).rstrip())
