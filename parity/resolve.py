"""Look up what each matrix row cites: files, symbols, tests, workflow steps, and whether CI selects them."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from parity.errors import InputError
from parity.evidence import CiRef, EvidenceCell, EvidenceRef, Language, parse_ci_cell, parse_evidence_cell
from parity.selection import (
    PythonTest,
    RustTest,
    Selection,
    parse_cargo_test,
    select_python,
    select_rust,
)

if TYPE_CHECKING:
    from parity.matrix import Row
    from parity.repository import Repository
    from parity.sourceindex import CrateTarget, FileIndex, TestItem
    from parity.workflow import Command, Step

__all__ = ["CitedCommand", "CitedTest", "Problem", "ResolvedRow", "resolve_row"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """A broken or weak link; `proof_only` problems are errors only for rows that claim proof."""

    code: str
    column: str
    message: str
    hint: str = ""
    ref: str = ""
    warning: bool = False
    proof_only: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class CitedCommand:
    """A cited CI command, resolved to the workflow command that CI really runs."""

    workflow: str
    job: str
    cited: str
    command: Command | None = None
    step: Step | None = None
    match_kind: str = ""
    added_args: tuple[str, ...] = ()
    gates: bool = False
    gating_reason: str = ""
    env: dict[str, str] = field(default_factory=dict)

    @property
    def resolved(self) -> bool:
        return self.command is not None and self.command.argv is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class CitedTest:
    """One test named as evidence (or a whole file, when no name is given)."""

    ref: EvidenceRef
    name: str | None  # None: "every test in this file"
    items: tuple[TestItem, ...] = ()  # the definitions found (one, unless a whole file is cited)
    crate: CrateTarget | None = None
    selections: tuple[tuple[CitedCommand, Selection], ...] = ()

    @property
    def label(self) -> str:
        return f"{self.ref.path}::{self.name}" if self.name else self.ref.path


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvedRow:
    row: Row
    code: EvidenceCell
    tests: EvidenceCell
    ci_refs: tuple[CiRef, ...]
    commands: tuple[CitedCommand, ...]
    cited_tests: tuple[CitedTest, ...]
    problems: tuple[Problem, ...]


def resolve_row(repo: Repository, row: Row) -> ResolvedRow:
    columns = repo.config.columns
    problems: list[Problem] = []
    code = parse_evidence_cell(row.get(columns.code))
    tests = parse_evidence_cell(row.get(columns.tests))
    ci_refs = parse_ci_cell(row.get(columns.ci))
    for ref in code.refs:
        _check_code_ref(repo, ref, columns.code, problems)
    commands = tuple(c for ci in ci_refs for c in _resolve_ci(repo, ci, columns.ci, problems))
    cited = tuple(
        cited_test
        for ref in tests.refs
        for cited_test in _resolve_tests(repo, ref, columns.tests, commands, problems)
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


def _confined(repo: Repository, ref: EvidenceRef, column: str, problems: list[Problem]) -> bool:
    info = repo.path(ref.path)
    if not info.inside:
        problems.append(
            Problem(
                code="path-escapes-repo",
                column=column,
                ref=ref.token,
                message=f"`{ref.path}` {info.escape_reason}",
                hint="cite a path inside the repository",
            )
        )
        return False
    if not info.exists:
        problems.append(
            Problem(
                code="path-missing",
                column=column,
                ref=ref.token,
                message=f"`{ref.path}` does not exist",
                hint="fix the path or remove the ref",
            )
        )
        return False
    if ref.line is not None and not info.is_file:
        problems.append(
            Problem(
                code="line-out-of-range",
                column=column,
                ref=ref.token,
                message=f"`{ref.path}` is a directory but a line is cited",
                hint="cite a file, or drop the line",
            )
        )
        return False
    return True


def _index(repo: Repository, ref: EvidenceRef, column: str, problems: list[Problem]) -> FileIndex | None:
    if ref.language is Language.OTHER or not repo.path(ref.path).is_file:
        return None
    try:
        return repo.index(repo.path(ref.path).rel)
    except InputError as exc:
        problems.append(
            Problem(
                code="source-unreadable",
                column=column,
                ref=ref.token,
                message=exc.message,
                hint=exc.hint or "fix the source file",
            )
        )
        return None


def _line_in_range(repo: Repository, ref: EvidenceRef, column: str, problems: list[Problem]) -> bool:
    if ref.line is None:
        return True
    count = repo.line_count(repo.path(ref.path).rel)
    if 1 <= ref.line <= count:
        return True
    problems.append(
        Problem(
            code="line-out-of-range",
            column=column,
            ref=ref.token,
            message=f"`{ref.path}` has {count} lines; line {ref.line} does not exist",
            hint="point the ref at the current line (parity fix --write)",
        )
    )
    return False


def _check_code_ref(repo: Repository, ref: EvidenceRef, column: str, problems: list[Problem]) -> None:
    if not _confined(repo, ref, column, problems) or not _line_in_range(repo, ref, column, problems):
        return
    index = _index(repo, ref, column, problems)
    if index is None:
        return
    for position, name in enumerate(ref.symbols):
        found = index.find_symbol(name)
        if not found:
            close = difflib.get_close_matches(name, [s.name for s in index.symbols], n=1)
            problems.append(
                Problem(
                    code="symbol-missing",
                    column=column,
                    ref=ref.token,
                    message=f"`{name}` is not defined in `{ref.path}`",
                    hint=f"did you mean `{close[0]}`?" if close else "update the ref to the current symbol",
                )
            )
            continue
        at_line = ref.line is None or any(s.attr_line <= ref.line <= s.line for s in found)
        others_at_line = any(
            s.attr_line <= (ref.line or 0) <= s.line
            for other in ref.symbols
            for s in index.find_symbol(other)
        )
        if at_line or (position > 0 and others_at_line):
            continue
        problems.append(_drift(name, ref, column, tuple(s.line for s in found)))
    for name in ref.mentions:
        found = index.find_symbol(name)
        if (
            found
            and ref.line is not None
            and not any(s.attr_line <= ref.line <= (s.end_line or s.line) for s in found)
        ):
            drift = _drift(name, ref, column, tuple(s.line for s in found))
            problems.append(
                Problem(
                    code=drift.code,
                    column=column,
                    ref=ref.token,
                    message=drift.message,
                    hint=drift.hint,
                    warning=True,
                )
            )


def _drift(name: str, ref: EvidenceRef, column: str, lines: tuple[int, ...]) -> Problem:
    if len(lines) == 1:
        return Problem(
            code="line-drift",
            column=column,
            ref=ref.token,
            message=f"`{name}` is at `{ref.path}:{lines[0]}`, not line {ref.line}",
            hint=f"cite `{ref.path}:{lines[0]}` (parity fix --write does it)",
        )
    where = ", ".join(str(line) for line in lines)
    return Problem(
        code="line-drift",
        column=column,
        ref=ref.token,
        message=f"`{name}` is defined {len(lines)} times in `{ref.path}` (lines {where}), "
        f"none at line {ref.line}",
        hint="cite the line of the definition you mean",
    )


def _resolve_ci(repo: Repository, ci: CiRef, column: str, problems: list[Problem]) -> list[CitedCommand]:
    from parity.workflow import job_gating, match_command, step_gating  # noqa: PLC0415

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
    cited: list[CitedCommand] = []
    for text in ci.commands:
        match = match_command(workflow, ci.job, text)
        if match.kind is None or match.command is None or match.step is None or match.job is None:
            problems.append(
                Problem(
                    code="ci-command-not-found",
                    column=column,
                    ref=text,
                    message=f"no step of job `{ci.job}` in `{ci.workflow}` runs `{text}`"
                    + (f" ({match.note})" if match.note else ""),
                    hint=_candidates_hint(match.candidates),
                )
            )
            continue
        job_gate = job_gating(workflow, match.job)
        step_gate = step_gating(workflow, match.job, match.step, match.command)
        gates = job_gate.gates and step_gate.gates
        reason = "; ".join(r for r in (job_gate.reason, step_gate.reason) if r)
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
                env=dict(workflow.effective_env(match.job, match.step, match.command)),
            )
        )
    return cited


def _candidates_hint(candidates: tuple[Command, ...]) -> str:
    if not candidates:
        return "cite a command a step of that job runs, verbatim"
    return "steps of that job run: " + "; ".join(f"`{c.text}`" for c in candidates[:3])


def _resolve_tests(
    repo: Repository,
    ref: EvidenceRef,
    column: str,
    commands: tuple[CitedCommand, ...],
    problems: list[Problem],
) -> list[CitedTest]:
    if not _confined(repo, ref, column, problems) or not _line_in_range(repo, ref, column, problems):
        return []
    index = _index(repo, ref, column, problems)
    if index is None:
        problems.append(
            Problem(
                code="test-not-source",
                column=column,
                ref=ref.token,
                proof_only=True,
                message=f"`{ref.path}` is not a Rust or Python test file",
                hint="cite the test's source file",
            )
        )
        return []
    if not ref.symbols:
        items = tuple(index.tests)
        if not items:
            problems.append(
                Problem(
                    code="test-missing",
                    column=column,
                    ref=ref.token,
                    message=f"`{ref.path}` defines no tests",
                    hint="cite a test file",
                )
            )
            return []
        cited = CitedTest(ref=ref, name=None, items=items, crate=index.crate)
        return [_with_selections(repo, cited, commands, column, problems)]
    result: list[CitedTest] = []
    for name in ref.symbols:
        item = _find_test(index, ref, name, column, problems)
        if item is None:
            continue
        if not index.reachable:
            problems.append(
                Problem(
                    code="test-not-compiled",
                    column=column,
                    ref=ref.token,
                    message=f"`{ref.path}` is not part of any crate target (no `mod` "
                    "declares it), so its tests never compile",
                    hint="declare the module or move the test",
                )
            )
            continue
        if not item.body_can_fail:
            problems.append(
                Problem(
                    code="test-cannot-fail",
                    column=column,
                    ref=ref.token,
                    warning=True,
                    message=f"`{name}` has no assertion, panic, `?` or unwrap: it cannot fail",
                    hint="assert the behaviour the row claims",
                )
            )
        cited_test = CitedTest(ref=ref, name=name, items=(item,), crate=index.crate)
        result.append(_with_selections(repo, cited_test, commands, column, problems))
    return result


def _find_test(
    index: FileIndex, ref: EvidenceRef, name: str, column: str, problems: list[Problem]
) -> TestItem | None:
    found = index.find_test(name)
    if ref.line is not None and len(found) > 1:
        found = tuple(t for t in found if t.attr_line <= ref.line <= t.line) or found
    if len(found) == 1:
        item = found[0]
        if ref.line is not None and not item.attr_line <= ref.line <= item.line:
            problems.append(_drift(name, ref, column, (item.line,)))
        return item
    if found:
        problems.append(
            Problem(
                code="test-ambiguous",
                column=column,
                ref=ref.token,
                message=f"`{name}` names {len(found)} tests in `{ref.path}`: "
                + ", ".join(f"`{t.full_name}`" for t in found),
                hint="cite the test's line or its full module path",
            )
        )
        return None
    if index.find_symbol(name):
        problems.append(
            Problem(
                code="test-not-a-test",
                column=column,
                ref=ref.token,
                message=f"`{name}` is defined in `{ref.path}` but is not a test",
                hint="cite a #[test] function / pytest test",
            )
        )
        return None
    close = difflib.get_close_matches(name, [t.name for t in index.tests], n=1, cutoff=0.7)
    problems.append(
        Problem(
            code="test-missing",
            column=column,
            ref=ref.token,
            message=f"no test `{name}` in `{ref.path}`" + (f" (renamed to `{close[0]}`?)" if close else ""),
            hint="update the test name, or downgrade the row",
        )
    )
    return None


_REASON_CODES = {
    "FILTERED": "test-filtered",
    "IGNORED": "test-ignored",
    "FEATURE_GATED": "test-feature-gated",
    "DESELECTED": "test-deselected",
    "NOT_COLLECTED": "test-not-collected",
}


def _with_selections(
    repo: Repository,
    cited: CitedTest,
    commands: tuple[CitedCommand, ...],
    column: str,
    problems: list[Problem],
) -> CitedTest:
    language = cited.ref.language
    relevant = [c for c in commands if c.resolved and _runs_language(c, language)]
    selections: list[tuple[CitedCommand, Selection]] = []
    for command in relevant:
        assert command.command is not None  # noqa: S101 - `resolved` checked it
        for item in cited.items:
            selections.append((command, _select(repo, command.command, cited, item)))
    if not commands:
        return CitedTest(ref=cited.ref, name=cited.name, items=cited.items, crate=cited.crate)
    if not relevant:
        kind = "cargo test" if language is Language.RUST else "pytest"
        problems.append(
            Problem(
                code="test-no-command",
                column=column,
                ref=cited.ref.token,
                proof_only=True,
                message=f"no cited `{kind}` command could run `{cited.label}`",
                hint=f"cite the `{kind}` step that runs it in the CI column",
            )
        )
    elif not any(s.selected and c.gates for c, s in selections):
        reasons = [s for _, s in selections if not s.selected]
        first = reasons[0] if reasons else None
        if first is not None and first.reason is not None:
            code = _REASON_CODES.get(first.reason.name, "test-not-selected")
            problems.append(
                Problem(
                    code=code,
                    column=column,
                    ref=cited.ref.token,
                    proof_only=True,
                    warning=not all(s.certain for _, s in selections),
                    message=f"`{cited.label}` is not run by the cited command: {first.detail}",
                    hint="cite the step that runs it, or fix the step",
                )
            )
    return CitedTest(
        ref=cited.ref, name=cited.name, items=cited.items, crate=cited.crate, selections=tuple(selections)
    )


def _runs_language(command: CitedCommand, language: Language) -> bool:
    from parity.selection import parse_pytest  # noqa: PLC0415

    argv = command.command.argv if command.command else None
    if not argv:
        return False
    if language is Language.RUST:
        return parse_cargo_test(argv) is not None
    return parse_pytest(argv) is not None


def _select(repo: Repository, command: Command, cited: CitedTest, item: TestItem) -> Selection:
    assert command.argv is not None  # noqa: S101 - only resolved commands reach here
    if cited.ref.language is Language.RUST:
        crate = cited.crate
        test = RustTest(
            package=crate.package if crate else "",
            target_kind="doc" if item.is_doctest else (crate.target_kind if crate else "lib"),
            target_name=crate.target_name if crate else "",
            full_name=item.full_name,
            cfg=tuple(item.cfg),
            ignored=item.ignored,
            should_panic=item.should_panic,
        )
        parsed = parse_cargo_test(command.argv)
        start = parsed.start_dir(command.cwd) if parsed is not None else command.cwd
        return select_rust(command.argv, cwd=command.cwd, workspace=repo.workspace(start), test=test)
    test_py = PythonTest(
        file=repo.path(cited.ref.path).rel,
        nodeid_in_file=item.full_name,
        name=item.name,
        markers=tuple(item.markers),
        param_ids=tuple(item.param_ids) if item.param_ids is not None else None,
    )
    return select_python(
        command.argv,
        cwd=command.cwd,
        repo_root=repo.root,
        config=repo.pytest_config(command.cwd),
        test=test_py,
    )
