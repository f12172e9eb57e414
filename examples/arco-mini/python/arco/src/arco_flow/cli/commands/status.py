"""`arco status RUN_ID`: show a run's state."""

from __future__ import annotations

import argparse
from typing import TextIO

from arco_flow.client import ArcoClient

__all__ = ["execute", "register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("status", help="show a run's state")
    parser.add_argument("run_id")


def execute(args: argparse.Namespace, client: ArcoClient, out: TextIO) -> int:
    run = client.get_run(args.run_id)
    print(f"{run['runId']}: {run['state']}", file=out)
    return 0
