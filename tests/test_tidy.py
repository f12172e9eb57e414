"""The repository's own rules, checked like rust-analyzer's tidy.rs: layering, module shape, size."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "parity"
MODULES = sorted(p for p in PACKAGE.rglob("*.py"))
MAX_LINES = 400

# Parsers turn one input format into records; they never reach up into analysis or execution.
PARSERS = {
    "config",
    "matrix",
    "evidence",
    "sourceindex",
    "sourcemodel",
    "rustlex",
    "rustcursor",
    "rustsource",
    "rustdoc",
    "rusttest",
    "cratelayout",
    "pysource",
    "workflow",
    "yamlnodes",
    "shellsplit",
    "shelllex",
    "cimatch",
    "gating",
    "ghexpr",
    "libtest",
    "libtest_binary",
    "libtest_lines",
    "libtest_results",
    "junit",
    "cargotoml",
    "cargotargets",
    "cargoargs",
    "cargofeatures",
    "cfgexpr",
    "pytestconfig",
    "pytestargs",
    "matchexpr",
    "selectmodel",
}
UPPER_LAYERS = {"check", "resolve", "plan", "prove", "verdicts", "runner", "repository", "cli", "reporters"}
# Pure analysis: decides, never spawns or touches the file system itself.
PURE = {"plan", "verdicts", "observe", "selection", "cargoselect", "pytestselect"}
SUBPROCESS_OWNERS = {"runner", "gitutil"}


def _name(path: Path) -> str:
    return path.relative_to(PACKAGE).with_suffix("").as_posix().replace("/", ".")


def _imports(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_module_shape(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    assert ast.get_docstring(tree), f"{path.name}: start with a one-line docstring that says why"
    if path.name != "__main__.py":
        futures = [n for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == "__future__"]
        assert futures, f"{path.name}: add `from __future__ import annotations`"
        declared = {
            getattr(target, "id", "")
            for node in tree.body
            for target in (node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)])
        }
        assert "__all__" in declared, f"{path.name}: declare __all__"
    assert len(source.splitlines()) <= MAX_LINES, (
        f"{path.name}: over {MAX_LINES} lines; split by responsibility"
    )


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_layering(path: Path) -> None:
    name = _name(path)
    top = name.split(".")[0]
    imports = _imports(ast.parse(path.read_text(encoding="utf-8")))
    local = {i.removeprefix("parity.").split(".")[0] for i in imports if i.startswith("parity.")}
    if top not in SUBPROCESS_OWNERS:
        assert "subprocess" not in imports, f"{name}: only runner/gitutil may spawn processes"
    if name != "__main__":
        assert "cli" not in local, f"{name}: nothing imports the CLI"
    if top in PARSERS:
        assert not (local & UPPER_LAYERS), f"{name}: a parser imports {sorted(local & UPPER_LAYERS)}"
    if top in PURE:
        assert not (local & {"runner", "prove", "repository", "gitutil"}), f"{name}: pure module does I/O"
