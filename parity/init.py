"""`parity init`: detect the matrix, workflows, exception doc and layout, and write a commented config."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import tomlkit
import tomlkit.exceptions

from parity.errors import InputError
from parity.matrix import split_cells

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

__all__ = [
    "NOXFILE_HOOK",
    "Detection",
    "Setup",
    "detect",
    "existing_config",
    "render_parity_toml",
    "render_pyproject",
]

NOXFILE_HOOK = "from parity.nox_sessions import register\nregister()\n"
_SKIP_DIRS = frozenset({"target", "node_modules", "__pycache__", "venv", "build", "dist", "site-packages"})
# A `run:` command that installs or builds what the tests need (CI runs it before them; so must prove).
_SETUP = re.compile(
    r"\b(?:pip3? install|uv (?:sync|pip install)|cargo build|poetry install|pdm (?:install|sync)"
    r"|hatch env create|maturin develop|npm ci|npm install)\b"
)
_MAX_MARKDOWN_BYTES = 2 * 1024 * 1024


class Setup(NamedTuple):
    job: str
    commands: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Detection:
    matrices: tuple[str, ...]
    workflows: tuple[str, ...]
    exception_doc: str | None
    cargo: str | None  # "workspace: a, b" / "package: name"; None: no Cargo.toml at the root
    python: tuple[str, ...]  # directories with a pytest configuration
    setups: tuple[Setup, ...]  # suggestions, commented out in the config
    notes: tuple[str, ...]  # things the user should know (shown, and written as comments)


def existing_config(root: Path) -> InputError | None:
    """The error to raise if the repository already has a parity configuration."""
    if (root / "parity.toml").exists():
        return InputError(
            "parity.toml",
            "a parity configuration already exists; `parity init` never overwrites it",
            hint="edit it, or delete it to start over",
        )
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        try:
            tool = tomlkit.parse(pyproject.read_text(encoding="utf-8")).unwrap().get("tool", {})
        except (tomlkit.exceptions.ParseError, UnicodeDecodeError):
            return None  # unparseable: --pyproject reports it; parity.toml does not need it
        if isinstance(tool, dict) and "parity" in tool:
            return InputError(
                "pyproject.toml",
                "already has a [tool.parity] table; `parity init` never overwrites a configuration",
                hint="edit that table, or delete it to start over",
            )
    return None


def _walk(root: Path, suffixes: tuple[str, ...]) -> Iterator[Path]:
    """Files whose name ends with one of `suffixes`, skipping hidden, build and dependency directories."""
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = sorted(folder.iterdir(), reverse=True)
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith(".") or entry.name in _SKIP_DIRS or entry.is_symlink():
                continue
            if entry.is_dir():
                stack.append(entry)
            elif entry.name.endswith(suffixes):
                yield entry


def _has_matrix_table(path: Path) -> bool:
    if path.stat().st_size > _MAX_MARKDOWN_BYTES:
        return False
    text = path.read_text(encoding="utf-8", errors="replace")
    for line in text.splitlines():
        if line.lstrip().startswith("|"):
            cells = {cell for cell, _ in split_cells(line)}
            if {"Capability", "Status"} <= cells:
                return True
    return False


def _matrices(root: Path) -> tuple[str, ...]:
    folder = root / "docs" / "parity"
    named = sorted(
        p.relative_to(root).as_posix()
        for p in (folder.glob("*matrix*.md") if folder.is_dir() else ())
        if "template" not in p.name.lower() and p.is_file()
    )
    if named:
        return tuple(named)
    return tuple(
        sorted(
            p.relative_to(root).as_posix()
            for p in _walk(root, (".md",))
            if "template" not in p.name.lower() and _has_matrix_table(p)
        )
    )


def _cargo(root: Path, notes: list[str]) -> str | None:
    from parity.cargotoml import load_workspace  # noqa: PLC0415

    if not (root / "Cargo.toml").is_file():
        return None
    try:
        workspace = load_workspace(root, "")
    except InputError as exc:
        notes.append(f"Cargo.toml could not be read: {exc.render()}")
        return "unreadable Cargo.toml"
    members = ", ".join(f"{p.name} ({p.dir or '.'})" for p in workspace.members)
    kind = "workspace" if workspace.virtual or len(workspace.members) > 1 else "package"
    return f"{kind}: {members}"


def _has_pytest_config(folder: Path) -> bool:
    checks = (
        ("pyproject.toml", "[tool.pytest.ini_options]"),
        ("pytest.ini", "[pytest]"),
        ("tox.ini", "[pytest]"),
        ("setup.cfg", "[tool:pytest]"),
    )
    for name, marker in checks:
        path = folder / name
        if path.is_file() and marker in path.read_text(encoding="utf-8", errors="replace"):
            return True
    return False


_PYTEST_FILES = ("pyproject.toml", "pytest.ini", "tox.ini", "setup.cfg")


def _python(root: Path) -> tuple[str, ...]:
    folders = {p.parent for p in _walk(root, _PYTEST_FILES)}
    return tuple(sorted((f.relative_to(root).as_posix() or ".") for f in folders if _has_pytest_config(f)))


def _setups(root: Path, workflows: tuple[str, ...], notes: list[str]) -> tuple[Setup, ...]:
    """Setup-like commands each job runs before its first test command."""
    from parity.selection import parse_cargo_test, parse_pytest  # noqa: PLC0415
    from parity.workflow import load_workflow  # noqa: PLC0415

    found: dict[str, tuple[str, ...]] = {}
    for rel in workflows:
        try:
            workflow = load_workflow(root, rel)
        except InputError as exc:
            notes.append(f"{rel} could not be read: {exc.render()}")
            continue
        for job in workflow.jobs.values():
            before: list[str] = []
            for command in (c for step in job.steps for c in step.commands):
                argv = command.argv
                if argv and (parse_cargo_test(argv) is not None or parse_pytest(argv) is not None):
                    if before and job.id not in found:
                        found[job.id] = tuple(dict.fromkeys(before))
                    break
                if argv and _SETUP.search(command.text):
                    before.append(command.text)
    return tuple(Setup(job, commands) for job, commands in found.items())


def detect(root: Path, matrix: str | None = None) -> Detection:
    """Look at the repository; raises InputError when no matrix can be found."""
    notes: list[str] = []
    if matrix is not None:
        if not (root / matrix).is_file():
            raise InputError(matrix, "matrix file not found", hint="pass a path relative to --repo")
        matrices: tuple[str, ...] = (matrix,)
    else:
        matrices = _matrices(root)
    if not matrices:
        raise InputError(
            str(root),
            "no parity matrix found (no docs/parity/*matrix*.md, no Markdown table with "
            "Capability and Status columns)",
            hint="write the matrix first, or pass --matrix PATH",
        )
    folder = root / ".github" / "workflows"
    workflows = tuple(
        sorted(
            f".github/workflows/{p.name}"
            for p in (folder.iterdir() if folder.is_dir() else ())
            if p.suffix in {".yml", ".yaml"} and p.is_file()
        )
    )
    if not workflows:
        notes.append("no workflow under .github/workflows/: cited CI commands cannot be checked")
    audits = root / "docs" / "audits"
    exceptions = sorted(
        p.relative_to(root).as_posix() for p in (audits.glob("*exception*.md") if audits.is_dir() else ())
    )
    if len(exceptions) > 1:
        notes.append(f"several exception docs; using the first: {', '.join(exceptions)}")
    return Detection(
        matrices=matrices,
        workflows=workflows,
        exception_doc=exceptions[0] if exceptions else None,
        cargo=_cargo(root, notes),
        python=_python(root),
        setups=_setups(root, workflows, notes),
        notes=tuple(notes),
    )


def _strings(values: tuple[str, ...]) -> str:
    return tomlkit.item(list(values)).as_string()


def _body(found: Detection, table: str) -> list[str]:
    """The configuration lines; `table` prefixes sub-tables (`` or `tool.parity.`)."""
    lines = [
        "# parity configuration, written by `parity init` from what it found here; edit freely.",
        "",
        "# The matrix: Markdown tables with Capability/Status/Evidence columns under `## ` headings.",
    ]
    if len(found.matrices) == 1:
        lines.append(f"matrix = {tomlkit.item(found.matrices[0]).as_string()}")
    else:
        lines.append(f"matrices = {_strings(found.matrices)}")
    lines.append("# What CI runs: every cited command must be a step of one of these workflows.")
    if found.workflows:
        lines.append(f"workflows = {_strings(found.workflows)}")
    else:
        lines.append("# workflows = []  # none found under .github/workflows/")
    lines.append("# Exception rows must link their entry in this document.")
    if found.exception_doc:
        lines.append(f"exception_doc = {tomlkit.item(found.exception_doc).as_string()}")
    else:
        lines.append('# exception_doc = "docs/audits/<name>-exception-planning.md"  # none found')
    python = ", ".join(found.python) if found.python else "none"
    lines.extend(
        [
            "",
            "# Layout parity found (it looks again on every run; nothing to configure):",
            f"# - Cargo: {found.cargo or 'no Cargo.toml at the root'}",
            f"# - Python packages with a pytest configuration: {python}",
        ]
    )
    lines.extend(f"# - note: {note}" for note in found.notes)
    if found.setups:
        lines.extend(
            [
                "",
                "# Setup: earlier `run:` commands of a job that `parity prove` runs before its tests.",
                "# Suggested from the workflows; uncomment the ones the tests need.",
            ]
        )
        for job, commands in found.setups:
            lines.append(f"# [{table}jobs.{job}]")
            lines.append(f"# setup = {_strings(commands)}")
    return lines


def render_parity_toml(found: Detection) -> str:
    return "\n".join(_body(found, "")) + "\n"


def render_pyproject(text: str, found: Detection) -> str:
    """`text` with a `[tool.parity]` table appended: every existing byte, comment and blank line stays.

    Appending (rather than letting tomlkit place the table next to the other `[tool.*]` tables)
    keeps a comment that heads the next table attached to it; tomlkit then checks the result.
    """
    snippet = "[tool.parity]\n" + "\n".join(_body(found, "tool.parity.")) + "\n"
    separator = "\n" if text.endswith("\n") or not text else "\n\n"
    result = text + (separator if text else "") + snippet
    try:
        parsed = tomlkit.parse(result).unwrap()
    except tomlkit.exceptions.ParseError as exc:
        try:
            tomlkit.parse(text)
        except tomlkit.exceptions.ParseError as original:
            raise InputError(
                "pyproject.toml", f"invalid TOML: {original}", hint="fix it, or run init without --pyproject"
            ) from None
        raise InputError(
            "pyproject.toml",
            f"a [tool.parity] table cannot be added to it: {exc}",
            hint="run `parity init` without --pyproject to write parity.toml",
        ) from None
    wanted = tomlkit.parse(snippet).unwrap()["tool"]["parity"]
    if parsed.get("tool", {}).get("parity") != wanted:
        raise InputError(
            "pyproject.toml",
            "its `tool` table does not take a [tool.parity] table as written",
            hint="run `parity init` without --pyproject to write parity.toml",
        )
    return result
