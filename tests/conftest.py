"""Fixtures: fresh copies of the bundled example repository, mutated in place, with one shared cargo target."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
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
    _touch_tree(target)
    return target


def _touch_tree(root: Path) -> None:
    """Give every copied file a fresh mtime.

    All copies share one CARGO_TARGET_DIR and cargo names a path crate's artifacts the same wherever
    the copy lives, deciding freshness by mtime. copytree keeps the originals' (old) mtimes, so a clean
    copy made after a broken one was built would look up to date and run the broken binary.
    """
    now = time.time()
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (now, now))


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


# A fixed identity and no user or system git config: commits made by tests are reproducible.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Parity Test",
    "GIT_AUTHOR_EMAIL": "parity@example.invalid",
    "GIT_COMMITTER_NAME": "Parity Test",
    "GIT_COMMITTER_EMAIL": "parity@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str, date: str | None = None) -> str:
    """Run git in a test repository and return its stripped stdout (fails loudly)."""
    env = {**os.environ, **GIT_ENV}
    if date is not None:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, f"git {' '.join(args)} failed: {done.stderr}"
    return done.stdout.strip()


def commit_all(repo: Path, message: str, date: str) -> str:
    """Stage everything, commit at a fixed date, return the new commit's SHA."""
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, date=date)
    return git(repo, "rev-parse", "HEAD")


def git_example(destination: Path) -> Path:
    """A copy of the example as a git repository with one commit, "initial" (2024-01-01 12:00 UTC)."""
    repo = copy_example(destination)
    git(repo, "init", "-q", "-b", "main")
    commit_all(repo, "initial", "2024-01-01T12:00:00+00:00")
    return repo
