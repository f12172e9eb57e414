"""`parity diff` and `parity history` on a real git history of the example matrix (no cargo needed)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import MATRIX, commit_all, git, git_example, line_of, replace_in

from parity.cli import main
from parity.diff import RowSnapshot, Snapshot, compare

SVG = "{http://www.w3.org/2000/svg}"
STALENESS = "Read-only staleness report: “what is stale and why”"
BACKFILL = "Backfill supports range/filter partition selectors"
NEW_TEST = "`crates/arco-flow/src/orchestration/controllers/partition_status.rs:109` (`test_staleness_never_materialized`)"
NEW_ROW = (
    "| Sensor evaluation backs off after repeated failures | Sensor controller | Planned | integration "
    "| (no single owner module yet) | Missing proof: CI-gated backoff tests | `.github/workflows/ci.yml` "
    "| TBD | Not started |\n"
)
SUBJECTS = [
    "initial",
    "Promote the staleness report, with a new test",
    "Promote backfill selectors",
    "Reword the zero-interval row",
    "Plan sensor backoff",
    "Drop the HA row",
    "Move the matrix",
]


def _edit_row(matrix: Path, needle: str, old: str, new: str) -> None:
    lines = matrix.read_text(encoding="utf-8").splitlines(keepends=True)
    index = line_of(matrix, needle) - 1
    assert old in lines[index]
    lines[index] = lines[index].replace(old, new, 1)
    matrix.write_text("".join(lines), encoding="utf-8")


def _date(day: int) -> str:
    return f"2024-01-0{day}T12:00:00+00:00"


@pytest.fixture(scope="module")
def history_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Seven commits: an upgrade with a new test, one without, a rename, an add, a remove, a file move."""
    repo = git_example(tmp_path_factory.mktemp("history"))
    shas = [git(repo, "rev-parse", "HEAD")]
    matrix = repo / MATRIX
    _edit_row(matrix, f"| {STALENESS}", "| Partial |", "| Implemented |")
    _edit_row(
        matrix,
        f"| {STALENESS}",
        "(`test_staleness_upstream_changed`) |",
        f"(`test_staleness_upstream_changed`)<br>{NEW_TEST} |",
    )
    shas.append(commit_all(repo, SUBJECTS[1], _date(2)))
    _edit_row(matrix, f"| {BACKFILL}", "| Partial |", "| Implemented |")
    shas.append(commit_all(repo, SUBJECTS[2], _date(3)))
    _edit_row(
        matrix, "| Schedule definitions reject a zero interval", "a zero interval", "a zero-length interval"
    )
    shas.append(commit_all(repo, SUBJECTS[3], _date(4)))
    lines = matrix.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(line_of(matrix, "| Durable sensor cursor"), NEW_ROW)
    matrix.write_text("".join(lines), encoding="utf-8")
    shas.append(commit_all(repo, SUBJECTS[4], _date(5)))
    lines = matrix.read_text(encoding="utf-8").splitlines(keepends=True)
    del lines[line_of(matrix, "| HA / leader election") - 1]
    matrix.write_text("".join(lines), encoding="utf-8")
    shas.append(commit_all(repo, SUBJECTS[5], _date(6)))
    git(repo, "mv", MATRIX, "docs/parity/matrix.md")
    replace_in(
        repo / "parity.toml", "[jobs.python-tests]", 'matrix = "docs/parity/matrix.md"\n\n[jobs.python-tests]'
    )
    shas.append(commit_all(repo, SUBJECTS[6], _date(7)))
    return repo, shas


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


COUNTS = [  # Implemented, Partial, Designed, Planned, Exception after each commit
    (17, 3, 1, 2, 1),
    (18, 2, 1, 2, 1),
    (19, 1, 1, 2, 1),
    (19, 1, 1, 2, 1),
    (19, 1, 1, 3, 1),
    (19, 1, 1, 2, 1),
    (19, 1, 1, 2, 1),
]
STATUSES = ["Implemented", "Partial", "Designed", "Planned", "Exception"]


def test_history_json_follows_the_matrix_across_its_move(history_repo, capsys) -> None:
    repo, shas = history_repo
    code, out, err = _run(capsys, "history", "--repo", str(repo), "--format", "json")
    assert (code, err) == (0, "")
    paths = [MATRIX] * 6 + ["docs/parity/matrix.md"]
    assert json.loads(out) == {
        "schema_version": 1,
        "command": "history",
        "matrix": "docs/parity/matrix.md",
        "statuses": STATUSES,
        "commits": [
            {
                "sha": sha,
                "date": _date(day),
                "subject": subject,
                "path": path,
                "counts": dict(zip(STATUSES, counts, strict=True)),
                "total": sum(counts),
                "error": "",
            }
            for day, (sha, subject, path, counts) in enumerate(
                zip(shas, SUBJECTS, paths, COUNTS, strict=True), start=1
            )
        ],
    }


