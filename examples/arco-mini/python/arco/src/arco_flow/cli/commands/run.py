"""`arco run ASSET... [--partition dim=value]... [--run-key KEY]`: trigger a run."""

from __future__ import annotations

import argparse
from typing import TextIO

from arco_flow.client import ArcoClient
from arco_flow.types import PartitionKey

__all__ = ["execute", "register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("run", help="trigger a run")
    parser.add_argument("assets", nargs="+", help="assets to materialize")
    parser.add_argument("--partition", action="append", default=[], metavar="DIM=VALUE")
    parser.add_argument("--run-key", help="idempotency key: reusing it returns the same run")


def execute(args: argparse.Namespace, client: ArcoClient, out: TextIO) -> int:
    pairs = []
    for item in args.partition:
        dim, sep, value = item.partition("=")
        if not sep or not dim:
            print(f"error: --partition expects DIM=VALUE, got {item!r}", file=out)
            return 2
        pairs.append((dim, value))
    key = PartitionKey.of(pairs)
    response = client.trigger_run(args.assets, partitions=dict(key.dims), run_key=args.run_key)
    verb = "created" if response.get("created", True) else "existing"
    print(f"{verb} run {response['runId']}", file=out)
    return 0
