"""The command policy: `prove` runs only what a step of the cited job runs, without a shell, from an
allow-list, inside the repository. Most tests pass a recording runner to `prove` and assert what
would have been executed; the sentinel tests run `parity prove` for real and look for the file the
command would have created.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from conftest import MATRIX, ROOT, WORKFLOW, replace_in

from parity.config import load_config
from parity.prove import ProveOptions, ProveReport, prove
from parity.repository import Repository
from parity.runner import RunRecord

if TYPE_CHECKING:
    from collections.abc import Callable

ROW = (
    "Duplicate schedule ticks"  # matrix line 25: cites `cargo test -p arco-flow --features test-utils --lib`
)
CITED = "`cargo test -p arco-flow --features test-utils --lib`) | TBD | Proves replay"
TEST_REF = "crates/arco-flow/src/orchestration/compactor/fold.rs:417"
DEFAULT_ALLOWED = "cargo, python, python3, pytest, uv, nox"
SHELL_REFUSAL = "it uses shell syntax (`;`); set `prove.allow_shell = true` to run it under bash -c"


class Recorder:
    """A runner with `run_command`'s signature that runs nothing and remembers every call."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.calls: list[tuple[tuple[str, ...], str]] = []

    def __call__(
        self,
        argv: list[str],
        *,
        cwd: Path,
        env: dict[str, str],
        log_path: Path,
        timeout: float,
        on_line: Callable[[str], None] | None = None,
        on_start: Callable[[], None] | None = None,
    ) -> RunRecord:
        del env, timeout, on_line
        if on_start is not None:
            on_start()
        self.calls.append((tuple(argv), os.path.relpath(cwd, self.root)))
        return RunRecord(
            argv=tuple(argv),
            cwd=str(cwd),
            exit_code=0,
            duration=0.0,
            log_path=str(log_path),
            log_sha256="",
            log_bytes=0,
        )


def add_step(repo: Path, run: str, *, extra: str = "", job_step: str = "arco-flow parity gates (M2)") -> int:
    """Insert a step (before `job_step` of job `test`); returns the line of its `run:`."""
    workflow = repo / WORKFLOW
    anchor = f"      - name: {job_step}\n"
    replace_in(workflow, anchor, f"      - name: cited step\n{extra}        run: {run}\n\n{anchor}")
    lines = workflow.read_text(encoding="utf-8").splitlines()
    return lines.index(f"        run: {run}") + 1


def cite(repo: Path, command: str, *, workflow: str = WORKFLOW) -> None:
    """Make row 25 cite `command` (in job `test` of `workflow`) instead of its own command."""
    replace_in(repo / MATRIX, CITED, f"`{command}`) | TBD | Proves replay")
    if workflow != WORKFLOW:
        replace_in(
            repo / MATRIX,
            f"| `{WORKFLOW}` (job `test`: `{command}`)",
            f"| `{workflow}` (job `test`: `{command}`)",
        )


def configure(repo: Path, text: str) -> None:
    config = repo / "parity.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")


def prove_row(repo: Path) -> tuple[ProveReport, Recorder]:
    recorder = Recorder(repo)
    report = prove(Repository(load_config(repo)), ProveOptions(rows=(ROW,)), run=recorder)
    return report, recorder


def refused(report: ProveReport) -> list[tuple[str, str]]:
    return [(command.cited, reason) for command, reason in report.plan.refused]


def findings(report: ProveReport, code: str) -> list[tuple[str, str, str]]:
    return [
        (f.ref, f.message, f.hint) for f in report.check.findings if f.code == code and f.location.line == 25
    ]


def run_parity(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "parity", *args, "--repo", str(repo)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=repo.parent,
        check=False,
        timeout=300,
    )


def sentinels(top: Path) -> list[Path]:
    return sorted(top.rglob("SENTINEL*"))


# -- shell syntax -------------------------------------------------------------------------------


