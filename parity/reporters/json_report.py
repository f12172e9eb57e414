"""Machine output: a versioned JSON document with a stable key order (see parity/schemas/report.schema.json).

The document is also what every other report renders from (JUnit, Markdown, annotations), so all formats
carry the same verdicts by construction. Paths are relative to the repository root wherever the file lies
inside it. Between two runs with the same results only run-specific fields differ: `duration_seconds`,
`log_sha256` (logs record timings) and the text a failing test printed (Rust stamps thread ids into panics).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parity import __version__
from parity.config import Config
from parity.model import Severity
from parity.reporters.console import sort_findings
from parity.reporters.jsontext import dumps_indented

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from parity.check import CheckReport
    from parity.model import Finding
    from parity.prove import ProveReport
    from parity.resolve import ResolvedRow
    from parity.verdicts import RowVerdict

__all__ = [
    "SCHEMA_VERSION",
    "attach_findings",
    "check_document",
    "dumps",
    "finding_dict",
    "prove_document",
    "refs_of",
    "relative_path",
    "row_dict",
]

SCHEMA_VERSION = 1
_ACCEPTED = {False: ("proven", "flaky"), True: ("proven",)}  # by for_signoff


def relative_path(path: str, root: Path | None) -> str:
    """`path` relative to the repository root when it lies inside it (POSIX), else unchanged."""
    if not path or root is None:
        return path
    return _relative(path, str(root))


@functools.lru_cache(maxsize=4096)
def _relative(path: str, root: str) -> str:
    """Memoised: a report names each command's log once per cited test (thousands of times)."""
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return path


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "severity": finding.severity.value,
        "code": finding.code,
        "file": finding.location.path,
        "line": finding.location.line,
        "section": finding.section,
        "capability": finding.capability,
        "ref": finding.ref,
        "message": finding.message,
        "hint": finding.hint,
    }


def attach_findings(
    rows: Sequence[tuple[str, int, str, str]], findings: Iterable[Finding]
) -> tuple[dict[int, list[Finding]], list[Finding]]:
    """Findings per row index (by matrix file:line, else by section + capability), and the rest.

    A row's findings point at one of its cells, which sit on the row's line; a CSV-sibling finding
    points into the CSV file and names the row by section and capability instead.
    """
    by_line = {(path, line): index for index, (path, line, _, _) in enumerate(rows)}
    by_name: dict[tuple[str, str], int] = {}
    for index, (_, _, section, capability) in enumerate(rows):
        by_name.setdefault((section, capability), index)
    attached: dict[int, list[Finding]] = {}
    orphans: list[Finding] = []
    for finding in sort_findings(list(findings)):
        found = by_line.get((finding.location.path, finding.location.line or 0))
        found = by_name.get((finding.section, finding.capability)) if found is None else found
        if found is None:
            orphans.append(finding)
        else:
            attached.setdefault(found, []).append(finding)
    return attached, orphans


def _severity_of(findings: Iterable[Finding]) -> str:
    severities = {f.severity for f in findings}
    if Severity.ERROR in severities:
        return "error"
    return "warning" if Severity.WARNING in severities else "ok"


def refs_of(item: ResolvedRow, findings: Sequence[Finding]) -> list[dict[str, Any]]:
    """Every code, test and CI ref of a row as written, with the worst check finding about it."""
    refs: list[dict[str, Any]] = []
    for kind, cell in (("code", item.code), ("test", item.tests)):
        for ref in cell.refs:
            about = [f for f in findings if f.ref == ref.token]
            refs.append({"kind": kind, "ref": ref.token, "text": ref.text, "severity": _severity_of(about)})
    for ci in item.ci_refs:
        names = {ci.workflow, *ci.commands} | ({ci.job} if ci.job else set())
        about = [f for f in findings if f.ref in names]
        refs.append({"kind": "ci", "ref": ci.workflow, "text": ci.text, "severity": _severity_of(about)})
    return refs


def check_document(report: CheckReport, *, config: Config | None = None) -> dict[str, Any]:
    """The `check` document: summary, one entry per row (verdict ok/warning/error), every finding."""
    config = config or Config(repo_root=Path())  # the defaults, for callers without a repository
    columns = config.columns
    proof_statuses = config.proof_statuses
    keys = [(i.row.path, i.row.line, i.row.section, i.row.get(columns.capability)) for i in report.rows]
    attached, others = attach_findings(keys, report.findings)
    rows: list[dict[str, Any]] = []
    by_verdict: dict[str, int] = {}
    for index, item in enumerate(report.rows):
        findings = attached.get(index, [])
        verdict = _severity_of(findings)
        by_verdict[verdict] = by_verdict.get(verdict, 0) + 1
        path, line, section, capability = keys[index]
        status = item.row.get(columns.status)
        rows.append(
            {
                "file": path,
                "line": line,
                "section": section,
                "capability": capability,
                "status": status,
                "claims_proof": status in proof_statuses,
                "verdict": verdict,
                "outcome": "failed" if verdict == "error" else "passed",
                "reasons": [f.message for f in findings if f.severity is Severity.ERROR],
                "findings": [finding_dict(f) for f in findings],
                "refs": refs_of(item, findings),
            }
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "command": "check",
        "parity_version": __version__,
        "summary": {
            "rows": len(report.rows),
            "errors": report.errors,
            "warnings": report.warnings,
            "statuses": dict(sorted(report.statuses.items())),
            "by_verdict": dict(sorted(by_verdict.items())),
            "duration_seconds": round(report.duration, 3),
        },
        "rows": rows,
        "findings": [finding_dict(f) for f in sort_findings(report.findings)],
        "other_findings": [finding_dict(f) for f in others],
    }


