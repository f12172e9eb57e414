"""Golden and focused tests for the streaming `cargo test` log parser (parity.libtest)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parity import libtest, libtest_lines
from parity.libtest_results import AnomalyKind, BinaryKind, TestMode
from parity.model import Location, Outcome

DATA = Path(__file__).parent / "data" / "libtest"
CASES = sorted(p.stem for p in DATA.glob("*.log"))
UPDATE = os.environ.get("PARITY_UPDATE_GOLDENS") == "1"


def read(case: str) -> str:
    return (DATA / f"{case}.log").read_text(encoding="utf-8")


def parse(case: str) -> libtest.LibtestRun:
    with (DATA / f"{case}.log").open(encoding="utf-8", newline="") as f:
        return libtest.parse_libtest_lines(f)


def parse_text(text: str) -> libtest.LibtestRun:
    parser = libtest.LibtestParser()
    parser.feed(text)
    return parser.finish()


def binary(run: libtest.LibtestRun, text: str) -> libtest.Binary:
    (found,) = [s.binary for s in run.binaries if str(s.binary) == text]
    return found


def test_cases_exist() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    run = parse(case)
    got = run.to_dict()
    expected = DATA / f"{case}.expected.json"
    if UPDATE:
        expected.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert expected.exists(), f"no golden for {case}: run with PARITY_UPDATE_GOLDENS=1"
    assert got == json.loads(expected.read_text(encoding="utf-8"))
    assert libtest.LibtestRun.from_dict(got) == run


# -- what a real run says -------------------------------------------------------------------


def test_full_run_binaries_as_cargo_names_them() -> None:
    run = parse("full_run")
    assert [(str(s.binary), s.binary.exe_path, s.binary.log_line) for s in run.binaries] == [
        ("unittests src/lib.rs (arco_flow)", "target/debug/deps/arco_flow-68c5d8a316c8795e", 2),
        ("unittests src/main.rs (arco_flow)", "target/debug/deps/arco_flow-2e3a7a5839b3c38e", 37),
        (
            "test tests/orchestration_schema_tests.rs (orchestration_schema_tests)",
            "target/debug/deps/orchestration_schema_tests-8fb22383a319bb6d",
            44,
        ),
        (
            "test tests/orchestration_sensor_tests.rs (orchestration_sensor_tests)",
            "target/debug/deps/orchestration_sensor_tests-44c4117999a12c95",
            52,
        ),
        ("Doc-tests arco_flow", "", 84),
    ]
    assert [(s.passed, s.failed, s.ignored, s.complete) for s in run.binaries] == [
        (6, 2, 2, True),
        (1, 0, 0, True),
        (2, 0, 0, True),
        (3, 2, 0, True),
        (5, 1, 1, True),
    ]
    assert run.failed_targets == (
        "-p arco-flow --lib",
        "-p arco-flow --test orchestration_sensor_tests",
        "-p arco-flow --doc",
    )
    assert run.all_anomalies() == ()


def test_failing_test_keeps_its_panic_message() -> None:
    run = parse("full_run")
    lib = binary(run, "unittests src/lib.rs (arco_flow)")
    (result,) = run.find("orchestration::run_key::tests::test_reserve_run_key_fails", binary=lib)
    assert result.outcome is Outcome.FAILED
    assert result.log_line == 11
    assert result.output.splitlines()[:2] == ["captured stdout line", "captured stderr line"]
    assert (
        "panicked at arco-flow/src/orchestration/run_key.rs:47:9:\n"
        "assertion `left == right` failed: run key arithmetic is broken\n  left: 2\n right: 3"
    ) in result.output
    assert not result.output_truncated


def test_same_name_in_another_binary_never_counts() -> None:
    run = parse("full_run")
    schema = binary(run, "test tests/orchestration_schema_tests.rs (orchestration_schema_tests)")
    lib = binary(run, "unittests src/lib.rs (arco_flow)")
    assert [(str(r.binary), r.outcome) for r in run.find("test_reserve_run_key")] == [
        (str(schema), Outcome.PASSED)
    ]
    assert run.find("test_reserve_run_key", binary=lib) == ()
    (unit,) = run.find("orchestration::run_key::tests::test_reserve_run_key", binary=lib)
    assert unit.outcome is Outcome.PASSED


def test_modes_and_ignore_reasons() -> None:
    run = parse("full_run")
    got = {(r.name, r.mode, r.ignore_reason, r.outcome) for r in run.results if r.mode.value}
    assert got == {
        (
            "orchestration::run_key::tests::test_panics_with_boom",
            TestMode.SHOULD_PANIC,
            None,
            Outcome.PASSED,
        ),
        (
            "orchestration::run_key::tests::test_should_panic_but_does_not",
            TestMode.SHOULD_PANIC,
            None,
            Outcome.FAILED,
        ),
        ("test_sensor_wrong_panic_message", TestMode.SHOULD_PANIC, None, Outcome.FAILED),
        ("arco-flow/src/lib.rs - add_one (line 11)", TestMode.COMPILE_FAIL, None, Outcome.PASSED),
        ("arco-flow/src/lib.rs - add_one (line 19)", TestMode.NO_RUN, None, Outcome.PASSED),
    }
    (db,) = run.find("orchestration::run_key::tests::test_reserve_run_key_db")
    assert (db.outcome, db.ignore_reason) == (Outcome.IGNORED, "needs a database")
    (plain,) = run.find("orchestration::run_key::tests::test_plain_ignored")
    assert (plain.outcome, plain.ignore_reason) == (Outcome.IGNORED, None)
    assert db.should_panic is False
    assert run.find("orchestration::run_key::tests::test_panics_with_boom")[0].should_panic


def test_ansi_coloured_log_parses_like_the_plain_one() -> None:
    raw = read("color")
    assert "\x1b[32mok\x1b(B\x1b[m" in raw
    assert "\x1b[1m\x1b[92m     Running\x1b[0m" in raw
    plain = re.sub(r"\x1b\[[0-9;]*m|\x1b\(B", "", raw)
    assert "\x1b" not in plain
    assert parse_text(raw) == parse_text(plain)
    assert len(parse_text(raw).results) == 25


def test_crlf_parses_like_lf() -> None:
    text = read("nocapture_serial")
    assert parse_text(text.replace("\n", "\r\n")) == parse_text(text)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_any_chunking_gives_the_same_run(data: st.DataObject) -> None:
    case = data.draw(st.sampled_from(["nocapture_serial", "interleaved_handwritten", "terse"]))
    text = read(case)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=30)))
    parser = libtest.LibtestParser()
    for start, end in zip([0, *cuts], [*cuts, len(text)], strict=True):
        parser.feed(text[start:end])
    assert parser.finish() == parse(case)


def test_summary_count_mismatch_is_an_anomaly() -> None:
    run = parse("count_mismatch")
    (summary,) = run.binaries
    assert (summary.passed, summary.ignored, summary.complete) == (7, 1, True)
    assert [(a.kind, a.log_line, a.message) for a in summary.anomalies] == [
        (
            AnomalyKind.COUNT_MISMATCH,
            34,
            "unittests src/lib.rs (arco_flow): parsed 6 passed, 2 failed, 2 ignored, 0 measured "
            "but `test result:` says 7 passed, 2 failed, 1 ignored, 0 measured",
        )
    ]


def test_log_cut_mid_line_keeps_earlier_results() -> None:
    run = parse("truncated_mid_results")
    assert [s.complete for s in run.binaries] == [True, True, True, False]
    sensor = run.binaries[3]
    assert [(r.name, r.outcome) for r in run.results_for(sensor.binary)] == [
        ("test_sensor_aborts_when_asked", Outcome.PASSED),
        ("test_sensor_evaluates", Outcome.PASSED),
        ("test_sensor_fails", Outcome.FAILED),
    ]
    assert [(a.kind, a.log_line) for a in sensor.anomalies] == [(AnomalyKind.INCOMPLETE, 58)]
    assert run.lines == 58
    assert len(run.results) == 16


def test_log_cut_inside_failures_block_keeps_partial_output() -> None:
    run = parse("truncated_mid_failures")
    (summary,) = run.binaries
    assert summary.complete is False
    assert summary.running == 10
    (result,) = run.find("orchestration::run_key::tests::test_should_panic_but_does_not")
    assert (result.outcome, result.output) == (Outcome.FAILED, "note: test did not pan")


def test_killed_binary_is_incomplete_with_exit_status() -> None:
    run = parse("abort")
    (summary,) = run.binaries
    assert summary.complete is False
    assert summary.exit_status == "signal: 6, SIGABRT: process abort signal"
    assert summary.rerun == "-p arco-flow --test orchestration_sensor_tests"
    assert run.find("test_sensor_aborts_when_asked") == ()
    assert len(run.results) == 4


def test_compile_errors_name_crate_target_and_location() -> None:
    run = parse("workspace_compile_error")
    assert run.binaries == ()
    assert [
        (c.crate, c.target, [(d.code, d.message, d.location) for d in c.diagnostics], c.log_line)
        for c in run.compile_errors
    ] == [
        (
            "broken",
            "lib test",
            [
                (
                    "E0425",
                    "cannot find value `missing_value` in this scope",
                    Location(path="broken/src/lib.rs", line=9),
                )
            ],
            10,
        ),
        (
            "broken",
            'test "broken_tests"',
            [("E0308", "mismatched types", Location(path="broken/tests/broken_tests.rs", line=3))],
            21,
        ),
    ]
    assert run.errors == ()


def test_doctest_compile_error_is_a_failed_doctest_not_a_build_error() -> None:
    run = parse("doctests_2024")
    assert run.compile_errors == ()
    (result,) = run.find("arco-core/src/lib.rs - halve (line 18)")
    assert result.outcome is Outcome.FAILED
    assert result.binary.kind is BinaryKind.DOCTEST
    assert result.output.startswith("error[E0425]: cannot find value `undefined_name`")
    assert result.output.endswith("Couldn't compile the test.")


def test_merged_doctests_are_one_binary_with_two_sections() -> None:
    run = parse("doctests_2024_merged")
    (summary,) = run.binaries
    assert (summary.running, summary.passed, summary.complete) == (5, 5, True)
    (standalone,) = run.find("arco-core/src/lib.rs - double (line 13)")
    assert (standalone.mode, standalone.log_line) == (TestMode.COMPILE_FAIL, 15)


@pytest.mark.parametrize(
    ("case", "toolchain"),
    [
        ("toolchain_missing", "1.88-x86_64-unknown-linux-gnu"),
        ("toolchain_override", "1.88.0-x86_64-unknown-linux-gnu"),
    ],
)
def test_rustup_toolchain_errors(case: str, toolchain: str) -> None:
    run = parse(case)
    assert run.toolchain_error is not None
    assert (run.toolchain_error.toolchain, run.toolchain_error.log_line) == (toolchain, 1)
    assert run.binaries == ()
    assert run.errors == ()


@pytest.mark.parametrize(
    ("line", "toolchain"),
    [
        ("error: override toolchain '1.88' is not installed", "1.88"),
        (
            "error: 'cargo' is not installed for the toolchain 'nightly-x86_64-unknown-linux-gnu'",
            "nightly-x86_64-unknown-linux-gnu",
        ),
        (
            "error: toolchain 'stable-x86_64-pc-windows-msvc' is not installable",
            "stable-x86_64-pc-windows-msvc",
        ),
        ("error: rustup could not choose a version of cargo to run, because one wasn't", ""),
        ("error: could not compile `x` (lib)", None),
    ],
)
def test_toolchain_wordings(line: str, toolchain: str | None) -> None:
    assert libtest_lines.match_toolchain_error(line) == toolchain


def test_terse_output_names_only_failures() -> None:
    run = parse("terse")
    assert [s.binary.kind for s in run.binaries] == [BinaryKind.UNKNOWN] * 4
    assert [(s.passed, s.failed, s.terse) for s in run.binaries] == [
        (6, 2, True),
        (1, 0, True),
        (2, 0, True),
        (3, 2, True),
    ]
    assert {r.outcome for r in run.results} == {Outcome.FAILED}
    assert [a.kind for a in run.all_anomalies()] == [AnomalyKind.TERSE] * 4


def test_bench_lines() -> None:
    run = parse("bench")
    benches = [(r.name, r.outcome, r.bench) for r in run.results if r.outcome is Outcome.BENCH]
    assert benches == [
        ("bench_sum_a_much_longer_name", Outcome.BENCH, "1.66 ns/iter (+/- 0.23)"),
        ("bench_sum_small", Outcome.BENCH, "2.01 ns/iter (+/- 0.64)"),
    ]
    (ignored,) = run.find("bench_ignored")
    assert ignored.ignore_reason == "too slow"
    assert run.binaries[1].binary.kind is BinaryKind.BENCH
    assert run.binaries[1].measured == 2


def test_nocapture_serial_output_between_start_and_outcome() -> None:
    run = parse("nocapture_serial")
    (fails,) = run.find("orchestration::run_key::tests::test_reserve_run_key_fails")
    assert fails.outcome is Outcome.FAILED
    assert fails.output.startswith("captured stdout line\ncaptured stderr line\n\nthread '")
    (glued,) = run.find("orchestration::run_key::tests::test_prints_without_newline")
    assert (glued.outcome, glued.output) == (Outcome.PASSED, "partial output without newlineok")
    assert [(a.kind, a.log_line) for a in run.all_anomalies()] == [(AnomalyKind.INFERRED_OUTCOME, 15)]


def test_nocapture_parallel_panic_text_becomes_output() -> None:
    run = parse("nocapture")
    (fails,) = run.find("orchestration::run_key::tests::test_reserve_run_key_fails")
    assert fails.output == (
        "thread 'orchestration::run_key::tests::test_reserve_run_key_fails' (6853) panicked at "
        "arco-flow/src/orchestration/run_key.rs:47:9:\n"
        "assertion `left == right` failed: run key arithmetic is broken\n  left: 2\n right: 3"
    )
    (glued,) = run.find("orchestration::run_key::tests::test_prints_without_newline")
    assert (glued.outcome, glued.log_line) == (Outcome.PASSED, 10)
    assert run.all_anomalies() == ()


def test_interleaving_inferences() -> None:
    run = parse("interleaved_handwritten")
    assert [(r.name, r.outcome, r.output) for r in run.results] == [
        ("a::glued_before", Outcome.PASSED, "hello"),
        ("a::glued_prefix", Outcome.PASSED, "okhello"),
        ("a::timed", Outcome.PASSED, ""),
        ("a::prints_then_next_starts", Outcome.PASSED, "some text"),
        ("a::unknown_but_counted", Outcome.PASSED, "still printing"),
        (
            "a::listed_unresolved",
            Outcome.FAILED,
            "line one\nfailures:\n    not the list: the test printed the two lines above\nline three",
        ),
        ("b::after_unterminated_print", Outcome.PASSED, ""),
    ]
    assert [a.kind for a in run.all_anomalies()] == [AnomalyKind.INFERRED_OUTCOME] * 3


def test_result_line_contradicted_by_failures_list() -> None:
    log = (
        "\nrunning 2 tests\ntest a ... ok\ntest b ... ok\n\nfailures:\n\nfailures:\n    a\n\n"
        "test result: FAILED. 1 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out\n"
    )
    run = parse_text(log)
    assert [(r.name, r.outcome) for r in run.results] == [
        ("a", Outcome.FAILED),
        ("b", Outcome.PASSED),
    ]
    assert [(a.kind, a.message) for a in run.all_anomalies()] == [
        (AnomalyKind.OUTCOME_CONFLICT, "`a` reported passed at line 3 but listed under `failures:`")
    ]


def test_unresolved_tests_that_the_counts_cannot_settle() -> None:
    log = (
        "\nrunning 3 tests\ntest a ... text\ntest b ... more\ntest c ... ok\n\n"
        "test result: ok. 2 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out\n"
    )
    run = parse_text(log)
    assert [r.name for r in run.results] == ["c"]
    assert [(a.kind, a.log_line, a.message) for a in run.all_anomalies()] == [
        (AnomalyKind.UNRESOLVED, 3, "`a` started but no outcome was seen"),
        (AnomalyKind.UNRESOLVED, 4, "`b` started but no outcome was seen"),
        (
            AnomalyKind.COUNT_MISMATCH,
            7,
            "test binary at log line 2: parsed 1 passed, 0 failed, 0 ignored, 0 measured "
            "but `test result:` says 2 passed, 0 failed, 1 ignored, 0 measured",
        ),
    ]


def test_duplicate_result_is_flagged() -> None:
    run = parse_text("running 1 test\ntest a ... ok\ntest a ... ok\n")
    assert len(run.find("a")) == 2
    assert [a.kind for a in run.all_anomalies()] == [
        AnomalyKind.DUPLICATE,
        AnomalyKind.INCOMPLETE,
    ]


def test_output_is_capped() -> None:
    big = "x" * 5000
    log = (
        "running 1 test\ntest a ... FAILED\n\nfailures:\n\n---- a stdout ----\n"
        + f"{big}\n" * 3
        + "\nfailures:\n    a\n\n"
        "test result: FAILED. 0 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out\n"
    )
    parser = libtest.LibtestParser(output_cap=8000)
    parser.feed(log)
    (result,) = parser.finish().results
    assert result.output_truncated is True
    assert result.output == f"{big}\n{'x' * 2999}"


def test_other_cargo_errors_are_kept() -> None:
    run = parse_text("error: package ID specification `nope` did not match any packages\n")
    assert [(e.code, e.message, e.log_line) for e in run.errors] == [
        (None, "package ID specification `nope` did not match any packages", 1)
    ]


def test_finish_is_final() -> None:
    parser = libtest.LibtestParser()
    parser.feed("running 0 tests\n")
    first = parser.finish()
    assert parser.finish() is first
    with pytest.raises(RuntimeError, match="after finish"):
        parser.feed("more\n")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "     Running unittests src/lib.rs (target/debug/deps/arco_flow-1a2b3c4d5e6f7a8b)",
            (BinaryKind.UNITTESTS, "src/lib.rs", "arco_flow"),
        ),
        (
            "     Running unittests src/bin/arco-cli.rs (target/debug/deps/arco_cli-0123456789abcdef)",
            (BinaryKind.UNITTESTS, "src/bin/arco-cli.rs", "arco_cli"),
        ),
        (
            "     Running tests/orchestration_sensor_tests.rs (target/debug/deps/orchestration_sensor_tests-9f8e7d6c5b4a3921)",
            (BinaryKind.TEST, "tests/orchestration_sensor_tests.rs", "orchestration_sensor_tests"),
        ),
        (
            "     Running benches/x.rs (target/release/deps/x-0123456789abcdef)",
            (BinaryKind.BENCH, "benches/x.rs", "x"),
        ),
        (
            r"     Running tests\it.rs (target\debug\deps\it-0123456789abcdef.exe)",
            (BinaryKind.TEST, r"tests\it.rs", "it"),
        ),
        (
            "     Running target/debug/deps/legacy-0123456789abcdef",
            (BinaryKind.UNKNOWN, "", "legacy"),
        ),
        ("   Doc-tests arco_flow", (BinaryKind.DOCTEST, "", "arco_flow")),
        ("Running tests for foo", None),
    ],
)
def test_headers(line: str, expected: tuple[BinaryKind, str, str] | None) -> None:
    header = libtest_lines.match_header(line)
    assert (header and (header.kind, header.src_path, header.exe_name)) == expected
