"""Look up what each matrix row cites: files, symbols, tests, workflow steps, and whether CI selects them.

The records live in `citation`, path and symbol checks in `coderefs`, test lookup and selection in
`testrefs`; this module walks a row's cells and resolves its CI commands against the workflow.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, cast

from parity.citation import CitedCommand, CitedTest, Problem, ResolvedRow
from parity.coderefs import check_code_ref
from parity.evidence import CiRef, parse_ci_cell, parse_evidence_cell
from parity.testrefs import resolve_tests

if TYPE_CHECKING:
    from parity.matrix import Row
    from parity.repository import Repository
    from parity.workflow import Command, CommandMatch, Workflow

__all__ = ["CitedCommand", "CitedTest", "Problem", "ResolvedRow", "resolve_row"]


def resolve_row(repo: Repository, row: Row) -> ResolvedRow:
    columns = repo.config.columns
    problems: list[Problem] = []
    code = parse_evidence_cell(row.get(columns.code))
    tests = parse_evidence_cell(row.get(columns.tests))
    ci_refs = parse_ci_cell(row.get(columns.ci))
    for ref in code.refs:
        check_code_ref(repo, ref, columns.code, problems)
    commands = tuple(c for ci in ci_refs for c in _resolve_ci(repo, ci, columns.ci, problems))
    cited = tuple(
        cited_test
        for ref in tests.refs
        for cited_test in resolve_tests(repo, ref, columns.tests, commands, problems)
    )
    return ResolvedRow(
        row=row,
        code=code,
        tests=tests,
        ci_refs=ci_refs,
        commands=commands,
        cited_tests=cited,
        problems=tuple(problems),
    )


def _resolve_ci(repo: Repository, ci: CiRef, column: str, problems: list[Problem]) -> list[CitedCommand]:
    if ci.workflow not in repo.workflow_files():
        known = ", ".join(repo.workflow_files()) or "none"
        problems.append(
            Problem(
                code="ci-workflow-unknown",
                column=column,
                ref=ci.workflow,
                message=f"`{ci.workflow}` is not a workflow of this repository",
                hint=f"workflows: {known}",
            )
        )
        return []
    if ci.job is None or not ci.commands:
        return []
    workflow = repo.workflow(ci.workflow)
    if ci.job not in workflow.jobs:
        problems.append(
            Problem(
                code="ci-job-unknown",
                column=column,
                ref=ci.job,
                message=f"`{ci.workflow}` has no job `{ci.job}`",
                hint="its jobs: " + (", ".join(f"`{j}`" for j in workflow.jobs) or "none"),
            )
        )
        return []
    cited: list[CitedCommand] = []
    for text in ci.commands:
        # Thousands of rows cite the same dozen commands: match and gate each once.
        memo_key = ("ci", ci.workflow, ci.job, text)
        if memo_key not in repo.memo:
            repo.memo[memo_key] = _match_and_gate(workflow, ci.job, text)
        memo = cast("tuple[CommandMatch, bool, str, dict[str, str]]", repo.memo[memo_key])
        match, gates, reason, env = memo
        if match.kind is None or match.command is None or match.step is None or match.job is None:
            problems.append(
                Problem(
                    code="ci-command-not-found",
                    column=column,
                    ref=text,
                    message=f"no step of job `{ci.job}` in `{ci.workflow}` runs `{text}`"
                    + (f" ({match.note})" if match.note else ""),
                    hint=_candidates_hint(text, match.candidates),
                )
            )
            continue
        if not gates:
            problems.append(
                Problem(
                    code="ci-not-gating",
                    column=column,
                    ref=text,
                    proof_only=True,
                    message=f"job `{ci.job}` does not gate pushes or pull requests: {reason}",
                    hint="cite a command from a job that fails CI when it fails",
                )
            )
        if match.kind not in {"verbatim", "extra-test-args"}:
            problems.append(
                Problem(
                    code="ci-command-variant",
                    column=column,
                    ref=text,
                    warning=True,
                    message=f"`{text}` matches step `{match.command.text}` only as a {match.kind} variant",
                    hint="cite the command exactly as the workflow runs it",
                )
            )
        cited.append(
            CitedCommand(
                workflow=ci.workflow,
                job=ci.job,
                cited=text,
                command=match.command,
                step=match.step,
                match_kind=str(match.kind),
                added_args=tuple(match.added_args),
                gates=gates,
                gating_reason=reason,
                env=dict(env),
            )
        )
    return cited


def _match_and_gate(
    workflow: Workflow, job_id: str, text: str
) -> tuple[CommandMatch, bool, str, dict[str, str]]:
    from parity.workflow import job_gating, match_command, step_gating  # noqa: PLC0415

    match = match_command(workflow, job_id, text)
    if match.kind is None or match.command is None or match.step is None or match.job is None:
        return match, False, "", {}
    job_gate = job_gating(workflow, match.job)
    step_gate = step_gating(workflow, match.job, match.step, match.command)
    reason = "; ".join(r for r in (job_gate.reason, step_gate.reason) if r)
    env = dict(workflow.effective_env(match.job, match.step, match.command))
    return match, job_gate.gates and step_gate.gates, reason, env


_MAX_CANDIDATES = 6


def _candidates_hint(cited: str, candidates: tuple[Command, ...]) -> str:
    """Every similar command of the job in step order; for a long job only the closest ones."""
    if not candidates:
        return "cite a command a step of that job runs, verbatim"
    shown = list(candidates)
    if len(shown) > _MAX_CANDIDATES:
        ratio = {id(c): difflib.SequenceMatcher(None, cited, c.text).ratio() for c in shown}
        closest = {id(c) for c in sorted(shown, key=lambda c: -ratio[id(c)])[:_MAX_CANDIDATES]}
        shown = [c for c in shown if id(c) in closest]
    more = len(candidates) - len(shown)
    return (
        "steps of that job run: "
        + "; ".join(f"`{c.text}`" for c in shown)
        + (f" (and {more} more)" if more else "")
    )
