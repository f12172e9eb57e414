"""`parity merge`: combine `prove --shard K/N --json` results into the final verdicts and reports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from parity.reporters.outputs import add_output_arguments, report_paths
from parity.verbs.common import add_repo_argument, open_repository

if TYPE_CHECKING:
    import argparse

    from rich.console import Console

__all__ = ["HELP", "configure", "run"]

HELP = "merge the JSON results of `prove --shard K/N` into one report (fails on a missing or foreign shard)"


def configure(parser: argparse.ArgumentParser) -> None:
    add_repo_argument(parser)
    parser.add_argument(
        "results", nargs="+", type=Path, metavar="SHARD_JSON", help="every shard's --json file"
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="stdout format")
    add_output_arguments(parser)


def run(args: argparse.Namespace, console: Console) -> int:
    from parity.merge import merge_shards  # noqa: PLC0415
    from parity.reporters.json_report import dumps, prove_document  # noqa: PLC0415
    from parity.reporters.outputs import write_outputs  # noqa: PLC0415
    from parity.reporters.prove_console import print_prove  # noqa: PLC0415

    paths = report_paths(args)
    repo = open_repository(args.repo)
    report = merge_shards(repo, args.results)
    document = prove_document(report, root=repo.root)
    if args.format == "json":
        sys.stdout.write(dumps(document))
    else:
        print_prove(console, document, f"{args.repo} (merged from {len(args.results)} shard(s))")
    stream = sys.stderr if args.format == "json" else sys.stdout
    write_outputs(document, paths, root=repo.root, force=args.force, stream=stream)
    return report.exit_code
