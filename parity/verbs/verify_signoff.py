"""`parity verify-signoff`: is a sign-off authentic, on this history, and is its evidence unchanged?"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from parity.verbs.common import add_repo_argument

if TYPE_CHECKING:
    import argparse

    from rich.console import Console

    from parity.verification import Verification

__all__ = ["HELP", "configure", "run"]

HELP = "check a sign-off manifest's digest and commit, and list the evidence changed since"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE", help="the sign-off manifest (JSON)")
    add_repo_argument(parser)
    parser.add_argument("--format", choices=("text", "json"), default="text", help="stdout format")


def run(args: argparse.Namespace, console: Console) -> int:
    from parity.errors import InputError  # noqa: PLC0415
    from parity.reporters.json_report import dumps  # noqa: PLC0415
    from parity.verification import verify  # noqa: PLC0415

    if not args.repo.is_dir():
        raise InputError(str(args.repo), "repository directory not found", hint="pass --repo PATH")
    result = verify(args.repo.resolve(), args.file, str(args.file))
    if args.format == "json":
        sys.stdout.write(dumps(_document(result)))
    else:
        _print(console, result)
    return result.exit_code


def _document(result: Verification) -> dict[str, object]:
    return {
        "schema_version": 1,
        "command": "verify-signoff",
        "manifest": result.label,
        "valid": result.valid,
        "release": result.release,
        "sha": result.sha,
        "created": result.created,
        "problems": list(result.problems),
        "evidence_files": result.evidence_files,
        "evidence_changed": [{"path": path, "change": change} for path, change in result.changed],
    }


def _print(console: Console, result: Verification) -> None:
    from rich.text import Text  # noqa: PLC0415

    if result.valid:
        head = Text(f"{result.label}: valid sign-off of {result.release}", style="bold green")
    else:
        head = Text(
            f"{result.label}: INVALID sign-off of {result.release or '(unknown release)'}", style="bold red"
        )
    head.append(f" (commit {result.sha[:12] or '?'}, {result.created or 'undated'})", style="")
    console.print(head, soft_wrap=True)
    for problem in result.problems:
        console.print(Text(f"  - {problem}"), soft_wrap=True)
    if not result.changed:
        console.print(
            Text(f"  evidence: all {result.evidence_files} cited file(s) unchanged since the sign-off")
        )
        return
    console.print(
        Text(
            f"  evidence: {len(result.changed)} of {result.evidence_files} cited file(s) changed since the "
            "sign-off (its proof may not hold for them any more):",
            style="yellow",
        ),
        soft_wrap=True,
    )
    for path, change in result.changed:
        console.print(Text(f"    {change:<8} {path}"), soft_wrap=True)
