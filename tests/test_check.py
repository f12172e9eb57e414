"""`parity check` through the CLI against broken copies of the example: the exact findings and exit codes."""

from __future__ import annotations

import csv
import gc
import io
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from conftest import MATRIX, WORKFLOW, line_of, replace_in

from parity.cli import main, run
from parity.config import Columns
from parity.csvsibling import render_csv
from parity.matrix import read_matrix

if TYPE_CHECKING:
    from collections.abc import Callable

# A verbatim copy of the real-world matrix in seed 004 (/work/shared/seeds/004_8bcfec5afc2e5a0d.txt).
SEED_004 = Path(__file__).parent / "data" / "check" / "seed-004-matrix.md"
RUN_KEY = "crates/arco-flow/src/orchestration/run_key.rs"
CORRECTNESS = "crates/arco-flow/tests/orchestration_correctness_tests.rs"
LIB_CMD = "cargo test -p arco-flow --features test-utils --lib"
TESTS_CMD = "cargo test -p arco-flow --features test-utils --tests"
M2_CMD = "cargo test -p arco-flow --features test-utils --test orchestration_parity_gates_m2"
API_CMD = "cargo test --workspace --all-features --exclude arco-flow"

# The rows the tests break: (section, capability), as the matrix writes them.
STRONG_IDEMPOTENCY = (
    "run_key / run identity",
    "Strong idempotency: duplicate `run_key` returns existing run (reservation blob)",
)
CONFLICT_DETECTION = (
    "run_key / run identity",
    "Conflict detection: same `run_key` + different trigger payload is detected",
)
RUN_KEY_INDEXING = ("run_key / run identity", "run_key indexing + conflict recording in projections")
DURABLE_CURSOR = ("Sensors", "Durable sensor cursor + minimum evaluation interval")
BACKFILL_CREATE = ("Backfills", "Backfill create is idempotent on `Idempotency-Key` header")
IO_MANAGERS = ("Exceptions", "IO managers (pluggable load/store of asset values)")
E2E_RETRIES = (
    "Production hardening",
    "Controller retries and redelivery after a compactor reload create exactly one run",
)