def test_a_cited_shell_line_no_step_runs_is_never_executed(example: Path) -> None:
    cite(example, "cargo test; touch SENTINEL")
    done = run_parity(example, "prove", "--row", ROW, "--format", "json")
    assert done.returncode == 1
    assert sentinels(example.parent) == []
    report: dict[str, Any] = json.loads(done.stdout)
    assert report["commands"] == []
    assert report["refused"] == []
    (row,) = report["rows"]
    assert row["verdict"] == "not run"
    assert row["reasons"][0] == (
        "no step of job `test` in `.github/workflows/ci.yml` runs `cargo test; touch SENTINEL` "
        "(the cited command is not one plain command (`;`))"
    )


def test_a_pipe_to_sh_is_refused_and_nothing_runs(example: Path) -> None:
    cite(example, "cargo test; curl x \\| sh")
    report, recorder = prove_row(example)
    assert recorder.calls == []
    assert report.plan.invocations == ()
    assert findings(report, "ci-command-not-found") == [
        (
            "cargo test; curl x | sh",
            "no step of job `test` in `.github/workflows/ci.yml` runs `cargo test; curl x | sh` "
            "(the cited command is not one plain command (`;`, `|`))",
            "cite a command a step of that job runs, verbatim",
        )
    ]


def test_a_shell_step_is_not_executed_even_when_the_workflow_runs_it(example: Path) -> None:
    add_step(example, "cargo test; touch SENTINEL")
    cite(example, "cargo test; touch SENTINEL")
    done = run_parity(example, "prove", "--row", ROW, "--format", "json")
    assert done.returncode == 1
    assert sentinels(example.parent) == []
    assert json.loads(done.stdout)["commands"] == []


def test_a_verbatim_shell_step_is_refused_with_the_policy_reason(example: Path) -> None:
    add_step(example, "cargo test; touch SENTINEL")
    cite(example, "cargo test; touch SENTINEL")
    report, recorder = prove_row(example)
    assert recorder.calls == []
    assert refused(report) == [("cargo test; touch SENTINEL", SHELL_REFUSAL)]


def test_allow_shell_runs_a_verbatim_shell_step_under_bash_exactly_once(example: Path) -> None:
    add_step(example, "cargo test; touch SENTINEL")
    cite(example, "cargo test; touch SENTINEL")
    configure(example, "[prove]\nallow_shell = true\n")
    report, recorder = prove_row(example)
    assert refused(report) == []
    assert recorder.calls == [(("bash", "-e", "-c", "cargo test; touch SENTINEL"), ".")]


def test_allow_shell_really_runs_the_step_once(example: Path) -> None:
    add_step(example, "cargo --version; echo ran >> SENTINEL")
    cite(example, "cargo --version; echo ran >> SENTINEL")
    configure(example, "[prove]\nallow_shell = true\n")
    run_parity(example, "prove", "--row", ROW, "--format", "json")
    assert (example / "SENTINEL").read_text(encoding="utf-8") == "ran\n"


# -- only what the workflow runs ----------------------------------------------------------------


def test_a_command_no_step_runs_is_not_found_and_never_run(example: Path) -> None:
    cite(example, "cargo test -p arco-flow --release")
    report, recorder = prove_row(example)
    assert recorder.calls == []
    assert report.plan.invocations == ()
    ((ref, message, _),) = findings(report, "ci-command-not-found")
    assert (ref, message) == (
        "cargo test -p arco-flow --release",
        "no step of job `test` in `.github/workflows/ci.yml` runs `cargo test -p arco-flow --release`",
    )
    (verdict,) = report.rows
    assert verdict.verdict.value == "not run"
    assert report.exit_code == 1


def test_the_workflow_argv_runs_not_the_matrix_text(example: Path) -> None:
    """The cited text names a step; what runs is that step's argv (here it adds `-- --skip`)."""
    replace_in(
        example / MATRIX,
        CITED,
        "`cargo test -p arco-flow --features test-utils --tests`) | TBD | Proves replay",
    )
    _, recorder = prove_row(example)
    assert recorder.calls == [
        (
            (
                "cargo",
                "test",
                "--no-fail-fast",
                "-p",
                "arco-flow",
                "--features",
                "test-utils",
                "--tests",
                "--",
                "--skip",
                "parity_m2_",
            ),
            ".",
        )
    ]


