"""Human output of `check`: findings grouped by matrix section, errors first, with fix hints."""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING

from parity.model import Finding, Severity

if TYPE_CHECKING:
    from rich.console import Console

    from parity.check import CheckReport

__all__ = ["print_check", "sort_findings"]

_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "yellow"}


def sort_findings(findings: tuple[Finding, ...] | list[Finding]) -> list[Finding]:
    """Matrix order (file, line), errors before warnings on the same line: stable across runs."""
    order = {Severity.ERROR: 0, Severity.WARNING: 1}
    return sorted(
        findings,
        key=lambda f: (f.location.path, f.location.line or 0, order[f.severity], f.code, f.ref, f.message),
    )


def print_check(console: Console, report: CheckReport, repo_label: str) -> None:
    from rich.text import Text  # noqa: PLC0415

    statuses = ", ".join(f"{count} {status or '(none)'}" for status, count in sorted(report.statuses.items()))
    console.print(
        Text.assemble(("parity check ", "bold"), repo_label, f"  ({len(report.rows)} rows: {statuses})"),
        soft_wrap=True,
    )
    for section, group in groupby(sort_findings(report.findings), key=lambda f: f.section):
        console.print(Text(f"\n## {section or '(no section)'}", style="bold"))
        for finding in group:
            line = Text("  ")
            line.append(f"{finding.severity.value:<8}", style=_STYLE[finding.severity])
            line.append(f"{finding.location}", style="cyan")
            line.append(f"  [{finding.code}]", style="dim")
            console.print(line, soft_wrap=True)
            console.print(Text(f"    {finding.capability}", style="bold"), soft_wrap=True)
            console.print(Text(f"    {finding.message}"), soft_wrap=True)
            if finding.hint:
                console.print(Text(f"    fix: {finding.hint}", style="dim"), soft_wrap=True)
    summary = Text("\n")
    if report.errors:
        summary.append(f"{report.errors} error(s)", style="bold red")
    else:
        summary.append("no errors", style="bold green")
    summary.append(f", {report.warnings} warning(s) in {report.duration:.2f}s")
    console.print(summary, soft_wrap=True)
