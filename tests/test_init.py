"""`parity init`: detection on copies of the example, the exact config it writes, and what it refuses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import MATRIX, WORKFLOW

from parity.cli import main
from parity.config import load_config
from parity.init import NOXFILE_HOOK

EXCEPTION_DOC = "docs/audits/arco-flow-dagster-exception-planning.md"

BODY = """\
# parity configuration, written by `parity init` from what it found here; edit freely.

# The matrix: Markdown tables with Capability/Status/Evidence columns under `## ` headings.
matrix = "docs/parity/dagster-parity-matrix.md"
# What CI runs: every cited command must be a step of one of these workflows.
workflows = [".github/workflows/ci.yml"]
# Exception rows must link their entry in this document.
exception_doc = "docs/audits/arco-flow-dagster-exception-planning.md"

# Layout parity found (it looks again on every run; nothing to configure):
# - Cargo: workspace: arco-api (crates/arco-api), arco-flow (crates/arco-flow)
# - Python packages with a pytest configuration: {python}

# Setup: earlier `run:` commands of a job that `parity prove` runs before its tests.
# Suggested from the workflows; uncomment the ones the tests need.
# [{table}jobs.python-tests]
# setup = ["python -m pip install pytest"]
# [{table}jobs.docs-lint]
# setup = ["python -m pip install pytest"]
"""

PYPROJECT = """\
# Tooling for the arco-mini monorepo. Keep this comment.
[project]
name = "arco-mini-tools"   # two spaces before this comment, on purpose
version = "0.0.1"

[tool.ruff]
line-length = 100  # matches CI
# a comment inside [tool.ruff]

[tool.pytest.ini_options]
testpaths = ["python/arco/tests"]

# This comment heads [other] and must stay with it.
[other]
key = 'single quoted'
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def summary(written: str, python: str) -> list[str]:
    return [
        f"wrote {written}",
        f"  matrix: {MATRIX}",
        f"  workflows: {WORKFLOW}",
        f"  exception doc: {EXCEPTION_DOC}",
        "  cargo: workspace: arco-api (crates/arco-api), arco-flow (crates/arco-flow)",
        f"  python (pytest): {python}",
        "  setup suggested (commented out) for job `python-tests`: ['python -m pip install pytest']",
        "  setup suggested (commented out) for job `docs-lint`: ['python -m pip install pytest']",
    ]


@pytest.fixture
def bare(example: Path) -> Path:
    (example / "parity.toml").unlink()
    return example


def test_init_writes_a_commented_parity_toml_and_the_noxfile(
    bare: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "init", "--repo", str(bare))

    assert (code, err) == (0, "")
    assert out.splitlines() == [
        *summary("parity.toml", "python/arco"),
        "wrote noxfile.py (sessions parity-check, parity-prove, parity-fix, parity-signoff)",
        "next: parity check",
    ]
    assert (bare / "parity.toml").read_text(encoding="utf-8") == BODY.format(python="python/arco", table="")
    assert (bare / "noxfile.py").read_text(encoding="utf-8") == NOXFILE_HOOK
    assert NOXFILE_HOOK == "from parity.nox_sessions import register\nregister()\n"
    config = load_config(bare)
    assert (config.source, config.matrices, config.workflows, config.exception_doc, config.jobs) == (
        "parity.toml",
        (MATRIX,),
        (WORKFLOW,),
        EXCEPTION_DOC,
        {},
    )
    assert main(["check", "--repo", str(bare)]) == 0


