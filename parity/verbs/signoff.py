"""`parity signoff`: prove every row at a clean commit and record a verifiable release manifest.

A failed sign-off (an Implemented row not proven, or a row proven by the previous sign-off and not
now, unless named by --accept-regression) still writes its manifest, with "accepted": false, and
exits 1. Flaky passes do not count as proven here.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

from parity.verbs.common import add_repo_argument, open_repository

if TYPE_CHECKING:
    import argparse

    from rich.console import Console

    from parity.signoff import SignoffResult

__all__ = ["HELP", "configure", "run"]

HELP = "prove the matrix at a clean commit and write a verifiable sign-off manifest for a release"


def configure(parser: argparse.ArgumentParser) -> None:
    add_repo_argument(parser)
    parser.add_argument("--release", required=True, metavar="NAME", help="the release, e.g. v1.2.0")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        metavar="PATH",
        help="manifest path (default: docs/parity/signoff/<release>.json in the repository)",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing manifest")
    parser.add_argument(
        "--accept-regression",
        action="append",
        default=[],
        metavar="ROW",
        help="accept this blocking row (its capability text, or its matrix line); repeatable",
    )
    parser.add_argument(
        "--previous",
        type=Path,
        default=None,
        metavar="PATH",
        help="compare with this manifest (default: the latest accepted one of a lower version)",
    )
    parser.add_argument("--verbose", action="store_true", help="stream every command's output")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="stdout format")


def run(args: argparse.Namespace, console: Console) -> int:
    from parity.reporters.json_report import dumps  # noqa: PLC0415
    from parity.reporters.prove_console import LiveView, stderr_console  # noqa: PLC0415
    from parity.signoff import SignoffOptions, sign_off  # noqa: PLC0415

    repo = open_repository(args.repo)
    options = SignoffOptions(
        release=args.release,
        output=args.output,
        force=args.force,
        accept=tuple(args.accept_regression),
        previous=args.previous,
    )
    view = LiveView(stderr_console, verbose=args.verbose)
    with view.session():
        result = sign_off(repo, options, on_event=view.event, on_line=view.line)
    if args.format == "json":
        sys.stdout.write(dumps(_document(result)))
    else:
        _print(console, result)
    return result.exit_code


def _document(result: SignoffResult) -> dict[str, object]:
    manifest = result.manifest
    return {
        "schema_version": 1,
        "command": "signoff",
        "release": manifest["release"],
        "accepted": result.accepted,
        "manifest": result.label,
        "digest": manifest["digest"],
        "sha": manifest["git"]["sha"],
        "previous": result.previous or None,
        "summary": manifest["summary"],
        "blocking": manifest["blocking"],
        "unused_accept_regression": list(result.unused_accepts),
    }


def _print(console: Console, result: SignoffResult) -> None:
    from rich.text import Text  # noqa: PLC0415

    manifest = result.manifest
    summary = manifest["summary"]
    verdict = "accepted" if result.accepted else "NOT accepted"
    console.print(
        Text(
            f"sign-off {manifest['release']}: {verdict}",
            style="bold green" if result.accepted else "bold red",
        )
    )
    console.print(
        Text(
            f"  commit {manifest['git']['sha'][:12]}: {summary['claims_proven']}/{summary['claims']} "
            f"Implemented rows proven, {summary['blocking']} blocking row(s), "
            f"{summary['accepted_by_flag']} accepted by --accept-regression"
        ),
        soft_wrap=True,
    )
    console.print(Text(f"  compared with: {result.previous or 'no previous sign-off'}"), soft_wrap=True)
    for blocker in result.blockers:
        mark = "accepted" if blocker.accepted else "blocking"
        line = Text(
            f"  {mark}  {blocker.file}:{blocker.line}  ", style="yellow" if blocker.accepted else "red"
        )
        line.append(f"{blocker.capability}: {blocker.reason}", style="")
        console.print(line, soft_wrap=True)
        if blocker.detail:
            console.print(Text(f"            {blocker.detail}"), soft_wrap=True)
    for text in result.unused_accepts:
        console.print(Text(f"  warning: --accept-regression {text!r} names no blocking row", style="yellow"))
    accepted = "" if result.accepted else ' (it records "accepted": false)'
    console.print(Text(f"  manifest: {result.label}{accepted}"), soft_wrap=True)
    console.print(Text(f"  digest: {manifest['digest']}"), soft_wrap=True)
