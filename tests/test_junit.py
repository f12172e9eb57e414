"""Golden and focused tests for the JUnit XML reader (parity.junit)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parity import junit
from parity.errors import InputError
from parity.model import Outcome

DATA = Path(__file__).parent / "data" / "junit"
CASES = sorted(p.name for p in DATA.glob("*.xml"))
UPDATE = os.environ.get("PARITY_UPDATE_GOLDENS") == "1"


@pytest.fixture
def in_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA)  # paths in goldens and messages are then just file names


def load(name: str) -> junit.JunitRun:
    return junit.parse_junit(DATA / name)


def refusal(path: Path, **kwargs: int) -> str:
    with pytest.raises(InputError) as info:
        junit.parse_junit(path, **kwargs)
    return info.value.render()


def test_cases_exist() -> None:
    assert len(CASES) >= 15


@pytest.mark.usefixtures("in_data")
@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    try:
        run = junit.parse_junit(Path(case))
    except InputError as exc:
        got = {"error": exc.render()}
    else:
        got = run.to_dict()
        assert junit.JunitRun.from_dict(got) == run
    expected = Path(case).with_suffix(".expected.json")
    if UPDATE:
        expected.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert expected.exists(), f"no golden for {case}: run with PARITY_UPDATE_GOLDENS=1"
    assert got == json.loads(expected.read_text(encoding="utf-8"))


def test_childless_cases_read_directly_equal_the_full_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """`_childless` is a shortcut for `_result`: on every recorded file, both read the same."""
    read = {}
    for case in CASES:
        try:
            read[case] = junit.parse_junit(DATA / case)
        except InputError:
            continue  # refused before any case is read
    _, _, case_type = junit.junit_types()
    shortcuts = []

    def full(suite: str, element: object) -> junit.JunitResult:
        shortcuts.append(element)
        return junit._result(suite, case_type.fromelem(element))

    monkeypatch.setattr(junit, "_childless", full)
    for case, fast in read.items():
        assert junit.parse_junit(DATA / case) == fast, case
    assert len(shortcuts) == 29  # the recorded files' passed cases without output


# -- pytest ---------------------------------------------------------------------------------


def test_pytest_teardown_error_after_failure_is_two_testcases() -> None:
    run = load("pytest_xunit2.xml")
    assert run.producer is junit.JunitProducer.PYTEST
    both = run.find("test_fails_then_teardown_errors", classname="tests.unit.test_types")
    assert [(r.outcome, r.error, r.message) for r in both] == [
        (Outcome.FAILED, False, "AssertionError: call failed\nassert 0"),
        (Outcome.FAILED, True, 'failed on teardown with "RuntimeError: teardown exploded"'),
    ]
    (passed_then_error,) = run.find("test_passes_then_teardown_errors")
    assert (passed_then_error.outcome, passed_then_error.error) == (Outcome.FAILED, True)
    assert len(run.results) == 15
    assert run.suites == (junit.JunitSuite(name="pytest", tests=15, declared_tests=15),)


def test_pytest_names_classes_and_parameters() -> None:
    run = load("pytest_xunit2.xml")
    cls = "tests.unit.test_types.TestPartitionKey"
    assert [r.name for r in run.results if r.classname == cls] == [
        "test_roundtrip[a-a]",
        "test_roundtrip[b c-b c]",
        "test_roundtrip[x]y-x]y]",
        "test_fails",
    ]
    (spaced,) = run.find("test_roundtrip[b c-b c]", classname=cls)
    assert spaced.outcome is Outcome.PASSED
    assert run.find("test_roundtrip[b c-b c]", classname="tests.unit.test_types") == ()
    (unicode_name,) = run.find("test_unicode_name_é")
    assert unicode_name.outcome is Outcome.PASSED


def test_pytest_skip_xfail_and_strict_xpass() -> None:
    run = load("pytest_xunit2.xml")
    got = {
        r.name: (r.outcome, r.result_type, r.message)
        for r in run.results
        if r.name in {"test_skipped", "test_xfail", "test_xpass_strict", "test_skip_inside"}
    }
    assert got == {
        "test_skipped": (Outcome.SKIPPED, "pytest.skip", "not on this platform"),
        "test_xfail": (Outcome.SKIPPED, "pytest.xfail", "known bug #12"),
        "test_xpass_strict": (Outcome.FAILED, "", "[XPASS(strict)] unexpectedly fixed"),
        "test_skip_inside": (Outcome.SKIPPED, "pytest.skip", "runtime skip"),
    }


def test_pytest_xunit1_file_line_and_output() -> None:
    run = load("pytest_xunit1.xml")
    (cli,) = run.find("test_cli_runs")
    assert (cli.file, cli.line) == ("tests/test_cli.py", 0)  # pytest writes 0-based lines
    assert "cli output" in cli.system_out
    (failing,) = run.find("test_fails")
    assert (failing.file, failing.line) == ("tests/unit/test_types.py", 10)
    assert "stdout from test_fails" in failing.system_out
    (unicode_name,) = run.find("test_unicode_name_é")
    assert "stderr <&> text" in unicode_name.system_err


def test_pytest_collection_error() -> None:
    (result,) = load("pytest_collection_error.xml").results
    assert (result.classname, result.name, result.outcome, result.error, result.message) == (
        "",
        "tests.unit.test_types",
        Outcome.FAILED,
        True,
        "collection failure",
    )
    assert "SyntaxError" in result.text


# -- cargo-nextest and libtest --------------------------------------------------------------


def test_nextest_suites_are_binaries() -> None:
    run = load("nextest_basic.xml")
    assert run.producer is junit.JunitProducer.NEXTEST
    assert [(s.name, s.tests) for s in run.suites] == [
        ("arco-flow", 3),
        ("arco-flow::orchestration_sensor_tests", 2),
        ("arco-flow::bin/arco-flow", 1),
    ]
    (failed,) = run.find("orchestration::run_key::tests::test_reserve_run_key_fails", suite="arco-flow")
    assert failed.outcome is Outcome.FAILED
    assert failed.text.endswith("run key arithmetic is broken\n  left: 2\n right: 3")
    assert failed.system_err.startswith("captured stderr line\n")


def test_nextest_flaky_and_rerun_failures() -> None:
    run = load("nextest_retries.xml")
    by_name = {r.name: r for r in run.results}
    flaky = by_name["test_sensor_flaky"]
    assert (flaky.outcome, flaky.retries, flaky.flaky) == (Outcome.PASSED, 2, True)
    always = by_name["test_sensor_always_fails"]
    assert (always.outcome, always.retries, always.flaky) == (Outcome.FAILED, 2, False)
    steady = by_name["test_sensor_evaluates"]
    assert (steady.outcome, steady.retries, steady.flaky) == (Outcome.PASSED, 0, False)


def test_libtest_junit_classnames_and_omitted_ignored_tests() -> None:
    run = load("libtest_lib.xml")
    assert run.producer is junit.JunitProducer.LIBTEST
    assert run.suites == (junit.JunitSuite(name="test", tests=8, declared_tests=10),)
    (nested,) = run.find("deep_test")
    assert nested.classname == "orchestration::run_key::tests::nested"
    (fails,) = run.find("test_reserve_run_key_fails")
    assert (fails.outcome, fails.result_type) == (Outcome.FAILED, "assert")
    assert "run key arithmetic is broken" in fails.system_out
    assert {r.classname for r in load("libtest_integration.xml").results} == {"integration"}
    assert [r.outcome for r in load("libtest_bench.xml").results] == [Outcome.BENCH] * 2


def test_libtest_concatenated_documents_are_refused_with_a_hint() -> None:
    assert refusal(DATA / "libtest_concatenated.xml") == (
        f"{DATA / 'libtest_concatenated.xml'}:2:1: not well-formed XML: junk after document "
        "element (more than one XML document: libtest's --format junit writes one per test "
        "binary, so save each binary's output to its own file)"
    )


# -- refusing bad input ---------------------------------------------------------------------

DTD_REFUSAL = (
    "refusing an XML document type declaration (<!DOCTYPE or <!ENTITY) "
    "(JUnit never needs a DTD; entities could expand without bound)"
)


@pytest.mark.parametrize("case", ["malicious_billion_laughs.xml", "malicious_external_entity.xml"])
def test_dtds_are_refused_before_parsing(case: str) -> None:
    assert refusal(DATA / case) == f"{DATA / case}: {DTD_REFUSAL}"


def test_doctype_text_inside_cdata_is_not_a_dtd() -> None:
    (result,) = load("doctype_in_cdata.xml").results
    assert result.system_out.startswith("<!DOCTYPE html><html><!ENTITY not-a-declaration-here>")


@pytest.mark.parametrize(
    "prolog",
    [
        b'<?xml version="1.0"?>\n<!DOCTYPE x>',
        b"\xef\xbb\xbf<!-- <testsuites> --><?pi x?>\n  <!ENTITY e 'x'>",
        b"<!--x--><!-- y --><!doctype x>",
    ],
)
def test_dtd_after_declarations_and_comments(tmp_path: Path, prolog: bytes) -> None:
    path = tmp_path / "r.xml"
    path.write_bytes(prolog + b"<testsuites/>")
    assert refusal(path) == f"{path}: {DTD_REFUSAL}"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_dtd_in_utf16_and_utf32_is_refused(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "wide.xml"
    path.write_bytes('<!DOCTYPE x [<!ENTITY e "e">]><testsuites/>'.encode(codec))
    assert refusal(path) == f"{path}: {DTD_REFUSAL}"


def test_utf16_report_without_dtd_parses(tmp_path: Path) -> None:
    path = tmp_path / "wide.xml"
    xml = '<?xml version="1.0" encoding="UTF-16"?><testsuite name="s"><testcase name="é"/></testsuite>'
    path.write_bytes(xml.encode("utf-16"))
    (result,) = junit.parse_junit(path).results
    assert (result.suite, result.name, result.outcome) == ("s", "é", Outcome.PASSED)


def test_size_cap_is_checked_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.xml"
    with path.open("wb") as f:  # sparse: nothing is written, nothing is read
        f.truncate(junit.DEFAULT_MAX_BYTES + 1)
    assert refusal(path) == (
        f"{path}: JUnit file is larger than the 209715200-byte limit "
        "(raise the JUnit size limit if this report is genuine)"
    )
    small = DATA / "nextest_basic.xml"
    assert refusal(small, max_bytes=100) == (
        f"{small}: JUnit file is larger than the 100-byte limit "
        "(raise the JUnit size limit if this report is genuine)"
    )


@pytest.mark.parametrize(
    ("content", "suffix"),
    [
        (b"", ": JUnit file is empty (the test command probably died before writing it)"),
        (b"  \n\t", ": JUnit file is empty (the test command probably died before writing it)"),
        (
            b"<testsuites><testsuite>",
            ":1:24: not well-formed XML: no element found (the file is truncated or corrupt; "
            "was the test run killed while writing it?)",
        ),
        (
            b"<results><r/></results>",
            ": root element is <results>, expected <testsuites> or <testsuite> (is this a JUnit XML report?)",
        ),
        (
            b"<testsuites>&undefined;</testsuites>",
            ":1:13: not well-formed XML: undefined entity (the file is truncated "
            "or corrupt; was the test run killed while writing it?)",
        ),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path: Path, content: bytes, suffix: str) -> None:
    path = tmp_path / "bad.xml"
    path.write_bytes(content)
    assert refusal(path) == f"{path}{suffix}"


def test_missing_file_and_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nope.xml"
    assert refusal(missing) == f"{missing}: JUnit file not found (did the test command run and write it?)"
    assert refusal(tmp_path).startswith(f"{tmp_path}: cannot read JUnit file: ")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_damaged_files_never_raise_anything_but_input_error(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(["pytest_xunit1.xml", "nextest_retries.xml", "libtest_lib.xml"]))
    raw = bytearray((DATA / name).read_bytes())
    cut = data.draw(st.integers(0, len(raw)))
    del raw[cut:]
    for _ in range(data.draw(st.integers(0, 3))):
        if raw:
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    got = parse_or_error(bytes(raw), name)
    if isinstance(got, InputError):
        assert got.path == name
        assert "\n" not in got.render()
    else:
        assert got.path == name


def parse_or_error(data: bytes, name: str) -> junit.JunitRun | InputError:
    try:
        return junit.parse_junit_bytes(data, name)
    except InputError as exc:
        return exc
