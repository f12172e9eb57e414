"""`parity export --csv`: write the matrix's CSV sibling from the Markdown (the source of truth)."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING

from parity.errors import InputError
from parity.verbs.common import add_repo_argument, open_repository

if TYPE_CHECKING:
    import argparse

    from rich.console import Console

    from parity.matrix import Matrix
    from parity.repository import Repository

__all__ = ["HELP", "configure", "csv_text", "refresh_csv_siblings", "run"]

HELP = "write the matrix's CSV sibling from the Markdown matrix"


def configure(parser: argparse.ArgumentParser) -> None:
    add_repo_argument(parser)
    parser.add_argument(
        "--csv",
        nargs="?",
        const="",
        required=True,
        metavar="PATH",
        help="write CSV to PATH, relative to --repo (default: the matrix's `.csv` sibling, or `csv` "
        "in parity.toml)",
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite PATH even if it is not a parity CSV export"
    )


def csv_text(repo: Repository, matrix: Matrix) -> str:
    from parity.csvsibling import render_csv  # noqa: PLC0415

    headers: dict[str, None] = {}
    for row in matrix.rows:
        headers.update(dict.fromkeys(row.cells))
    return render_csv(matrix, tuple(headers), repo.config.columns)


def _records(text: str, capability: str) -> dict[tuple[str, str], dict[str, str]] | None:
    """The CSV's records by (section, capability); None when it is not a parity CSV at all."""
    try:
        reader = csv.DictReader(io.StringIO(text))
        records = list(reader)
    except csv.Error:
        return None
    if not reader.fieldnames or "Section" not in reader.fieldnames or capability not in reader.fieldnames:
        return None
    return {(r.get("Section") or "", r.get(capability) or ""): r for r in records}


def _changes(old: str, new: str, capability: str) -> list[str]:
    """Human lines saying which rows the new CSV adds, drops or changes."""
    before = _records(old, capability) or {}
    after = _records(new, capability) or {}
    lines = []
    for key, record in after.items():
        previous = before.get(key)
        if previous is None:
            lines.append(f"added    {key[0]} / {key[1]}")
        elif previous != record:
            columns = [c for c in record if previous.get(c) != record[c]]
            lines.append(f"changed  {key[0]} / {key[1]} ({', '.join(columns)})")
    lines.extend(f"removed  {key[0]} / {key[1]}" for key in before if key not in after)
    return lines


def _targets(repo: Repository, path: str | None) -> list[tuple[Matrix, str]]:
    if path:
        if len(repo.matrices) != 1:
            raise InputError(
                path,
                f"this repository has {len(repo.matrices)} matrices; one CSV path cannot hold them",
                hint="omit PATH to write each matrix's own sibling",
            )
        return [(repo.matrices[0], path)]
    return list(zip(repo.matrices, repo.config.csv_paths(), strict=False))


def run(args: argparse.Namespace, console: Console) -> int:
    from rich.text import Text  # noqa: PLC0415

    from parity.atomicfile import write_atomic  # noqa: PLC0415

    repo = open_repository(args.repo)
    capability = repo.config.columns.capability
    for matrix, rel in _targets(repo, args.csv or None):
        target = Path(rel) if Path(rel).is_absolute() else repo.root / rel
        new = csv_text(repo, matrix)
        old = target.read_text(encoding="utf-8", errors="replace") if target.is_file() else None
        if old is not None and _records(old, capability) is None and not args.force:
            raise InputError(
                rel,
                "exists and is not a parity CSV export (no `Section` and "
                f"`{capability}` columns); refusing to overwrite it",
                hint="pass --force to replace it, or choose another path",
            )
        if old == new:
            console.print(Text(f"{rel}: up to date ({len(matrix.rows)} rows)"), soft_wrap=True)
            continue
        write_atomic(target, new, label=rel)
        rows = f"{len(matrix.rows)} rows"
        if old is None:
            console.print(Text(f"wrote {rel} from {matrix.path} ({rows})"), soft_wrap=True)
            continue
        if _records(old, capability) is None:
            replaced = f"replaced {rel} (not a parity CSV) with the CSV of {matrix.path} ({rows})"
            console.print(Text(replaced), soft_wrap=True)
            continue
        changes = _changes(old, new, capability)
        summary = f"updated {rel} from {matrix.path} ({rows}; {len(changes)} row(s) differ from the old CSV)"
        console.print(Text(summary), soft_wrap=True)
        for line in changes:
            console.print(Text(f"  {line}"), soft_wrap=True)
    return 0


def refresh_csv_siblings(before: Repository) -> list[str]:
    """After an edit of the matrix, regenerate every CSV sibling that exists; return those rewritten.

    `before` is the repository as read before the edit; it is re-read only if a sibling exists.
    """
    from parity.atomicfile import write_atomic  # noqa: PLC0415

    if not any((before.root / rel).is_file() for rel in before.config.csv_paths()):
        return []
    repo = open_repository(before.root)
    written = []
    for matrix, rel in _targets(repo, None):
        target = repo.root / rel
        if not target.is_file():
            continue
        new = csv_text(repo, matrix)
        old = target.read_text(encoding="utf-8", errors="replace")
        if old != new and _records(old, repo.config.columns.capability) is not None:
            write_atomic(target, new, label=rel)
            written.append(rel)
    return written
