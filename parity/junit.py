"""Read JUnit XML (pytest, cargo-nextest, libtest) into our own records, refusing anything with a DTD.

What each producer writes (recorded under tests/data/junit/):
- pytest `--junitxml` (src/_pytest/junitxml.py): classname is the dotted module path plus any
  class (`tests.unit.test_types.TestPartitionKey`), name comes from `mangle_test_address`
  (`test_roundtrip[b c-b c]`). A test that fails and then errors in teardown is written as two
  `<testcase>` elements; a setup/teardown error is `<error>`; skip and xfail are `<skipped>`
  with type `pytest.skip` / `pytest.xfail`. The header counts disagree with the elements then,
  so we count testcases ourselves and keep the header only for information.
- cargo-nextest (quick-junit crate): one `<testsuite>` per binary id (`arco-flow` for the lib,
  `arco-flow::orchestration_sensor_tests` for an integration test), classname = binary id,
  name = full test path; retries add `<flakyFailure>` (passed in the end) or `<rerunFailure>`.
- libtest `--format junit` (library/test/src/formatters/junit.rs, needs `-Z unstable-options`):
  one document *per test binary* on one line, every suite named "test", so the binary is not
  recorded; ignored tests are omitted; unit tests get classname = module path, integration
  tests "integration", doctests the file path; benches "benchmark::...". Rust 1.95's formatter
  panics on a should_panic message containing a newline and leaves a truncated document.
"""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from parity.errors import InputError
from parity.model import Outcome

__all__ = [
    "DEFAULT_MAX_BYTES",
    "OUTPUT_CAP",
    "JunitProducer",
    "JunitResult",
    "JunitRun",
    "JunitSuite",
    "junit_types",
    "parse_junit",
    "parse_junit_bytes",
]

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
OUTPUT_CAP = 64 * 1024  # characters kept of each text field (traceback, system-out, system-err)


class JunitProducer(enum.Enum):
    PYTEST = "pytest"
    NEXTEST = "nextest"
    LIBTEST = "libtest"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True, kw_only=True)
class JunitResult:
    """One `<testcase>` element (pytest may write two for one test: keep both, worst wins)."""

    suite: str  # enclosing <testsuite name>: the nextest binary id; "pytest"; "test" (libtest)
    classname: str
    name: str
    outcome: Outcome
    error: bool = False  # an <error> (pytest: setup/teardown/collection), not a <failure>
    result_type: str = ""  # `type` of the failure/error/skipped element, e.g. "pytest.xfail"
    message: str = ""
    text: str = ""  # body of the failure/error/skipped element (traceback, skip location)
    system_out: str = ""
    system_err: str = ""
    output_truncated: bool = False
    file: str | None = None
    line: int | None = None  # as written: pytest's xunit1 `line` is 0-based
    retries: int = 0  # failed attempts before the final one (flakyFailure/rerunFailure...)

    @property
    def flaky(self) -> bool:
        """Passed only after failing: good enough locally, not for sign-off."""
        return self.outcome is Outcome.PASSED and self.retries > 0


@dataclass(frozen=True, slots=True, kw_only=True)
class JunitSuite:
    name: str
    tests: int  # <testcase> elements directly inside, counted by us
    declared_tests: int | None  # the `tests` attribute, informational (pytest miscounts)


