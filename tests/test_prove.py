"""`parity prove` end to end: real cargo and pytest runs of broken copies of examples/arco-mini.

Every cargo build of a new copy costs 5-10 s, so each copy carries several independent mutations
(each in a different row and, where they would interfere, a different command) and is shared by
the tests that read its report (module-scoped fixtures). The baseline copy is only ever edited
inside `edited(...)` blocks that restore it.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from conftest import MATRIX, WORKFLOW, copy_example, line_of, replace_in
from rich.console import Console

from parity.cli import main
from parity.config import load_config
from parity.errors import InputError
from parity.model import Outcome, Severity, Verdict
from parity.prove import ProveOptions, ProveReport, prove
from parity.reporters.json_report import prove_document
from parity.reporters.prove_console import print_prove
from parity.repository import Repository
from parity.results import CommandStatus
from parity.runner import RunRecord, run_command

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.cargo

FLOW = "crates/arco-flow"
FLAKY_ENV = "PARITY_TEST_FLAKY_MARKER"  # file the flaky test creates when it fails
HANG_ENV = "PARITY_TEST_HANG_PIDS"  # file the hanging test writes its pid and its child's pid to
DOWNGRADE = "downgrade to Partial: the charter allows Implemented only with CI-gated proof"
PROMOTE = "promotion candidate: all cited evidence is proven (review before upgrading)"

LIB = "cargo test -p arco-flow --features test-utils --lib"
TESTS = "cargo test -p arco-flow --features test-utils --tests -- --skip parity_m2_"
GATES = "cargo test -p arco-flow --features test-utils --test orchestration_parity_gates_m2"
WORKSPACE = "cargo test --workspace --all-features --exclude arco-flow"
E2E = "cargo test -p arco-flow --features test-utils --test orchestration_e2e -- --ignored"
UNIT = "(cd python/arco && python -m pytest tests/unit -q)"
CLI_TESTS = "(cd python/arco && python -m pytest tests/integration/test_cli_api.py -v)"
PLAN = (WORKSPACE, LIB, TESTS, GATES, UNIT, CLI_TESTS, E2E)  # the example's plan, in order

# Every row of the example's matrix (by the start of its capability) and its verdict on a clean copy.
BASELINE = {
    "Duplicate schedule ticks": "proven",
    "Catchup semantics": "proven",
    "Schedule definitions reject a zero interval": "proven",
    "Push sensor idempotency keys": "proven",
    "Durable sensor cursor": "proven",
    "Strong idempotency": "proven",
    "Conflict detection": "proven",
    "run_key indexing": "proven",
    "Canonical partition key encoding": "proven",
    "Daily and static partition definitions": "proven",
    "Backfill supports range/filter": "proven",  # Partial: a promotion candidate
    "Backfill state transitions": "proven",
    "Backfill create is idempotent": "proven",
    "Backfill pause/resume": "skipped",  # Designed
    "Partition status row": "proven",
    "Staleness reasons": "proven",
    "Read-only staleness report": "proven",  # Partial: a promotion candidate
    "Reconciliation planning": "skipped",  # Planned
    "Trigger run with explicit selection": "proven",
    "CLI surface": "proven",
    "Duplicate/out-of-order delivery": "proven",
    "Controller retries and redelivery": "ungated",  # Partial, cites the scheduled-only e2e job
    "HA / leader election": "skipped",  # Planned
    "IO managers": "skipped",  # Exception
}
E2E_UNGATED = (
    "passed, but job `e2e` does not gate: job `e2e` does not run on push or pull_request "
    "(`if: github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'`)"
)
E2E_TESTS = (
    "crates/arco-flow/tests/orchestration_e2e.rs::e2e_schedule_tick_reserves_one_run_per_tick_across_retries",
    "crates/arco-flow/tests/orchestration_e2e.rs::e2e_push_sensor_redelivery_after_reload_creates_one_run",
)
PYTHON_JOB_ROWS = (
    "Canonical partition key encoding",
    "Daily and static partition definitions",
    "CLI surface",
)

# Two tests for the parity-gates binary: harmless unless a test arms them through the environment.
HARNESS_TESTS = """
#[test]
fn parity_m2_fails_once_when_asked() {
    if let Ok(marker) = std::env::var("PARITY_TEST_FLAKY_MARKER") {
        if !std::path::Path::new(&marker).exists() {
            std::fs::write(&marker, "failed once\\n").unwrap();
            panic!("first run fails (created {marker})");
        }
    }
}

