"""`parity export --csv` and `parity add` round trips: what they write, and that `check` agrees with it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import MATRIX, WORKFLOW, line_of, replace_in

from parity.cli import main

CSV = "docs/parity/dagster-parity-matrix.csv"
HEADER = [
    "Section",
    "Capability",
    "Arco Feature",
    "Status",
    "Proof Level Required",
    "Evidence (Code)",
    "Evidence (Tests)",
    "Evidence (CI)",
    "Owner",
    "Notes",
    "Code Refs",
    "Test Refs",
    "CI Commands",
]
SENSOR_TESTS = "crates/arco-flow/tests/orchestration_sensor_tests.rs"
SENSOR = "crates/arco-flow/src/orchestration/controllers/sensor.rs"
TYPES = "python/arco/src/arco_flow/types/__init__.py"
UNIT_TYPES = "python/arco/tests/unit/test_types.py"
TESTS_CMD = "cargo test -p arco-flow --features test-utils --tests"
UNIT_CMD = "python -m pytest tests/unit -q"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def check(capsys: pytest.CaptureFixture[str], repo: Path) -> tuple[int, list[dict[str, Any]]]:
    code, out, _ = run(capsys, "check", "--repo", str(repo), "--format", "json")
    findings: list[dict[str, Any]] = json.loads(out)["findings"]
    return code, findings


def matrix_rows(repo: Path) -> list[tuple[str, str]]:
    """(section, capability) of every matrix row, in file order, read straight from the Markdown."""
    rows = []
    section = ""
    for line in (repo / MATRIX).read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
        elif line.startswith("| ") and not line.startswith(("| Capability |", "|---")):
            rows.append((section, line[2:].split(" | ")[0]))
    return rows


# --- export ----------------------------------------------------------------------------------------


def test_export_then_check_round_trip(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "export", "--repo", str(example), "--csv")
    assert (code, err) == (0, "")
    assert out == f"wrote {CSV} from {MATRIX} (24 rows)\n"
    records = list(csv.reader(io.StringIO((example / CSV).read_text(encoding="utf-8"))))
    assert records[0] == HEADER
    assert [(r[0], r[1]) for r in records[1:]] == matrix_rows(example)
    daily = next(r for r in records if r[1].startswith("Daily and static"))
    assert daily[10:] == [
        f"{TYPES}:62; {TYPES}:75",
        f"{UNIT_TYPES}:48::test_daily_partition_keys; {UNIT_TYPES}:54::test_static_partitions_reject_duplicates",
        f"python-tests: {UNIT_CMD}",
    ]
    code, findings = check(capsys, example)
    assert code == 0
    assert [f for f in findings if f["code"] == "csv-mismatch"] == []

    # One edited cell in the Markdown: exactly one disagreement, at the CSV record of that row.
    replace_in(
        example / MATRIX,
        "| Backfill create is idempotent on `Idempotency-Key` header | REST API idempotency | Implemented",
        "| Backfill create is idempotent on `Idempotency-Key` header | REST API idempotency (v2) | Implemented",
    )
    row = line_of(example / MATRIX, "| Backfill create is idempotent")
    record = 1 + next(i for i, r in enumerate(records) if r[1].startswith("Backfill create is idempotent"))
    code, findings = check(capsys, example)
    assert code == 1
    assert [
        (f["code"], f["file"], f["line"], f["message"]) for f in findings if f["severity"] == "error"
    ] == [
        (
            "csv-mismatch",
            CSV,
            record,
            f"`Arco Feature` differs: CSV says 'REST API idempotency', matrix line {row} says "
            "'REST API idempotency (v2)'",
        )
    ]

    code, out, _ = run(capsys, "export", "--repo", str(example), "--csv")
    assert code == 0
    assert out.splitlines() == [
        f"updated {CSV} from {MATRIX} (24 rows; 1 row(s) differ from the old CSV)",
        "  changed  Backfills / Backfill create is idempotent on `Idempotency-Key` header (Arco Feature)",
    ]
    assert check(capsys, example)[0] == 0
    assert run(capsys, "export", "--repo", str(example), "--csv")[1] == f"{CSV}: up to date (24 rows)\n"


def test_export_never_clobbers_a_file_that_is_not_a_parity_csv(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = (example / "README.md").read_bytes()
    code, out, err = run(capsys, "export", "--repo", str(example), "--csv", "README.md")
    assert (code, out) == (2, "")
    assert err == (
        "parity: error: README.md: exists and is not a parity CSV export (no `Section` and `Capability` "
        "columns); refusing to overwrite it (pass --force to replace it, or choose another path)\n"
    )
    assert (example / "README.md").read_bytes() == readme

    code, out, _ = run(capsys, "export", "--repo", str(example), "--csv", "README.md", "--force")
    assert code == 0
    assert out == f"replaced README.md (not a parity CSV) with the CSV of {MATRIX} (24 rows)\n"
    assert (example / "README.md").read_text(encoding="utf-8").splitlines()[0] == ",".join(HEADER)


# --- add -------------------------------------------------------------------------------------------

SENSOR_TEST = "test_sensor_eval_idempotency_dedupes_duplicate_message"


def test_add_appends_a_row_that_passes_check(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "export", "--repo", str(example), "--csv")[0] == 0  # a CSV sibling to keep in sync
    before = (example / MATRIX).read_text(encoding="utf-8")
    last_sensor_row = line_of(example / MATRIX, "| Durable sensor cursor")
    test_line = line_of(example / SENSOR_TESTS, f"fn {SENSOR_TEST}(")
    code_line = line_of(example / SENSOR, "pub fn should_evaluate(")

    code, out, err = run(
        capsys,
        "add",
        "--repo",
        str(example),
        "--section",
        "Sensors",
        "--capability",
        "Sensors skip evaluations inside the minimum interval | even when pushed",
        "--code",
        f"{SENSOR}::should_evaluate",
        "--test",
        f"{SENSOR_TESTS}::{SENSOR_TEST}",
        "--ci",
        f"test:{TESTS_CMD}",
        "--notes",
        "Added by `parity add`",
    )

    assert (code, err) == (0, "")
    row = (
        "| Sensors skip evaluations inside the minimum interval \\| even when pushed |  | Implemented | integration"
        f" | `{SENSOR}:{code_line}` (`should_evaluate`) | `{SENSOR_TESTS}:{test_line}` (`{SENSOR_TEST}`)"
        f" | `{WORKFLOW}` (job `test`: `{TESTS_CMD}`) | TBD | Added by `parity add` |"
    )
    assert out.splitlines() == [
        row,
        f"added the row at {MATRIX}:{last_sensor_row + 1} (section `Sensors`)",
        f"regenerated {CSV} from the matrix",
    ]
    lines = before.splitlines(keepends=True)
    expected = "".join(lines[:last_sensor_row]) + row + "\n" + "".join(lines[last_sensor_row:])
    assert (example / MATRIX).read_text(encoding="utf-8") == expected
    code, findings = check(capsys, example)
    assert code == 0
    assert [f for f in findings if f["line"] == last_sensor_row + 1] == []
    assert [f for f in findings if f["code"] == "csv-mismatch"] == []


def test_add_groups_ci_commands_by_job_and_dry_run_writes_nothing(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (example / "docs/parity/dagster-parity-matrix.md").write_bytes(
        (example / MATRIX).read_bytes().replace(b"\n", b"\r\n")
    )
    before = (example / MATRIX).read_bytes()
    api = "cargo test --workspace --all-features --exclude arco-flow"
    code, out, _ = run(
        capsys,
        "add",
        "--repo",
        str(example),
        "--section",
        "Partitions",
        "--capability",
        "Static partitions",
        "--status",
        "Partial",
        "--code",
        f"{TYPES}::StaticPartitions",
        "--test",
        f"{UNIT_TYPES}::test_static_partitions_reject_duplicates",
        "--ci",
        f"python-tests:{UNIT_CMD}",
        "--ci",
        f"test:{api}",
        "--ci",
        "python-tests:python -m pytest   tests/integration/test_cli_api.py -v",
        "--dry-run",
    )
    assert code == 0
    static = line_of(example / TYPES, "class StaticPartitions")
    dupes = line_of(example / UNIT_TYPES, "def test_static_partitions_reject_duplicates(")
    last = line_of(example / MATRIX, "| Backfill supports range/filter")
    assert out.splitlines() == [
        f"| Static partitions |  | Partial | unit | `{TYPES}:{static}` (`StaticPartitions`) | "
        f"`{UNIT_TYPES}:{dupes}` (`test_static_partitions_reject_duplicates`) | "
        f"`{WORKFLOW}` (job `python-tests`: `{UNIT_CMD}` + `python -m pytest tests/integration/test_cli_api.py -v`)"
        f"<br>`{WORKFLOW}` (job `test`: `{api}`) | TBD |  |",
        f"would add this row at {MATRIX}:{last + 1} (dry run: nothing written)",
    ]
    assert (example / MATRIX).read_bytes() == before

    assert run(capsys, *_args(example, "Partitions", "Static partitions", "--status", "Partial"))[0] == 0
    after = (example / MATRIX).read_bytes()
    assert after.count(b"\r\n") == before.count(b"\r\n") + 1
    assert b"\n" not in after.replace(b"\r\n", b"")


def _args(repo: Path, section: str, capability: str, *extra: str) -> list[str]:
    return ["add", "--repo", str(repo), "--section", section, "--capability", capability, *extra]


ADD_ERRORS = [
    (
        ["--section", "Sensorz"],
        f"{MATRIX}: no `## Sensorz` section with a matrix table (did you mean `Sensors`? sections: Scheduling, "
        "Sensors, run_key / run identity, Partitions, Backfills, Partition status, Staleness / reconciliation, "
        "Selection / reruns (run UX), Production hardening, Exceptions)",
    ),
    (
        ["--test", f"{SENSOR_TESTS}::test_sensor_eval_idempotency"],
        f"{SENSOR_TESTS}: has no test `test_sensor_eval_idempotency` (did you mean `{SENSOR_TEST}`?)",
    ),
    (
        ["--test", f"{SENSOR}::should_evaluate"],
        f"{SENSOR}: `should_evaluate` is not a test (cite a #[test] function or a pytest test)",
    ),
    (
        ["--test", "crates/nowhere.rs::t"],
        "crates/nowhere.rs: no such file (--test takes a path relative to the repository root)",
    ),
    (["--test", "no-separator"], "--test: expected `path::test_name`, got `no-separator`"),
    (
        ["--code", f"{SENSOR}::should_evaluated"],
        f"{SENSOR}: defines no `should_evaluated` (did you mean `should_evaluate`?)",
    ),
    (
        ["--ci", "test:cargo test -p arco-flow --lib"],
        f"{WORKFLOW}: no step of job `test` runs `cargo test -p arco-flow --lib` (steps of that job run: "
        "`cargo test -p arco-flow --features test-utils --lib`; "
        "`cargo test -p arco-flow --features test-utils --tests -- --skip parity_m2_`; "
        "`cargo test --workspace --all-features --exclude arco-flow`; "
        "`cargo test -p arco-flow --features test-utils --test orchestration_parity_gates_m2`)",
    ),
    (["--ci", "lint:ruff check"], f"{WORKFLOW}: no job `lint` (jobs: docs-lint, e2e, python-tests, test)"),
    (
        ["--ci", f"test:{TESTS_CMD}", "--code", f"{SENSOR}::should_evaluate"],
        "--status: an `Implemented` row needs --code, --test and --ci (missing --test) "
        "(cite the evidence, or choose a status that claims no proof)",
    ),
    (
        ["--status", "Done"],
        "--status: `Done` is not in the taxonomy (use one of: Implemented, Partial, Designed, Planned, Exception)",
    ),
    (
        ["--status", "Planned", "--proof-level", "galaxy"],
        "--proof-level: `galaxy` is not a proof level (use one of: unit, integration, e2e, prod)",
    ),
    (["--status", "Planned", "--notes", "two\nlines"], "--notes: must be a single line"),
    (
        [
            "--test",
            f"{SENSOR_TESTS}::{SENSOR_TEST}",
            "--code",
            f"{SENSOR}::should_evaluate",
            "--ci",
            "test:cargo test -p arco-flow --features test-utils --lib",
        ],
        f"{MATRIX}: the new row would fail `parity check`: [test-not-selected] `{SENSOR_TESTS}::{SENSOR_TEST}` "
        "is not run by `cargo test -p arco-flow --features test-utils --lib`: `--lib` does not select "
        "integration test `orchestration_sensor_tests` (cite the step that runs it, or fix the step)",
    ),
]


@pytest.mark.parametrize(("extra", "message"), ADD_ERRORS, ids=[str(i) for i in range(len(ADD_ERRORS))])
def test_add_refuses_with_one_exact_line(
    example: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    before = (example / MATRIX).read_bytes()
    section = [] if "--section" in extra else ["--section", "Sensors"]
    code, out, err = run(
        capsys, "add", "--repo", str(example), *section, "--capability", "New capability", *extra
    )
    assert (code, out, err) == (2, "", f"parity: error: {message}\n")
    assert (example / MATRIX).read_bytes() == before


def test_add_refuses_ambiguous_names(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    duplicate = "Durable sensor cursor + minimum evaluation interval"
    code, _, err = run(capsys, *_args(example, "Sensors", duplicate, "--status", "Planned"))
    assert code == 2
    assert err == (
        f"parity: error: {MATRIX}:{line_of(example / MATRIX, '| Durable sensor cursor')}: section `Sensors` "
        f"already has the capability `{duplicate}` (edit that row, or name the new capability differently)\n"
    )
    lines = [n for n, text in enumerate((example / TYPES).read_text().splitlines(), 1) if "def keys(" in text]
    code, _, err = run(capsys, *_args(example, "Sensors", "x", "--code", f"{TYPES}::keys"))
    assert (code, len(lines)) == (2, 2)
    assert err == (
        f"parity: error: {TYPES}: defines `keys` 2 times (lines {lines[0]}, {lines[1]}) (qualify it: "
        "`DailyPartitions.keys`, `StaticPartitions.keys`)\n"
    )
    with (example / SENSOR_TESTS).open("a", encoding="utf-8") as out:
        out.write(
            f"\nmod again {{\n    #[test]\n    fn {SENSOR_TEST}() {{\n        assert!(true);\n    }}\n}}\n"
        )
    code, _, err = run(capsys, *_args(example, "Sensors", "x", "--test", f"{SENSOR_TESTS}::{SENSOR_TEST}"))
    assert code == 2
    assert err == (
        f"parity: error: {SENSOR_TESTS}: `{SENSOR_TEST}` names 2 tests: `{SENSOR_TEST}`, `again::{SENSOR_TEST}` "
        "(cite one by its full name)\n"
    )