def test_history_table(history_repo, capsys) -> None:
    repo, shas = history_repo
    code, out, _ = _run(capsys, "history", "--repo", str(repo))
    assert code == 0
    rows = [
        f"{sha[:7]}  2024-01-0{day}  {c[0]:>11}  {c[1]:>7}  {c[2]:>8}  {c[3]:>7}  {c[4]:>9}  {sum(c):>5}  {subject}"
        for day, (sha, subject, c) in enumerate(zip(shas, SUBJECTS, COUNTS, strict=True), start=1)
    ]
    assert out.splitlines() == [
        "docs/parity/matrix.md: rows by status, oldest first",
        "commit   date        Implemented  Partial  Designed  Planned  Exception  total  subject",
        *rows,
    ]
    assert (
        rows[0]
        == f"{shas[0][:7]}  2024-01-01           17        3         1        2          1     24  initial"
    )


def test_history_svg_has_one_point_per_commit_and_status(history_repo, capsys, tmp_path) -> None:
    repo, shas = history_repo
    chart = tmp_path / "history.svg"
    code, _, err = _run(capsys, "history", "--repo", str(repo), "--svg", str(chart))
    assert (code, err) == (0, "")
    root = ET.parse(chart).getroot()  # noqa: S314 - our own output
    assert root.tag == f"{SVG}svg"
    circles = root.findall(f".//{SVG}circle")
    assert len(circles) == 7 * 5
    assert len(root.findall(f".//{SVG}polyline")) == 5
    tips = [c.find(f"{SVG}title").text for c in circles]  # type: ignore[union-attr]
    assert tips[:7] == [
        f"{sha[:7]} 2024-01-0{day} {subject}: Implemented = {counts[0]}"
        for day, (sha, subject, counts) in enumerate(zip(shas, SUBJECTS, COUNTS, strict=True), start=1)
    ]
    assert [t.text for t in root.findall(f"{SVG}text")][-5:] == STATUSES  # the legend
    code, _, err = _run(capsys, "history", "--repo", str(repo), "--svg", str(chart))
    assert code == 2
    assert err == (
        f"parity: error: {chart}: already exists; refusing to overwrite it "
        "(pass --force to replace it, or choose another path)\n"
    )
    chart.write_text("old", encoding="utf-8")
    assert _run(capsys, "history", "--repo", str(repo), "--svg", str(chart), "--force")[0] == 0
    assert chart.read_text(encoding="utf-8").startswith("<svg ")


def test_history_records_a_commit_whose_matrix_does_not_parse(tmp_path, capsys) -> None:
    repo = git_example(tmp_path)
    matrix = repo / MATRIX
    _edit_row(matrix, f"| {BACKFILL}", "| Partial |", "| Partial | extra |")
    broken = commit_all(repo, "Break the table", _date(2))
    _edit_row(matrix, f"| {BACKFILL}", "| Partial | extra |", "| Partial |")
    commit_all(repo, "Fix the table", _date(3))
    chart = tmp_path / "h.svg"
    code, out, _ = _run(capsys, "history", "--repo", str(repo), "--format", "json", "--svg", str(chart))
    assert code == 0
    points = json.loads(out)["commits"]
    line = line_of(matrix, f"| {BACKFILL}")
    assert points[1] == {
        "sha": broken,
        "date": _date(2),
        "subject": "Break the table",
        "path": MATRIX,
        "counts": {},
        "total": 0,
        "error": f"{MATRIX}:{line}: row has 10 cells but the header has 9 "
        "(escape literal pipes as \\| inside cells)",
    }
    assert [p["total"] for p in points] == [24, 0, 24]
    circles = ET.parse(chart).getroot().findall(f".//{SVG}circle")  # noqa: S314
    assert len(circles) == 2 * 5  # the broken commit is a gap, not a zero


def test_history_outside_git_is_bad_input(example, capsys) -> None:
    code, out, err = _run(capsys, "history", "--repo", str(example))
    assert (code, out) == (2, "")
    assert err == (
        f"parity: error: {example.resolve()}: cannot read the git history: not a git repository "
        "(or any of the parent directories): .git (pass --repo PATH)\n"
    )


def _line_at(repo: Path, rev: str, path: str, needle: str) -> int:
    text = git(repo, "show", f"{rev}:{path}")
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def _change(kind: str, section: str, capability: str, **fields: object) -> dict[str, object]:
    change: dict[str, object] = {
        "kind": kind,
        "section": section,
        "capability": capability,
        "previous_capability": None,
        "previous_section": None,
        "line_before": None,
        "line_after": None,
        "status_before": None,
        "status_after": None,
        "evidence_added": [],
        "evidence_removed": [],
        "check_before": None,
        "check_after": None,
        "findings_after": [],
        "upgraded_without_new_proof": False,
    }
    change.update(fields)
    return change


