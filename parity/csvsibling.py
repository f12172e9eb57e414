"""The optional CSV sibling of the matrix (seed 003): export it, and report where it disagrees."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING

from parity.config import Columns
from parity.errors import InputError
from parity.evidence import parse_ci_cell, parse_evidence_cell
from parity.model import Finding, Location, Severity

if TYPE_CHECKING:
    from parity.matrix import Matrix, Row
    from parity.repository import Repository

__all__ = ["PARSED_COLUMNS", "compare_csv", "render_csv"]

KEY_COLUMNS = ("Section",)
PARSED_COLUMNS = ("Code Refs", "Test Refs", "CI Commands")


def render_csv(matrix: Matrix, headers: tuple[str, ...], columns: Columns | None = None) -> str:
    """One CSV row per matrix row: section, every cell as written, then the parsed refs.

    The evidence columns are found by name (`columns`, else the template's names), not position.
    """
    names = columns or Columns()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*KEY_COLUMNS, *headers, *PARSED_COLUMNS])
    for row in matrix.rows:
        writer.writerow([row.section, *(row.get(h) for h in headers), *_parsed(row, names)])
    return out.getvalue()


def _parsed(row: Row, columns: Columns) -> tuple[str, str, str]:
    code = parse_evidence_cell(row.get(columns.code))
    tests = parse_evidence_cell(row.get(columns.tests))
    ci = parse_ci_cell(row.get(columns.ci))
    return (
        "; ".join(r.token for r in code.refs),
        "; ".join(f"{r.token}::{s}" for r in tests.refs for s in (r.symbols or ("*",))),
        "; ".join(f"{c.job}: {cmd}" for c in ci for cmd in c.commands),
    )


_REGENERATE = "regenerate the CSV from the Markdown matrix, which is the source of truth"


def _records(text: str) -> list[tuple[int, dict[str, str]]]:
    """Each record with the line it starts on (a quoted cell may span several lines)."""
    reader = csv.DictReader(io.StringIO(text))
    records: list[tuple[int, dict[str, str]]] = []
    start = 2
    for record in reader:
        records.append((start, record))
        start = reader.line_num + 1
    return records


def compare_csv(repo: Repository) -> list[Finding]:
    """Findings for every row the CSV sibling lacks, adds, or states differently."""
    findings: list[Finding] = []
    capability = repo.config.columns.capability
    for matrix, csv_path in zip(repo.matrices, repo.config.csv_paths(), strict=False):
        path = repo.root / csv_path
        if not path.is_file():
            continue
        data = path.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                csv_path,
                f"not UTF-8 (byte 0x{data[exc.start]:02x})",
                line=data[: exc.start].count(b"\n") + 1,
                hint="save it as UTF-8",
            ) from None
        try:
            records = _records(text)
        except csv.Error as exc:
            raise InputError(csv_path, f"malformed CSV: {exc}", hint=_REGENERATE) from None
        if records and (capability not in records[0][1] or "Section" not in records[0][1]):
            raise InputError(
                csv_path, f"CSV header lacks `Section` or `{capability}`", line=1, hint=_REGENERATE
            )
        by_key = {(r.section, r.get(capability)): r for r in matrix.rows}
        seen: set[tuple[str, str]] = set()
        for number, record in records:
            key = (record.get("Section") or "", record.get(capability) or "")
            seen.add(key)
            row = by_key.get(key)
            if row is None:
                findings.append(_finding(csv_path, number, key, "row is in the CSV but not in the matrix"))
                continue
            for column, value in record.items():
                if column in KEY_COLUMNS or column in PARSED_COLUMNS or column not in row.cells:
                    continue
                if (value or "").strip() != row.get(column):
                    findings.append(
                        _finding(
                            csv_path,
                            number,
                            key,
                            f"`{column}` differs: CSV says {value!r}, matrix line {row.line} says "
                            f"{row.get(column)!r}",
                        )
                    )
        for key, row in by_key.items():
            if key not in seen:
                findings.append(_finding(matrix.path, row.line, key, f"row is missing from `{csv_path}`"))
    return findings


def _finding(path: str, line: int, key: tuple[str, str], message: str) -> Finding:
    return Finding(
        severity=Severity.ERROR,
        code="csv-mismatch",
        location=Location(path=path, line=line),
        section=key[0],
        capability=key[1],
        message=message,
        hint=_REGENERATE,
    )
