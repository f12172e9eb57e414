"""`parity fix` (ref line moves, byte-exact) and `parity fix --statuses` against edited copies of the example."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import MATRIX, line_of, replace_in

from parity.cli import main
from parity.fix import Edit, apply_edits, line_starts, rename_candidate

FOLD = "crates/arco-flow/src/orchestration/compactor/fold.rs"
STATUS = "crates/arco-flow/src/orchestration/controllers/partition_status.rs"
SCHEDULE = "crates/arco-flow/src/orchestration/controllers/schedule.rs"
UNIT_TYPES = "python/arco/tests/unit/test_types.py"
SEED_004 = Path(__file__).parent / "data" / "check" / "seed-004-matrix.md"
GROWTH = 25


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def grow(path: Path, before_line: int, count: int = GROWTH) -> None:
    """Insert `count` comment lines before `before_line` (1-based), moving everything below down."""
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    padding = [f"// padding line {n} added by test_fix\n" for n in range(count)]
    path.write_text("".join(lines[: before_line - 1] + padding + lines[before_line - 1 :]), encoding="utf-8")


# (file, name) of the six cited definitions that sit below the two insertion points.
MOVED = (
    (FOLD, "fold_run_requested"),
    (FOLD, "fold_backfill_state_changed"),
    (FOLD, "test_fold_schedule_ticked_idempotent_with_same_tick_id"),
    (STATUS, "test_staleness_never_materialized"),
    (STATUS, "test_staleness_freshness_and_code_change"),
    (STATUS, "test_staleness_upstream_changed"),
)


def grow_six(repo: Path) -> dict[tuple[str, str], tuple[int, int]]:
    """Grow fold.rs and partition_status.rs by 25 lines above six cited definitions; their old/new lines."""
    before = {(f, n): line_of(repo / f, f"fn {n}(") for f, n in MOVED}
    grow(repo / FOLD, line_of(repo / FOLD, "/// Indexes a run request by run_key"))
    first_test = line_of(repo / STATUS, "fn test_staleness_never_materialized(")
    assert (repo / STATUS).read_text(encoding="utf-8").splitlines()[first_test - 2].strip() == "#[test]"
    grow(repo / STATUS, first_test - 1)
    after = {(f, n): line_of(repo / f, f"fn {n}(") for f, n in MOVED}
    assert all(after[key] == before[key] + GROWTH for key in MOVED)
    return {key: (before[key], after[key]) for key in MOVED}


def expected_matrix(original: bytes, moves: dict[tuple[str, str], tuple[int, int]]) -> bytes:
    """The original bytes with exactly the six `path:old` (`name`) line numbers replaced."""
    expected = original
    for (path, name), (old, new) in moves.items():
        cited = f"`{path}:{old}` (`{name}`)".encode()
        assert expected.count(cited) == 1, cited
        expected = expected.replace(cited, f"`{path}:{new}` (`{name}`)".encode())
    return expected


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_write_moves_exactly_the_six_drifted_refs(
    example: Path, capsys: pytest.CaptureFixture[str], newline: str
) -> None:
    matrix = example / MATRIX
    matrix.write_bytes(matrix.read_bytes().replace(b"\n", newline.encode()))
    original = matrix.read_bytes()
    moves = grow_six(example)

    code, out, err = run(capsys, "fix", "--repo", str(example), "--write")

    assert code == 0
    assert matrix.read_bytes() == expected_matrix(original, moves)
    assert matrix.read_bytes().count(b"\r\n") == original.count(b"\r\n")
    diff = out.splitlines()
    assert diff[:2] == [f"--- a/{MATRIX}", f"+++ b/{MATRIX}"]
    assert sum(1 for line in diff if line.startswith("@@")) == 5  # rows 25, 42, 56, 65 and 71
    # Every moved ref is listed, in matrix order, with its new line.
    listed = [line for line in err.splitlines() if " -> line " in line]
    assert len(listed) == 6
    for (path, name), (old, new) in moves.items():
        row = line_of(matrix, f"`{path}:{new}` (`{name}`)")
        assert f"{MATRIX}:{row}: `{path}:{old}` (`{name}`) -> line {new}" in listed
    assert err.splitlines()[6:] == ["6 ref(s) moved in 1 file(s)"]

    code, _, err = run(capsys, "check", "--repo", str(example), "--format", "json")
    assert code == 0
    code, out, err = run(capsys, "fix", "--repo", str(example), "--check")
    assert (code, out, err) == (0, "", "nothing to change\n")


def test_default_shows_the_diff_and_check_exits_1(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    original = (example / MATRIX).read_bytes()
    moves = grow_six(example)

    code, out, err = run(capsys, "fix", "--repo", str(example))
    assert code == 0
    assert err.splitlines()[-2:] == ["6 ref(s) to move in 1 file(s)", "apply with `parity fix --write`"]
    removed = [line[1:] for line in out.splitlines() if line.startswith("-|")]
    added = [line[1:] for line in out.splitlines() if line.startswith("+|")]
    expected_lines = expected_matrix(original, moves).decode().splitlines()
    assert added == [line for line in expected_lines if line not in original.decode().splitlines()]
    assert len(removed) == len(added) == 5

    assert run(capsys, "fix", "--repo", str(example), "--check")[0] == 1
    assert (example / MATRIX).read_bytes() == original  # neither mode writes


def test_ambiguous_symbol_is_reported_and_left_alone(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    schedule = example / SCHEDULE
    grow(schedule, line_of(schedule, "/// Emits one `ScheduleTicked` event"))  # above its doc comment
    with schedule.open("a", encoding="utf-8") as out:
        out.write("\npub mod shadow {\n    pub fn reconcile() {}\n}\n")
    lines = (line_of(schedule, "pub fn reconcile("), line_of(schedule, "    pub fn reconcile() {}"))
    original = (example / MATRIX).read_bytes()

    code, _, err = run(capsys, "fix", "--repo", str(example), "--write")

    assert code == 0
    reason = f"`reconcile` is defined 2 times in `{SCHEDULE}` (lines {lines[0]}, {lines[1]})"
    ambiguous = [line for line in err.splitlines() if "`reconcile`" in line and "defined 2 times" in line]
    rows = (
        line_of(example / MATRIX, "| Catchup semantics"),
        line_of(example / MATRIX, "| Controller retries"),
    )
    assert ambiguous == [f"  {MATRIX}:{row}: `{SCHEDULE}:82` (`reconcile`): {reason}" for row in rows]
    text = (example / MATRIX).read_bytes()
    assert (
        text.count(f"`{SCHEDULE}:82` (`reconcile`".encode())
        == original.count(f"`{SCHEDULE}:82` (`reconcile`".encode())
        == 2
    )
    # The unambiguous tests below the growth did move.
    moved = line_of(schedule, "fn test_schedule_spec_rejects_zero_interval(")
    assert f"`{SCHEDULE}:{moved}` (`test_schedule_spec_rejects_zero_interval`)".encode() in text


def test_renamed_test_is_suggested_never_written(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    replace_in(example / UNIT_TYPES, "def test_daily_partition_keys(", "def test_daily_partitions_keys(")
    original = (example / MATRIX).read_bytes()
    row = line_of(example / MATRIX, "| Daily and static partition definitions")
    renamed_at = line_of(example / UNIT_TYPES, "def test_daily_partitions_keys(")

    code, out, err = run(capsys, "fix", "--repo", str(example), "--write")

    assert (code, out) == (0, "")
    assert err.splitlines() == [
        "not fixed (edit these by hand):",
        f"  {MATRIX}:{row}: `{UNIT_TYPES}:48` (`test_daily_partition_keys`): no test "
        f"`test_daily_partition_keys` in `{UNIT_TYPES}`; renamed to `test_daily_partitions_keys` "
        f"(line {renamed_at})? (a suggestion: not written)",
        "nothing to change",
    ]
    assert (example / MATRIX).read_bytes() == original
    assert run(capsys, "fix", "--repo", str(example), "--check")[0] == 0


def test_pristine_example_needs_nothing(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "fix", "--repo", str(example), "--check") == (0, "", "nothing to change\n")


@pytest.mark.parametrize(
    ("name", "candidates", "expected"),
    [
        ("test_a_b", [("test_a_bc", 3), ("unrelated_thing", 9)], ("test_a_bc", 3)),
        ("mod::test_rename_me", [("test_renamed_me", 4)], ("test_renamed_me", 4)),
        ("test_x1", [("test_x2", 1), ("test_x3", 2)], None),  # two are close: no guess
        ("test_x1", [("test_x2", 1), ("test_x2", 7)], None),  # the close name is defined twice
        ("test_alpha", [("test_omega_long_name", 1)], None),
    ],
)
def test_rename_candidate(
    name: str, candidates: list[tuple[str, int]], expected: tuple[str, int] | None
) -> None:
    assert rename_candidate(name, candidates) == expected


def test_edits_keep_every_other_byte() -> None:
    text = "a\r\nbb 12 cc\rdd\u2028ee 7\n"
    starts = line_starts(text)
    assert starts == [0, 3, 12, 15, 20]
    edits = [Edit(start=6, end=8, new="345"), Edit(start=18, end=19, new="8")]
    assert apply_edits(text, edits) == "a\r\nbb 345 cc\rdd\u2028ee 8\n"
    with pytest.raises(ValueError, match="overlapping edits at 5 and 6"):
        apply_edits(text, [Edit(start=5, end=7, new="x"), Edit(start=6, end=8, new="y")])


# --- the real-world seed matrix (seed 004) --------------------------------------------------------

ROUTES = "crates/arco-api/src/routes/orchestration.rs"
SCHEMA_TESTS = "crates/arco-flow/tests/orchestration_schema_tests.rs"
CLI_TESTS = "python/arco/tests/integration/test_cli_api.py"
# Definitions the generated sources provide (a subset of what seed 004 cites), each at a line of
# its own choosing, none of them the cited one.
SEED_DEFS = {
    FOLD: ("PartitionStatusRow", "ScheduleTickRow", "fold_run_requested", "record_idempotency_key"),
    ROUTES: ("build_partition_key", "trigger_run", "create_backfill"),
}
SEED_TESTS = {
    FOLD: ("test_fold_schedule_ticked_idempotent_with_same_tick_id",),
    ROUTES: (
        "test_build_task_defs_canonical_partition_key",
        "test_trigger_run_reemits_when_reservation_exists",
        "test_trigger_run_conflicts_on_fingerprint_mismatch",
    ),
    SCHEMA_TESTS: ("test_schedule_tick_row_schema", "test_partition_status_row_schema"),
    CLI_TESTS: ("test_cli_run_status_logs",),
}


FILE_LINES = 5000  # longer than any line the seed cites, so stale lines are drift, not out of range


def _rust_source(path: str) -> str:
    lines = ["//! Generated for test_fix: definitions at lines the seed matrix does not cite."]
    for name in SEED_DEFS.get(path, ()):
        lines += ["// filler"] * 36
        lines += [f"pub struct {name};" if name[0].isupper() else f"pub fn {name}() {{}}"]
    tests = SEED_TESTS.get(path, ())
    in_src = "/src/" in path
    if in_src and tests:
        lines += ["#[cfg(test)]", "mod tests {"]
    for name in tests:
        lines += ["// filler"] * 30
        lines += ["#[test]", f"fn {name}() {{", "    assert_eq!(1 + 1, 2);", "}"]
    if in_src and tests:
        lines += ["}"]
    lines += ["// filler"] * (FILE_LINES - len(lines))
    return "\n".join(lines) + "\n"


def _seed_repo(root: Path) -> Path:
    repo = root / "seed"
    files = {
        "Cargo.toml": '[workspace]\nresolver = "2"\nmembers = ["crates/arco-flow", "crates/arco-api"]\n',
        "crates/arco-flow/Cargo.toml": '[package]\nname = "arco-flow"\nversion = "0.1.0"\nedition = "2021"\n',
        "crates/arco-api/Cargo.toml": '[package]\nname = "arco-api"\nversion = "0.1.0"\nedition = "2021"\n',
        "crates/arco-flow/src/lib.rs": "pub mod orchestration;\n",
        "crates/arco-flow/src/orchestration/mod.rs": "pub mod compactor;\n",
        "crates/arco-flow/src/orchestration/compactor/mod.rs": "pub mod fold;\n",
        "crates/arco-api/src/lib.rs": "pub mod routes;\n",
        "crates/arco-api/src/routes/mod.rs": "pub mod orchestration;\n",
        FOLD: _rust_source(FOLD),
        ROUTES: _rust_source(ROUTES),
        SCHEMA_TESTS: _rust_source(SCHEMA_TESTS),
        CLI_TESTS: "# filler\n" * 40
        + "def test_cli_run_status_logs():\n    assert 1 + 1 == 2\n"
        + "# filler\n" * 300,
        MATRIX: SEED_004.read_text(encoding="utf-8"),
    }
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text, encoding="utf-8")
    return repo


def _check(capsys: pytest.CaptureFixture[str], repo: Path) -> list[dict[str, Any]]:
    main(["check", "--repo", str(repo), "--format", "json"])
    findings: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["findings"]
    return findings


def test_seed_matrix_has_no_drift_left_after_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = _seed_repo(tmp_path)
    generated = (FOLD, ROUTES, SCHEMA_TESTS, CLI_TESTS)
    seed = SEED_004.read_text(encoding="utf-8")
    names = {name for group in (SEED_DEFS, SEED_TESTS) for names in group.values() for name in names}
    # Every ref to a generated file that names one of its definitions, once per place the seed
    # cites it: in a symbol list `(`name`)` (drift is an error) or in free text (a warning).
    pattern = r"`((?:" + "|".join(map(re.escape, generated)) + r"):\d+)` \(`(\w+)`(\)?)"
    refs = [(token, name, listed) for token, name, listed in re.findall(pattern, seed) if name in names]
    movable = sorted((token, name) for token, name, _ in refs)
    assert len(movable) == 17
    before = [f for f in _check(capsys, repo) if f["ref"].startswith(generated)]
    assert sorted((f["severity"], f["code"], f["ref"]) for f in before) == sorted(
        ("error" if listed else "warning", "line-drift", token) for token, _, listed in refs
    )

    code, _, err = run(capsys, "fix", "--repo", str(repo), "--write")

    assert code == 0
    moved = [re.search(r": `([^`]+)` \(`(\w+)`\) -> line \d+$", line) for line in err.splitlines()]
    assert sorted(m.groups() for m in moved if m is not None) == movable
    assert [f for f in _check(capsys, repo) if f["ref"].startswith(generated)] == []


# --- --statuses ----------------------------------------------------------------------------------

DAILY = "| Daily and static partition definitions"
STALENESS_REPORT = "| Read-only staleness report"
BACKFILL_SELECTORS = "| Backfill supports range/filter partition selectors"


def status_of(repo: Path, row_start: str) -> str:
    line = (repo / MATRIX).read_text(encoding="utf-8").splitlines()[line_of(repo / MATRIX, row_start) - 1]
    return line.split(" | ")[2]


def test_statuses_from_check_downgrade_failing_claims(
    example: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    replace_in(example / UNIT_TYPES, "def test_daily_partition_keys(", "def test_daily_keys_renamed(")
    original = (example / MATRIX).read_text(encoding="utf-8")
    daily = line_of(example / MATRIX, DAILY)
    selectors = line_of(example / MATRIX, BACKFILL_SELECTORS)
    staleness = line_of(example / MATRIX, STALENESS_REPORT)

    code, out, err = run(capsys, "fix", "--repo", str(example), "--statuses", "--check")

    assert code == 1
    assert err.splitlines() == [
        "verdicts from: static check (no prove report)",
        f"{MATRIX}:{daily}: downgrade Implemented -> Partial: Daily and static partition definitions "
        f"enumerate keys deterministically ([test-missing] no test `test_daily_partition_keys` in `{UNIT_TYPES}`)",
        "promotion candidates (never applied; review them, then edit the Status):",
        f"  {MATRIX}:{selectors}: Partial -> Implemented?: Backfill supports range/filter partition selectors "
        "(would pass `parity check` as Implemented; prove it with `parity prove` first)",
        f"  {MATRIX}:{staleness}: Partial -> Implemented?: Read-only staleness report: “what is stale and why” "
        "(would pass `parity check` as Implemented; prove it with `parity prove` first)",
        "apply with `parity fix --write --statuses`",
    ]
    assert [line[:2] for line in out.splitlines()[2:]] == ["@@", "-|", "+|"]
    assert (example / MATRIX).read_text(encoding="utf-8") == original

    assert run(capsys, "fix", "--repo", str(example), "--statuses", "--write")[0] == 0
    daily_row = original.splitlines()[daily - 1]
    expected = original.replace(daily_row, daily_row.replace(" | Implemented | ", " | Partial | ", 1))
    assert (example / MATRIX).read_text(encoding="utf-8") == expected
    assert (status_of(example, DAILY), status_of(example, BACKFILL_SELECTORS)) == ("Partial", "Partial")
    assert run(capsys, "fix", "--repo", str(example), "--statuses", "--check")[0] == 0


@pytest.mark.cargo
def test_statuses_from_a_prove_report(
    example: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    replace_in(
        example / UNIT_TYPES,
        "DailyPartitions(start=start, end=end).keys(until) == expected",
        'DailyPartitions(start=start, end=end).keys(until) == [*expected, "extra"]',
    )
    code, out, _ = run(
        capsys,
        "prove",
        "--repo",
        str(example),
        "--row",
        DAILY[2:],
        "--row",
        STALENESS_REPORT[2:],
        "--format",
        "json",
    )
    assert code == 1
    report = tmp_path / "prove.json"
    report.write_text(out, encoding="utf-8")
    verdicts = {r["line"]: (r["status"], r["verdict"]) for r in json.loads(out)["rows"]}
    daily, staleness = line_of(example / MATRIX, DAILY), line_of(example / MATRIX, STALENESS_REPORT)
    assert verdicts == {daily: ("Implemented", "failed"), staleness: ("Partial", "proven")}
    original = (example / MATRIX).read_bytes()

    code, _, err = run(
        capsys, "fix", "--repo", str(example), "--statuses", "--from-report", str(report), "--write"
    )

    assert code == 0
    failed = f"{UNIT_TYPES}::test_daily_partition_keys"
    assert err.splitlines() == [
        f"verdicts from: {report}",
        f"{MATRIX}:{daily}: downgrade Implemented -> Partial: Daily and static partition definitions enumerate "
        f"keys deterministically (failed: {failed}: failed (`{failed}[before-start]` failed))",
        "promotion candidates (never applied; review them, then edit the Status):",
        f"  {MATRIX}:{staleness}: Partial -> Implemented?: Read-only staleness report: “what is stale and why” "
        "(every cited test is proven)",
    ]
    assert (example / MATRIX).read_bytes() == original.replace(
        b"| SDK partition types | Implemented |", b"| SDK partition types | Partial |"
    )
    # The report describes the matrix before that edit: using it again is refused, not misapplied.
    code, _, err = run(capsys, "fix", "--repo", str(example), "--statuses", "--from-report", str(report))
    assert code == 2
    assert err == (
        f"parity: error: {report}: row `{MATRIX}:{daily}` of the report no longer matches the matrix "
        "(edited since the report was made) (re-run `parity prove --format json > REPORT` on the current matrix)\n"
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON: Expecting property name enclosed in double quotes"),
        (
            '{"command": "check", "schema_version": 1, "findings": []}',
            "not a `parity prove --format json` report",
        ),
        ('{"command": "prove", "schema_version": 7, "rows": []}', "unsupported report schema_version 7"),
        (
            '{"command": "prove", "schema_version": 1, "rows": [{"file": "x"}]}',
            "report rows lack file/line/status/verdict/claims_proof",
        ),
    ],
)
def test_statuses_refuse_a_report_that_is_not_one(
    example: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, message: str
) -> None:
    report = tmp_path / "report.json"
    report.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "fix", "--repo", str(example), "--statuses", "--from-report", str(report))
    assert (code, out) == (2, "")
    where = f"{report}:1" if message.startswith("not JSON") else str(report)
    assert (
        err
        == f"parity: error: {where}: {message} (re-run `parity prove --format json > REPORT` on the current matrix)\n"
    )


def test_from_report_needs_statuses(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "fix", "--repo", str(example), "--from-report", "r.json") == (
        2,
        "",
        "parity: error: --from-report: only applies to --statuses (add --statuses)\n",
    )


def test_write_regenerates_an_existing_csv_sibling(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--repo", str(example), "--csv"]) == 0
    csv_path = example / "docs/parity/dagster-parity-matrix.csv"
    stale = csv_path.read_text(encoding="utf-8")
    moves = grow_six(example)
    capsys.readouterr()

    code, _, err = run(capsys, "fix", "--repo", str(example), "--write")

    assert code == 0
    assert err.splitlines()[-1] == "regenerated docs/parity/dagster-parity-matrix.csv from the matrix"
    fresh = csv_path.read_text(encoding="utf-8")
    for (path, name), (old, new) in moves.items():
        assert f"`{path}:{old}` (`{name}`)" in stale
        assert f"`{path}:{new}` (`{name}`)" in fresh
    code, out, _ = run(capsys, "check", "--repo", str(example), "--format", "json")
    assert code == 0
    assert [f for f in json.loads(out)["findings"] if f["code"] == "csv-mismatch"] == []