#[test]
fn parity_m2_hangs_when_asked() {
    if let Ok(pids) = std::env::var("PARITY_TEST_HANG_PIDS") {
        let child = std::process::Command::new("sleep").arg("60").spawn().unwrap();
        std::fs::write(&pids, format!("{} {}\\n", std::process::id(), child.id())).unwrap();
        std::thread::sleep(std::time::Duration::from_secs(60));
    }
}
"""
FLAKY_ROW = "Sensor gates survive a flaky first run"
FLAKY_LABEL = "crates/arco-flow/tests/orchestration_parity_gates_m2.rs::parity_m2_fails_once_when_asked"
ZERO_ROW = "Zero interval rejected under a filtered step"


# --- helpers -------------------------------------------------------------------------------------


@contextmanager
def own_target(root: Path) -> Iterator[None]:
    """A cargo target dir private to this copy, for as long as the block runs.

    cargo hashes workspace members by their path *relative to the workspace*, so every copy of the
    example writes the same artifacts of the shared target dir: a build of another copy (another
    test, or another pytest session) in between makes this copy's next run rebuild - and a rebuild
    inside a 5 s timeout is not the hang that test wants to observe. A copy rebuilds on first use
    anyway, so a private target dir costs no extra build.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CARGO_TARGET_DIR", str(root.parent / "cargo-target"))
        yield


def run_prove(root: Path, *, run: Any = run_command, **options: Any) -> ProveReport:
    """Every test here is about really running commands: the result cache has its own tests."""
    options.setdefault("cache", False)
    with own_target(root):
        return prove(Repository(load_config(root)), ProveOptions(**options), run=run)


def prove_cli(root: Path, *args: str) -> int:
    with own_target(root):
        return main(["prove", "--repo", str(root), "--no-cache", *args])


def row_lines(root: Path, needles: dict[str, str]) -> dict[int, str]:
    """{matrix line: verdict} for {capability start: verdict}."""
    matrix = root / MATRIX
    return {line_of(matrix, f"| {needle}"): verdict for needle, verdict in needles.items()}


def verdicts(report: ProveReport) -> dict[int, str]:
    return {row.line: row.verdict.value for row in report.rows}


def row_of(report: ProveReport, root: Path, needle: str) -> Any:
    line = line_of(root / MATRIX, f"| {needle}")
    return next(row for row in report.rows if row.line == line)


def result_of(report: ProveReport, display: str) -> Any:
    invocation = next(i for i in report.plan.invocations if i.display == display)
    return report.results[invocation.key]


def static_errors(report: ProveReport, line: int) -> list[str]:
    return [
        f.message
        for f in report.check.findings
        if f.location.path == MATRIX and f.location.line == line and f.severity is Severity.ERROR
    ]


def add_section(root: Path, title: str, row: str) -> None:
    """Append a `## title` table with one row to the matrix (after every existing row: no line moves)."""
    header = (
        "| Capability | Arco Feature | Status | Proof Level Required | Evidence (Code) | Evidence (Tests) "
    )
    header += "| Evidence (CI) | Owner | Notes |\n|---|---|---|---|---|---|---|---|---|\n"
    with (root / MATRIX).open("a", encoding="utf-8") as matrix:
        matrix.write(f"\n## {title}\n\n{header}{row}\n")


def append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


@contextmanager
def edited(*edits: tuple[Path, str, str]) -> Iterator[None]:
    """Apply `replace_in` edits for the duration of the block, then put the files back byte for byte."""
    saved = {path: path.read_bytes() for path, _, _ in edits}
    try:
        for path, old, new in edits:
            replace_in(path, old, new)
        yield
    finally:
        for path, data in saved.items():
            path.write_bytes(data)


def alive(pid: int) -> bool:
    """A process that exists and is not a zombie (an orphan may stay a zombie if PID 1 never reaps)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def ci_environment() -> Iterator[None]:
    """`python` on PATH is this interpreter (it has pytest, so the setup step is a no-op); hooks disarmed."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
        patch.delenv(FLAKY_ENV, raising=False)
        patch.delenv(HANG_ENV, raising=False)
        yield


@pytest.fixture(scope="module")
def baseline(
    ci_environment: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, int, dict[str, Any]]]:
    """An untouched copy proven through the CLI: (root, exit code, JSON document)."""
    del ci_environment
    root = copy_example(tmp_path_factory.mktemp("baseline"))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = prove_cli(root, "--format", "json")
    yield root, code, json.loads(out.getvalue())
    shutil.rmtree(root.parent / "cargo-target", ignore_errors=True)


