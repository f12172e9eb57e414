"""Which results of a run belong to a cited test: matched by binary and module path, never by name alone.

Pure, like `verdicts`, which judges what this finds. A run holds thousands of results and a matrix
cites thousands of tests, so each run is indexed once (by test name, by JUnit class).
"""

from __future__ import annotations

import functools
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
        index = indexes.get(id(run))
        if index is None:
            index = indexes[id(run)] = _RunIndex(run)
        return _observe_rust(run, cited, cast("_RunIndex", index))
    if cited.ref.language is Language.PYTHON and result.junit is not None:
        junit = result.junit
        by_class = indexes.get(id(junit))
        if by_class is None:
            by_class = indexes[id(junit)] = _by_class(junit)
        module = _module_of(cited.ref.path, rootdir)
        return _observe_python(cited, module, cast("_CasesByClass", by_class)), True
    return None


class _RunIndex:
    """One libtest run's results by test name, and which crate targets' binaries ran in it."""

    def __init__(self, run: LibtestRun) -> None:
        self.run = run
        self.by_name: dict[str, list[TestResult]] = defaultdict(list)
        for result in run.results:
            self.by_name[result.name].append(result)
        self._ran: dict[tuple[int, bool], bool] = {}

    def ran(self, crate: CrateTarget, *, doctest: bool) -> bool:
        """Did a binary of `crate` (its doc-tests, with `doctest`) run? Asked once per cited test."""
        key = (id(crate), doctest)  # crate targets live as long as the check that made them
        found = self._ran.get(key)
        if found is None:
            found = self._ran[key] = any(
                _is_binary_of(s.binary, crate, doctest=doctest) for s in self.run.binaries
            )
        return found


@functools.lru_cache(maxsize=1024)
def _module_of(file: str, rootdir: str) -> str:
    """The dotted module pytest names a test file's cases by (JUnit classname), from its rootdir."""
    rel = posixpath.relpath(file, rootdir or ".") if rootdir else file
    return rel.removesuffix(".py").replace("/", ".")


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
    run: LibtestRun, cited: CitedTest, index: _RunIndex
) -> tuple[list[tuple[str, Outcome, str, str]], bool]:
    crate = cited.crate
    found: list[tuple[str, Outcome, str, str]] = []
    for item in cited.items:
        for result in _rust_results(run, crate, item, index.by_name):
            found.append((result.name, result.outcome, _detail(result), result.name))
    if crate is None:
        return found, False
    only_docs = all(i.is_doctest for i in cited.items)
    return found, index.ran(crate, doctest=only_docs)


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
    cited: CitedTest, module: str, by_class: _CasesByClass
) -> list[tuple[str, Outcome, str, str]]:
    file = cited.ref.path
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
