"""`parity diff`: compare the matrix and its `check` verdicts between two revisions (or one and now).

Exits 1 when a claim moved up the taxonomy (Planned/Designed -> Partial -> Implemented) while its
tests cell gained no test, so a pull-request job can stop on it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from parity.verbs.common import add_repo_argument

if TYPE_CHECKING:
    import argparse

    from rich.console import Console

    from parity.diff import MatrixDiff, RowChange, Snapshot

__all__ = ["HELP", "configure", "render_markdown", "run"]

HELP = "compare the matrix between two git revisions: rows, statuses, evidence, unproven upgrades"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("rev_a", metavar="REV_A", help="the older revision (branch, tag or SHA)")
    parser.add_argument("rev_b", metavar="REV_B", nargs="?", default=None, help="default: the work tree")
    add_repo_argument(parser)
    parser.add_argument(
        "--format", choices=("text", "json", "markdown"), default="text", help="stdout format"
    )
    parser.add_argument("--markdown", action="store_true", help="same as --format markdown (a PR comment)")


def run(args: argparse.Namespace, console: Console) -> int:
    from parity.diff import WORK_TREE, compare, snapshot_at, snapshot_of  # noqa: PLC0415
    from parity.reporters.json_report import dumps  # noqa: PLC0415
    from parity.verbs.common import open_repository  # noqa: PLC0415

    root = open_repository(args.repo).root
    before = snapshot_at(root, args.rev_a)
    after = (
        snapshot_of(open_repository(args.repo), WORK_TREE)
        if args.rev_b is None
        else snapshot_at(root, args.rev_b)
    )
    diff = compare(before, after)
    output = "markdown" if args.markdown else args.format
    if output == "json":
        sys.stdout.write(dumps(diff.to_dict()))
    elif output == "markdown":
        sys.stdout.write(render_markdown(diff))
    else:
        _print(console, diff)
    return diff.exit_code


def _side(snapshot: Snapshot) -> str:
    return f"`{snapshot.label}` ({snapshot.sha[:12]})" if snapshot.sha else snapshot.label


def _headline(diff: MatrixDiff) -> tuple[str, str]:
    data = diff.to_dict()["summary"]
    parts = [
        f"{data['added']} added",
        f"{data['removed']} removed",
        f"{data['renamed']} renamed",
        f"{data['status_changed']} status change(s)",
    ]
    flagged = data["upgraded_without_new_proof"]
    return ", ".join(parts), f"{flagged} claim(s) upgraded without new proof"


def _statuses(diff: MatrixDiff) -> str:
    before, after = diff.before.statuses, diff.after.statuses
    seen = {s for s in (*before, *after) if s}
    known = [s for s in diff.after.taxonomy if s in seen]
    shown = []
    for name in [*known, *sorted(seen - set(known))]:
        old, new = before.get(name, 0), after.get(name, 0)
        shown.append(f"{name} {old}" if old == new else f"{name} {old} → {new}")
    errors = f"check errors {diff.before.errors}"
    if diff.after.errors != diff.before.errors:
        errors += f" → {diff.after.errors}"
    return "; ".join([", ".join(shown), errors])


def _cells(change: RowChange, code: str) -> tuple[str, str, str, str, str, str]:
    """(change, section, capability, status, evidence, check), evidence refs wrapped in `code`."""
    row = change.after or change.before
    assert row is not None  # noqa: S101 - a change has at least one side
    before, after = change.before, change.after
    capability = row.capability
    if before and after and before.capability != after.capability:
        capability += f" (was: {before.capability})"
    section = row.section
    if before and after and before.section != after.section:
        section = f"{before.section} → {after.section}"
    status = row.status
    check = row.check + (f" ({', '.join(row.findings)})" if row.findings and row.check != "ok" else "")
    if before and after:
        if before.status != after.status:
            status = f"{before.status} → {after.status}"
        if before.check != after.check:
            check = f"{before.check} → {check}"
    evidence = [f"+{code}{e}{code}" for e in change.evidence_added]
    evidence += [f"-{code}{e}{code}" for e in change.evidence_removed]
    kind = change.kind + (" (upgraded without new proof)" if change.upgraded_without_proof else "")
    return kind, section, capability, status, "\n".join(evidence), check


def render_markdown(diff: MatrixDiff) -> str:
    counts, flagged = _headline(diff)
    lines = [f"### parity diff: {_side(diff.before)} → {_side(diff.after)}", ""]
    lines.append(f"{counts}; " + (f"**{flagged}**" if diff.unproven_upgrades else flagged))
    lines.append("")
    if diff.changes:
        lines.append("| Change | Section | Capability | Status | Evidence | Check |")
        lines.append("|---|---|---|---|---|---|")
        for change in diff.changes:
            cells = [c.replace("|", "\\|").replace("\n", "<br>") for c in _cells(change, "`")]
            if change.upgraded_without_proof:
                cells[0] = f"**{cells[0]}**"
            lines.append("| " + " | ".join(cells) + " |")
    else:
        lines.append("No matrix row changed.")
    lines.extend(["", f"Statuses: {_statuses(diff)}", ""])
    return "\n".join(lines)


def _print(console: Console, diff: MatrixDiff) -> None:
    from rich.table import Table  # noqa: PLC0415
    from rich.text import Text  # noqa: PLC0415

    counts, flagged = _headline(diff)
    console.print(
        Text(f"parity diff {_side(diff.before)} → {_side(diff.after)}", style="bold"), soft_wrap=True
    )
    line = Text(f"{counts}; ")
    line.append(flagged, style="bold red" if diff.unproven_upgrades else "green")
    console.print(line, soft_wrap=True)
    if diff.changes:
        table = Table(show_lines=True)
        for name in ("Change", "Section", "Capability", "Status", "Evidence", "Check"):
            table.add_column(name, overflow="fold")
        for change in diff.changes:
            cells = [Text(c) for c in _cells(change, "")]
            if change.upgraded_without_proof:
                cells[0].stylize("bold red")
            table.add_row(*cells)
        console.print(table)
    else:
        console.print(Text("No matrix row changed."))
    console.print(Text(f"Statuses: {_statuses(diff)}"), soft_wrap=True)