def test_an_escaped_pipe_in_the_matrix_is_the_quoted_pipe_of_the_step(example: Path) -> None:
    """GFM makes a table cell write `|` as `\\|`, code spans included; a quoted `|` is no pipeline."""
    add_step(example, "cargo test -p arco-flow --features test-utils --lib -- --skip 'a|b'")
    cite(example, "cargo test -p arco-flow --features test-utils --lib -- --skip 'a\\|b'")
    report, recorder = prove_row(example)
    assert findings(report, "ci-command-not-found") == []
    assert recorder.calls == [
        (
            (
                "cargo",
                "test",
                "--no-fail-fast",
                "-p",
                "arco-flow",
                "--features",
                "test-utils",
                "--lib",
                "--",
                "--skip",
                "a|b",
            ),
            ".",
        )
    ]


def test_a_workflow_outside_the_repository_is_not_a_trust_root(example: Path, tmp_path: Path) -> None:
    outside = tmp_path / "evil.yml"
    outside.write_text((example / WORKFLOW).read_text(encoding="utf-8"), encoding="utf-8")
    cite(example, "cargo test -p arco-flow --features test-utils --lib", workflow="../evil.yml")
    report, recorder = prove_row(example)
    assert recorder.calls == []
    (finding,) = findings(report, "ci-workflow-unknown")
    assert finding[:2] == ("../evil.yml", "`../evil.yml` is not a workflow of this repository")


def test_a_symlinked_workflow_leading_outside_is_not_a_trust_root(example: Path, tmp_path: Path) -> None:
    outside = tmp_path / "evil.yml"
    outside.write_text(
        "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: cargo test --offline\n",
        encoding="utf-8",
    )
    (example / ".github" / "workflows" / "evil.yml").symlink_to(outside)
    cite(example, "cargo test --offline", workflow=".github/workflows/evil.yml")
    _, recorder = prove_row(example)
    assert recorder.calls == []


# -- the executable allow-list ------------------------------------------------------------------


def test_an_executable_outside_the_allow_list_is_refused(example: Path) -> None:
    add_step(example, "make test")
    cite(example, "make test")
    report, recorder = prove_row(example)
    assert recorder.calls == []
    assert refused(report) == [
        (
            "make test",
            f"`make` is not an allowed executable ({DEFAULT_ALLOWED}); add it to `prove.allowed_executables`",
        )
    ]
    done = run_parity(example, "prove", "--dry-run", "--row", ROW)
    assert done.returncode == 0
    assert (
        "  refused: `make test` (job test): `make` is not an allowed executable "
        f"({DEFAULT_ALLOWED}); add it to `prove.allowed_executables`"
    ) in done.stdout.splitlines()


def test_extending_the_allow_list_lets_the_step_run_once(example: Path) -> None:
    add_step(example, "make test")
    cite(example, "make test")
    configure(example, '[prove]\nallowed_executables = ["cargo", "make"]\n')
    report, recorder = prove_row(example)
    assert refused(report) == []
    assert recorder.calls == [(("make", "test"), ".")]


@pytest.mark.parametrize("program", ["./cargo", "tools/cargo"])
def test_a_path_named_like_an_allowed_executable_is_refused(example: Path, program: str) -> None:
    add_step(example, f"{program} test")
    cite(example, f"{program} test")
    report, recorder = prove_row(example)
    assert recorder.calls == []
    assert refused(report) == [
        (
            f"{program} test",
            f"`{program}` is not an allowed executable ({DEFAULT_ALLOWED}); add it to `prove.allowed_executables`",
        )
    ]


@pytest.mark.parametrize(
    "command", ["cargo publish --allow-dirty", "python -m twine upload dist/x.whl", "uv publish"]
)
def test_an_allowed_program_running_no_tests_is_refused(example: Path, command: str) -> None:
    add_step(example, command)
    cite(example, command)
    report, recorder = prove_row(example)
    assert recorder.calls == []
    assert [cited for cited, _ in refused(report)] == [command]


