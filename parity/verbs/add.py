"""`parity add`: append a well-formed row to a section, with today's line numbers, that passes `check`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from parity.verbs.common import add_repo_argument, open_repository

if TYPE_CHECKING:
    import argparse

    from rich.console import Console

__all__ = ["HELP", "configure", "run"]

HELP = "append a new row (refs resolved to their current lines) to a section of the matrix"


def configure(parser: argparse.ArgumentParser) -> None:
    add_repo_argument(parser)
    parser.add_argument("--section", required=True, help="the `## ` heading whose table gets the row")
    parser.add_argument("--capability", required=True, help="what the row claims")
    parser.add_argument(
        "--code", action="append", default=[], metavar="PATH::SYMBOL", help="code evidence (repeatable)"
    )
    parser.add_argument(
        "--test", action="append", default=[], metavar="PATH::TEST", help="test evidence (repeatable)"
    )
    parser.add_argument(
        "--ci",
        action="append",
        default=[],
        metavar="JOB:COMMAND",
        help="a command a step of JOB runs, e.g. test:'cargo test -p x --lib' (repeatable)",
    )
    parser.add_argument("--workflow", default=None, metavar="PATH", help="the workflow of the --ci jobs")
    parser.add_argument("--status", default="Implemented", help="status (default: Implemented)")
    parser.add_argument("--owner", default="TBD", help="owner (default: TBD)")
    parser.add_argument(
        "--proof-level", default=None, help="required proof level (default: the strongest cited test's)"
    )
    parser.add_argument("--feature", default="", help="the Arco Feature cell")
    parser.add_argument("--notes", default="", help="the Notes cell")
    parser.add_argument("--dry-run", action="store_true", help="print the row; write nothing")


def run(args: argparse.Namespace, console: Console) -> int:
    from rich.text import Text  # noqa: PLC0415

    from parity.atomicfile import write_atomic  # noqa: PLC0415
    from parity.fix import read_text  # noqa: PLC0415
    from parity.scaffold import NewRow, scaffold_row  # noqa: PLC0415
    from parity.verbs.export import refresh_csv_siblings  # noqa: PLC0415

    repo = open_repository(args.repo)
    spec = NewRow(
        section=args.section,
        capability=args.capability,
        status=args.status,
        code=tuple(args.code),
        tests=tuple(args.test),
        ci=tuple(args.ci),
        workflow=args.workflow,
        owner=args.owner,
        proof_level=args.proof_level,
        feature=args.feature,
        notes=args.notes,
    )
    made = scaffold_row(repo, spec)
    out = [made.row]
    out.extend(f"warning: {warning}" for warning in made.warnings)
    if args.dry_run:
        out.append(f"would add this row at {made.matrix}:{made.line} (dry run: nothing written)")
    else:
        if read_text(repo.root, made.matrix) != made.old:
            from parity.errors import InputError  # noqa: PLC0415

            raise InputError(
                made.matrix, "changed on disk while parity add ran; nothing written", hint="re-run"
            )
        write_atomic(repo.root / made.matrix, made.new, label=made.matrix)
        out.append(f"added the row at {made.matrix}:{made.line} (section `{args.section}`)")
        out.extend(f"regenerated {rel} from the matrix" for rel in refresh_csv_siblings(repo))
    for line in out:
        console.print(Text(line), soft_wrap=True)
    return 0
