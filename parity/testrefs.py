"""Cited tests: find each test a row names, then ask every cited CI command whether it would run it."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from parity.citation import CitedCommand, CitedTest, Problem
from parity.coderefs import confined, drift, index_of, line_in_range
from parity.evidence import Language
from parity.selection import (
    NotRunReason,
    PythonTest,
    RustTest,
    Selection,
    parse_cargo_test,
    select_python,
    select_rust,
)

if TYPE_CHECKING:
    from parity.evidence import EvidenceRef
    from parity.repository import Repository
    from parity.sourceindex import FileIndex, TestItem
    from parity.workflow import Command

__all__ = ["resolve_tests"]


def resolve_tests(
    repo: Repository,
    ref: EvidenceRef,
    column: str,
    commands: tuple[CitedCommand, ...],
    problems: list[Problem],
) -> list[CitedTest]:
    if not confined(repo, ref, column, problems) or not line_in_range(repo, ref, column, problems):
        return []
    unreadable = len(problems)
    index = index_of(repo, ref, column, problems)
    if index is None and len(problems) > unreadable:
        return []  # index_of already said why (source-unreadable)
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
        if ref.language is Language.PYTHON and item.ignored:
            problems.append(
                Problem(
                    code="test-skipped",
                    column=column,
                    ref=ref.token,
                    proof_only=True,
                    message=f"`{name}` is skipped unconditionally"
                    + (f" (reason: {item.ignore_reason})" if item.ignore_reason else "")
                    + ", so no command runs it",
                    hint="remove the skip, or cite a test that runs",
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
            problems.append(drift(name, ref, column, (item,)))
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
        missed = _reason_not_run(selections)
        if missed is not None:
            command, selection, reason = missed
            problems.append(
                Problem(
                    code=_REASON_CODES.get(reason.name, "test-not-selected"),
                    column=column,
                    ref=cited.ref.token,
                    proof_only=True,
                    warning=not all(s.certain for _, s in selections),
                    message=f"`{cited.label}` is not run by `{command.cited}`: {selection.detail}",
                    hint="cite the step that runs it, or fix the step",
                )
            )
    return CitedTest(
        ref=cited.ref, name=cited.name, items=cited.items, crate=cited.crate, selections=tuple(selections)
    )


# A command that does not even build the test's package or target says little about the test:
# prefer the reason of a command that reaches the test and then filters, ignores or gates it.
_BROAD_REASONS = frozenset(
    {
        NotRunReason.PACKAGE_NOT_SELECTED,
        NotRunReason.TARGET_NOT_SELECTED,
        NotRunReason.DOCTESTS_NOT_SELECTED,
        NotRunReason.NOT_A_TEST_COMMAND,
    }
)


def _reason_not_run(
    selections: list[tuple[CitedCommand, Selection]],
) -> tuple[CitedCommand, Selection, NotRunReason] | None:
    """The most telling miss among the cited commands, or None when there is nothing to add.

    A test that only non-gating commands run already has its `ci-not-gating` finding; a gating
    command's miss is worth reporting then only if that command reaches the test's target.
    """
    misses = [(c, s, s.reason) for c, s in selections if not s.selected and s.reason is not None]
    if any(s.selected for _, s in selections):
        misses = [(c, s, r) for c, s, r in misses if c.gates and r not in _BROAD_REASONS]
    if not misses:
        return None
    return min(misses, key=lambda miss: (miss[2] in _BROAD_REASONS, not miss[0].gates))


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
        files=repo.pytest_files,
    )
