"""Whether a job/step failure fails CI on pushes and pull requests (parity.gating, parity.ghexpr)."""

from __future__ import annotations

from pathlib import Path

import pytest

from parity.ghexpr import UNKNOWN, condition_truth, evaluate, truth, unwrap
from parity.workflow import Gating, Workflow, job_gating, load_workflow, step_gating

DATA = Path(__file__).parent / "data" / "workflow"


def load(text: str, tmp_path: Path) -> Workflow:
    (tmp_path / "ci.yml").write_text(text, encoding="utf-8")
    return load_workflow(tmp_path, "ci.yml")


def job_gate(workflow: Workflow, job_id: str) -> Gating:
    return job_gating(workflow, workflow.jobs[job_id])


def step_gate(workflow: Workflow, job_id: str, index: int) -> Gating:
    job = workflow.jobs[job_id]
    return step_gating(workflow, job, job.steps[index])


@pytest.fixture(scope="module")
def seed() -> Workflow:
    return load_workflow(DATA, "arco_mini.yml")


def test_seed_jobs(seed: Workflow) -> None:
    assert job_gate(seed, "test") == Gating(
        gates=True, reason="job `test` runs on push to main, pull_request"
    )
    assert job_gate(seed, "e2e") == Gating(
        gates=False,
        reason="job `e2e` does not run on push or pull_request "
        "(`if: github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'`)",
    )
    assert job_gate(seed, "docs-lint") == Gating(
        gates=False, reason="job `docs-lint` has `continue-on-error: true`"
    )


def test_if_schedule_does_not_gate(tmp_path: Path) -> None:
    workflow = load(
        "on: [push, schedule]\njobs:\n  a:\n    if: github.event_name == 'schedule'\n    steps: []\n",
        tmp_path,
    )
    assert job_gate(workflow, "a") == Gating(
        gates=False,
        reason="job `a` does not run on push or pull_request (`if: github.event_name == 'schedule'`)",
    )


def test_if_ref_main_gates_on_pushes_to_main(tmp_path: Path) -> None:
    text = "on: [push, pull_request]\njobs:\n  a:\n    if: ${{ github.ref == 'refs/heads/main' }}\n    steps: []\n"
    assert job_gate(load(text, tmp_path), "a") == Gating(gates=True, reason="job `a` runs on push to main")


def test_push_branch_filter_excluding_the_ref(tmp_path: Path) -> None:
    text = "on:\n  push:\n    branches: [dev]\njobs:\n  a:\n    if: github.ref == 'refs/heads/main'\n    steps: []\n"
    assert job_gate(load(text, tmp_path), "a") == Gating(
        gates=False,
        reason="job `a` does not run on push or pull_request (`if: github.ref == 'refs/heads/main'`)",
    )


def test_schedule_only_workflow(tmp_path: Path) -> None:
    workflow = load("on:\n  schedule:\n    - cron: '0 3 * * *'\njobs:\n  a:\n    steps: []\n", tmp_path)
    assert job_gate(workflow, "a") == Gating(
        gates=False, reason="`ci.yml` runs only on schedule, not on push or pull_request"
    )


def test_continue_on_error(tmp_path: Path) -> None:
    text = """\
on: [pull_request]
jobs:
  a:
    continue-on-error: true
    steps: []
  b:
    continue-on-error: ${{ matrix.experimental }}
    steps:
      - continue-on-error: true
        run: cargo test
      - continue-on-error: ${{ github.event_name == 'push' }}
        run: cargo test --lib
"""
    workflow = load(text, tmp_path)
    assert job_gate(workflow, "a") == Gating(gates=False, reason="job `a` has `continue-on-error: true`")
    assert job_gate(workflow, "b") == Gating(
        gates=False,
        certain=False,
        reason="job `b` has `continue-on-error: ${{ matrix.experimental }}`, which parity cannot evaluate: "
        "not proven gating",
    )
    assert step_gate(workflow, "b", 0) == Gating(
        gates=False, reason="step `cargo test` (line 9) has `continue-on-error: true`"
    )
    assert step_gate(workflow, "b", 1) == Gating(gates=True, reason="")  # false on pull_request


def test_step_conditions(tmp_path: Path) -> None:
    text = """\
on: [push]
jobs:
  a:
    steps:
      - id: build
        run: cargo build
      - if: failure()
        run: cargo test --doc
      - if: always()
        run: cargo test --lib
      - if: steps.build.outcome == 'success' && !cancelled()
        run: cargo test --bins
      - if: contains(github.event.head_commit.message, '[slow]')
        run: cargo test --release
"""
    workflow = load(text, tmp_path)
    assert step_gate(workflow, "a", 1) == Gating(
        gates=False,
        reason="step `cargo test --doc` (line 7) does not run on push or pull_request (`if: failure()`)",
    )
    assert step_gate(workflow, "a", 2) == Gating(gates=True, reason="")
    assert step_gate(workflow, "a", 3) == Gating(gates=True, reason="")
    assert step_gate(workflow, "a", 4) == Gating(
        gates=True,
        certain=False,
        reason="cannot evaluate `if: contains(github.event.head_commit.message, '[slow]')` of step "
        "`cargo test --release` (line 13); treated as gating",
    )


