"""A synthetic Rust + Python monorepo and a parity matrix over it whose every evidence link holds.

Each Rust crate and each Python package is 100 files of realistic size: Rust item modules of about
350 lines with their unit tests, small `lib.rs`/`mod.rs` files and 100-line integration tests under
`tests/`; Python modules of about 180 lines and pytest files of 70 to 100 lines. Rows cite real
definitions and tests at their definition lines and real workflow commands, so `parity check` does
its full work on them and exits 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gen_python import PY_ROOT, write_package
from gen_rust import write_crate
from gen_sources import Site, Sites

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["Site", "Sites", "generate_repo", "use_matrix", "write_matrix"]

WORKFLOW = ".github/workflows/ci.yml"


def _workflow(crates: list[str]) -> str:
    unit_steps = "".join(
        f"\n      - name: {crate} unit tests\n        run: cargo test -p {crate} --lib\n" for crate in crates
    )
    return f"""name: CI

on:
  push:
    branches: [main]
  pull_request:

env:
  CARGO_TERM_COLOR: always

jobs:
  test:
    name: Rust tests
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: dtolnay/rust-toolchain@stable
{unit_steps}
      - name: Integration tests (every crate)
        run: cargo test --workspace --tests

  python-tests:
    name: Python SDK tests
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - name: Install test dependencies
        working-directory: {PY_ROOT}
        run: python -m pip install pytest
      - name: Unit tests
        working-directory: {PY_ROOT}
        run: python -m pytest tests/unit -q
      - name: Integration tests
        working-directory: {PY_ROOT}
        run: python -m pytest tests/integration -v
