"""`arco logs RUN_ID [--tail N]`: print a run's log lines."""

from __future__ import annotations

import argparse
from typing import TextIO

from arco_flow.client import ArcoClient

__all__ = ["execute", "register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("logs", help="print a run's logs")
    parser.add_argument("run_id")
    parser.add_argument("--tail", type=int, default=0, help="only the last N lines")


def execute(args: argparse.Namespace, client: ArcoClient, out: TextIO) -> int:
    lines = client.get_logs(args.run_id)
    if args.tail > 0:
        lines = lines[-args.tail :]
    for line in lines:
        print(line, file=out)
    return 0