@pytest.fixture(scope="module")
def broken(
    ci_environment: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, ProveReport]]:
    """One copy, many independent breakages (one per row), proven once."""
    del ci_environment
    root = copy_example(tmp_path_factory.mktemp("broken"))
    flow = root / FLOW
    # A lib unit test whose assertion now fails (row "Strong idempotency").
    replace_in(
        flow / "src/orchestration/run_key.rs",
        'assert_eq!(existing.run_id, "run-1");',
        'assert_eq!(existing.run_id, "run-2");',
    )
    # `#[ignore]` on the attribute line, so no cited line moves (row "Staleness reasons").
    replace_in(
        flow / "src/orchestration/controllers/partition_status.rs",
        "#[test]\n    fn test_staleness_never_materialized",
        "#[test] #[ignore]\n    fn test_staleness_never_materialized",
    )
    # A test behind a declared but never enabled feature (row "Duplicate schedule ticks").
    replace_in(flow / "Cargo.toml", "test-utils = []\n", "test-utils = []\nnightly = []\n")
    replace_in(
        flow / "src/orchestration/compactor/fold.rs",
        "#[test]\n    fn test_fold_schedule_ticked_idempotent_with_same_tick_id",
        '#[test] #[cfg(feature = "nightly")]\n    fn test_fold_schedule_ticked_idempotent_with_same_tick_id',
    )
    # The integration step now also skips a cited test (row "Partition status row").
    replace_in(
        root / WORKFLOW,
        "-- --skip parity_m2_\n",
        "-- --skip parity_m2_ --skip test_partition_status_row_schema\n",
    )
    # Row "run_key indexing": the cited tests fail / are compiled out, while uncited tests of the
    # same names pass in another module and in another test binary.
    correctness = flow / "tests/orchestration_correctness_tests.rs"
    replace_in(correctness, '("run-1", "fp-a")\n    );', '("run-1", "fp-z")\n    );')
    replace_in(
        correctness,
        "#[test]\nfn test_fold_run_requested_detects_conflict",
        '#[test] #[cfg(feature = "nightly")]\nfn test_fold_run_requested_detects_conflict',
    )
    append(
        correctness,
        "\nmod shadow {\n    #[test]\n    fn test_fold_run_requested_creates_run_key_index() {}\n}\n",
    )
    append(
        flow / "tests/orchestration_schema_tests.rs",
        "\n#[test]\nfn test_fold_run_requested_creates_run_key_index() {}\n"
        "\n#[test]\nfn test_fold_run_requested_detects_conflict_on_fingerprint_mismatch() {}\n",
    )
    # One case of a parametrized pytest test fails (row "Daily and static partition definitions").
    replace_in(
        root / "python/arco/tests/unit/test_types.py",
        "(dt.date(2024, 1, 5), None, dt.date(2024, 1, 4), [])",
        '(dt.date(2024, 1, 5), None, dt.date(2024, 1, 4), ["2024-01-05"])',
    )
    # Opt-in flaky and hanging tests in the parity-gates binary, and a new row citing the flaky one.
    gates = flow / "tests/orchestration_parity_gates_m2.rs"
    append(gates, HARNESS_TESTS)
    flaky_line = line_of(gates, "fn parity_m2_fails_once_when_asked")
    add_section(
        root,
        "Test harness",
        f"| {FLAKY_ROW} | Poll sensor gates | Implemented | integration | "
        "`crates/arco-flow/src/orchestration/controllers/sensor.rs` (min interval policy) | "
        f"`crates/arco-flow/tests/orchestration_parity_gates_m2.rs:{flaky_line}` (`parity_m2_fails_once_when_asked`) | "
        f"`.github/workflows/ci.yml` (job `test`: `{GATES}`) | TBD | fails its first run when asked to |",
    )
    yield root, run_prove(root)
    shutil.rmtree(root.parent / "cargo-target", ignore_errors=True)


@pytest.fixture(scope="module")
def unbuildable(
    ci_environment: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, ProveReport]]:
    """One integration test file does not compile; a new step's name filter matches no test."""
    del ci_environment
    root = copy_example(tmp_path_factory.mktemp("unbuildable"))
    append(
        root / FLOW / "tests/orchestration_sensor_tests.rs", '\nfn broken() -> u32 {\n    "not a number"\n}\n'
    )
    replace_in(
        root / WORKFLOW,
        "\n  python-tests:",
        "\n      - name: arco-flow unit tests (filtered)\n"
        f"        run: {LIB} nothing_matches_this\n\n  python-tests:",
    )
    add_section(
        root,
        "Filters",
        f"| {ZERO_ROW} | `ScheduleSpec` validation | Implemented | unit | "
        "`crates/arco-flow/src/orchestration/controllers/schedule.rs:21` (`ScheduleSpec::every`) | "
        "`crates/arco-flow/src/orchestration/controllers/schedule.rs:131` (`test_schedule_spec_rejects_zero_interval`) | "
        f"`.github/workflows/ci.yml` (job `test`: `{LIB} nothing_matches_this`) | TBD | the filter matches nothing |",
    )
    yield root, run_prove(root)
    shutil.rmtree(root.parent / "cargo-target", ignore_errors=True)


# --- the clean example -----------------------------------------------------------------------------


