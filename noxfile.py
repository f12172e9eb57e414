# /// script
# dependencies = ["nox>=2024.4.15"]
# ///
"""Developer entry points: each session installs parity and runs one `parity` verb (like cargo xtask)."""

from __future__ import annotations

import nox

nox.needs_version = ">=2024.4.15"
nox.options.default_venv_backend = "venv"
nox.options.sessions = ["tests", "lint", "parity-check"]

EXAMPLE = "examples/arco-mini"


def _with_repo(posargs: list[str]) -> list[str]:
    """Run on the bundled example unless the caller names a repository."""
    if any(arg == "--repo" or arg.startswith("--repo=") for arg in posargs):
        return posargs
    return ["--repo", EXAMPLE, *posargs]


@nox.session(name="tests")
def tests(session: nox.Session) -> None:
    """Run the test suite (builds and runs the example's Rust and Python tests for real)."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs, env={"CARGO_TARGET_DIR": str(_target_dir(session))})


@nox.session(name="lint")
def lint(session: nox.Session) -> None:
    """ruff (select=ALL), ruff format --check, and mypy --strict."""
    session.install("-e", ".[lint]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session(name="parity-check", reuse_venv=True)
def parity_check(session: nox.Session) -> None:
    """Statically validate every evidence link of the matrix (about a second)."""
    session.install("-e", ".")
    session.run("parity", "check", *_with_repo(session.posargs))


@nox.session(name="parity-prove", reuse_venv=True)
def parity_prove(session: nox.Session) -> None:
    """Run every cited CI command and prove each cited test ran and passed under it."""
    session.install("-e", ".", "pytest")
    session.run("parity", "prove", *_with_repo(session.posargs))


@nox.session(name="parity-merge", reuse_venv=True, default=False)
def parity_merge(session: nox.Session) -> None:
    """Combine `parity-prove -- --shard K/N --json FILE` results into the final verdicts and reports."""
    session.install("-e", ".")
    session.run("parity", "merge", *_with_repo(session.posargs))


@nox.session(name="parity-signoff", reuse_venv=True, default=False)
def parity_signoff(session: nox.Session) -> None:
    """Prove everything at a clean commit and write docs/parity/signoff/<release>.json (pass --release)."""
    session.install("-e", ".", "pytest")
    session.run("parity", "signoff", *_with_repo(session.posargs))


@nox.session(name="parity-fix", reuse_venv=True, default=False)
def parity_fix(session: nox.Session) -> None:
    """Show (or --write, or --check) line-number fixes for drifted evidence refs."""
    session.install("-e", ".")
    session.run("parity", "fix", *_with_repo(session.posargs))


@nox.session(name="bench", default=False)
def bench(session: nox.Session) -> None:
    """Print the speed and memory figures (check scaling, prove overhead, peak memory) against targets."""
    # Not editable: an editable install's import hook would run in every Python process the bench
    # times (parity's and the cited pytest commands'), which no pip-installed parity has.
    session.install(".", "pytest")
    session.run("python", "bench/run.py", *session.posargs)


def _target_dir(session: nox.Session) -> object:
    """One cargo target dir shared by every test (and kept between runs) so builds stay incremental."""
    from pathlib import Path  # noqa: PLC0415

    return Path(session.virtualenv.location).parent / "cargo-target"
