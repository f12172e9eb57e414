"""`parity history`: status counts at every commit that changed the matrix, as a table and an SVG chart."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from parity.verbs.common import add_repo_argument, open_repository

if TYPE_CHECKING:
    import argparse

    from rich.console import Console

    from parity.history import History

__all__ = ["HELP", "configure", "run"]

HELP = "status counts at every commit that changed the matrix (table, JSON, SVG chart)"


def configure(parser: argparse.ArgumentParser) -> None:
    add_repo_argument(parser)
    parser.add_argument("--matrix", default=None, metavar="PATH", help="default: the first configured matrix")
    parser.add_argument("--svg", type=Path, default=None, metavar="PATH", help="also write a line chart here")
    parser.add_argument("--force", action="store_true", help="replace an existing --svg file")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="stdout format")


def run(args: argparse.Namespace, console: Console) -> int:
    from parity.atomicfile import write_atomic  # noqa: PLC0415
    from parity.history import matrix_history  # noqa: PLC0415
    from parity.reporters.json_report import dumps  # noqa: PLC0415
    from parity.svgchart import line_chart  # noqa: PLC0415

    repo = open_repository(args.repo)
    history = matrix_history(repo.root, repo.config, args.matrix)
    if args.svg is not None:
        labels = [p.sha[:7] for p in history.points]
        tips = [f"{p.sha[:7]} {p.date[:10]} {p.subject}" for p in history.points]
        chart = line_chart(f"{history.matrix}: rows by status", labels, history.series(), tips)
        write_atomic(args.svg, chart, overwrite=args.force, label=str(args.svg))
    if args.format == "json":
        sys.stdout.write(dumps(history.to_dict()))
    else:
        _print(console, history)
    return 0


def _print(console: Console, history: History) -> None:
    """Plain aligned columns (not a rich Table): a narrow terminal must not squeeze the subjects away."""
    from rich.text import Text  # noqa: PLC0415

    names = [s or "(empty)" for s in history.statuses]
    console.print(Text(f"{history.matrix}: rows by status, oldest first", style="bold"), soft_wrap=True)
    header = "  ".join(["commit ", "date      ", *names, "total", "subject"])
    console.print(Text(header, style="bold"), soft_wrap=True)
    for point in history.points:
        if point.error:
            counts = ["-".rjust(len(n)) for n in names]
            total, subject = "-".rjust(5), f"{point.subject} ({point.error})"
        else:
            counts = [
                str(point.counts.get(s, 0)).rjust(len(n))
                for s, n in zip(history.statuses, names, strict=True)
            ]
            total, subject = str(point.total).rjust(5), point.subject
        line = "  ".join([point.sha[:7], point.date[:10], *counts, total, subject])
        console.print(Text(line), soft_wrap=True)
