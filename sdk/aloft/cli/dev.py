"""``aloft daemon`` (headless) and ``aloft dev`` (the daemon, the web UI and optionally the local cloud).

    aloft daemon                        # schedules, sensors, automation against the state store, until Ctrl-C
    aloft daemon --once                 # one pass (cron ticks due, sensors due, automation), then exit
    aloft dev                           # the daemon + the web UI on http://127.0.0.1:3000
    aloft dev --local-cloud             # runs execute as the compiled state machines on moto; S3 sensors
                                        # fed by the emulated buckets (served on http://127.0.0.1:5050)

Ctrl-C or SIGTERM stops after the pass under way and waits for the runs in
flight; a second Ctrl-C stops at once.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> register(parser.add_subparsers())
    >>> args = parser.parse_args(["dev", "--local-cloud", "--no-ui", "--once"])
    >>> args.local_cloud, args.ui, args.once
    (True, False, True)
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from aloft.cli.context import CommandContext
from aloft.errors import AloftError, DefinitionError

__all__ = ["register"]

DEFAULT_AWS_PORT = 5050


def register(commands: Any) -> None:
    """Add ``aloft daemon`` and ``aloft dev``."""
    daemon = commands.add_parser("daemon", help="run schedules, sensors and automation locally (headless)")
    _daemon_options(daemon)
    daemon.set_defaults(handler=_daemon, ui=False, local_cloud=False)

    dev = commands.add_parser(
        "dev", help="the local daemon and the web UI; --local-cloud runs everything on emulated AWS"
    )
    _daemon_options(dev)
    dev.add_argument("--local-cloud", action="store_true",
                     help="run on emulated AWS (moto): compiled state machines, S3 sensors fed by its buckets")
    dev.add_argument("--aws-port", type=int, default=DEFAULT_AWS_PORT,
                     help=f"--local-cloud: serve the emulated AWS API on this port (default {DEFAULT_AWS_PORT}; "
                          "0: any free port; -1: not at all)")
    dev.add_argument("--no-ui", dest="ui", action="store_false", help="do not serve the web UI")
    dev.add_argument("--host", default="127.0.0.1", help="address the UI (and --aws-port) bind (default 127.0.0.1)")
    dev.add_argument("--port", type=int, default=3000, help="UI port (default 3000; 0 picks a free one)")
    dev.set_defaults(handler=_dev)


def _daemon_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--once", action="store_true", help="one pass, then exit (same as --iterations 1)")
    parser.add_argument("--iterations", type=int, help="stop after N passes (default: run until interrupted)")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between passes (default 1)")
    parser.add_argument(
        "--automation-interval", type=float, default=30.0,
        help="seconds between evaluations of cron and freshness conditions (default 30)",
    )
    parser.add_argument("--include-stopped", action="store_true",
                        help="also run schedules and sensors whose default_status is STOPPED")
    parser.add_argument("--workers", type=int, default=4,
                        help="runs executed (or watched) at once in background threads "
                             "(default 4; 0: in the daemon's thread)")


def _describe_iteration(iteration: Any) -> None:
    stamp = iteration.at.strftime("%H:%M:%S")
    for tick in (*iteration.schedule_ticks, *iteration.sensor_ticks):
        detail = tick.tick.error or tick.tick.skip_reason or ", ".join(tick.new_run_ids)
        print(f"[{stamp}] {tick.tick.name}: {tick.tick.status.value} {detail}", flush=True)
    for dispatch in iteration.s3_dispatches:
        print(f"[{stamp}] s3 events: {len(dispatch.new_run_ids)} new run(s), {len(dispatch.unmatched)} unmatched, "
              f"{len(dispatch.malformed)} malformed", flush=True)
        for error in dispatch.errors:
            print(f"[{stamp}]   {error}", flush=True)
    for result in iteration.automation:
        launched = [launch.run.run_id for launch in result.launches if launch.created]
        if launched or result.error is not None:
            print(f"[{stamp}] automation: {result.tick.status.value} {result.tick.error or ', '.join(launched)}",
                  flush=True)


@contextlib.contextmanager
def _stop_on_signals(stop: Callable[[], None], stopping: Callable[[], bool]) -> Iterator[None]:
    """Ctrl-C and SIGTERM ask the daemon to stop after its pass; a second Ctrl-C interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handle(signum: int, frame: Any) -> None:
        if stopping() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        print("\nstopping after the current pass (Ctrl-C again to stop at once)", file=sys.stderr, flush=True)
        stop()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _quiet_local_cloud() -> None:
    # The handlers log JSON and emit metrics for CloudWatch; on a terminal the daemon's lines say it.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    for name in ("moto", "werkzeug"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _start_ui(stack: contextlib.ExitStack, definitions: Any, store: Any, host: str, port: int) -> tuple[str, str | None]:
    """Serve the web UI in the background; a line saying where (or why not), and its URL when served."""
    try:
        from aloft.ui.server import UIServer
    except ImportError as err:
        return f"web UI: not available in this installation ({err}); running without it", None
    server = UIServer(definitions, store, host=host, port=port)
    try:
        server.start()
    except (AloftError, OSError) as err:
        return f"web UI: not started: {err}", None
    stack.callback(server.stop)
    return f"web UI: {server.url}", server.url


