"""`parity fix --statuses`: the charter's honest downgrades, and the Partial rows that may deserve promotion.

A row that claims proof (Implemented) but whose proof fails becomes Partial; that edit is proposed
and, with `--write`, applied to the Status cell only. Promotions are listed, never applied: a human
decides that a capability is complete.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from parity.errors import InputError
from parity.fix import Edit, FileChange, apply_edits, cell_offset, line_starts, read_text
from parity.model import Severity

if TYPE_CHECKING:
    from pathlib import Path

    from parity.matrix import Row
    from parity.repository import Repository

__all__ = ["StatusProposal", "StatusReview", "load_prove_report", "review_statuses", "status_changes"]

_ACCEPTED = ("proven", "flaky")  # what `parity prove` itself accepts as proof outside sign-off
_RERUN = "re-run `parity prove --format json > REPORT` on the current matrix"


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusProposal:
    path: str
    line: int
    section: str
    capability: str
    old: str
    new: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusReview:
    downgrades: tuple[StatusProposal, ...]  # applied by --write
    promotions: tuple[StatusProposal, ...]  # listed only
    source: str  # what the verdicts came from, for the summary line


def load_prove_report(path: Path) -> dict[str, Any]:
    """Read a `parity prove --format json` document and check that it has the shape we rely on."""
    label = str(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(label, "report not found", hint=_RERUN) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(label, f"cannot read the report: {exc}", hint=_RERUN) from None
    except json.JSONDecodeError as exc:
        raise InputError(label, f"not JSON: {exc.msg}", line=exc.lineno, hint=_RERUN) from None
    if not isinstance(document, dict) or document.get("command") != "prove":
        raise InputError(label, "not a `parity prove --format json` report", hint=_RERUN)
    if document.get("schema_version") != 1:
        raise InputError(
            label, f"unsupported report schema_version {document.get('schema_version')!r}", hint=_RERUN
        )
    rows = document.get("rows")
    keys = {"file": str, "line": int, "status": str, "verdict": str, "claims_proof": bool}
    if not isinstance(rows, list) or not all(
        isinstance(r, dict) and all(isinstance(r.get(k), t) for k, t in keys.items()) for r in rows
    ):
        raise InputError(label, "report rows lack file/line/status/verdict/claims_proof", hint=_RERUN)
    if document.get("interrupted"):
        raise InputError(label, "the prove run was interrupted; its verdicts are incomplete", hint=_RERUN)
    return document


def _downgrade_target(repo: Repository) -> str:
    """The first status that claims no proof and is not the exception status (`Partial` by default)."""
    config = repo.config
    for status in config.statuses:
        if status not in config.proof_statuses and status != config.exception_status:
            return status
    raise InputError(
        "parity.toml",
        "the status taxonomy has no status to downgrade to",
        hint="add a status such as Partial to `statuses`",
    )


def review_statuses(
    repo: Repository, report: dict[str, Any] | None = None, report_label: str = ""
) -> StatusReview:
    """Downgrades and promotion candidates from a prove report, or from a fresh static check."""
    if report is not None:
        return _from_report(repo, report, report_label)
    return _from_check(repo)


def _rows_by_location(repo: Repository) -> dict[tuple[str, int], Row]:
    return {(row.path, row.line): row for matrix in repo.matrices for row in matrix.rows}


def _proposal(repo: Repository, row: Row, new: str, reason: str) -> StatusProposal:
    columns = repo.config.columns
    return StatusProposal(
        path=row.path,
        line=row.line,
        section=row.section,
        capability=row.get(columns.capability),
        old=row.get(columns.status),
        new=new,
        reason=reason,
    )


def _from_report(repo: Repository, report: dict[str, Any], label: str) -> StatusReview:
    columns = repo.config.columns
    target = _downgrade_target(repo)
    promote_to = repo.config.proof_statuses[0]
    rows = _rows_by_location(repo)
    downgrades: list[StatusProposal] = []
    promotions: list[StatusProposal] = []
    for entry in report["rows"]:
        row = rows.get((entry["file"], entry["line"]))
        if (
            row is None
            or row.get(columns.status) != entry["status"]
            or row.get(columns.capability) != entry.get("capability", row.get(columns.capability))
        ):
            raise InputError(
                label,
                f"row `{entry['file']}:{entry['line']}` of the report no longer matches the matrix "
                "(edited since the report was made)",
                hint=_RERUN,
            )
        verdict = entry["verdict"]
        why = "; ".join(str(r) for r in entry.get("reasons", ()) if r) or f"verdict: {verdict}"
        if entry["claims_proof"] and verdict not in _ACCEPTED:
            downgrades.append(_proposal(repo, row, target, f"{verdict}: {why}"))
        elif entry["status"] == target and verdict == "proven" and entry.get("tests"):
            promotions.append(_proposal(repo, row, promote_to, "every cited test is proven"))
    return StatusReview(downgrades=tuple(downgrades), promotions=tuple(promotions), source=label)


def _from_check(repo: Repository) -> StatusReview:
    """Without a report: an error finding fails a claim; a Partial row that would check clean as
    Implemented is a candidate (still to be proven by `parity prove`)."""
    from parity.check import findings_for, run_check  # noqa: PLC0415
    from parity.resolve import resolve_row  # noqa: PLC0415

    config = repo.config
    target = _downgrade_target(repo)
    promote_to = config.proof_statuses[0]
    report = run_check(repo)
    errors: dict[tuple[str, int], list[str]] = {}
    for finding in report.findings:
        if finding.severity is Severity.ERROR and finding.location.line is not None:
            key = (finding.location.path, finding.location.line)
            errors.setdefault(key, []).append(f"[{finding.code}] {finding.message}")
    downgrades: list[StatusProposal] = []
    promotions: list[StatusProposal] = []
    for item in report.rows:
        row = item.row
        status = row.get(config.columns.status)
        problems = errors.get((row.path, row.line), [])
        if status in config.proof_statuses and problems:
            reason = "; ".join(problems)
            if all(p.startswith("[line-drift]") for p in problems):
                reason += "; only line drift: `parity fix --write` repairs that without a downgrade"
            downgrades.append(_proposal(repo, row, target, reason))
        elif status == target and item.cited_tests:
            promoted = _with_status(row, config.columns.status, promote_to)
            if not any(f.severity is Severity.ERROR for f in findings_for(repo, resolve_row(repo, promoted))):
                promotions.append(
                    _proposal(
                        repo,
                        row,
                        promote_to,
                        f"would pass `parity check` as {promote_to}; prove it with `parity prove` first",
                    )
                )
    return StatusReview(
        downgrades=tuple(downgrades), promotions=tuple(promotions), source="static check (no prove report)"
    )


def _with_status(row: Row, column: str, status: str) -> Row:
    cells = dict(row.cells)
    cells[column] = dataclasses.replace(cells[column], text=status)
    return dataclasses.replace(row, cells=cells)


def status_changes(repo: Repository, proposals: tuple[StatusProposal, ...]) -> list[FileChange]:
    """The Status-cell edits for the proposals, one FileChange per matrix file."""
    column = repo.config.columns.status
    rows = _rows_by_location(repo)
    by_file: dict[str, list[StatusProposal]] = {}
    for proposal in proposals:
        by_file.setdefault(proposal.path, []).append(proposal)
    changes: list[FileChange] = []
    for path, group in by_file.items():
        text = read_text(repo.root, path)
        starts = line_starts(text)
        edits = []
        for proposal in group:
            cell = rows[path, proposal.line].cells[column]
            start = cell_offset(starts, cell)
            if text[start : start + len(cell.text)] != cell.text:
                raise InputError(path, "the Status cell moved while reading", line=cell.line, hint="re-run")
            edits.append(Edit(start=start, end=start + len(cell.text), new=proposal.new))
        changes.append(FileChange(path=path, old=text, new=apply_edits(text, edits)))
    return changes