def test_baseline_proves_every_implemented_row(baseline: tuple[Path, int, dict[str, Any]]) -> None:
    root, code, document = baseline
    assert code == 0
    assert document["interrupted"] is False
    assert {row["line"]: row["verdict"] for row in document["rows"]} == row_lines(root, BASELINE)
    implemented = [row for row in document["rows"] if row["status"] == "Implemented"]
    assert len(implemented) == 17
    assert all(row["verdict"] == "proven" and row["reasons"] == [] for row in implemented)
    summary = document["summary"]
    assert {k: summary[k] for k in ("rows", "claims", "claims_proven", "by_verdict")} == {
        "rows": 24,
        "claims": 17,
        "claims_proven": 17,
        "by_verdict": {"proven": 19, "skipped": 4, "ungated": 1},
    }
    rows = {row["line"]: row for row in document["rows"]}
    e2e = rows[line_of(root / MATRIX, "| Controller retries and redelivery")]
    assert (e2e["status"], e2e["claims_proof"], e2e["suggestion"]) == ("Partial", False, "")
    assert [(t["label"], t["verdict"], t["reason"], t["command"]) for t in e2e["tests"]] == [
        (label, "ungated", E2E_UNGATED, E2E) for label in E2E_TESTS
    ]
    assert e2e["reasons"] == [f"{label}: ungated ({E2E_UNGATED})" for label in E2E_TESTS]
    for needle in ("Backfill supports range/filter", "Read-only staleness report"):
        assert rows[line_of(root / MATRIX, f"| {needle}")]["suggestion"] == PROMOTE
    for needle in ("Backfill pause/resume", "Reconciliation planning", "HA / leader election", "IO managers"):
        row = rows[line_of(root / MATRIX, f"| {needle}")]
        assert (row["verdict"], row["reasons"], row["tests"], row["suggestion"]) == ("skipped", [], [], "")
    # Every distinct command ran once, as the workflow runs it, and executed tests.
    commands = document["commands"]
    assert [(c["status"], c["exit_code"], c["tests_executed"]) for c in commands] == [
        ("ran", 0, 9),
        ("ran", 0, 19),
        ("ran", 0, 34),
        ("ran", 0, 4),
        ("ran", 0, 12),
        ("ran", 0, 2),
        ("ran", 0, 2),
    ]
    assert commands[2]["env"] == {"ARCO_TEST_SEED": "7", "CARGO_TERM_COLOR": "always", "RUST_BACKTRACE": "1"}
    assert all((root / c["log_path"]).is_file() for c in commands)  # relative to the repository
    assert (root / ".parity-cache/.gitignore").read_text(encoding="utf-8").splitlines()[-1] == "*"