@dataclass(frozen=True, slots=True, kw_only=True)
class JunitRun:
    path: str
    producer: JunitProducer
    suites: tuple[JunitSuite, ...]
    results: tuple[JunitResult, ...]

    def find(
        self, name: str, *, classname: str | None = None, suite: str | None = None
    ) -> tuple[JunitResult, ...]:
        return tuple(
            r
            for r in self.results
            if r.name == name
            and (classname is None or r.classname == classname)
            and (suite is None or r.suite == suite)
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "producer": self.producer.value,
            "suites": [
                {"name": s.name, "tests": s.tests, "declared_tests": s.declared_tests} for s in self.suites
            ],
            "results": [
                {
                    "suite": r.suite,
                    "classname": r.classname,
                    "name": r.name,
                    "outcome": r.outcome.value,
                    "error": r.error,
                    "result_type": r.result_type,
                    "message": r.message,
                    "file": r.file,
                    "line": r.line,
                    "retries": r.retries,
                    "output_truncated": r.output_truncated,
                    "text": r.text,
                    "system_out": r.system_out,
                    "system_err": r.system_err,
                }
                for r in self.results
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> JunitRun:
        return cls(
            path=data["path"],
            producer=JunitProducer(data["producer"]),
            suites=tuple(JunitSuite(**s) for s in data["suites"]),
            results=tuple(JunitResult(**{**r, "outcome": Outcome(r["outcome"])}) for r in data["results"]),
        )


def parse_junit(path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> JunitRun:
    """Parse one JUnit XML file; every problem with the file is an `InputError` naming it."""
    return parse_junit_bytes(_read(Path(path), max_bytes), path)


def parse_junit_bytes(data: bytes, path: str | Path) -> JunitRun:
    """Parse JUnit XML already in memory; `path` names it in results and errors."""
    path = Path(path)
    if not data.strip():
        raise InputError(path, "JUnit file is empty", hint="the test command probably died before writing it")
    _refuse_dtd(path, data)
    try:
        root = ET.fromstring(data)  # noqa: S314 - no DTD can reach the parser (_refuse_dtd)
    except (LookupError, ValueError) as exc:  # e.g. `<?xml encoding="u-f-8"?>`: unknown codec
        raise InputError(path, f"cannot decode the XML: {exc}", hint="write the report as UTF-8") from None
    except ET.ParseError as exc:
        line, column = exc.position
        reason = re.sub(r": line \d+, column \d+$", "", str(exc))
        hint = "the file is truncated or corrupt; was the test run killed while writing it?"
        if reason.startswith("junk after document element"):
            hint = (
                "more than one XML document: libtest's --format junit writes one per test "
                "binary, so save each binary's output to its own file"
            )
        raise InputError(
            path, f"not well-formed XML: {reason}", line=line, column=column + 1, hint=hint
        ) from None
    if root.tag not in ("testsuites", "testsuite"):
        raise InputError(
            path,
            f"root element is <{root.tag}>, expected <testsuites> or <testsuite>",
            hint="is this a JUnit XML report?",
        )
    return _convert(path, root)


def _read(path: Path, max_bytes: int) -> bytes:
    too_big = InputError(
        path,
        f"JUnit file is larger than the {max_bytes}-byte limit",
        hint="raise the JUnit size limit if this report is genuine",
    )
    try:
        if path.stat().st_size > max_bytes:  # before reading a byte of it
            raise too_big
        with path.open("rb") as f:
            data = f.read(max_bytes + 1)  # the file may grow, or not be a regular file
    except FileNotFoundError:
        raise InputError(
            path, "JUnit file not found", hint="did the test command run and write it?"
        ) from None
    except OSError as exc:
        raise InputError(path, f"cannot read JUnit file: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise too_big
    return data


_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<", "utf-16-be"),
    (b"<\x00", "utf-16-le"),
)


_NON_SPACE = re.compile(rb"\S")


def _refuse_dtd(path: Path, data: bytes) -> None:
    """Refuse a document type declaration, so no entity (billion laughs, external file) exists.

    A DTD can only stand in the prolog, before the root element; after it `<!DOCTYPE` is
    either a syntax error or CDATA text (libtest puts test output in CDATA). So we walk the
    prolog, skipping the XML declaration, processing instructions and comments, and refuse
    any other `<!` there.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            data = data.decode(codec, errors="replace").encode()
            break
    pos = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    while (found := _NON_SPACE.search(data, pos)) is not None:
        pos = found.start()
        if data.startswith(b"<?", pos):
            opener, closer = b"<?", b"?>"
        elif data.startswith(b"<!--", pos):
            opener, closer = b"<!--", b"-->"
        elif data.startswith(b"<!", pos):
            raise InputError(
                path,
                "refusing an XML document type declaration (<!DOCTYPE or <!ENTITY)",
                hint="JUnit never needs a DTD; entities could expand without bound",
            )
        else:
            return  # the root element, or text the XML parser rejects before any DTD
        end = data.find(closer, pos + len(opener))
        if end == -1:
            return  # unterminated: the XML parser reports it
        pos = end + len(closer)


@functools.cache
def junit_types() -> tuple[Any, Any, Any]:
    """junitparser's xunit2 classes, taught the attributes pytest and nextest add.

    Loaded once, on first use; `prove` asks for them while pytest runs, not after.
    """
    from junitparser import junitparser as jp  # noqa: PLC0415 - keep CLI startup fast (STYLE 7)
    from junitparser import xunit2  # noqa: PLC0415

    class Case(xunit2.TestCase):
        file = jp.Attr()  # pytest xunit1
        line = jp.Attr()

    class Suite(xunit2.TestSuite):
        testcase = Case
        tests = jp.Attr()  # as written: junitparser's IntAttr would recount when it is missing

    class Xml(xunit2.JUnitXml):
        testsuite = Suite

    return Xml, Suite, Case


def _convert(path: Path, root: ET.Element) -> JunitRun:
    xml_type, _, case_type = junit_types()
    suites: list[JunitSuite] = []
    results: list[JunitResult] = []

    def walk(suite: Any) -> None:
        name = suite.name or ""
        cases = list(suite.iterchildren(case_type))
        declared = suite.tests
        suites.append(
            JunitSuite(
                name=name,
                tests=len(cases),
                declared_tests=int(declared) if declared and declared.isdigit() else None,
            )
        )
        for case in cases:
            element = getattr(case, "_elem", None)  # junitparser keeps the element it wraps there
            if element is not None and len(element) == 0:
                results.append(_childless(name, element))
            else:
                results.append(_result(name, case))
        for child in suite.testsuites():
            walk(child)

    for suite in xml_type.fromroot(root):
        walk(suite)
    return JunitRun(path=str(path), producer=_producer(root), suites=tuple(suites), results=tuple(results))


def _childless(suite: str, element: ET.Element) -> JunitResult:
    """A `<testcase>` with no child element: passed (or a benchmark), with no output.

    Most cases of a run look like this; reading their attributes directly is what `_result` makes
    of them, without walking junitparser's result types (a quarter of a 3,000-case parse).
    """
    classname = element.get("classname") or ""
    line = element.get("line")
    return JunitResult(
        suite=suite,
        classname=classname,
        name=element.get("name") or "",
        outcome=Outcome.BENCH if classname.startswith("benchmark::") else Outcome.PASSED,
        file=element.get("file"),
        line=int(line) if line is not None and line.lstrip("-").isdigit() else None,
    )


def _result(suite: str, case: Any) -> JunitResult:
    import junitparser  # noqa: PLC0415

    finals = list(case.result)
    # A failure or error decides the outcome even next to a <skipped>.
    decisive = next((r for r in finals if not isinstance(r, junitparser.Skipped)), None)
    if decisive is None and finals:
        decisive = finals[0]
    if decisive is None:
        outcome = Outcome.PASSED
    elif isinstance(decisive, junitparser.Skipped):
        outcome = Outcome.SKIPPED
    else:
        outcome = Outcome.FAILED
    classname = case.classname or ""
    if outcome is Outcome.PASSED and classname.startswith("benchmark::"):
        outcome = Outcome.BENCH  # libtest junit.rs writes benches as classname benchmark::...
    text, text_cut = _cap(decisive.text or "" if decisive is not None else "")
    out, out_cut = _cap("".join(o.text or "" for o in case.iterchildren(junitparser.SystemOut)))
    err, err_cut = _cap("".join(e.text or "" for e in case.iterchildren(junitparser.SystemErr)))
    line = case.line
    return JunitResult(
        suite=suite,
        classname=classname,
        name=case.name or "",
        outcome=outcome,
        error=isinstance(decisive, junitparser.Error),
        result_type=(decisive.type or "") if decisive is not None else "",
        message=(decisive.message or "") if decisive is not None else "",
        text=text,
        system_out=out,
        system_err=err,
        output_truncated=text_cut or out_cut or err_cut,
        file=case.file,
        line=int(line) if line is not None and line.lstrip("-").isdigit() else None,
        retries=len(case.interim_result),
    )


def _cap(text: str) -> tuple[str, bool]:
    return (text[:OUTPUT_CAP], True) if len(text) > OUTPUT_CAP else (text, False)


def _producer(root: ET.Element) -> JunitProducer:
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    if root.tag == "testsuites" and root.get("name") == "nextest-run":
        return JunitProducer.NEXTEST
    if suites and all(s.get("name") == "test" and s.get("package") == "test" for s in suites):
        return JunitProducer.LIBTEST
    if root.get("name") == "pytest tests" or any(s.get("name") == "pytest" for s in suites):
        return JunitProducer.PYTEST
    return JunitProducer.UNKNOWN
