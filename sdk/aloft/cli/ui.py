"""``aloft ui``: serve the web UI for the project's definitions and state store until Ctrl-C.

Example:
    $ aloft ui                          # http://127.0.0.1:3000
    $ aloft ui --port 0 --open          # any free port, opened in the browser
    $ aloft --state 'dynamodb://aloft-state?endpoint=http://localhost:5000' ui
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

from aloft.cli.context import CommandContext

__all__ = ["register", "warn_if_exposed"]


def warn_if_exposed(host: str, what: str) -> None:
    """Say on stderr that binding ``host`` exposes ``what`` to others, unless it is a loopback address.

    Example:
        >>> warn_if_exposed("127.0.0.1", "the web UI")     # loopback: nothing to say
    """
    from aloft.loopback import is_loopback_host

    if not is_loopback_host(host):
        print(f"warning: --host {host} is not a loopback address: anyone who can reach it can use {what}",
              file=sys.stderr, flush=True)


def register(commands: Any) -> None:
    """Add ``aloft ui``."""
    ui = commands.add_parser(
        "ui",
        help="serve the web UI (asset graph, runs, logs, partitions, schedules, sensors) until Ctrl-C",
    )
    ui.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)"
    )
    ui.add_argument(
        "--port", type=int, default=3000, help="port (default 3000; 0 picks a free one)"
    )
    ui.add_argument("--open", action="store_true", help="open the UI in the default web browser")
    ui.set_defaults(handler=_ui)


def _ui(args: argparse.Namespace) -> int:
    from aloft.ui.server import UIServer

    ctx = CommandContext(args)
    server = UIServer(ctx.definitions, ctx.store, host=args.host, port=args.port)
    server.start()
    try:
        print(f"aloft UI on {server.url} (Ctrl-C to stop)", flush=True)
        warn_if_exposed(args.host, "the web UI (your runs and logs)")
        if args.open:
            import webbrowser

            webbrowser.open(server.url)
        _serve_until_interrupted(server)
    except KeyboardInterrupt:
        print("\nstopped")
    finally:
        server.stop()
    return 0


def _serve_until_interrupted(server: Any) -> None:
    """Block the main thread while the server thread serves (Ctrl-C raises KeyboardInterrupt)."""
    forever = threading.Event()
    while not forever.wait(3600):
        pass