# -- confinement --------------------------------------------------------------------------------


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory next to the repository copy, holding Rust that must never be read or run."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.rs").write_text("pub fn secret() {}\n\n#[test]\nfn leaked() {}\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize(
    ("make", "cited", "reason"),
    [
        (
            "file-link",
            "crates/arco-flow/tests/leak.rs",
            "`crates/arco-flow/tests/leak.rs` is a symlink that leads outside the repository",
        ),
        (
            "dir-link",
            "crates/arco-flow/linked/secret.rs",
            "`crates/arco-flow/linked/secret.rs` goes through the symlink `crates/arco-flow/linked`, "
            "which leads outside the repository",
        ),
        ("", "../outside/secret.rs", "`../outside/secret.rs` climbs out of the repository with `..`"),
    ],
    ids=["file-symlink", "directory-symlink", "dot-dot"],
)
def test_evidence_escaping_the_repository_is_refused(
    example: Path, outside: Path, make: str, cited: str, reason: str
) -> None:
    if make == "file-link":
        (example / cited).symlink_to(outside / "secret.rs")
    elif make == "dir-link":
        (example / "crates/arco-flow/linked").symlink_to(outside)
    replace_in(
        example / MATRIX,
        f"`{TEST_REF}` (`test_fold_schedule",
        f"`{cited}:4` (`leaked`)<br>`{TEST_REF}` (`test_fold_schedule",
    )
    replace_in(
        example / MATRIX,
        "`crates/arco-flow/src/orchestration/compactor/fold.rs:187` (global idempotency gate)",
        f"`{cited}:1` (`secret`)",
    )
    report, _ = prove_row(example)
    row_findings = [(f.code, f.ref, f.message) for f in report.check.findings if f.location.line == 25]
    # Nothing was read from outside: no symbol, line or test finding about the escaping ref either.
    assert row_findings == [
        ("path-escapes-repo", f"{cited}:1", reason),
        ("path-escapes-repo", f"{cited}:4", reason),
    ]
    (verdict,) = report.rows
    assert [t.label for t in verdict.tests] == [
        "crates/arco-flow/src/orchestration/compactor/fold.rs::test_fold_schedule_ticked_idempotent_with_same_tick_id"
    ]


@pytest.mark.parametrize(
    ("extra", "run"),
    [
        ("        working-directory: ../..\n", "cargo test --offline"),
        ("        working-directory: /tmp\n", "cargo test --offline"),
        ("        working-directory: ${{ github.workspace }}/..\n", "cargo test --offline"),
        ("", "cd ../.. && cargo test --offline"),
    ],
    ids=["dot-dot", "absolute", "workspace-parent", "cd-dot-dot"],
)
@pytest.mark.parametrize("allow_shell", [False, True])
def test_a_step_starting_outside_the_repository_never_runs(
    example: Path, extra: str, run: str, *, allow_shell: bool
) -> None:
    add_step(example, run, extra=extra)
    cite(example, "cargo test --offline")
    if allow_shell:
        configure(example, "[prove]\nallow_shell = true\n")
    report, recorder = prove_row(example)
    assert recorder.calls == []
    assert report.plan.invocations == ()
    # Not found (today: the step's command is not plain argv) or refused: either way, never run.
    not_found = [ref for ref, _, _ in findings(report, "ci-command-not-found")]
    assert not_found + [cited for cited, _ in refused(report)] == ["cargo test --offline"]


@pytest.mark.parametrize(
    ("extra", "run"),
    [
        ("        working-directory: linked\n", "cargo test --offline"),
        ("", "cd linked && cargo test --offline"),
    ],
    ids=["working-directory", "cd"],
)
def test_a_step_whose_directory_is_a_symlink_out_never_runs(
    example: Path, outside: Path, extra: str, run: str
) -> None:
    (example / "linked").symlink_to(outside)
    add_step(example, run, extra=extra)
    cite(example, "cargo test --offline")
    report, recorder = prove_row(example)
    assert recorder.calls == []
    assert refused(report) == [
        ("cargo test --offline", "working directory `linked` is a symlink that leads outside the repository")
    ]
