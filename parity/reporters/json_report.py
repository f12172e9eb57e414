"""Machine output: a versioned JSON document with a stable key order (see parity/schemas/)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from parity.reporters.console import sort_findings

if TYPE_CHECKING:
    from parity.check import CheckReport
    from parity.model import Finding
    from parity.prove import ProveReport
    from parity.verdicts import RowVerdict

__all__ = ["SCHEMA_VERSION", "check_document", "dumps", "finding_dict", "prove_document", "row_dict"]

SCHEMA_VERSION = 1


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


def check_document(report: CheckReport) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "command": "check",
        "summary": {
            "rows": len(report.rows),
            "errors": report.errors,
            "warnings": report.warnings,
            "statuses": dict(sorted(report.statuses.items())),
            "duration_seconds": round(report.duration, 3),
        },
        "findings": [finding_dict(f) for f in sort_findings(report.findings)],
    }


def dumps(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def row_dict(row: RowVerdict) -> dict[str, Any]:
    return {
        "file": row.path,
        "line": row.line,
        "section": row.section,
        "capability": row.capability,
        "status": row.status,
        "claims_proof": row.claims_proof,
        "verdict": row.verdict.value,
        "reasons": list(row.reasons),
        "suggestion": row.suggestion,
        "tests": [
            {
                "label": t.label,
                "ref": t.ref,
                "verdict": t.verdict.value,
                "reason": t.reason,
                "command": t.command,
                "log_path": t.log_path,
                "output": t.output,
            }
            for t in row.tests
        ],
    }


def prove_document(report: ProveReport) -> dict[str, Any]:
    by_verdict: dict[str, int] = {}
    for row in report.rows:
        by_verdict[row.verdict.value] = by_verdict.get(row.verdict.value, 0) + 1
    claims = [r for r in report.rows if r.claims_proof]
    accepted = ("proven",) if report.for_signoff else ("proven", "flaky")
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
                "log_path": result.log_path if result else "",
                "log_sha256": result.log_sha256 if result else "",
                "error": result.error if result else "",
                "flaky": list(result.flaky) if result else [],
            }
        )
    return {
        "schema_version": SCHEMA_VERSION,
        "command": "prove",
        "interrupted": report.interrupted,
        "summary": {
            "rows": len(report.rows),
            "claims": len(claims),
            "claims_proven": sum(1 for r in claims if r.verdict.value in accepted),
            "by_verdict": dict(sorted(by_verdict.items())),
            "duration_seconds": round(report.duration, 3),
        },
        "rows": [row_dict(r) for r in report.rows],
        "commands": commands,
        "refused": [
            {"job": c.job, "command": c.cited, "reason": reason} for c, reason in report.plan.refused
        ],
        "impacts": {label: list(lines) for label, lines in report.impacts.items()},
        "disagreements": [
            {"label": d.label, "command": d.command, "predicted": d.predicted, "observed": d.observed}
            for d in report.disagreements
        ],
        "findings": [finding_dict(f) for f in sort_findings(report.check.findings)],
    }
