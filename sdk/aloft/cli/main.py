"""``aloft``: the command line. Exit codes: 0 success, 1 run failed, 2 bad definitions or usage."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from aloft.errors import AloftError

__all__ = ["main"]

EXIT_OK, EXIT_RUN_FAILED, EXIT_USAGE = 0, 1, 2

# Each module adds its subcommands with `register(subparsers)`; handlers return an exit code.
COMMAND_MODULES = ("aloft.cli.assets", "aloft.cli.jobs", "aloft.cli.state", "aloft.cli.automation", "aloft.cli.dev", "aloft.cli.deploy", "aloft.cli.cloud", "aloft.cli.ui", "aloft.cli.backfill", "aloft.cli.partitions")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="aloft", description="Software-defined assets, serverless on AWS Step Functions."
    )
    parser.add_argument("-f", "--file", help="Python file that defines a Definitions object")
    parser.add_argument("-m", "--module", help="module (optionally module:attribute) with the Definitions")
    parser.add_argument(
        "--state", help="state store URL (default: [tool.aloft] state, $ALOFT_STATE, sqlite:.aloft/state.db)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``aloft`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        code: int = handler(args)
        return code
    except AloftError as err:
        print(f"aloft: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("aloft: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
