"""Machine output: a versioned JSON document with a stable key order (see parity/schemas/)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from parity.reporters.console import sort_findings

if TYPE_CHECKING:
    from parity.check import CheckReport
    from parity.model import Finding

__all__ = ["SCHEMA_VERSION", "check_document", "dumps", "finding_dict"]

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
