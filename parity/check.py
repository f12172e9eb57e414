"""The charter's rules applied to every row and every ref: static proof that each evidence link holds."""

from __future__ import annotations

import re
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from parity.evidence import Language
from parity.model import Finding, Location, Severity
from parity.resolve import Problem, ResolvedRow, resolve_row

if TYPE_CHECKING:
    from parity.config import Columns
    from parity.matrix import Row
    from parity.repository import Repository

__all__ = ["CheckReport", "findings_for", "proof_level_of", "run_check"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckReport:
    rows: tuple[ResolvedRow, ...]
    findings: tuple[Finding, ...]
    statuses: dict[str, int]
    duration: float

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0


def run_check(repo: Repository) -> CheckReport:
    """Resolve every row of every matrix and apply the rules (raises InputError on unusable input)."""
    started = time.perf_counter()
    resolved: list[ResolvedRow] = []
    findings: list[Finding] = []
    for row in repo.matrix_rows():
        item = resolve_row(repo, row)
        resolved.append(item)
        findings.extend(findings_for(repo, item))
    findings.extend(_csv_findings(repo))
    statuses = Counter(r.row.get(repo.config.columns.status) for r in resolved)
    return CheckReport(
        rows=tuple(resolved),
        findings=tuple(findings),
        statuses=dict(statuses),
        duration=time.perf_counter() - started,
    )


def findings_for(repo: Repository, item: ResolvedRow) -> list[Finding]:
    """Row-level rules, then the ref-level problems resolve found, with severities by status."""
    config = repo.config
    columns = config.columns
    row = item.row
    status = row.get(columns.status)
    claims_proof = status in config.proof_statuses
    problems = list(_row_problems(repo, item, status, claims_proof=claims_proof))
    problems.extend(item.problems)
    findings: list[Finding] = []
    for problem in problems:
        severity = (
            Severity.WARNING
            if problem.warning or (problem.proof_only and not claims_proof)
            else (Severity.ERROR)
        )
        cell = row.cells.get(problem.column)
        findings.append(
            Finding(
                severity=severity,
                code=problem.code,
                location=Location(path=row.path, line=cell.line if cell else row.line),
                section=row.section,
                capability=row.get(columns.capability),
                message=problem.message,
                hint=problem.hint,
                ref=problem.ref,
            )
        )
    return findings


def _row_problems(repo: Repository, item: ResolvedRow, status: str, *, claims_proof: bool) -> list[Problem]:
    config = repo.config
    columns = config.columns
    row = item.row
    problems: list[Problem] = []
    if status not in config.statuses:
        problems.append(
            Problem(
                code="status-unknown",
                column=columns.status,
                message=f"status `{status or '(empty)'}` is not in the taxonomy",
                hint="use one of: " + ", ".join(config.statuses),
            )
        )
    if not row.get(columns.owner).strip():
        problems.append(
            Problem(
                code="owner-missing",
                column=columns.owner,
                message="the row has no owner",
                hint="name an owner, or TBD if unknown",
            )
        )
    for column in (columns.code, columns.tests, columns.ci, columns.notes):
        text = row.get(column)
        for prefix in config.forbidden_prefixes:
            if prefix in text:
                cited = _forbidden_token(text, prefix)
                problems.append(
                    Problem(
                        code="forbidden-evidence",
                        column=column,
                        ref=cited,
                        message=f"cites `{cited}`: `{prefix}` may not be used as proof",
                        hint="re-anchor the evidence to tracked code, tests or ADRs",
                    )
                )
    if claims_proof:
        problems.extend(_proof_problems(item, columns))
        problems.extend(_proof_level_problems(repo, item))
    if status == config.exception_status and not _cites_exception_doc(repo, row):
        problems.append(
            Problem(
                code="exception-doc-missing",
                column=columns.notes,
                message=f"Exception row does not cite `{config.exception_doc}`",
                hint=f"link the exception's entry: `{config.exception_doc}:LINE`",
            )
        )
    return problems


def _forbidden_token(text: str, prefix: str) -> str:
    """The backticked ref (or bare word) that contains the forbidden prefix, for the message."""
    tokens: list[str] = [m.group(1) for m in re.finditer(r"`([^`]*)`", text)]
    for token in [*tokens, *text.split()]:
        if prefix in token:
            return token.strip("`()[],;")
    return prefix


def _proof_problems(item: ResolvedRow, columns: Columns) -> list[Problem]:
    """Implemented = code path(s) + CI-gated proving test(s) + the CI job/command (charter)."""
    problems: list[Problem] = []
    if not item.code.refs:
        problems.append(
            Problem(
                code="missing-code-evidence",
                column=columns.code,
                message="claims proof but cites no code path",
                hint="cite the primary code path(s) as `path:line` (`symbol`)",
            )
        )
    if not item.tests.refs and not item.tests.missing:  # a "Missing proof:" cell has its own finding
        problems.append(
            Problem(
                code="missing-test-evidence",
                column=columns.tests,
                message="claims proof but cites no test",
                hint="cite the proving test(s), or downgrade the status to Partial",
            )
        )
    for statement in item.tests.missing:
        problems.append(
            Problem(
                code="missing-proof-claimed",
                column=columns.tests,
                message=f"claims proof but says: {statement}",
                hint="add the proof, or downgrade the status",
            )
        )
    if not any(ci.job and ci.commands for ci in item.ci_refs):
        problems.append(
            Problem(
                code="missing-ci-evidence",
                column=columns.ci,
                message="claims proof but names no CI job and command",
                hint="cite `.github/workflows/ci.yml` (job `test`: `cargo test ...`)",
            )
        )
    return problems


def _proof_level_problems(repo: Repository, item: ResolvedRow) -> list[Problem]:
    columns = repo.config.columns
    levels = repo.config.proof_levels
    required = item.row.get(columns.proof_level).strip().lower()
    if not required or not item.cited_tests:
        return []
    if required not in levels:
        return [
            Problem(
                code="proof-level-unknown",
                column=columns.proof_level,
                warning=True,
                message=f"proof level `{required}` is not one of {', '.join(levels)}",
                hint="use a level from the taxonomy",
            )
        ]
    strongest = max(levels.index(proof_level_of(t.ref.path, t.crate)) for t in item.cited_tests)
    if strongest >= levels.index(required):
        return []
    return [
        Problem(
            code="proof-level-below",
            column=columns.tests,
            warning=True,
            message=f"strongest evidence is a `{levels[strongest]}` test but the row requires `{required}`",
            hint="cite a test at the required level, or lower the requirement honestly",
        )
    ]


def proof_level_of(path: str, crate: object | None) -> str:
    """Classify a test file: e2e > integration (Rust tests/, Python integration/) > unit."""
    lowered = path.lower()
    if "e2e" in lowered or "end_to_end" in lowered:
        return "e2e"
    if Language.of(path) is Language.RUST:
        kind = getattr(crate, "target_kind", "lib")
        return "integration" if kind == "test" else "unit"
    return "integration" if "/integration/" in lowered or "integration" in lowered else "unit"


def _cites_exception_doc(repo: Repository, row: Row) -> bool:
    doc = repo.config.exception_doc
    return any(doc in cell.text for cell in row.cells.values())


def _csv_findings(repo: Repository) -> list[Finding]:
    from parity.csvsibling import compare_csv  # noqa: PLC0415

    return compare_csv(repo)
