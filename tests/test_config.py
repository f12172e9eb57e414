"""Configuration: seed defaults with no file, parity.toml or [tool.parity], and exact errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from parity.config import load_config
from parity.errors import InputError


def test_defaults_match_the_seed_layout(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config.source == "defaults"
    assert config.matrices == ("docs/parity/dagster-parity-matrix.md",)
    assert config.statuses == ("Implemented", "Partial", "Designed", "Planned", "Exception")
    assert config.forbidden_prefixes == ("docs/plans/",)
    assert config.exception_doc == "docs/audits/arco-flow-dagster-exception-planning.md"
    assert config.csv_paths() == ("docs/parity/dagster-parity-matrix.csv",)
    assert config.prove.timeout_seconds == 1800.0
    assert config.prove.allowed_executables == ("cargo", "python", "python3", "pytest", "uv", "nox")


def test_parity_toml_wins_over_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.parity]\nmatrix = "other.md"\n')
    (tmp_path / "parity.toml").write_text(
        '# comment\nmatrix = "docs/m.md"\n[prove]\ntimeout = 5\nretries = 2\n'
        '[jobs.python-tests]\nsetup = ["python -m pip install pytest"]\n'
    )
    config = load_config(tmp_path)
    assert config.source == "parity.toml"
    assert config.matrices == ("docs/m.md",)
    assert (config.prove.timeout_seconds, config.prove.retries) == (5.0, 2)
    assert config.jobs["python-tests"].setup == ("python -m pip install pytest",)


def test_pyproject_tool_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.parity]\nstatuses = ["Done", "Todo"]\n'
    )
    config = load_config(tmp_path)
    assert (config.source, config.statuses) == ("pyproject.toml [tool.parity]", ("Done", "Todo"))


def test_pyproject_without_table_uses_defaults(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    assert load_config(tmp_path).source == "defaults"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            'matrx = "m.md"\n',
            "parity.toml:1: unknown key `matrx` (known keys: columns, csv, exception_doc, "
            "exception_status, forbidden_prefixes, jobs, matrices, matrix, proof_levels, proof_statuses, prove, statuses, workflows)",
        ),
        (
            "matrix = [1]\n",
            'parity.toml:1: `matrix` must be a string or a list of strings (e.g. matrix = ["..."])',
        ),
        (
            "[prove]\ntimeout = -1\n",
            "parity.toml:1: `prove.timeout` must be a positive number of seconds (e.g. 1800)",
        ),
        (
            "[prove]\nretries = true\n",
            "parity.toml:1: `prove.retries` must be a whole number >= 0 (e.g. retries = 1)",
        ),
        (
            "[jobs.test]\nsetp = []\n",
            'parity.toml:1: [jobs.test] accepts only `setup` (setup = ["<run command>"])',
        ),
        ("matrix = \n", "parity.toml:1:9: invalid TOML: Unexpected character: '\\n' (fix the TOML syntax)"),
    ],
)
def test_bad_config(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "parity.toml").write_text(content)
    with pytest.raises(InputError) as caught:
        load_config(tmp_path)
    assert caught.value.render() == message