def test_dry_run_prints_the_plan_and_runs_nothing(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["prove", "--repo", str(example), "--dry-run"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "parity prove plan: 7 distinct command(s)"
    assert [line.strip().removeprefix("$ ") for line in lines if line.strip().startswith("$ ")] == [
        "(cd python/arco && python -m pip install pytest)",  # the python-tests job's setup
        *PLAN,
    ]
    assert (
        lines[1]
        == f"  setup  job python-tests ({WORKFLOW}:{line_of(example / WORKFLOW, 'run: python -m pip')})"
    )
    assert not (example / ".parity-cache").exists()


def test_static_check_error_found_while_commands_run_stops_the_run(
    baseline: tuple[Path, int, dict[str, Any]],
) -> None:
    """prove plans from the CI cells and checks the rest while the commands run; an error the check
    finds there (here an unreadable CSV sibling) is still unusable input, and no further command starts."""
    root, _, _ = baseline
    calls: list[list[str]] = []

    def run(argv: list[str], **kwargs: Any) -> RunRecord:
        calls.append(list(argv))
        return run_command(argv, **kwargs)

    csv_path = root / "docs/parity/dagster-parity-matrix.csv"
    csv_path.write_bytes(b"Section,Capability\n\xff\n")
    try:
        with pytest.raises(InputError) as caught:
            run_prove(root, run=run)
    finally:
        csv_path.unlink()
    assert caught.value.render() == (
        "docs/parity/dagster-parity-matrix.csv:2: not UTF-8 (byte 0xff) (save it as UTF-8)"
    )
    assert len(calls) < len(PLAN)  # the check takes milliseconds; the first command alone takes longer


# --- broken tests, one row each --------------------------------------------------------------------


def test_broken_copy_row_verdicts(broken: tuple[Path, ProveReport]) -> None:
    root, report = broken
    assert verdicts(report) == row_lines(
        root,
        BASELINE
        | {
            "Duplicate schedule ticks": "not run",
            "Strong idempotency": "failed",
            "run_key indexing": "failed",
            "Daily and static partition definitions": "failed",
            "Partition status row": "not run",
            "Staleness reasons": "not run",
            FLAKY_ROW: "proven",  # its hook is disarmed
        },
    )
    assert report.exit_code == 1
    assert report.interrupted is False
    assert report.disagreements == ()
    claims = [r for r in report.rows if r.claims_proof]
    assert [r.suggestion for r in claims if r.verdict is not Verdict.PROVEN] == [DOWNGRADE] * 6
    assert all(r.suggestion == "" for r in claims if r.verdict is Verdict.PROVEN)


def test_failing_assertion_fails_the_row_with_the_panic(broken: tuple[Path, ProveReport]) -> None:
    root, report = broken
    row = row_of(report, root, "Strong idempotency")
    label = "crates/arco-flow/src/orchestration/run_key.rs::test_reserve_run_key_duplicate_returns_existing"
    reason = "`orchestration::run_key::tests::test_reserve_run_key_duplicate_returns_existing` failed"
    assert (row.verdict, row.reasons, row.suggestion) == (
        Verdict.FAILED,
        (f"{label}: failed ({reason})",),
        DOWNGRADE,
    )
    (test,) = row.tests
    assert (test.label, test.verdict, test.reason, test.command) == (label, Verdict.FAILED, reason, LIB)
    panic_line = line_of(
        root / FLOW / "src/orchestration/run_key.rs", 'assert_eq!(existing.run_id, "run-2");'
    )
    assert (
        f"panicked at crates/arco-flow/src/orchestration/run_key.rs:{panic_line}:9:\n"
        'assertion `left == right` failed\n  left: "run-1"\n right: "run-2"\n'
    ) in test.output
    assert test.log_path == result_of(report, LIB).log_path
    assert report.impacts[label] == (row.line,)


def test_ignored_test_is_not_run(broken: tuple[Path, ProveReport]) -> None:
    root, report = broken
    row = row_of(report, root, "Staleness reasons")
    label = "crates/arco-flow/src/orchestration/controllers/partition_status.rs::test_staleness_never_materialized"
    assert row.verdict is Verdict.NOT_RUN
    assert [(t.label, t.verdict.value, t.reason) for t in row.tests] == [
        (label, "not run", "ignored"),
        (
            "crates/arco-flow/src/orchestration/controllers/partition_status.rs::test_staleness_freshness_and_code_change",
            "proven",
            "",
        ),
    ]
    assert row.reasons == (*static_errors(report, row.line), f"{label}: not run (ignored)")
    assert len(row.reasons) == 2  # check's test-ignored finding, then the run's verdict


def test_step_skip_filter_is_not_run(broken: tuple[Path, ProveReport]) -> None:
    root, report = broken
    row = row_of(report, root, "Partition status row")
    (test,) = row.tests
    assert (test.label, test.verdict, test.reason, test.command) == (
        "crates/arco-flow/tests/orchestration_schema_tests.rs::test_partition_status_row_schema",
        Verdict.NOT_RUN,
        "filtered: the step passes `--skip test_partition_status_row_schema`, "
        "which matches `test_partition_status_row_schema`",
        f"{TESTS} --skip test_partition_status_row_schema",
    )
    assert row.reasons == (*static_errors(report, row.line), f"{test.label}: not run ({test.reason})")


def test_feature_gated_test_is_not_run(broken: tuple[Path, ProveReport]) -> None:
    root, report = broken
    row = row_of(report, root, "Duplicate schedule ticks")
    (test,) = row.tests
    assert (test.verdict, test.reason, test.command) == (
        Verdict.NOT_RUN,
        'feature-gated: `#[cfg(feature = "nightly")]` is false for this step (features of `arco-flow`: '
        "`default`, `test-utils`), so the test is compiled out",
        LIB,
    )
    assert row.reasons == (*static_errors(report, row.line), f"{test.label}: not run ({test.reason})")


def test_same_named_uncited_tests_prove_nothing(broken: tuple[Path, ProveReport]) -> None:
    root, report = broken
    result = result_of(report, f"{TESTS} --skip test_partition_status_row_schema")
    # The decoys really ran and passed: one in another module, two in another test binary.
    decoys = {
        (r.binary.exe_name, r.name): r.outcome
        for r in result.libtest.results
        if r.name.endswith(("test_fold_run_requested_creates_run_key_index", "on_fingerprint_mismatch"))
    }
    assert decoys == {
        ("orchestration_correctness_tests", "test_fold_run_requested_creates_run_key_index"): Outcome.FAILED,
        (
            "orchestration_correctness_tests",
            "shadow::test_fold_run_requested_creates_run_key_index",
        ): Outcome.PASSED,
        ("orchestration_schema_tests", "test_fold_run_requested_creates_run_key_index"): Outcome.PASSED,
        (
            "orchestration_schema_tests",
            "test_fold_run_requested_detects_conflict_on_fingerprint_mismatch",
        ): Outcome.PASSED,
    }
    row = row_of(report, root, "run_key indexing")
    assert row.verdict is Verdict.FAILED
    failed, gated = row.tests
    assert (failed.verdict, failed.reason) == (
        Verdict.FAILED,
        "`test_fold_run_requested_creates_run_key_index` failed",
    )
    assert failed.output.startswith("thread 'test_fold_run_requested_creates_run_key_index' (")
    assert (
        "panicked at crates/arco-flow/tests/orchestration_correctness_tests.rs:13:5:\n"
        'assertion `left == right` failed\n  left: ("run-1", "fp-a")\n right: ("run-1", "fp-z")\n'
    ) in failed.output
    assert (gated.label, gated.verdict) == (
        "crates/arco-flow/tests/orchestration_correctness_tests.rs::test_fold_run_requested_detects_conflict_on_fingerprint_mismatch",
        Verdict.NOT_RUN,
    )
    assert gated.reason.startswith('feature-gated: `#[cfg(feature = "nightly")]` is false for this step')


def test_one_failing_parametrized_case_fails_the_row(broken: tuple[Path, ProveReport]) -> None:
    root, report = broken
    row = row_of(report, root, "Daily and static partition definitions")
    failed, passed = row.tests
    case = "python/arco/tests/unit/test_types.py::test_daily_partition_keys[before-start]"
    assert (failed.label, failed.verdict, failed.reason, failed.command) == (
        "python/arco/tests/unit/test_types.py::test_daily_partition_keys",
        Verdict.FAILED,
        f"`{case}` failed",
        UNIT,
    )
    assert "E       AssertionError: assert [] == ['2024-01-05']\n" in failed.output
    assert failed.output.rstrip().endswith("tests/unit/test_types.py:51: AssertionError")
    assert (passed.label, passed.verdict) == (
        "python/arco/tests/unit/test_types.py::test_static_partitions_reject_duplicates",
        Verdict.PROVEN,
    )
    cases = {
        r.name: r.outcome for r in result_of(report, UNIT).junit.results if "daily_partition_keys" in r.name
    }
    assert cases == {
        "test_daily_partition_keys[open-ended]": Outcome.PASSED,
        "test_daily_partition_keys[bounded-by-end]": Outcome.PASSED,
        "test_daily_partition_keys[before-start]": Outcome.FAILED,
    }
    # The Rust half of the shared unit-test command's other row is unaffected.
    assert row_of(report, root, "Canonical partition key encoding").verdict is Verdict.PROVEN


def test_retry_that_passes_is_flaky_not_signoff(
    broken: tuple[Path, ProveReport],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root, _ = broken
    marker = tmp_path / "flaky-marker"  # in the system temp dir, private to this test
    monkeypatch.setenv(FLAKY_ENV, str(marker))
    code = prove_cli(root, "--row", FLAKY_ROW, "--retries", "1", "--format", "json")
    document = json.loads(capsys.readouterr().out)
    assert code == 0  # flaky is proof locally
    assert marker.read_text(encoding="utf-8") == "failed once\n"
    (row,) = document["rows"]
    assert (row["verdict"], row["reasons"], row["suggestion"]) == ("flaky", [], "")
    assert [(t["label"], t["verdict"], t["reason"]) for t in row["tests"]] == [
        (FLAKY_LABEL, "flaky", "passed only on a retry")
    ]
    (command,) = document["commands"]
    assert (command["exit_code"], command["flaky"]) == (101, ["parity_m2_fails_once_when_asked"])
    assert (root / command["log_path"]).with_suffix(".retry1.log").is_file()

    marker.unlink()
    report = run_prove(root, rows=(FLAKY_ROW,), retries=1, for_signoff=True)
    (row,) = report.rows
    assert row.verdict is Verdict.FLAKY
    assert row.reasons == (f"{FLAKY_LABEL}: flaky (passed only on a retry)",)
    assert row.suggestion == DOWNGRADE
    assert report.exit_code == 1
    assert prove_document(report)["summary"]["claims_proven"] == 0


def test_timeout_kills_the_whole_process_group(
    broken: tuple[Path, ProveReport], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root, _ = broken
    pids = tmp_path / "hang-pids"
    monkeypatch.setenv(HANG_ENV, str(pids))
    started = time.monotonic()
    report = run_prove(root, rows=(FLAKY_ROW,), timeout=5)
    assert time.monotonic() - started < 20  # not the test's 60 s sleep
    result = result_of(report, GATES)
    assert 5 <= result.duration < 10
    reason = f"timed out after {result.duration:.0f}s; its whole process group was killed (raise --timeout)"
    assert (result.status, result.exit_code, result.error) == (CommandStatus.ERROR, None, reason)
    (row,) = report.rows
    assert (row.verdict, row.reasons) == (Verdict.ERROR, (f"{FLAKY_LABEL}: error ({reason})",))
    assert report.exit_code == 1
    # The test binary and the `sleep` it spawned (same process group, not cargo's child) are gone.
    test_pid, sleep_pid = map(int, pids.read_text(encoding="utf-8").split())
    assert (alive(test_pid), alive(sleep_pid)) == (False, False)


# --- a build failure and a filter that matches nothing ------------------------------------------------


def test_compile_error_stops_only_its_command(unbuildable: tuple[Path, ProveReport]) -> None:
    root, report = unbuildable
    not_built = (
        "Catchup semantics",
        "Push sensor idempotency keys",
        "run_key indexing",
        "Backfill state transitions",
        "Partition status row",
        "Duplicate/out-of-order delivery",
    )
    assert verdicts(report) == row_lines(
        root, BASELINE | dict.fromkeys(not_built, "not run") | {ZERO_ROW: "not run"}
    )
    reason = 'build failed: could not compile `arco-flow` (test "orchestration_sensor_tests")'
    for needle in not_built:
        row = row_of(report, root, needle)
        assert {(t.verdict, t.reason, t.command) for t in row.tests} == {(Verdict.NOT_RUN, reason, TESTS)}
        assert row.reasons == tuple(f"{t.label}: not run ({reason})" for t in row.tests)
        assert row.suggestion == DOWNGRADE
    result = result_of(report, TESTS)
    assert (result.status, result.exit_code, result.executed) == (CommandStatus.RAN, 101, 0)
    # The parity-gates `--test` step, the lib step, arco-api and the Python rows all still prove.
    for display in (WORKSPACE, LIB, GATES, UNIT, CLI_TESTS):
        assert result_of(report, display).exit_code == 0
    assert report.exit_code == 1


def test_zero_tests_executed_is_not_proof(unbuildable: tuple[Path, ProveReport]) -> None:
    root, report = unbuildable
    result = result_of(report, f"{LIB} nothing_matches_this")
    assert (result.status, result.exit_code, result.executed) == (CommandStatus.RAN, 0, 0)
    row = row_of(report, root, ZERO_ROW)
    (test,) = row.tests
    assert (test.verdict, test.reason) == (
        Verdict.NOT_RUN,
        "filtered: the name filter `nothing_matches_this` is not a substring of "
        "`orchestration::controllers::schedule::tests::test_schedule_spec_rejects_zero_interval`",
    )
    assert (row.verdict, row.suggestion) == (Verdict.NOT_RUN, DOWNGRADE)
    # The same test, cited under the unfiltered step, still proves that row and only that row.
    assert row_of(report, root, "Schedule definitions reject a zero interval").verdict is Verdict.PROVEN
    assert report.impacts[test.label] == (row.line,)


# --- interruption and setup, on the (restored) baseline copy ------------------------------------------


def test_ctrl_c_reports_interrupted(baseline: tuple[Path, int, dict[str, Any]]) -> None:
    root, _, _ = baseline
    calls: list[list[str]] = []

    def run(argv: list[str], **kwargs: Any) -> RunRecord:
        """The real runner; Ctrl-C arrives with the first output line of the 2nd command."""
        calls.append(list(argv))
        if len(calls) == 2:

            def on_line(line: str) -> None:
                raise KeyboardInterrupt

            kwargs["on_line"] = on_line
        return run_command(argv, **kwargs)

    report = run_prove(root, run=run)
    assert (report.interrupted, report.exit_code) == (True, 130)
    assert prove_document(report)["interrupted"] is True
    assert len(calls) == 2  # nothing started after the interrupt
    states = [(report.results[i.key].status, report.results[i.key].error) for i in report.plan.invocations]
    assert states == [
        (CommandStatus.RAN, ""),
        (CommandStatus.INTERRUPTED, "interrupted (Ctrl-C)"),
        *[(CommandStatus.INTERRUPTED, "interrupted before it ran")] * 5,
    ]
    stopped = result_of(report, LIB)
    assert Path(stopped.log_path) == root / ".parity-cache/logs" / f"{stopped.key}.log"
    assert Path(stopped.log_path).read_text(encoding="utf-8").strip()  # its partial output is kept
    assert report.setup_results == {}  # the python-tests job's setup never started
    only_first = (
        "Backfill supports range/filter",
        "Backfill create is idempotent",
        "Trigger run with explicit",
    )
    interrupted = {
        needle: verdict if verdict == "skipped" or needle.startswith(only_first) else "error"
        for needle, verdict in BASELINE.items()
    }
    assert verdicts(report) == row_lines(root, interrupted)
    row = row_of(report, root, "Conflict detection")  # arco-api proven, the lib half interrupted
    assert [(t.verdict, t.reason) for t in row.tests] == [
        (Verdict.ERROR, "interrupted (Ctrl-C)"),
        (Verdict.PROVEN, ""),
    ]


def test_failing_setup_errors_every_row_of_its_job(
    baseline: tuple[Path, int, dict[str, Any]], tmp_path: Path
) -> None:
    root, _, _ = baseline
    workflow_edit = (
        root / WORKFLOW,
        "        run: python -m pip install pytest\n\n      - name: Unit tests",
        "        run: python -m pip install pytest\n\n      - name: Check the environment\n"
        "        working-directory: python/arco\n"
        '        run: python -c "raise SystemExit(3)"\n\n      - name: Unit tests',
    )
    config_edit = (
        root / "parity.toml",
        'setup = ["python -m pip install pytest"]',
        """setup = ["python -m pip install pytest", 'python -c "raise SystemExit(3)"']""",
    )
    logs = tmp_path / "logs"
    with edited(workflow_edit, config_edit):
        report = run_prove(root, rows=PYTHON_JOB_ROWS, log_dir=logs)
    install, failing = report.plan.setups["python-tests"]
    assert failing.display == "(cd python/arco && python -c 'raise SystemExit(3)')"
    setup = report.setup_results["python-tests"]
    assert (setup.key, setup.exit_code) == (failing.key, 3)
    assert (logs / f"setup-{install.key}.log").is_file()
    failure = f"`{failing.display}` exited 3 (log: {logs / f'setup-{failing.key}.log'})"
    reason = f"setup of job `python-tests` failed: {failure}"
    assert verdicts(report) == row_lines(root, dict.fromkeys(PYTHON_JOB_ROWS, "error"))
    python_tests = [t for row in report.rows for t in row.tests if t.label.startswith("python/")]
    assert len(python_tests) == 4
    assert {(t.verdict, t.reason) for t in python_tests} == {(Verdict.ERROR, reason)}
    rust = [t for row in report.rows for t in row.tests if not t.label.startswith("python/")]
    assert [(t.label, t.verdict) for t in rust] == [
        (
            "crates/arco-api/src/routes/orchestration.rs::test_build_task_defs_canonical_partition_key",
            Verdict.PROVEN,
        )
    ]
    for display in (UNIT, CLI_TESTS):  # the job's tests did not run after its setup failed
        result = result_of(report, display)
        assert (result.status, result.error) == (CommandStatus.ERROR, reason)
        assert not (logs / f"{result.key}.log").exists()
    assert report.exit_code == 1


def test_setup_that_is_not_a_workflow_command(
    baseline: tuple[Path, int, dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root, _, _ = baseline
    entry = "python -m pip install -r requirements-test.txt"
    problem = f"setup command `{entry}` is not a `run:` command of job `python-tests`"
    logs = tmp_path / "logs"
    with edited((root / "parity.toml", 'setup = ["python -m pip install pytest"]', f'setup = ["{entry}"]')):
        assert prove_cli(root, "--dry-run") == 0
        plan_lines = capsys.readouterr().out.splitlines()
        report = run_prove(root, rows=("Daily and static partition definitions", "CLI surface"), log_dir=logs)
    assert f"  setup for job python-tests is unusable: {problem}" in plan_lines
    assert not any(line.startswith("  setup  job") for line in plan_lines)
    assert report.plan.setup_errors == {"python-tests": problem}
    assert report.setup_results == {}
    assert [r.verdict for r in report.rows] == [Verdict.ERROR, Verdict.ERROR]
    assert {(t.verdict, t.reason) for row in report.rows for t in row.tests} == {
        (Verdict.ERROR, f"setup of job `python-tests` failed: {problem}")
    }
    for display in (UNIT, CLI_TESTS):  # nothing ran without its setup
        result = result_of(report, display)
        assert (result.status, result.error) == (
            CommandStatus.ERROR,
            f"setup of job `python-tests` is unusable: {problem}",
        )
    assert sorted(p.name for p in logs.iterdir()) == []


def test_console_report_of_broken_copy(broken: tuple[Path, ProveReport]) -> None:
    _, report = broken
    out = io.StringIO()
    print_prove(Console(file=out, width=100, highlight=False), prove_document(report), "arco-mini")
    lines = out.getvalue().splitlines()
    case = "python/arco/tests/unit/test_types.py::test_daily_partition_keys"
    for expected in (
        "  failed    :49   Daily and static partition definitions enumerate keys deterministically  (Implemented)",
        # `[before-start]` looks like rich markup: it must come out verbatim.
        f"                - {case}: failed (`{case}[before-start]` failed)",
        f"                -> {DOWNGRADE}",
        f"--- crates/arco-flow/src/orchestration/run_key.rs::test_reserve_run_key_duplicate_returns_existing (under `{LIB}`) ---",
        f"  {case}: matrix line(s) 49",
    ):
        assert expected in lines
    lib_line = lines[lines.index("commands") + 2]  # the 2nd command: duration varies, the rest does not
    assert re.fullmatch(rf"  exit 101       17 tests +\d+\.\ds  {re.escape(LIB)}", lib_line), lib_line
    assert lines[-1].startswith(
        "12/18 Implemented rows proven; 14 of 25 rows proven overall; 7 command(s) in "
    )
    assert lines.count("  proven    :99   Sensor gates survive a flaky first run  (Implemented)") == 1