def test_needs_a_job_that_never_runs(tmp_path: Path) -> None:
    text = """\
on: [push]
jobs:
  nightly:
    if: github.event_name == 'schedule'
    steps: []
  after:
    needs: nightly
    steps: []
  after-anyway:
    needs: [nightly]
    if: ${{ always() }}
    steps: []
"""
    workflow = load(text, tmp_path)
    assert job_gate(workflow, "after") == Gating(
        gates=False, reason="job `after` needs job `nightly`, which does not run on push or pull_request"
    )
    assert job_gate(workflow, "after-anyway") == Gating(
        gates=True, reason="job `after-anyway` runs on push to main"
    )


def test_an_always_failing_step_stops_the_rest(tmp_path: Path) -> None:
    text = "on: [push]\njobs:\n  a:\n    steps:\n      - run: exit 1\n      - run: cargo test\n"
    assert step_gate(load(text, tmp_path), "a", 1) == Gating(
        gates=False, reason="step `exit 1` (line 5) always fails before step `cargo test` (line 6)"
    )


def test_command_failure_hidden_by_and_chain(tmp_path: Path) -> None:
    text = "on: [push]\njobs:\n  a:\n    steps:\n      - run: |\n          cargo test && echo ok\n          echo done\n"
    workflow = load(text, tmp_path)
    job = workflow.jobs["a"]
    step = job.steps[0]
    assert step_gating(workflow, job, step, step.commands[0]) == Gating(
        gates=False,
        reason="a failure of `cargo test` does not fail step `cargo test` (line 5): bash -e ignores failures "
        "before `&&` and inside compound commands, except on the script's last line",
    )
    assert step_gating(workflow, job, step, step.commands[2]) == Gating(gates=True, reason="")


def test_paths_filter_is_a_caveat(tmp_path: Path) -> None:
    text = "on:\n  pull_request:\n    paths: ['crates/**']\njobs:\n  a:\n    steps: []\n"
    assert job_gate(load(text, tmp_path), "a") == Gating(
        gates=True,
        certain=False,
        reason="job `a` runs on pull_request (only for changes matching the `paths` filter of pull_request)",
    )


# -- the expression evaluator ---------------------------------------------------------------------

PUSH = {"github": {"event_name": "push", "ref": "refs/heads/main", "event": UNKNOWN}}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("github.event_name == 'push'", True),
        ("github.event_name == 'PUSH'", True),  # string comparison ignores case
        ("github.event_name != 'push'", False),
        ("!(github.event_name == 'push')", False),
        ("github.ref == 'refs/heads/main' && github.event_name == 'push'", True),
        ("github.event_name == 'schedule' || github.event_name == 'push'", True),
        ("startsWith(github.ref, 'refs/heads/')", True),
        ("endsWith(github.ref, '/main')", True),
        ("contains(github.ref, 'heads')", True),
        ("contains(fromJSON('[\"a\"]'), 'a')", None),
        ("matrix.os == 'linux'", None),
        ("matrix.os == 'linux' && false", False),
        ("matrix.os == 'linux' || true", True),
        ("github.event.pull_request.draft == false", None),
        ("1 == '1'", True),
        ("null == 0", True),
        ("'' == false", True),
        ("0x10 == 16", True),
        ("'abc' < 'abd'", True),
        ("github['event_name'] == 'push'", True),
        ("always()", True),
        ("failure()", False),
        ("github.event_name == = 'push'", None),  # not an expression: unknown
    ],
)
def test_expressions(text: str, expected: bool | None) -> None:
    assert truth(evaluate(text, PUSH)) is expected


def test_conditions_imply_success_without_status_functions() -> None:
    assert condition_truth("true", PUSH, status="skipped") is False
    assert condition_truth("always()", PUSH, status="skipped") is True
    assert condition_truth("${{ github.event_name == 'push' }}", PUSH) is True
    assert condition_truth("${{ a }} && ${{ b }}", PUSH) is None


def test_unwrap() -> None:
    assert unwrap("${{ a == 'b' }}") == " a == 'b' "
    assert unwrap("a == 'b'") == "a == 'b'"
    assert unwrap("x ${{ a }}") is None