def test_diff_json_between_two_revisions(history_repo, capsys) -> None:
    repo, shas = history_repo
    git(repo, "tag", "-f", "v0", shas[0])
    code, out, err = _run(capsys, "diff", "--repo", str(repo), "v0", "HEAD", "--format", "json")
    assert (code, err) == (1, "")  # a claim rose without new proof: a PR gate stops
    old, new = (shas[0], MATRIX), ("HEAD", "docs/parity/matrix.md")
    assert json.loads(out) == {
        "schema_version": 1,
        "command": "diff",
        "before": {
            "rev": "v0",
            "sha": shas[0],
            "rows": 24,
            "statuses": {"Designed": 1, "Exception": 1, "Implemented": 17, "Partial": 3, "Planned": 2},
            "check_errors": 0,
            "check_warnings": 1,
        },
        "after": {
            "rev": "HEAD",
            "sha": shas[-1],
            "rows": 24,
            "statuses": {"Designed": 1, "Exception": 1, "Implemented": 19, "Partial": 1, "Planned": 2},
            "check_errors": 0,
            "check_warnings": 2,
        },
        "summary": {
            "added": 1,
            "removed": 1,
            "renamed": 1,
            "status_changed": 2,
            "upgraded_without_new_proof": 1,
        },
        "changes": [
            _change(
                "renamed",
                "Scheduling",
                "Schedule definitions reject a zero-length interval",
                previous_capability="Schedule definitions reject a zero interval",
                line_before=_line_at(repo, *old, "| Schedule definitions reject"),
                line_after=_line_at(repo, *new, "| Schedule definitions reject"),
                status_before="Implemented",
                status_after="Implemented",
                check_before="ok",
                check_after="ok",
            ),
            _change(
                "added",
                "Sensors",
                "Sensor evaluation backs off after repeated failures",
                line_after=_line_at(repo, *new, "| Sensor evaluation backs off"),
                status_after="Planned",
                evidence_added=[".github/workflows/ci.yml"],
                check_after="ok",
            ),
            _change(
                "changed",
                "Partitions",
                BACKFILL,
                line_before=_line_at(repo, *old, f"| {BACKFILL}"),
                line_after=_line_at(repo, *new, f"| {BACKFILL}"),
                status_before="Partial",
                status_after="Implemented",
                check_before="ok",
                check_after="ok",
                upgraded_without_new_proof=True,
            ),
            _change(
                "changed",
                "Staleness / reconciliation",
                STALENESS,
                line_before=_line_at(repo, *old, f"| {STALENESS}"),
                line_after=_line_at(repo, *new, f"| {STALENESS}"),
                status_before="Partial",
                status_after="Implemented",
                evidence_added=[
                    "crates/arco-flow/src/orchestration/controllers/partition_status.rs"
                    "::test_staleness_never_materialized"
                ],
                check_before="ok",
                check_after="warning",
                findings_after=["proof-level-below"],
            ),
            _change(
                "removed",
                "Production hardening",
                "HA / leader election prevents duplicate ticks/evals under leader churn",
                line_before=_line_at(repo, *old, "| HA / leader election"),
                status_before="Planned",
                evidence_removed=[".github/workflows/ci.yml"],
                check_before="ok",
            ),
        ],
    }


def test_diff_markdown_against_the_work_tree(history_repo, capsys) -> None:
    repo, shas = history_repo
    git(repo, "tag", "-f", "v0", shas[0])
    code, out, err = _run(capsys, "diff", "--repo", str(repo), "v0", "--markdown")
    assert (code, err) == (1, "")
    assert out == (
        f"### parity diff: `v0` ({shas[0][:12]}) → work tree\n"
        "\n"
        "1 added, 1 removed, 1 renamed, 2 status change(s); **1 claim(s) upgraded without new proof**\n"
        "\n"
        "| Change | Section | Capability | Status | Evidence | Check |\n"
        "|---|---|---|---|---|---|\n"
        "| renamed | Scheduling | Schedule definitions reject a zero-length interval "
        "(was: Schedule definitions reject a zero interval) | Implemented |  | ok |\n"
        "| added | Sensors | Sensor evaluation backs off after repeated failures | Planned "
        "| +`.github/workflows/ci.yml` | ok |\n"
        f"| **changed (upgraded without new proof)** | Partitions | {BACKFILL} | Partial → Implemented |  | ok |\n"
        f"| changed | Staleness / reconciliation | {STALENESS} | Partial → Implemented "
        "| +`crates/arco-flow/src/orchestration/controllers/partition_status.rs::test_staleness_never_materialized`"
        " | ok → warning (proof-level-below) |\n"
        "| removed | Production hardening | HA / leader election prevents duplicate ticks/evals under leader churn "
        "| Planned | -`.github/workflows/ci.yml` | ok |\n"
        "\n"
        "Statuses: Implemented 17 → 19, Partial 3 → 1, Designed 1, Planned 2, Exception 1; check errors 0\n"
    )