def check(repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    """Run `parity check --format json` in-process; stderr must stay empty."""
    code = main(["check", "--repo", str(repo), "--format", "json"])
    captured = capsys.readouterr()
    assert captured.err == ""
    return code, json.loads(captured.out)


def row_line(repo: Path, row: tuple[str, str]) -> int:
    return line_of(repo / MATRIX, f"| {row[1]} |")


def finding(
    repo: Path,
    row: tuple[str, str],
    *,
    code: str,
    message: str,
    hint: str,
    ref: str = "",
    severity: str = "error",
) -> dict[str, Any]:
    """The JSON finding for a cell of `row` (every cell of a row is on the row's line)."""
    return {
        "severity": severity,
        "code": code,
        "file": MATRIX,
        "line": row_line(repo, row),
        "section": row[0],
        "capability": row[1],
        "ref": ref,
        "message": message,
        "hint": hint,
    }


def e2e_warning(repo: Path) -> dict[str, Any]:
    """The one finding of the intact example: the scheduled e2e job cannot gate its Partial row."""
    return finding(
        repo,
        E2E_RETRIES,
        severity="warning",
        code="ci-not-gating",
        ref="cargo test -p arco-flow --features test-utils --test orchestration_e2e -- --ignored",
        message="job `e2e` does not gate pushes or pull requests: job `e2e` does not run on push or "
        "pull_request (`if: github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'`)",
        hint="cite a command from a job that fails CI when it fails",
    )


def ordered(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The report's order: file, line, errors first, then code, ref and message."""
    return sorted(
        findings,
        key=lambda f: (f["file"], f["line"], f["severity"] != "error", f["code"], f["ref"], f["message"]),
    )


def fn_line(repo: Path, path: str, name: str) -> int:
    keyword = "def" if path.endswith(".py") else "fn"
    return line_of(repo / path, f"{keyword} {name}(")


def cited(repo: Path, path: str, name: str) -> str:
    """`path:line` of a definition; the intact matrix cites exactly this line."""
    token = f"{path}:{fn_line(repo, path, name)}"
    assert f"`{token}` (`{name}`)" in (repo / MATRIX).read_text(encoding="utf-8")
    return token


def insert_above(path: Path, needle: str, text: str) -> None:
    replace_in(path, needle, text + needle)


# --- the intact example ---------------------------------------------------------------------------------


def test_intact_example_has_no_errors_and_one_known_warning(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, document = check(example, capsys)
    assert code == 0
    assert document["schema_version"] == 1
    assert document["command"] == "check"
    summary = document["summary"]
    assert (summary["rows"], summary["errors"], summary["warnings"]) == (24, 0, 1)
    assert summary["statuses"] == {
        "Designed": 1,
        "Exception": 1,
        "Implemented": 17,
        "Partial": 3,
        "Planned": 2,
    }
    assert document["findings"] == [e2e_warning(example)]


def test_the_process_entry_point_is_main_then_a_frozen_heap(
    example: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "argv", ["parity", "check", "--repo", str(example), "--format", "json"])
    thresholds = gc.get_threshold()
    try:
        assert run() == 0
        assert gc.get_freeze_count() > 0  # the interpreter's last collection will skip the run's caches
    finally:
        gc.unfreeze()
    assert gc.get_threshold() == thresholds  # the verb's batch thresholds were undone
    assert json.loads(capsys.readouterr().out)["summary"]["rows"] == 24


# --- broken code and test refs --------------------------------------------------------------------------


def test_code_moved_down_40_lines_is_line_drift_at_the_new_line(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = example / RUN_KEY
    old = {
        name: cited(example, RUN_KEY, name)
        for name in (
            "reserve_run_key",
            "get_reservation",
            "test_reserve_run_key_duplicate_returns_existing",
            "test_reserve_run_key_detects_fingerprint_mismatch",
        )
    }
    insert_above(source, "/// Reserves `run_key` for `run_id`", "// moved down\n" * 40)
    new = {name: fn_line(example, RUN_KEY, name) for name in old}
    assert new["reserve_run_key"] == int(old["reserve_run_key"].rsplit(":", 1)[1]) + 40

    def drift(row: tuple[str, str], name: str) -> dict[str, Any]:
        was = old[name].rsplit(":", 1)[1]
        return finding(
            example,
            row,
            code="line-drift",
            ref=old[name],
            message=f"`{name}` is at `{RUN_KEY}:{new[name]}`, not line {was}",
            hint=f"cite `{RUN_KEY}:{new[name]}` (`parity fix --write` does it)",
        )

    code, document = check(example, capsys)
    assert code == 1
    assert document["findings"] == ordered(
        [
            drift(STRONG_IDEMPOTENCY, "reserve_run_key"),
            drift(STRONG_IDEMPOTENCY, "get_reservation"),
            drift(STRONG_IDEMPOTENCY, "test_reserve_run_key_duplicate_returns_existing"),
            drift(CONFLICT_DETECTION, "test_reserve_run_key_detects_fingerprint_mismatch"),
            e2e_warning(example),
        ]
    )
    assert document["summary"]["errors"] == 4


def test_line_past_the_end_of_the_file_is_out_of_range(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = cited(example, RUN_KEY, "get_reservation")
    replace_in(example / MATRIX, f"`{ref}` (`get_reservation`)", f"`{RUN_KEY}:999` (`get_reservation`)")
    lines = len((example / RUN_KEY).read_text(encoding="utf-8").splitlines())
    code, document = check(example, capsys)
    assert code == 1
    assert document["findings"] == [
        finding(
            example,
            STRONG_IDEMPOTENCY,
            code="line-out-of-range",
            ref=f"{RUN_KEY}:999",
            message=f"`{RUN_KEY}` has {lines} lines; line 999 does not exist",
            hint="point the ref at the current line of what it cites",
        ),
        e2e_warning(example),
    ]


def test_symbol_defined_twice_and_cited_at_neither_is_ambiguous(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ref = cited(example, RUN_KEY, "get_reservation")
    # A second `new` after everything the matrix cites, so no other ref moves.
    with (example / RUN_KEY).open("a", encoding="utf-8") as handle:
        handle.write(
            "\nimpl RunKeyReservation {\n    pub fn new(run_key: &str) -> Self {\n"
            "        Self { run_key: run_key.to_owned(), run_id: String::new(), "
            "request_fingerprint: String::new(), created_at_secs: 0 }\n    }\n}\n"
        )
    replace_in(example / MATRIX, f"`{ref}` (`get_reservation`)", f"`{ref}` (`new`)")
    first = line_of(example / RUN_KEY, "    pub fn new() -> Self {")
    second = line_of(example / RUN_KEY, "    pub fn new(run_key: &str) -> Self {")
    code, document = check(example, capsys)
    assert code == 1
    assert document["findings"] == [
        finding(
            example,
            STRONG_IDEMPOTENCY,
            code="line-drift",
            ref=ref,
            message=f"`new` is defined 2 times in `{RUN_KEY}` (lines {first}, {second}), "
            f"none at line {ref.rsplit(':', 1)[1]}",
            hint="cite the line of the definition you mean, or qualify the name: "
            "`ReservationStore::new`, `RunKeyReservation::new`",
        ),
        e2e_warning(example),
    ]


def test_test_name_defined_in_two_modules_without_a_line_is_ambiguous(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "test_reserve_run_key_duplicate_returns_existing"
    ref = cited(example, RUN_KEY, name)
    with (example / RUN_KEY).open("a", encoding="utf-8") as handle:
        handle.write(
            f"\n#[cfg(test)]\nmod more_tests {{\n    #[test]\n    fn {name}() {{\n        assert!(true);\n    }}\n}}\n"
        )
    replace_in(example / MATRIX, f"`{ref}` (`{name}`)", f"`{RUN_KEY}` (`{name}`)")
    code, document = check(example, capsys)
    assert code == 1
    assert document["findings"] == [
        finding(
            example,
            STRONG_IDEMPOTENCY,
            code="test-ambiguous",
            ref=RUN_KEY,
            message=f"`{name}` names 2 tests in `{RUN_KEY}`: `orchestration::run_key::tests::{name}`, "
            f"`orchestration::run_key::more_tests::{name}`",
            hint="cite the test's line or its full module path",
        ),
        e2e_warning(example),
    ]


def test_renamed_test_is_missing_with_a_rename_suggestion(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "test_reserve_run_key_duplicate_returns_existing"
    ref = cited(example, RUN_KEY, name)
    replace_in(example / RUN_KEY, f"fn {name}(", f"fn {name}_run(")
    code, document = check(example, capsys)
    assert code == 1
    assert document["findings"] == [
        finding(
            example,
            STRONG_IDEMPOTENCY,
            code="test-missing",
            ref=ref,
            message=f"no test `{name}` in `{RUN_KEY}` (renamed to `{name}_run`?)",
            hint="update the test name, or downgrade the row",
        ),
        e2e_warning(example),
    ]


def _not_run(example: Path, ref: str, name: str, code: str, detail: str) -> dict[str, Any]:
    return finding(
        example,
        STRONG_IDEMPOTENCY,
        code=code,
        ref=ref,
        message=f"`{RUN_KEY}::{name}` is not run by `{LIB_CMD}`: {detail}",
        hint="cite the step that runs it, or fix the step",
    )


def test_ignored_test_is_not_run_by_its_command(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = "test_reserve_run_key_duplicate_returns_existing"
    ref = cited(example, RUN_KEY, name)
    insert_above(example / RUN_KEY, f"    fn {name}(", "    #[ignore]\n")
    code, document = check(example, capsys)
    assert code == 1
    assert document["findings"] == [
        _not_run(
            example,
            ref,
            name,
            "test-ignored",
            f"`orchestration::run_key::tests::{name}` is `#[ignore]`d and the step passes neither "
            "`--ignored` nor `--include-ignored`",
        ),
        e2e_warning(example),
    ]


def test_ignored_test_reports_the_command_that_reaches_it_not_another_package(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The row cites two commands; the arco-api one never builds arco-flow, so only the --lib one says why.
    name = "test_reserve_run_key_detects_fingerprint_mismatch"
    ref = cited(example, RUN_KEY, name)
    insert_above(example / RUN_KEY, f"    fn {name}(", "    #[ignore]\n")
    code, document = check(example, capsys)
    assert code == 1
    assert document["findings"] == [
        finding(
            example,
            CONFLICT_DETECTION,
            code="test-ignored",
            ref=ref,
            message=f"`{RUN_KEY}::{name}` is not run by `{LIB_CMD}`: `orchestration::run_key::tests::{name}` "
            "is `#[ignore]`d and the step passes neither `--ignored` nor `--include-ignored`",
            hint="cite the step that runs it, or fix the step",
        ),
        e2e_warning(example),
    ]


def test_test_behind_a_feature_the_command_does_not_enable_is_feature_gated(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "test_reserve_run_key_duplicate_returns_existing"
    ref = cited(example, RUN_KEY, name)
    replace_in(
        example / "crates/arco-flow/Cargo.toml", "test-utils = []\n", "test-utils = []\nslow-tests = []\n"
    )
    insert_above(example / RUN_KEY, f"    fn {name}(", '    #[cfg(feature = "slow-tests")]\n')
    code, document = check(example, capsys)
    assert code == 1
    assert document["findings"] == [
        _not_run(
            example,
            ref,
            name,
            "test-feature-gated",
            '`#[cfg(feature = "slow-tests")]` is false for this step '
            "(features of `arco-flow`: `default`, `test-utils`), so the test is compiled out",
        ),
        e2e_warning(example),
    ]


def test_step_that_gained_a_skip_filters_the_cited_test(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "test_reserve_run_key_duplicate_returns_existing"
    ref = cited(example, RUN_KEY, name)
    replace_in(
        example / WORKFLOW,
        f"run: |\n          cargo --version\n          {LIB_CMD}\n",
        f"run: |\n          cargo --version\n          {LIB_CMD} -- --skip test_reserve_run_key_dup\n",
    )
    code, document = check(example, capsys)
    assert code == 1
    assert document["findings"] == [
        _not_run(
            example,
            ref,
            name,
            "test-filtered",
            f"the step passes `--skip test_reserve_run_key_dup`, which matches `orchestration::run_key::tests::{name}`",
        ),
        e2e_warning(example),
    ]


def test_test_body_without_any_assertion_cannot_fail(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "test_fold_run_requested_creates_run_key_index"
    ref = cited(example, CORRECTNESS, name)
    source = example / CORRECTNESS
    text = source.read_text(encoding="utf-8")
    start = text.index("{", text.index(f"fn {name}(")) + 1
    end = text.index("\n}\n", start)
    body_lines = text[start:end].count("\n")
    # Same number of lines, so the other refs into this file stay exact.
    body = "\n    let _state = FoldState::new();" + "\n" * (body_lines - 1)
    source.write_text(text[:start] + body + text[end:], encoding="utf-8")
    code, document = check(example, capsys)
    assert code == 0
    assert document["findings"] == [
        finding(
            example,
            RUN_KEY_INDEXING,
            severity="warning",
            code="test-cannot-fail",
            ref=ref,
            message=f"`{name}` has no assertion, panic, `?` or unwrap: it cannot fail",
            hint="assert the behaviour the row claims",
        ),
        e2e_warning(example),
    ]


# --- CI evidence ----------------------------------------------------------------------------------------


def test_cited_command_no_step_runs_lists_the_jobs_commands(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    m3 = "cargo test -p arco-flow --features test-utils --test orchestration_parity_gates_m3"
    replace_in(
        example / MATRIX,
        f"(job `test`: `{M2_CMD}`) | TBD | Proves min",
        f"(job `test`: `{m3}`) | TBD | Proves min",
    )
    code, document = check(example, capsys)
    assert code == 1
    assert document["findings"] == [
        finding(
            example,
            DURABLE_CURSOR,
            code="ci-command-not-found",
            ref=m3,
            message=f"no step of job `test` in `{WORKFLOW}` runs `{m3}`",
            hint=f"steps of that job run: `{API_CMD}`; `{LIB_CMD}`; `{TESTS_CMD} -- --skip parity_m2_`; `{M2_CMD}`",
        ),
        e2e_warning(example),
    ]


# Every row that cites job `test`, and the commands it cites (Partial rows only get warnings).
_JOB_TEST_ROWS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    (
        "Scheduling",
        "Duplicate schedule ticks with same `tick_id` are projection-idempotent",
        (LIB_CMD,),
        "error",
    ),
    ("Scheduling", "Catchup semantics (evaluate missed ticks after outage, bounded)", (TESTS_CMD,), "error"),
    ("Scheduling", "Schedule definitions reject a zero interval", (LIB_CMD,), "error"),
    (
        "Sensors",
        "Push sensor idempotency keys dedupe duplicate deliveries (message-id based)",
        (TESTS_CMD,),
        "error",
    ),
    (*DURABLE_CURSOR, (M2_CMD,), "error"),
    (*STRONG_IDEMPOTENCY, (LIB_CMD,), "error"),
    (*CONFLICT_DETECTION, (API_CMD, LIB_CMD), "error"),
    (*RUN_KEY_INDEXING, (TESTS_CMD,), "error"),
    (
        "Partitions",
        "Canonical partition key encoding is deterministic (order-insensitive)",
        (API_CMD,),
        "error",
    ),
    ("Partitions", "Backfill supports range/filter partition selectors", (API_CMD,), "warning"),
    ("Backfills", "Backfill state transitions are monotonic via `state_version`", (TESTS_CMD,), "error"),
    (*BACKFILL_CREATE, (API_CMD,), "error"),
    (
        "Partition status",
        "Partition status row has stable primary keys and required fields",
        (TESTS_CMD,),
        "error",
    ),
    (
        "Partition status",
        "Staleness reasons match core Dagster concepts (never materialized, freshness, upstream change, code change)",
        (LIB_CMD,),
        "error",
    ),
    (
        "Staleness / reconciliation",
        "Read-only staleness report: “what is stale and why”",
        (LIB_CMD,),
        "warning",
    ),
    (
        "Selection / reruns (run UX)",
        "Trigger run with explicit selection and partitions (API contract)",
        (API_CMD,),
        "error",
    ),
    (
        "Production hardening",
        "Duplicate/out-of-order delivery does not create duplicate projections (global idempotency gate)",
        (TESTS_CMD,),
        "error",
    ),
)


def test_job_with_continue_on_error_does_not_gate_implemented_rows(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replace_in(
        example / WORKFLOW, "    name: Rust tests\n", "    name: Rust tests\n    continue-on-error: true\n"
    )
    expected = [
        finding(
            example,
            (section, capability),
            severity=severity,
            code="ci-not-gating",
            ref=command,
            message="job `test` does not gate pushes or pull requests: job `test` has `continue-on-error: true`",
            hint="cite a command from a job that fails CI when it fails",
        )
        for section, capability, commands, severity in _JOB_TEST_ROWS
        for command in commands
    ]
    code, document = check(example, capsys)
    assert code == 1
    # Only the gating findings: a test that the ungated job does run is not also reported "not selected".
    assert document["findings"] == ordered([*expected, e2e_warning(example)])
    assert (document["summary"]["errors"], document["summary"]["warnings"]) == (16, 3)


# --- row rules ------------------------------------------------------------------------------------------


def test_docs_plans_ref_is_forbidden_evidence(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    replace_in(
        example / MATRIX,
        "| Dagster parity target: backfill create must be duplicate-safe |",
        "| Dagster parity target; see `docs/plans/backfill-idempotency.md:12` |",
    )
    code, document = check(example, capsys)
    assert code == 1
    assert document["findings"] == [
        finding(
            example,
            BACKFILL_CREATE,
            code="forbidden-evidence",
            ref="docs/plans/backfill-idempotency.md:12",
            message="cites `docs/plans/backfill-idempotency.md:12`: `docs/plans/` may not be used as proof",
            hint="re-anchor the evidence to tracked code, tests or ADRs",
        ),
        e2e_warning(example),
    ]


@pytest.mark.parametrize(
    ("cell", "code", "message", "hint"),
    [
        pytest.param(
            "",
            "missing-test-evidence",
            "claims proof but cites no test",
            "cite the proving test(s), or downgrade the status to Partial",
            id="empty",
        ),
        pytest.param(
            "Missing proof: an API test that replays the same `Idempotency-Key`",
            "missing-proof-claimed",
            "claims proof but says: Missing proof: an API test that replays the same `Idempotency-Key`",
            "add the proof, or downgrade the status",
            id="missing-proof",
        ),
    ],
)
def test_implemented_row_without_test_evidence(
    example: Path, capsys: pytest.CaptureFixture[str], cell: str, code: str, message: str, hint: str
) -> None:
    replace_in(
        example / MATRIX,
        "| `crates/arco-api/tests/orchestration_api_tests.rs:49` (`test_create_backfill_idempotent_on_key`) |",
        f"| {cell} |",
    )
    exit_code, document = check(example, capsys)
    assert exit_code == 1
    assert document["findings"] == [
        finding(example, BACKFILL_CREATE, code=code, message=message, hint=hint),
        e2e_warning(example),
    ]


def _cite_as_code(example: Path, token: str) -> None:
    replace_in(
        example / MATRIX,
        "| `crates/arco-api/src/routes/orchestration.rs:224` (`create_backfill`) | `crates/arco-api/tests/",
        f"| `{token}` | `crates/arco-api/tests/",
    )


def test_path_climbing_out_of_the_repo_escapes(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _cite_as_code(example, "../../etc/passwd:1")
    code, document = check(example, capsys)
    assert code == 1
    assert document["findings"] == [
        finding(
            example,
            BACKFILL_CREATE,
            code="path-escapes-repo",
            ref="../../etc/passwd:1",
            message="`../../etc/passwd` climbs out of the repository with `..`",
            hint="cite a path inside the repository",
        ),
        e2e_warning(example),
    ]


@pytest.mark.parametrize(
    ("link", "cited_path", "reason"),
    [
        pytest.param(
            "crates/arco-api/vendored",
            "crates/arco-api/vendored/secret.rs",
            "goes through the symlink `crates/arco-api/vendored`, which leads outside the repository",
            id="directory",
        ),
        pytest.param(
            "crates/arco-api/src/secret.rs",
            "crates/arco-api/src/secret.rs",
            "is a symlink that leads outside the repository",
            id="file",
        ),
    ],
)
def test_symlink_leading_outside_the_repo_escapes(
    example: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], link: str, cited_path: str, reason: str
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.rs").write_text("pub fn leaked() {}\n", encoding="utf-8")
    target = outside if cited_path != link else outside / "secret.rs"
    (example / link).symlink_to(target)
    _cite_as_code(example, f"{cited_path}:1")
    code, document = check(example, capsys)
    assert code == 1
    assert document["findings"] == [
        finding(
            example,
            BACKFILL_CREATE,
            code="path-escapes-repo",
            ref=f"{cited_path}:1",
            message=f"`{cited_path}` {reason}",
            hint="cite a path inside the repository",
        ),
        e2e_warning(example),
    ]


def test_status_outside_the_taxonomy_is_unknown(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    replace_in(example / MATRIX, "| REST API idempotency | Implemented |", "| REST API idempotency | Done |")
    code, document = check(example, capsys)
    assert code == 1
    assert document["findings"] == [
        finding(
            example,
            BACKFILL_CREATE,
            code="status-unknown",
            message="status `Done` is not in the taxonomy",
            hint="use one of: Implemented, Partial, Designed, Planned, Exception",
        ),
        e2e_warning(example),
    ]
    assert document["summary"]["statuses"]["Done"] == 1


def test_exception_row_without_the_exception_doc(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    replace_in(
        example / MATRIX,
        "| `docs/audits/arco-flow-dagster-exception-planning.md:31` (EX-05: IO managers) |",
        "| (assets own their storage) |",
    )
    code, document = check(example, capsys)
    assert code == 1
    assert document["findings"] == [
        e2e_warning(example),
        finding(
            example,
            IO_MANAGERS,
            code="exception-doc-missing",
            message="Exception row does not cite `docs/audits/arco-flow-dagster-exception-planning.md`",
            hint="link the exception's entry: `docs/audits/arco-flow-dagster-exception-planning.md:LINE`",
        ),
    ]


# --- the CSV sibling ------------------------------------------------------------------------------------


def _write_csv(example: Path, edit: Callable[[str], str]) -> str:
    matrix = read_matrix(example, MATRIX, Columns())
    text = render_csv(matrix, tuple(matrix.rows[0].cells))
    path = "docs/parity/dagster-parity-matrix.csv"
    (example / path).write_text(edit(text), encoding="utf-8")
    return path


def test_csv_sibling_that_agrees_adds_nothing(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write_csv(example, lambda text: text)
    code, document = check(example, capsys)
    assert code == 0
    assert document["findings"] == [e2e_warning(example)]


def test_csv_sibling_that_disagrees_is_a_mismatch(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = ",REST API idempotency,Implemented,"

    def downgrade(text: str) -> str:
        assert text.count(old) == 1
        return text.replace(old, ",REST API idempotency,Partial,")

    path = _write_csv(example, downgrade)
    csv_line = line_of(example / path, old.replace("Implemented", "Partial"))
    matrix_line = row_line(example, BACKFILL_CREATE)
    code, document = check(example, capsys)
    assert code == 1
    assert document["findings"] == [
        {
            "severity": "error",
            "code": "csv-mismatch",
            "file": path,
            "line": csv_line,
            "section": BACKFILL_CREATE[0],
            "capability": BACKFILL_CREATE[1],
            "ref": "",
            "message": f"`Status` differs: CSV says 'Partial', matrix line {matrix_line} says 'Implemented'",
            "hint": "regenerate the CSV from the Markdown matrix, which is the source of truth",
        },
        e2e_warning(example),
    ]


def test_csv_mismatch_line_counts_cells_that_span_lines(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first_notes = "Proves replay/duplicate-safe projection updates (not catchup scheduling)"

    def edit(text: str) -> str:
        records = list(csv.reader(io.StringIO(text)))
        header = records[0]
        records[1][header.index("Notes")] += "\n(second line)"
        target = next(r for r in records if r[header.index("Capability")] == BACKFILL_CREATE[1])
        target[header.index("Status")] = "Partial"
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(records)
        return out.getvalue()

    path = _write_csv(example, edit)
    first = ("Scheduling", "Duplicate schedule ticks with same `tick_id` are projection-idempotent")
    code, document = check(example, capsys)
    assert code == 1
    hint = "regenerate the CSV from the Markdown matrix, which is the source of truth"
    assert document["findings"] == [
        {
            "severity": "error",
            "code": "csv-mismatch",
            "file": path,
            "line": 2,
            "section": first[0],
            "capability": first[1],
            "ref": "",
            "message": f"`Notes` differs: CSV says {first_notes + chr(10) + '(second line)'!r}, "
            f"matrix line {row_line(example, first)} says {first_notes!r}",
            "hint": hint,
        },
        {
            "severity": "error",
            "code": "csv-mismatch",
            "file": path,
            "line": line_of(example / path, ",REST API idempotency,Partial,"),
            "section": BACKFILL_CREATE[0],
            "capability": BACKFILL_CREATE[1],
            "ref": "",
            "message": f"`Status` differs: CSV says 'Partial', matrix line {row_line(example, BACKFILL_CREATE)} "
            "says 'Implemented'",
            "hint": hint,
        },
        e2e_warning(example),
    ]


# --- unusable input -------------------------------------------------------------------------------------


def _delete_matrix(example: Path) -> str:
    (example / MATRIX).unlink()
    return f"{MATRIX}: matrix file not found (create it, or set `matrix` in parity.toml)"


def _drop_a_cell(example: Path) -> str:
    replace_in(
        example / MATRIX,
        "| REST API idempotency | Implemented | integration |",
        "| REST API idempotency | Implemented |",
    )
    line = row_line(example, BACKFILL_CREATE)
    return f"{MATRIX}:{line}: row has 8 cells but the header has 9 (add the missing cells (use an empty cell or TBD))"


def _no_table(example: Path) -> str:
    (example / MATRIX).write_text("# Parity matrix\n\nNothing here yet.\n", encoding="utf-8")
    return (
        f"{MATRIX}: no parity matrix table found "
        "(add a table with the template's columns under a `## ` heading)"
    )


def _workflow_is_a_list(example: Path) -> str:
    (example / WORKFLOW).write_text("- name: CI\n- on: push\n", encoding="utf-8")
    return f"{WORKFLOW}:1: the workflow must be a mapping, not a list"


def _bad_toml(example: Path) -> str:
    (example / "parity.toml").write_text("[jobs.python-tests\nsetup = []\n", encoding="utf-8")
    return "parity.toml:1:18: invalid TOML: Unexpected character: '\\n' (fix the TOML syntax)"


def _unknown_toml_key(example: Path) -> str:
    (example / "parity.toml").write_text('statuse = ["Implemented"]\n', encoding="utf-8")
    return (
        "parity.toml:1: unknown key `statuse` (known keys: columns, csv, exception_doc, exception_status, "
        "forbidden_prefixes, jobs, matrices, matrix, proof_levels, proof_statuses, prove, statuses, workflows)"
    )


@pytest.mark.parametrize(
    "breakage", [_delete_matrix, _no_table, _drop_a_cell, _workflow_is_a_list, _bad_toml, _unknown_toml_key]
)
def test_unusable_input_is_one_line_on_stderr_and_exit_2(
    example: Path, capsys: pytest.CaptureFixture[str], breakage: Callable[[Path], str]
) -> None:
    message = breakage(example)
    code = main(["check", "--repo", str(example), "--format", "json"])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err == f"parity: error: {message}\n"


def test_missing_repository_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nowhere"
    code = main(["check", "--repo", str(missing)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.out == ""
    assert captured.err == f"parity: error: {missing}: repository directory not found (pass --repo PATH)\n"


# --- text output ----------------------------------------------------------------------------------------


def test_text_output_groups_findings_under_their_section(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replace_in(example / MATRIX, "| REST API idempotency | Implemented |", "| REST API idempotency | Done |")
    line = row_line(example, BACKFILL_CREATE)
    e2e_line = row_line(example, E2E_RETRIES)
    code = main(["check", "--repo", str(example)])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.err == ""
    lines = captured.out.splitlines()
    assert lines[0] == (
        f"parity check {example}  (24 rows: 1 Designed, 1 Done, 1 Exception, 16 Implemented, 3 Partial, 2 Planned)"
    )
    assert lines[1:-1] == [
        "",
        "## Backfills",
        f"  error   {MATRIX}:{line}  [status-unknown]",
        f"    {BACKFILL_CREATE[1]}",
        "    status `Done` is not in the taxonomy",
        "    fix: use one of: Implemented, Partial, Designed, Planned, Exception",
        "",
        "## Production hardening",
        f"  warning {MATRIX}:{e2e_line}  [ci-not-gating]",
        f"    {E2E_RETRIES[1]}",
        "    job `e2e` does not gate pushes or pull requests: job `e2e` does not run on push or pull_request "
        "(`if: github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'`)",
        "    fix: cite a command from a job that fails CI when it fails",
        "",
    ]
    assert re.fullmatch(r"1 error\(s\), 1 warning\(s\) in \d+\.\d\ds", lines[-1])


# --- the real-world seed format -------------------------------------------------------------------------


def test_seed_matrix_without_its_code_parses_every_row(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "seed"
    (repo / "docs" / "parity").mkdir(parents=True)
    seed = repo / MATRIX
    seed.write_text(SEED_004.read_text(encoding="utf-8"), encoding="utf-8")
    code, document = check(repo, capsys)
    assert code == 1
    summary = document["summary"]
    assert (summary["rows"], summary["warnings"]) == (27, 0)
    assert summary["statuses"] == {"Implemented": 19, "Partial": 2, "Planned": 6}
    assert Counter(f["code"] for f in document["findings"]) == {"path-missing": 68, "ci-workflow-unknown": 27}
    assert {f["severity"] for f in document["findings"]} == {"error"}
    # The last row has no closing pipe; its ref is still read.
    last = "| DR: rebuild projections from ledger without bucket listing |"
    assert document["findings"][-1] == {
        "severity": "error",
        "code": "path-missing",
        "file": MATRIX,
        "line": line_of(seed, last),
        "section": "Production hardening",
        "capability": "DR: rebuild projections from ledger without bucket listing",
        "ref": "docs/parity/dagster-parity-11-production-hardening.md:54",
        "message": "`docs/parity/dagster-parity-11-production-hardening.md` does not exist",
        "hint": "fix the path or remove the ref",
    }


# --- Python evidence ------------------------------------------------------------------------------------

TYPES_TESTS = "python/arco/tests/unit/test_types.py"
CANONICAL = ("Partitions", "Canonical partition key encoding is deterministic (order-insensitive)")
SDK_PARTITIONS = ("Partitions", "Daily and static partition definitions enumerate keys deterministically")
UNIT_CMD = "python -m pytest tests/unit -q"


def test_python_test_skipped_unconditionally_never_runs(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "test_canonical_is_order_insensitive"
    ref = cited(example, TYPES_TESTS, name)
    # One blank line less above the class, so no ref into the file moves.
    replace_in(example / TYPES_TESTS, "\n\n\nclass TestPartitionKey:\n", "\n\nclass TestPartitionKey:\n")
    insert_above(example / TYPES_TESTS, f"    def {name}(", '    @pytest.mark.skip(reason="flaky")\n')
    code, document = check(example, capsys)
    assert code == 1
    assert document["findings"] == [
        finding(
            example,
            CANONICAL,
            code="test-skipped",
            ref=ref,
            message=f"`{name}` is skipped unconditionally (reason: flaky), so no command runs it",
            hint="remove the skip, or cite a test that runs",
        ),
        e2e_warning(example),
    ]


def test_pytest_step_that_gained_a_k_filter_deselects_the_cited_test(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "test_daily_partition_keys"
    ref = cited(example, TYPES_TESTS, name)
    replace_in(example / WORKFLOW, f"run: {UNIT_CMD}\n", f'run: {UNIT_CMD} -k "not daily"\n')
    code, document = check(example, capsys)
    assert code == 1
    assert document["findings"] == [
        finding(
            example,
            SDK_PARTITIONS,
            code="test-deselected",
            ref=ref,
            message=f"`{TYPES_TESTS}::{name}` is not run by `{UNIT_CMD}`: `-k 'not daily'` deselects "
            f"`{name}[open-ended]` (it matches against: tests, unit, test_types.py, {name}[open-ended], "
            "parametrize)",
            hint="cite the step that runs it, or fix the step",
        ),
        e2e_warning(example),
    ]


def test_cited_job_the_workflow_does_not_have(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    replace_in(
        example / MATRIX,
        f"(job `python-tests`: `{UNIT_CMD}`) | team-sdk",
        f"(job `pytests`: `{UNIT_CMD}`) | team-sdk",
    )
    code, document = check(example, capsys)
    assert code == 1
    assert document["findings"] == [
        finding(
            example,
            SDK_PARTITIONS,
            code="ci-job-unknown",
            ref="pytests",
            message=f"`{WORKFLOW}` has no job `pytests`",
            hint="its jobs: `test`, `python-tests`, `e2e`, `docs-lint`",
        ),
        e2e_warning(example),
    ]


@pytest.mark.parametrize(
    ("level", "code", "message", "hint"),
    [
        pytest.param(
            "e2e",
            "proof-level-below",
            "strongest evidence is a `unit` test but the row requires `e2e`",
            "cite a test at the required level, or lower the requirement honestly",
            id="below",
        ),
        pytest.param(
            "unit-ish",
            "proof-level-unknown",
            "proof level `unit-ish` is not one of unit, integration, e2e, prod",
            "use a level from the taxonomy",
            id="unknown",
        ),
    ],
)
def test_proof_level_requirement_is_a_warning(
    example: Path, capsys: pytest.CaptureFixture[str], level: str, code: str, message: str, hint: str
) -> None:
    replace_in(
        example / MATRIX,
        "| SDK partition types | Implemented | unit |",
        f"| SDK partition types | Implemented | {level} |",
    )
    exit_code, document = check(example, capsys)
    assert exit_code == 0
    assert document["findings"] == [
        finding(example, SDK_PARTITIONS, severity="warning", code=code, message=message, hint=hint),
        e2e_warning(example),
    ]
