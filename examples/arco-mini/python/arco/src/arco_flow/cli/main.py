"""Entry point of the `arco` CLI: parse arguments, build a client, dispatch."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TextIO

from arco_flow.cli.commands import logs, run, status
from arco_flow.client import ApiError, ArcoClient

__all__ = ["main"]

_COMMANDS = {"run": run, "status": status, "logs": logs}
DEFAULT_API = "http://127.0.0.1:8080"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arco", description="Arco orchestration CLI")
    parser.add_argument(
        "--api",
        default=os.environ.get("ARCO_API_URL", DEFAULT_API),
        help="API base URL (default: $ARCO_API_URL or %(default)s)",
    )
    subparsers = parser.add_subparsers(dest="command", required=True)
    for module in _COMMANDS.values():
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None, *, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    args = build_parser().parse_args(argv)
    client = ArcoClient(args.api)
    try:
        return _COMMANDS[args.command].execute(args, client, out)
    except ApiError as err:
        print(f"error: {err}", file=out)
        return 1


if __name__ == "__main__":
    sys.exit(main())
