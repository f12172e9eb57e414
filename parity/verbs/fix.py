"""`parity fix`: show, check or write the line fixes for drifted refs, or (--statuses) honest downgrades.

The diff goes to stdout; what was fixed, what could not be, and suggestions go to stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from parity.errors import InputError
from parity.verbs.common import add_repo_argument, open_repository

if TYPE_CHECKING:
    import argparse

    from rich.console import Console

    from parity.fix import FileChange
    from parity.repository import Repository

__all__ = ["HELP", "configure", "run"]

HELP = "show (or --write) line fixes for drifted `path:line` refs; --statuses: honest status downgrades"

_STYLES = (("---", "bold"), ("+++", "bold"), ("@@", "cyan"), ("-", "red"), ("+", "green"))


def configure(parser: argparse.ArgumentParser) -> None:
    add_repo_argument(parser)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if anything would change (for CI)")
    mode.add_argument("--write", action="store_true", help="apply the changes to the matrix in place")
    parser.add_argument(
        "--statuses",
        action="store_true",
        help="instead of line fixes: downgrade Implemented rows whose proof fails to Partial, "
        "and list Partial rows that may deserve promotion",
    )
    parser.add_argument(
        "--from-report",
        type=Path,
        default=None,
        metavar="PATH",
        help="with --statuses: take verdicts from `parity prove --format json` output (default: run check)",
    )


def run(args: argparse.Namespace, console: Console) -> int:
    from rich.console import Console  # noqa: PLC0415

    if args.from_report is not None and not args.statuses:
        raise InputError("--from-report", "only applies to --statuses", hint="add --statuses")
    repo = open_repository(args.repo)
    review = _review_statuses if args.statuses else _review_refs
    changes, lines = review(repo, args)
    for change in changes:
        _print_diff(console, change)
    notes = Console(stderr=True, highlight=False)
    for line in lines:
        notes.print(line, markup=False, soft_wrap=True)
    if not changes:
        notes.print("nothing to change", markup=False)
        return 0
    if args.write:
        _write(repo, changes)
        from parity.verbs.export import refresh_csv_siblings  # noqa: PLC0415

        for rel in refresh_csv_siblings(repo):
            notes.print(f"regenerated {rel} from the matrix", markup=False, soft_wrap=True)
        return 0
    notes.print("apply with `parity fix --write" + (" --statuses`" if args.statuses else "`"), markup=False)
    return 1 if args.check else 0


def _review_refs(repo: Repository, args: argparse.Namespace) -> tuple[list[FileChange], list[str]]:
    from parity.fix import plan_ref_fixes  # noqa: PLC0415

    plan = plan_ref_fixes(repo)
    lines = [
        f"{fix.matrix}:{fix.row_line}: `{fix.ref}` (`{fix.name}`) -> line {fix.new_line}"
        for fix in plan.fixes
    ]
    if plan.fixes:
        done = "moved" if args.write else "to move"
        lines.append(f"{len(plan.fixes)} ref(s) {done} in {len(plan.changes)} file(s)")
    if plan.unfixable:
        lines.append("not fixed (edit these by hand):")
    for item in plan.unfixable:
        line = f"  {item.matrix}:{item.row_line}: `{item.ref}` (`{item.name}`): {item.reason}"
        if item.suggestion:
            line += f"; renamed to {item.suggestion}? (a suggestion: not written)"
        lines.append(line)
    return list(plan.changes), lines


def _review_statuses(repo: Repository, args: argparse.Namespace) -> tuple[list[FileChange], list[str]]:
    from parity.statuses import load_prove_report, review_statuses, status_changes  # noqa: PLC0415

    report = load_prove_report(args.from_report) if args.from_report is not None else None
    review = review_statuses(repo, report, str(args.from_report or ""))
    lines = [f"verdicts from: {review.source}"]
    lines.extend(
        f"{item.path}:{item.line}: downgrade {item.old} -> {item.new}: {item.capability} ({item.reason})"
        for item in review.downgrades
    )
    if review.promotions:
        lines.append("promotion candidates (never applied; review them, then edit the Status):")
    lines.extend(
        f"  {item.path}:{item.line}: {item.old} -> {item.new}?: {item.capability} ({item.reason})"
        for item in review.promotions
    )
    return status_changes(repo, review.downgrades), lines


def _print_diff(console: Console, change: FileChange) -> None:
    from rich.text import Text  # noqa: PLC0415

    for line in change.diff():
        style = next((s for prefix, s in _STYLES if line.startswith(prefix)), "")
        console.print(Text(line, style=style), soft_wrap=True)


def _write(repo: Repository, changes: list[FileChange]) -> None:
    from parity.atomicfile import write_atomic  # noqa: PLC0415
    from parity.fix import read_text  # noqa: PLC0415

    for change in changes:
        if read_text(repo.root, change.path) != change.old:
            raise InputError(
                change.path, "changed on disk while parity fix ran; nothing written", hint="re-run it"
            )
    for change in changes:
        write_atomic(repo.root / change.path, change.new, label=change.path)