def dumps(document: dict[str, Any]) -> str:
    return dumps_indented(document) + "\n"  # json.dumps(indent=2, ensure_ascii=False), faster


def row_dict(row: RowVerdict, *, root: Path | None = None, for_signoff: bool = False) -> dict[str, Any]:
    accepted = _ACCEPTED[for_signoff]
    if row.verdict.value in accepted:
        outcome = "passed"
    elif row.claims_proof:
        outcome = "failed"
    else:
        outcome = "skipped"  # a Partial/Designed/... row: not proven, but nothing claims it is
    return {
        "file": row.path,
        "line": row.line,
        "section": row.section,
        "capability": row.capability,
        "status": row.status,
        "claims_proof": row.claims_proof,
        "verdict": row.verdict.value,
        "outcome": outcome,
        "reasons": list(row.reasons),
        "suggestion": row.suggestion,
        "tests": [
            {
                "label": t.label,
                "ref": t.ref,
                "verdict": t.verdict.value,
                "reason": t.reason,
                "command": t.command,
                "log_path": relative_path(t.log_path, root),
                "output": t.output,
            }
            for t in row.tests
        ],
    }


def prove_document(report: ProveReport, *, root: Path | None = None) -> dict[str, Any]:
    """The `prove` document: summary, one entry per row with its tests, refs and commands."""
    by_verdict: dict[str, int] = {}
    statuses: dict[str, int] = {}
    for row in report.rows:
        by_verdict[row.verdict.value] = by_verdict.get(row.verdict.value, 0) + 1
        statuses[row.status] = statuses.get(row.status, 0) + 1
    claims = [r for r in report.rows if r.claims_proof]
    accepted = _ACCEPTED[report.for_signoff]
    resolved = {(item.row.path, item.row.line): item for item in report.check.rows}
    keys = [(r.path, r.line, r.section, r.capability) for r in report.rows]
    attached, others = attach_findings(keys, report.check.findings)
    others = [f for f in others if (f.location.path, f.location.line or 0) not in resolved]  # --row
    commands_of: dict[int, list[str]] = {}  # row line -> keys of the invocations it cites
    for invocation in report.plan.invocations:
        for line in invocation.rows:
            commands_of.setdefault(line, []).append(invocation.key)
    rows = []
    for index, row in enumerate(report.rows):
        entry = row_dict(row, root=root, for_signoff=report.for_signoff)
        findings = attached.get(index, [])
        item = resolved.get((row.path, row.line))
        entry["findings"] = [finding_dict(f) for f in findings]
        entry["refs"] = refs_of(item, findings) if item is not None else []
        entry["commands"] = list(commands_of.get(row.line, ()))
        rows.append(entry)
    return {
        "schema_version": SCHEMA_VERSION,
        "command": "prove",
        "parity_version": __version__,
        "interrupted": report.interrupted,
        "for_signoff": report.for_signoff,
        "summary": {
            "rows": len(report.rows),
            "claims": len(claims),
            "claims_proven": sum(1 for r in claims if r.verdict.value in accepted),
            "by_verdict": dict(sorted(by_verdict.items())),
            "statuses": dict(sorted(statuses.items())),
            "duration_seconds": round(report.duration, 3),
        },
        "rows": rows,
        "commands": _commands(report, root),
        "refused": [
            {"job": c.job, "command": c.cited, "reason": reason} for c, reason in report.plan.refused
        ],
        "impacts": {label: list(lines) for label, lines in report.impacts.items()},
        "disagreements": [
            {"label": d.label, "command": d.command, "predicted": d.predicted, "observed": d.observed}
            for d in report.disagreements
        ],
        "findings": [finding_dict(f) for f in sort_findings(report.check.findings)],
        "other_findings": [finding_dict(f) for f in others],
    }


def _commands(report: ProveReport, root: Path | None) -> list[dict[str, Any]]:
    commands = []
    for invocation in report.plan.invocations:
        result = report.results.get(invocation.key)
        commands.append(
            {
                "key": invocation.key,
                "workflow": invocation.workflow,
                "job": invocation.job,
                "step_line": invocation.step_line,
                "cwd": invocation.cwd,
                "argv": list(invocation.argv),
                "env": dict(invocation.env),
                "rows": list(invocation.rows),
                "status": result.status.value if result else "not run",
                "exit_code": result.exit_code if result else None,
                "tests_executed": result.executed if result else 0,
                "duration_seconds": round(result.duration, 3) if result else 0.0,
                "log_path": relative_path(result.log_path, root) if result else "",
                "log_sha256": result.log_sha256 if result else "",
                "error": result.error if result else "",
                "flaky": list(result.flaky) if result else [],
                "display": invocation.display,
                "kind": invocation.kind,
            }
        )
    return commands