"""


def generate_repo(root: Path, *, crates: int = 10, packages: int = 10) -> Sites:
    """Write `crates` x 100 Rust files and `packages` x 100 Python files (plus manifests) under `root`."""
    sites = Sites()
    root.mkdir(parents=True, exist_ok=True)
    (root / "Cargo.toml").write_text(
        '[workspace]\nresolver = "2"\nmembers = ["crates/*"]\n', encoding="utf-8"
    )
    for number in range(crates):
        write_crate(root, sites, number)
    for number in range(packages):
        write_package(root, sites, number)
    (root / PY_ROOT / "pyproject.toml").write_text(
        '[project]\nname = "genpy"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n\n'
        '[tool.pytest.ini_options]\npythonpath = ["src"]\ntestpaths = ["tests"]\n',
        encoding="utf-8",
    )
    workflow = root / WORKFLOW
    workflow.parent.mkdir(parents=True, exist_ok=True)
    workflow.write_text(_workflow(sites.crates), encoding="utf-8")
    return sites


_HEADER = (
    "| Capability | Arco Feature | Status | Proof Level Required | Evidence (Code) | Evidence (Tests) "
    "| Evidence (CI) | Owner | Notes |\n|---|---|---|---|---|---|---|---|---|\n"
)
_OWNERS = ("TBD", "team-orchestration", "team-sdk", "team-api")
_FEATURES = {
    "ru": "Rust projection",
    "ri": "Rust crate API",
    "pu": "Python SDK module",
    "pi": "Python SDK flow",
    "mixed": "Rust core + Python SDK",
}


def _ci(job: str, command: str) -> str:
    return f"`{WORKFLOW}` (job `{job}`: `{command}`)"


def _pick(items: list[Site], turn: int, spread: int) -> Site:
    return items[(turn // spread) % len(items)]


def _rust_unit_row(sites: Sites, turn: int) -> tuple[str, str, str]:
    source = sites.rust_unit[turn % len(sites.rust_unit)]
    spread = len(sites.rust_unit)
    code = [_pick(source.code, turn, spread)]
    tests = [_pick(source.tests, turn, spread)]
    if turn % 3 == 0 and len(source.code) > 1:
        code.append(_pick(source.code, turn + spread, spread))
    if turn % 2 == 0 and len(source.tests) > 1:
        tests.append(_pick(source.tests, turn + spread, spread))
    crate = source.path.split("/")[1]
    return (
        "<br>".join(s.cite() for s in code),
        "<br>".join(s.cite() for s in dict.fromkeys(tests)),
        _ci("test", f"cargo test -p {crate} --lib"),
    )


def _rust_it_row(sites: Sites, turn: int) -> tuple[str, str, str]:
    test, code_files = sites.rust_it[turn % len(sites.rust_it)]
    spread = len(sites.rust_it)
    code = [_pick(f.code, turn, spread) for f in code_files]
    return (
        "<br>".join(s.cite() for s in code),
        _pick(test.tests, turn, spread).cite(),
        _ci("test", "cargo test --workspace --tests"),
    )


def _py_unit_row(sites: Sites, turn: int) -> tuple[str, str, str]:
    test, module = sites.py_unit[turn % len(sites.py_unit)]
    spread = len(sites.py_unit)
    return (
        _pick(module.code, turn, spread).cite(),
        _pick(test.tests, turn, spread).cite(),
        _ci("python-tests", "python -m pytest tests/unit -q"),
    )


def _py_it_row(sites: Sites, turn: int) -> tuple[str, str, str]:
    test, code_files = sites.py_it[turn % len(sites.py_it)]
    spread = len(sites.py_it)
    code = [_pick(f.code, turn, spread) for f in code_files]
    tests = dict.fromkeys((_pick(test.tests, turn, spread), _pick(test.tests, turn + spread, spread)))
    return (
        "<br>".join(s.cite() for s in code),
        "<br>".join(s.cite() for s in tests),
        _ci("python-tests", "python -m pytest tests/integration -v"),
    )


def _row(sites: Sites, number: int, turns: dict[str, int]) -> str:
    kind = ("ru", "ru", "ru", "ru", "ri", "ri", "pu", "pu", "pi", "mixed")[number % 10]
    turn = turns.get(kind, 0)
    turns[kind] = turn + 1
    owner = _OWNERS[number % len(_OWNERS)]
    if number % 100 == 99:
        return (
            f"| Capability {number}: planned reconciliation | Planner | Planned | integration "
            "| (no single owner module yet) | Missing proof: CI-gated planner tests "
            f"| `{WORKFLOW}` | {owner} | Not started |"
        )
    status = "Partial" if number % 40 == 39 else "Implemented"
    if kind == "mixed":
        rust = _rust_unit_row(sites, turns.get("ru", 0) + 7 * turn)
        python = _py_unit_row(sites, turns.get("pu", 0) + 5 * turn)
        code = f"Rust: {rust[0]}<br>Python: {python[0]}"
        tests = f"Rust: {rust[1]}<br>Python: {python[1]}"
        ci = f"{rust[2]}<br>{python[2]}"
        level = "unit"
    else:
        build = {"ru": _rust_unit_row, "ri": _rust_it_row, "pu": _py_unit_row, "pi": _py_it_row}[kind]
        code, tests, ci = build(sites, turn)
        level = "integration" if kind in {"ri", "pi"} else "unit"
    name = code.split("(`", 1)[1].split("`", 1)[0]
    return (
        f"| Capability {number}: `{name}` keeps its invariants | {_FEATURES[kind]} | {status} "
        f"| {level} | {code} | {tests} | {ci} | {owner} | Generated row {number} |"
    )


def write_matrix(root: Path, sites: Sites, rows: int, path: str, *, per_section: int = 100) -> str:
    """Write a matrix of `rows` rows in sections of `per_section`; returns its repo-relative path."""
    parts = ["# Generated parity matrix (benchmark)\n"]
    turns: dict[str, int] = {}
    for number in range(rows):
        if number % per_section == 0:
            parts.append(f"\n## Area {number // per_section}\n\n{_HEADER}")
        parts.append(_row(sites, number, turns) + "\n")
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(parts), encoding="utf-8")
    return path


def use_matrix(root: Path, path: str) -> None:
    """Point the repository's `parity.toml` at one matrix file."""
    (root / "parity.toml").write_text(f'matrix = "{path}"\n', encoding="utf-8")
