"""Which results of a run belong to a cited test: matched by binary and module path, never by name alone.

Pure, like `verdicts`, which judges what this finds. A run holds thousands of results and a matrix
cites thousands of tests, so each run is indexed once (by test name, by JUnit class).
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from typing import TYPE_CHECKING, cast

from parity.evidence import Language
from parity.libtest_results import BinaryKind
from parity.model import Outcome

if TYPE_CHECKING:
    from parity.citation import CitedTest
    from parity.junit import JunitResult, JunitRun
    from parity.libtest_results import LibtestRun, TestResult
    from parity.results import CommandResult
    from parity.sourcemodel import CrateTarget, TestItem

__all__ = ["observe"]


def observe(
    cited: CitedTest, result: CommandResult, rootdir: str, indexes: dict[int, object]
) -> tuple[list[tuple[str, Outcome, str, str]], bool] | None:
    """(name, outcome, detail) for every observed result of the cited test(s), and whether its binary ran."""
    if cited.ref.language is Language.RUST and result.libtest is not None:
        run = result.libtest
        by_name = indexes.get(id(run))
        if by_name is None:
            by_name = indexes[id(run)] = _by_name(run)
        return _observe_rust(run, cited, cast("dict[str, list[TestResult]]", by_name))
    if cited.ref.language is Language.PYTHON and result.junit is not None:
        junit = result.junit
        by_class = indexes.get(id(junit))
        if by_class is None:
            by_class = indexes[id(junit)] = _by_class(junit)
        return _observe_python(cited, rootdir, cast("_CasesByClass", by_class)), True
    return None


def _by_name(run: LibtestRun) -> dict[str, list[TestResult]]:
    found: dict[str, list[TestResult]] = defaultdict(list)
    for result in run.results:
        found[result.name].append(result)
    return found


_CasesByClass = dict[str, list[tuple[str, list["JunitResult"]]]]


def _by_class(run: JunitRun) -> _CasesByClass:
    """classname -> [(case name, its results)], in case-name order (as the report lists them)."""
    by_case: dict[tuple[str, str], list[JunitResult]] = defaultdict(list)
    for result in run.results:
        by_case[(result.classname, result.name)].append(result)
    found: _CasesByClass = defaultdict(list)
    for (classname, name), cases in sorted(by_case.items()):
        found[classname].append((name, cases))
    return found


def _observe_rust(
    run: LibtestRun, cited: CitedTest, by_name: dict[str, list[TestResult]]
) -> tuple[list[tuple[str, Outcome, str, str]], bool]:
    crate = cited.crate
    found: list[tuple[str, Outcome, str, str]] = []
    binary_ran = False
    for summary in run.binaries:
        if crate is None or not _is_binary_of(summary.binary, crate, doctest=False):
            continue
        binary_ran = True
    doc_ran = any(crate is not None and _is_binary_of(s.binary, crate, doctest=True) for s in run.binaries)
    for item in cited.items:
        for result in _rust_results(run, crate, item, by_name):
            found.append((result.name, result.outcome, _detail(result), result.name))
    only_docs = all(i.is_doctest for i in cited.items)
    return found, doc_ran if only_docs else binary_ran


def _detail(result: TestResult) -> str:
    if result.outcome is Outcome.IGNORED:
        return result.ignore_reason or ""
    return result.output


def _is_binary_of(binary: object, crate: CrateTarget, *, doctest: bool) -> bool:
    kind = getattr(binary, "kind", None)
    exe = str(getattr(binary, "exe_name", "")).replace("-", "_")
    if doctest:
        return kind is BinaryKind.DOCTEST and exe == _lib_name(crate)
    wanted = {
        "lib": BinaryKind.UNITTESTS,
        "bin": BinaryKind.UNITTESTS,
        "example": BinaryKind.UNITTESTS,
        "test": BinaryKind.TEST,
        "bench": BinaryKind.BENCH,
    }.get(str(crate.target_kind))
    return (
        kind is wanted
        and getattr(binary, "src_path", None) == crate.src_path
        and exe == crate.target_name.replace("-", "_")
    )


def _lib_name(crate: CrateTarget) -> str:
    if str(crate.target_kind) == "lib":
        return crate.target_name.replace("-", "_")
    return crate.package.replace("-", "_")


def _rust_results(
    run: LibtestRun, crate: CrateTarget | None, item: TestItem, by_name: dict[str, list[TestResult]]
) -> list[TestResult]:
    if crate is None:
        return []
    if item.is_doctest:
        wanted_path, _, wanted_item = item.full_name.partition(" - ")
        return [
            r
            for r in run.results
            if _is_binary_of(r.binary, crate, doctest=True)
            and r.name.partition(" - ")[2] == wanted_item
            and (
                wanted_path.endswith(r.name.partition(" - ")[0])
                or r.name.partition(" - ")[0].endswith(wanted_path)
            )
        ]
    return [r for r in by_name.get(item.full_name, ()) if _is_binary_of(r.binary, crate, doctest=False)]


def _observe_python(
    cited: CitedTest, rootdir: str, by_class: _CasesByClass
) -> list[tuple[str, Outcome, str, str]]:
    file = cited.ref.path
    rel = posixpath.relpath(file, rootdir or ".") if rootdir else file
    module = rel.removesuffix(".py").replace("/", ".")
    found: list[tuple[str, Outcome, str, str]] = []
    for item in cited.items:
        parts = item.full_name.split("::")
        func = parts[-1]
        case_class = ".".join([module, *parts[:-1]])
        for case_name, cases in by_class.get(case_class, ()):
            if case_name != func and not (case_name.startswith(func + "[") and "[" not in func):
                continue
            worst = _worst_case(cases)
            detail = worst.text or worst.message if worst.outcome is not Outcome.PASSED else ""
            found.append(
                (
                    f"{file}::{'::'.join([*parts[:-1], case_name])}",
                    worst.outcome,
                    detail,
                    f"junit:{case_class}::{case_name}",  # retries.pytest_case: how retries name it
                )
            )
    return found


def _worst_case(cases: list[JunitResult]) -> JunitResult:
    """pytest writes a test that fails and then errors in teardown twice: the worst one counts."""
    order = {Outcome.FAILED: 0, Outcome.PASSED: 2, Outcome.SKIPPED: 1, Outcome.IGNORED: 1, Outcome.BENCH: 3}
    return min(cases, key=lambda c: (0 if c.error else 1, order[c.outcome]))
