"""Matching a matrix's cited CI command to the workflow command that runs it (parity.cimatch)."""

from __future__ import annotations

from pathlib import Path

import pytest

from parity.workflow import MatchKind, Workflow, load_workflow, match_command

DATA = Path(__file__).parent / "data" / "workflow"

VARIANTS = """\
on: [push]
jobs:
  wrapped:
    runs-on: ubuntu-latest
    steps:
      - run: uv run --frozen pytest tests/unit -q
      - run: cargo +stable test -p arco-core
      - run: timeout 600 cargo test -p arco-api --lib
      - run: RUST_LOG=debug cargo test -p arco-cli
      - working-directory: python/arco
        run: pytest tests/integration -x
  twice:
    runs-on: ubuntu-latest
    steps:
      - run: cargo test --workspace
      - run: cargo test --workspace -- --nocapture
      - run: cargo test --workspace
      - run: cargo test --doc 2>&1 | tee doc.log
"""


@pytest.fixture(scope="module")
def seed() -> Workflow:
    return load_workflow(DATA, "arco_mini.yml")


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> Workflow:
    root = tmp_path_factory.mktemp("variants")
    (root / "ci.yml").write_text(VARIANTS, encoding="utf-8")
    return load_workflow(root, "ci.yml")


def test_verbatim(seed: Workflow) -> None:
    match = match_command(seed, "test", "cargo test -p arco-flow --features test-utils --lib")
    assert match.kind is MatchKind.VERBATIM
    assert match.kind == "verbatim"
    assert match.command is not None
    assert match.step is not None
    assert (match.command.line, match.step.name, match.added_args, match.note) == (
        29,
        "arco-flow unit tests",
        (),
        "",
    )


def test_verbatim_ignores_spacing_and_quoting(seed: Workflow) -> None:
    match = match_command(
        seed, "python-tests", "python  -m 'pytest'  tests/integration/test_cli_api.py \"-v\""
    )
    assert match.kind is MatchKind.VERBATIM
    assert match.command is not None
    assert (match.command.line, match.command.cwd) == (59, "python/arco")


def test_extra_test_args_from_the_seed(seed: Workflow) -> None:
    match = match_command(seed, "test", "cargo test -p arco-flow --features test-utils --tests")
    assert match.kind is MatchKind.EXTRA_TEST_ARGS
    assert match.added_args == ("--skip", "parity_m2_")
    assert match.note == "the step adds `-- --skip parity_m2_`"
    assert match.command is not None
    assert match.command.line == 35


def test_working_directory_relative_paths(seed: Workflow) -> None:
    match = match_command(
        seed, "python-tests", "python -m pytest python/arco/tests/integration/test_cli_api.py -v"
    )
    assert match.kind is MatchKind.WORKING_DIRECTORY
    assert match.note == (
        "`python/arco/tests/integration/test_cli_api.py` is `tests/integration/test_cli_api.py` in `python/arco`"
    )


@pytest.mark.parametrize(
    ("cited", "line", "added", "note"),
    [
        ("pytest tests/unit -q", 6, (), "the step wraps it in `uv run --frozen`"),
        (
            "python -m pytest tests/unit -q",
            6,
            (),
            "the step wraps it in `uv run --frozen`; the step runs it without `python -m`",
        ),
        ("cargo test -p arco-core", 7, (), "the step runs `cargo +stable`"),
        ("cargo test -p arco-api --lib", 8, (), "the step wraps it in `timeout 600`"),
        ("cargo test -p arco-cli", 9, (), "the step sets `RUST_LOG=debug`"),
        (
            "python -m pytest python/arco/tests/integration",
            11,
            ("-x",),
            "the step runs it without `python -m`; `python/arco/tests/integration` is `tests/integration` in "
            "`python/arco`; the step adds `-x`",
        ),
    ],
)
def test_wrappers(variants: Workflow, cited: str, line: int, added: tuple[str, ...], note: str) -> None:
    match = match_command(variants, "wrapped", cited)
    assert match.kind is MatchKind.WRAPPER
    assert match.command is not None
    assert (match.command.line, match.added_args, match.note) == (line, added, note)


def test_cited_env_prefix_must_hold(variants: Workflow) -> None:
    assert (
        match_command(variants, "wrapped", "RUST_LOG=debug cargo test -p arco-cli").kind is MatchKind.VERBATIM
    )
    assert match_command(variants, "wrapped", "RUST_LOG=info cargo test -p arco-cli").kind is None


def test_verbatim_wins_and_equal_matches_are_all_returned(variants: Workflow) -> None:
    match = match_command(variants, "twice", "cargo test --workspace")
    assert match.kind is MatchKind.VERBATIM
    assert [m.command.line for m in match.matches] == [15, 17]
    assert match.note == "2 commands match equally (lines 15, 17)"


def test_unknown_job_lists_the_jobs(seed: Workflow) -> None:
    match = match_command(seed, "tests", "cargo test")
    assert (match.kind, match.job, match.candidates) == (None, None, ())
    assert (
        match.note
        == "`arco_mini.yml` has no job `tests`; its jobs: `test`, `python-tests`, `e2e`, `docs-lint`"
    )


def test_no_matching_step_offers_candidates(seed: Workflow) -> None:
    match = match_command(seed, "test", "cargo test -p arco-flow --features test-utils --bins")
    assert (match.kind, match.command, match.note) == (None, None, "")
    assert match.job is not None
    assert match.job.id == "test"
    assert [c.line for c in match.candidates] == [24, 29, 35, 38]


def test_command_hidden_in_shell_syntax(variants: Workflow) -> None:
    match = match_command(variants, "twice", "cargo test --doc")
    assert match.kind is None
    assert (
        match.note
        == "line 18 runs it with shell syntax or expressions (`2>&1`, `|`): `cargo test --doc 2>&1 | tee doc.log`"
    )


def test_cited_shell_syntax_is_refused(seed: Workflow) -> None:
    match = match_command(seed, "test", "cargo test --lib | tee log")
    assert (match.kind, match.note) == (None, "the cited command is not one plain command (`|`)")


def test_extra_cargo_options_are_not_test_args(seed: Workflow) -> None:
    match = match_command(seed, "test", "cargo test -p arco-flow --features test-utils")
    assert match.kind is None
    assert [c.line for c in match.candidates] == [24, 29, 35, 38]


def test_every_extra_pytest_argument_is_a_test_argument(seed: Workflow) -> None:
    match = match_command(seed, "python-tests", "python -m pytest tests/unit")
    assert match.kind is MatchKind.EXTRA_TEST_ARGS
    assert (match.added_args, match.note) == (("-q",), "the step adds `-q`")
