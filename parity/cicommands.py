"""A row's CI cell resolved to the workflow steps CI really runs, and whether those steps gate.

Split from `resolve` so that `prove` can plan, and start its first command, from the CI cells alone
while the full check (source index, selection analysis) is still to come.
"""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, cast

from parity.citation import CitedCommand, Problem, RowCommands
from parity.evidence import CiRef, parse_ci_cell

if TYPE_CHECKING:
    from parity.matrix import Row
    from parity.repository import Repository
    from parity.workflow import Command, CommandMatch, Workflow

__all__ = ["resolve_commands"]


def resolve_commands(repo: Repository, row: Row) -> RowCommands:
    """A row's CI cell resolved to workflow steps, once per row.

    `prove` plans from this before the full check has run, and the check reuses it, so the plan and
    the verdicts refer to the very same CitedCommand objects.
    """
    memo_key = ("commands", row.path, str(row.line))
    if memo_key not in repo.memo:
        column = repo.config.columns.ci
        problems: list[Problem] = []
        ci_refs = parse_ci_cell(row.get(column))
        commands = tuple(c for ci in ci_refs for c in _resolve_ci(repo, ci, column, problems))
        repo.memo[memo_key] = RowCommands(
            row=row, ci_refs=ci_refs, commands=commands, problems=tuple(problems)
        )
    return cast("RowCommands", repo.memo[memo_key])


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