def _start_aws_endpoint(
    stack: contextlib.ExitStack, host: str, port: int, *, allowed_origins: Sequence[str] = ()
) -> str:
    """Serve the emulated AWS API (moto's in-process state) so this machine's tools can reach the local cloud.

    Web pages cannot: see ``aloft.cloud.aws_endpoint`` (no CORS; a foreign
    ``Origin``, or a non-loopback ``Host`` on a loopback bind, gets a 403).
    ``allowed_origins``: the local web UI's.
    """
    from aloft.cloud.aws_endpoint import AwsEndpoint

    endpoint = AwsEndpoint(host, port, allowed_origins=allowed_origins)
    try:
        endpoint.start()
    except OSError as err:
        return (f"emulated AWS API: not served, {host}:{port} is taken ({err.strerror}); "
                "pick another --aws-port (0: any free port)")
    stack.callback(endpoint.stop)
    return f"emulated AWS API: {endpoint.url}"


def _serve(args: argparse.Namespace) -> int:
    from aloft.automation.daemon import AutomationDaemon
    from aloft.automation.launcher import InProcessRunLauncher, RunLauncher
    from aloft.automation.validation import automation_definitions

    if args.once and args.iterations is not None:
        raise DefinitionError("pass --once or --iterations N, not both")
    iterations = 1 if args.once else args.iterations
    ctx = CommandContext(args)
    defs = automation_definitions(ctx.definitions)
    resources = {**ctx.default_resources(), **defs.resources}
    lines: list[str] = []
    with contextlib.ExitStack() as stack:
        pool = ThreadPoolExecutor(max_workers=args.workers, thread_name_prefix="aloft-run") if args.workers > 0 else None
        if pool is not None:
            stack.push(_on_clean_exit(pool.shutdown, lambda: pool.shutdown(wait=False, cancel_futures=True)))
        # the UI first: its origin is the one web origin the emulated AWS API answers
        ui_line, ui_url = _start_ui(stack, defs, ctx.store, args.host, args.port) if args.ui else (None, None)
        launcher: RunLauncher
        cloud: Any = None
        if args.local_cloud:
            from aloft.automation.local_cloud import LocalCloudRunLauncher, wire_s3_sensors
            from aloft.cloud.local import LocalCloud

            _quiet_local_cloud()
            cloud = LocalCloud(defs, store=ctx.store)
            cloud.start()
            stack.callback(cloud.stop)
            cloud_launcher = LocalCloudRunLauncher(cloud, waiters=pool)
            stack.push(_on_clean_exit(lambda: _wait_for_runs(cloud_launcher)))
            launcher = cloud_launcher
            lines.append(f"local cloud: moto in this process; data bucket s3://{cloud.bucket}; "
                         "runs execute the compiled state machines")
            if args.aws_port >= 0:
                lines.append(_start_aws_endpoint(stack, args.host, args.aws_port,
                                                 allowed_origins=[ui_url] if ui_url else []))
        else:
            process_launcher = InProcessRunLauncher(defs, ctx.store, resources=resources, executor=pool)
            stack.push(_on_clean_exit(lambda: _wait_for_runs(process_launcher)))
            launcher = process_launcher
        daemon = AutomationDaemon(
            defs,
            ctx.store,
            launcher,
            interval_seconds=args.interval,
            automation_interval_seconds=args.automation_interval,
            include_stopped=args.include_stopped,
            resources=resources,
            on_iteration=_describe_iteration,
        )
        if cloud is not None:
            source = wire_s3_sensors(cloud, daemon.s3_sensors)
            if source is not None:
                daemon.event_sources.append(source)
                buckets = sorted({s.bucket for s in daemon.s3_sensors})
                lines.append(f"S3 sensors: drop files in {', '.join('s3://' + b for b in buckets)} "
                             f"(events reach the daemon through {source.description})")
        if ui_line is not None:
            lines.append(ui_line)
        if args.ui or (args.local_cloud and args.aws_port >= 0):
            from aloft.cli.ui import warn_if_exposed

            warn_if_exposed(args.host, "the web UI (your runs and logs)" if not args.local_cloud else
                            "the web UI and the emulated AWS API, which accepts any credentials and runs your code")
        title = "aloft dev" if args.command == "dev" else "aloft daemon"
        print(f"{title}: state {ctx.project.state_url(args.state)}", flush=True)
        for line in [*lines, *daemon.describe(datetime.now(UTC))]:
            print(f"  {line}", flush=True)
        if iterations is None:
            print("running (Ctrl-C to stop)", flush=True)
        with _stop_on_signals(daemon.stop, lambda: daemon.stopping):
            daemon.run(iterations=iterations)
    print("stopped", flush=True)
    return 0


def _on_clean_exit(
    action: Callable[[], object], otherwise: Callable[[], object] | None = None
) -> Callable[..., None]:
    """An exit callback that runs ``action`` unless the block was interrupted (then ``otherwise``)."""

    def exit_callback(exc_type: Any, exc: Any, traceback: Any) -> None:
        if exc_type is None:
            action()
        elif otherwise is not None:
            otherwise()

    return exit_callback


def _wait_for_runs(launcher: Any) -> None:
    pending = getattr(launcher, "pending", None)
    if pending:
        print(f"waiting for {pending} run(s) in flight", flush=True)
    launcher.wait()


def _daemon(args: argparse.Namespace) -> int:
    return _serve(args)


def _dev(args: argparse.Namespace) -> int:
    return _serve(args)
