"""The benchmark's generated monorepo: every ref of its matrix holds, and `parity check` really checks them."""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

import pytest

from parity.cli import main

ROOT = Path(__file__).resolve().parent.parent


def _load_generate() -> Any:
    """bench/ is a directory of scripts, not a package: import `generate` (and its siblings) from it."""
    bench = str(ROOT / "bench")
    sys.path.insert(0, bench)
    try:
        return importlib.import_module("generate")
    finally:
        sys.path.remove(bench)


generate = _load_generate()


def _check(repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(["check", "--repo", str(repo), "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


@pytest.fixture
def small(tmp_path: Path) -> tuple[Path, Any]:
    """One crate and one package (200 files) with a 120-row matrix: every row kind, Partial and Planned."""
    root = tmp_path / "generated"
    sites = generate.generate_repo(root, crates=1, packages=1)
    generate.use_matrix(root, generate.write_matrix(root, sites, 120, "docs/parity/matrix-120.md"))
    return root, sites


def test_generated_repo_has_the_requested_files(small: tuple[Path, Any]) -> None:
    root, sites = small
    assert sites.files == 200
    assert len(list(root.rglob("*.rs"))) == 100
    assert len(list(root.rglob("*.py"))) == 100
    assert sites.crates == ["gen-c00"]
    assert (root / "parity.toml").read_text(encoding="utf-8") == 'matrix = "docs/parity/matrix-120.md"\n'


def test_every_recorded_site_is_the_line_that_defines_it(small: tuple[Path, Any]) -> None:
    root, sites = small
    sources = [*sites.rust_unit, *(t for t, _ in sites.rust_it), *(t for t, _ in sites.py_unit)]
    sources += [t for t, _ in sites.py_it]
    checked = 0
    for source in sources:
        lines = (root / source.path).read_text(encoding="utf-8").splitlines()
        for site in [*source.code, *source.tests]:
            last = site.name.replace("::", ".").rsplit(".", 1)[-1]
            assert last in lines[site.line - 1], (site, lines[site.line - 1])
            checked += 1
    assert checked > 1000


def test_parity_check_accepts_every_row(small: tuple[Path, Any], capsys: pytest.CaptureFixture[str]) -> None:
    root, _ = small
    code, document = _check(root, capsys)
    assert code == 0
    assert document["findings"] == []
    summary = document["summary"]
    assert summary["rows"] == 120
    assert (summary["errors"], summary["warnings"]) == (0, 0)
    assert summary["statuses"] == {"Implemented": 116, "Partial": 3, "Planned": 1}


def test_shifting_a_cited_file_is_caught_at_every_ref_to_it(
    small: tuple[Path, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    root, sites = small
    path = sites.rust_unit[0].path  # lib.rs, cited by the first row
    target = root / path
    # Far enough that no cited line lands on the attributes or doc comment of its item, which still count.
    target.write_text("// moved\n" * 40 + target.read_text(encoding="utf-8"), encoding="utf-8")
    matrix = (root / "docs/parity/matrix-120.md").read_text(encoding="utf-8")
    refs = matrix.count(f"`{path}:")
    code, document = _check(root, capsys)
    assert code == 1
    assert refs >= 2
    assert len(document["findings"]) == refs
    assert {f["code"] for f in document["findings"]} == {"line-drift"}
    assert all(f["ref"].startswith(f"{path}:") for f in document["findings"])