def test_diff_of_a_file_move_changes_no_row(history_repo, capsys) -> None:
    repo, shas = history_repo
    code, out, _ = _run(capsys, "diff", "--repo", str(repo), "HEAD~1", "HEAD", "--markdown")
    assert code == 0
    assert out == (
        f"### parity diff: `HEAD~1` ({shas[-2][:12]}) → `HEAD` ({shas[-1][:12]})\n"
        "\n"
        "0 added, 0 removed, 0 renamed, 0 status change(s); 0 claim(s) upgraded without new proof\n"
        "\n"
        "No matrix row changed.\n"
        "\n"
        "Statuses: Implemented 19, Partial 1, Designed 1, Planned 2, Exception 1; check errors 0\n"
    )


def test_diff_sees_uncommitted_edits_and_leaves_the_work_tree_alone(tmp_path, capsys) -> None:
    repo = git_example(tmp_path)
    matrix = repo / MATRIX
    row = "| Schedule definitions reject a zero interval"
    _edit_row(matrix, row, "| Implemented |", "| Partial |")
    _edit_row(matrix, row, "(`test_schedule_spec_rejects_zero_interval`)", "(`test_nothing_here`)")
    before = matrix.read_bytes()
    code, out, err = _run(capsys, "diff", "--repo", str(repo), "HEAD", "--format", "json")
    assert (code, err) == (0, "")  # a downgrade is no unproven upgrade
    line = line_of(matrix, row)
    assert json.loads(out)["changes"] == [
        _change(
            "changed",
            "Scheduling",
            "Schedule definitions reject a zero interval",
            line_before=line,
            line_after=line,
            status_before="Implemented",
            status_after="Partial",
            evidence_added=["crates/arco-flow/src/orchestration/controllers/schedule.rs::test_nothing_here"],
            evidence_removed=[
                "crates/arco-flow/src/orchestration/controllers/schedule.rs::test_schedule_spec_rejects_zero_interval"
            ],
            check_before="ok",
            check_after="error",
            findings_after=["test-missing"],
        )
    ]
    assert matrix.read_bytes() == before
    assert git(repo, "status", "--porcelain") == f"M {MATRIX}"
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1


def test_diff_of_an_unknown_revision_is_bad_input(history_repo, capsys) -> None:
    repo, _ = history_repo
    code, out, err = _run(capsys, "diff", "--repo", str(repo), "no-such-tag")
    assert (code, out) == (2, "")
    assert err == (
        "parity: error: no-such-tag: names no commit of this repository (name a branch, tag or commit SHA)\n"
    )


def _row(capability: str, *, tests: tuple[str, ...] = (), status: str = "Partial") -> RowSnapshot:
    return RowSnapshot(
        file=MATRIX,
        line=10,
        section="S",
        capability=capability,
        status=status,
        code=("src/a.rs::thing",),
        tests=tests,
        ci=(),
        check="ok",
        findings=(),
    )


def _snapshot(*rows: RowSnapshot) -> Snapshot:
    return Snapshot(label="x", sha="", rows=rows, errors=0, warnings=0, proof_statuses=("Implemented",))


def test_a_reworded_row_with_new_evidence_is_still_one_row() -> None:
    old = _row("Sensors dedupe duplicate deliveries", tests=("t.rs::a",))
    new = _row("Sensors dedupe duplicated deliveries", tests=("t.rs::a", "t.rs::b"), status="Implemented")
    diff = compare(_snapshot(old), _snapshot(new))
    assert [(c.kind, c.evidence_added, c.upgraded_without_proof) for c in diff.changes] == [
        ("renamed", ("t.rs::b",), False)
    ]
    unrelated = _row("Leader election under churn", tests=("t.rs::a", "t.rs::b"))
    diff = compare(_snapshot(old), _snapshot(unrelated))
    assert [c.kind for c in diff.changes] == ["added", "removed"]


def test_a_row_moved_to_another_section_keeps_its_identity() -> None:
    old = _row("Sensors dedupe duplicate deliveries", tests=("t.rs::a",))
    moved = RowSnapshot(**{**{f: getattr(old, f) for f in old.__slots__}, "section": "T", "line": 40})
    change = compare(_snapshot(old), _snapshot(moved)).to_dict()["changes"]
    assert change == [
        _change(
            "changed",
            "T",
            "Sensors dedupe duplicate deliveries",
            previous_section="S",
            line_before=10,
            line_after=40,
            status_before="Partial",
            status_after="Partial",
            check_before="ok",
            check_after="ok",
        )
    ]
    assert compare(_snapshot(old), _snapshot(old)).changes == ()
