"""Fixtures: fresh copies of the bundled example repository, mutated in place, with one shared cargo target."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "arco-mini"
MATRIX = "docs/parity/dagster-parity-matrix.md"
WORKFLOW = ".github/workflows/ci.yml"

# Every cargo run of every test shares one target dir, so builds of unchanged code are reused.
os.environ.setdefault("CARGO_TARGET_DIR", str(Path(tempfile.gettempdir()) / "parity-test-cargo-target"))
os.environ.setdefault("CARGO_TERM_COLOR", "never")

# tests/data holds fixtures, never tests. Not descending into it also keeps pytest from importing
# tests/data/sourceindex/conftest.py as the module `conftest`, which would shadow this file for
# the test modules that do `from conftest import ...`.
collect_ignore = ["data"]

_IGNORE = shutil.ignore_patterns("target", "__pycache__", ".pytest_cache", ".parity-cache", "*.pyc")


def copy_example(destination: Path) -> Path:
    """A private copy of examples/arco-mini that a test may break at will."""
    target = destination / "arco-mini"
    shutil.copytree(EXAMPLE, target, ignore=_IGNORE)
    return target


@pytest.fixture
def example(tmp_path: Path) -> Path:
    return copy_example(tmp_path)


def replace_in(path: Path, old: str, new: str, *, count: int = 1) -> None:
    """Edit a file of a copied repo; fails loudly if the text to replace is not there exactly."""
    text = path.read_text(encoding="utf-8")
    found = text.count(old)
    assert found >= count, f"{old!r} occurs {found} times in {path}, expected at least {count}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    """1-based line of the first line containing `needle`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not found in {path}")
