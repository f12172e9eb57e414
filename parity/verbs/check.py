"""`parity check`: statically validate every evidence link of the matrix."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from parity.verbs.common import add_repo_argument, open_repository

if TYPE_CHECKING:
    import argparse

    from rich.console import Console

__all__ = ["HELP", "configure", "run"]

HELP = "statically validate every evidence link of the matrix"


def configure(parser: argparse.ArgumentParser) -> None:
    add_repo_argument(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="stdout format")


def run(args: argparse.Namespace, console: Console) -> int:
    from parity.check import run_check  # noqa: PLC0415
    from parity.reporters.console import print_check  # noqa: PLC0415
    from parity.reporters.json_report import check_document, dumps  # noqa: PLC0415

    report = run_check(open_repository(args.repo))
    if args.format == "json":
        sys.stdout.write(dumps(check_document(report)))
    else:
        print_check(console, report, str(args.repo))
    return report.exit_code
