"""`parity check`: statically validate every evidence link of the matrix."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from parity.reporters.outputs import add_output_arguments, report_paths
from parity.verbs.common import add_repo_argument, open_repository

if TYPE_CHECKING:
    import argparse

    from rich.console import Console

__all__ = ["HELP", "configure", "run"]

HELP = "statically validate every evidence link of the matrix"


def configure(parser: argparse.ArgumentParser) -> None:
    add_repo_argument(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="stdout format")
    add_output_arguments(parser)


def run(args: argparse.Namespace, console: Console) -> int:
    from parity.check import run_check  # noqa: PLC0415
    from parity.reporters.console import print_check  # noqa: PLC0415
    from parity.reporters.json_report import check_document, dumps  # noqa: PLC0415
    from parity.reporters.outputs import write_outputs  # noqa: PLC0415

    paths = report_paths(args)
    repo = open_repository(args.repo)
    report = run_check(repo)
    document = check_document(report, config=repo.config)
    if args.format == "json":
        sys.stdout.write(dumps(document))
    else:
        print_check(console, report, str(args.repo))
    stream = sys.stderr if args.format == "json" else sys.stdout  # keep stdout one JSON document
    write_outputs(document, paths, root=repo.root, force=args.force, stream=stream)
    return report.exit_code