def test_init_refuses_an_existing_config(example: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = (example / "parity.toml").read_bytes()

    code, out, err = run(capsys, "init", "--repo", str(example))

    assert (code, out) == (2, "")
    assert err == (
        "parity: error: parity.toml: a parity configuration already exists; `parity init` never "
        "overwrites it (edit it, or delete it to start over)\n"
    )
    assert (example / "parity.toml").read_bytes() == before
    assert not (example / "noxfile.py").exists()


def test_init_pyproject_keeps_every_byte_and_comment(bare: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (bare / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (bare / "noxfile.py").write_text("import nox\n", encoding="utf-8")

    code, out, err = run(capsys, "init", "--repo", str(bare), "--pyproject")

    assert (code, err) == (0, "")
    assert out.splitlines() == [
        *summary("pyproject.toml [tool.parity]", "., python/arco"),
        "add these two lines to noxfile.py for the parity-* sessions:",
        "    from parity.nox_sessions import register",
        "    register()",
        "next: parity check",
    ]
    text = (bare / "pyproject.toml").read_text(encoding="utf-8")
    table = "[tool.parity]\n" + BODY.format(python="., python/arco", table="tool.parity.")
    assert text == PYPROJECT + "\n" + table  # the original bytes first, untouched
    assert (bare / "noxfile.py").read_text(encoding="utf-8") == "import nox\n"
    assert not (bare / "parity.toml").exists()
    config = load_config(bare)
    assert (config.source, config.matrices, config.exception_doc) == (
        "pyproject.toml [tool.parity]",
        (MATRIX,),
        EXCEPTION_DOC,
    )

    code, _, err = run(capsys, "init", "--repo", str(bare), "--pyproject")
    assert code == 2
    assert err == (
        "parity: error: pyproject.toml: already has a [tool.parity] table; `parity init` never overwrites "
        "a configuration (edit that table, or delete it to start over)\n"
    )
    assert (bare / "pyproject.toml").read_text(encoding="utf-8") == text
    assert run(capsys, "init", "--repo", str(bare))[0] == 2  # nor writes a parity.toml that would shadow it


def test_init_pyproject_requires_one(bare: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "init", "--repo", str(bare), "--pyproject") == (
        2,
        "",
        "parity: error: pyproject.toml: not found (run `parity init` without --pyproject)\n",
    )


def test_init_refuses_a_pyproject_whose_tool_table_is_inline(
    bare: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (bare / "pyproject.toml").write_text("tool = { black = { line-length = 88 } }\n", encoding="utf-8")
    code, _, err = run(capsys, "init", "--repo", str(bare), "--pyproject")
    assert code == 2
    assert err.startswith("parity: error: pyproject.toml: a [tool.parity] table cannot be added to it: ")
    assert err.endswith("(run `parity init` without --pyproject to write parity.toml)\n")
    assert (bare / "pyproject.toml").read_text(
        encoding="utf-8"
    ) == "tool = { black = { line-length = 88 } }\n"


def test_init_finds_a_matrix_outside_docs_parity(bare: Path, capsys: pytest.CaptureFixture[str]) -> None:
    moved = bare / "handbook" / "capabilities.md"
    moved.parent.mkdir()
    shutil.move(bare / MATRIX, moved)
    (bare / "docs" / "parity" / "matrix-template.md").write_text(
        "| Capability | Status |\n|---|---|\n", encoding="utf-8"
    )

    code, _, _ = run(capsys, "init", "--repo", str(bare), "--no-noxfile")

    assert code == 0
    assert load_config(bare).matrices == ("handbook/capabilities.md",)
    assert not (bare / "noxfile.py").exists()


def test_init_without_any_matrix(bare: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (bare / MATRIX).unlink()
    code, out, err = run(capsys, "init", "--repo", str(bare))
    assert (code, out) == (2, "")
    assert err == (
        f"parity: error: {bare}: no parity matrix found (no docs/parity/*matrix*.md, no Markdown table "
        "with Capability and Status columns) (write the matrix first, or pass --matrix PATH)\n"
    )
    assert not (bare / "parity.toml").exists()


def test_init_suggests_only_setup_before_the_tests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    (repo / ".github" / "workflows").mkdir(parents=True)
    (repo / "docs" / "parity").mkdir(parents=True)
    (repo / "docs" / "parity" / "features-matrix.md").write_text(
        "## A\n\n| Capability | Status | Evidence (Code) | Evidence (Tests) | Evidence (CI) | Owner |\n"
        "|---|---|---|---|---|---|\n| x | Planned | | | | TBD |\n",
        encoding="utf-8",
    )
    (repo / ".github" / "workflows" / "tests.yaml").write_text(
        "on: [push]\njobs:\n  py:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: |\n          uv sync --frozen\n          echo ready\n          cargo build --release\n"
        "      - run: uv run pytest -q\n      - run: pip install twine\n"
        "  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pip install ruff\n      - run: ruff check .\n",
        encoding="utf-8",
    )

    code, out, _ = run(capsys, "init", "--repo", str(repo), "--no-noxfile")

    assert code == 0
    text = (repo / "parity.toml").read_text(encoding="utf-8")
    assert text.splitlines()[-3:] == [
        "# Suggested from the workflows; uncomment the ones the tests need.",
        "# [jobs.py]",
        '# setup = ["uv sync --frozen", "cargo build --release"]',
    ]
    assert 'matrix = "docs/parity/features-matrix.md"' in text.splitlines()
    assert 'workflows = [".github/workflows/tests.yaml"]' in text.splitlines()
    assert '# exception_doc = "docs/audits/<name>-exception-planning.md"  # none found' in text.splitlines()
    assert "# - Cargo: no Cargo.toml at the root" in text.splitlines()
    assert "  exception doc: none found" in out.splitlines()
