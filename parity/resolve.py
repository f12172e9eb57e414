"""Look up what each matrix row cites: files, symbols, tests, workflow steps, and whether CI selects them.

The records live in `citation`, path and symbol checks in `coderefs`, test lookup and selection in
`testrefs`, CI commands in `cicommands`; this module walks a row's cells in that order.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from parity.cicommands import resolve_commands
from parity.citation import CitedCommand, CitedTest, Problem, ResolvedRow
from parity.coderefs import check_code_ref
from parity.evidence import parse_evidence_cell
from parity.testrefs import resolve_tests

if TYPE_CHECKING:
    from parity.matrix import Row
    from parity.repository import Repository

__all__ = ["CitedCommand", "CitedTest", "Problem", "ResolvedRow", "resolve_row"]


def resolve_row(repo: Repository, row: Row) -> ResolvedRow:
    columns = repo.config.columns
    problems: list[Problem] = []
    code = parse_evidence_cell(row.get(columns.code))
    tests = parse_evidence_cell(row.get(columns.tests))
    for ref in code.refs:
        check_code_ref(repo, ref, columns.code, problems)
    ci = resolve_commands(repo, row)
    problems.extend(ci.problems)
    commands = ci.commands
    cited = tuple(
        cited_test
        for ref in tests.refs
        for cited_test in resolve_tests(repo, ref, columns.tests, commands, problems)
    )
    return ResolvedRow(
        row=row,
        code=code,
        tests=tests,
        ci_refs=ci.ci_refs,
        commands=commands,
        cited_tests=cited,
        problems=tuple(problems),
    )
