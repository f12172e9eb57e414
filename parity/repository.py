"""The target repository as the analyses see it: confined paths and cached parses of its files."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, TypeVar

from parity.errors import InputError

if TYPE_CHECKING:
    from collections.abc import Callable

    from parity.cargotoml import Workspace
    from parity.config import Config
    from parity.matrix import Matrix, Row
    from parity.pytestconfig import PytestConfig, RepoFiles
    from parity.sourceindex import FileIndex, IndexMemo
    from parity.workflow import Workflow

__all__ = ["PathInfo", "Repository"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class PathInfo:
    """What a cited path turned out to be."""

    rel: str  # normalised repo-relative POSIX path
    inside: bool  # stays inside the repository once symlinks are resolved
    exists: bool
    is_file: bool
    escape_reason: str = ""


class Repository:
    """Caches every parse so a 5,000-row matrix citing the same files reads each file once."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.root = config.repo_root
        self._indexes: dict[str, FileIndex | InputError] = {}
        self._workflows: dict[str, Workflow | InputError] = {}
        self._workspaces: dict[str, Workspace | InputError] = {}
        self._pytest: dict[str, PytestConfig | InputError] = {}
        self._paths: dict[str, PathInfo] = {}
        self._lines: dict[str, int] = {}
        self._workflow_files: tuple[str, ...] | None = None
        self.memo: dict[tuple[str, ...], object] = {}  # analyses' per-run memo (e.g. matched CI commands)

    @cached_property
    def matrices(self) -> tuple[Matrix, ...]:
        from parity.matrix import read_matrix  # noqa: PLC0415

        return tuple(read_matrix(self.root, m, self.config.columns) for m in self.config.matrices)

    def matrix_rows(self) -> list[Row]:
        """Every row of every matrix, in order; a matrix without a table is unusable input."""
        rows: list[Row] = []
        for matrix in self.matrices:
            if not matrix.rows:
                raise InputError(
                    matrix.path,
                    "no parity matrix table found",
                    hint="add a table with the template's columns under a `## ` heading",
                )
            rows.extend(matrix.rows)
        return rows

    def path(self, cited: str) -> PathInfo:
        """Normalise a cited path and confine it to the repository (symlinks resolved)."""
        known = self._paths.get(cited)
        if known is not None:
            return known
        info = self._inspect(cited)
        self._paths[cited] = info
        return info

    def _inspect(self, cited: str) -> PathInfo:
        pure = PurePosixPath(cited)
        if pure.is_absolute() or cited.startswith("~"):
            return PathInfo(
                rel=cited, inside=False, exists=False, is_file=False, escape_reason="is an absolute path"
            )
        normal = os.path.normpath(cited).replace(os.sep, "/")
        if normal == ".." or normal.startswith("../"):
            return PathInfo(
                rel=normal,
                inside=False,
                exists=False,
                is_file=False,
                escape_reason="climbs out of the repository with `..`",
            )
        target = self.root / normal
        try:
            resolved = target.resolve()
        except (OSError, RuntimeError):  # symlink loops
            return PathInfo(
                rel=normal,
                inside=False,
                exists=False,
                is_file=False,
                escape_reason="cannot be resolved (symlink loop?)",
            )
        if not resolved.is_relative_to(self.root):
            link = self._escaping_link(normal)
            return PathInfo(
                rel=normal,
                inside=False,
                exists=target.exists(),
                is_file=False,
                escape_reason="is a symlink that leads outside the repository"
                if link in {None, normal}
                else f"goes through the symlink `{link}`, which leads outside the repository",
            )
        return PathInfo(rel=normal, inside=True, exists=resolved.exists(), is_file=resolved.is_file())

    def _escaping_link(self, normal: str) -> str | None:
        """The first component of `normal` that is a symlink resolving outside the repository."""
        parts = normal.split("/")
        for end in range(1, len(parts) + 1):
            prefix = "/".join(parts[:end])
            candidate = self.root / prefix
            if candidate.is_symlink() and not candidate.resolve().is_relative_to(self.root):
                return prefix
        return None

    def line_count(self, rel: str) -> int:
        """Number of lines of a text file (for refs to files we do not index, like Markdown)."""
        if rel not in self._lines:
            with (self.root / rel).open("rb") as handle:
                data = handle.read()
            self._lines[rel] = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
        return self._lines[rel]

    # Every parser loads on first use: `prove` starts its first command before the full check (which
    # needs the source index, Cargo and pytest parsers) has begun, and replays a cached report with
    # no parser at all.
    def index(self, rel: str) -> FileIndex:
        from parity.sourceindex import index_file  # noqa: PLC0415

        return _cached(self._indexes, rel, lambda: index_file(self.root, rel, self._index_memo))

    @cached_property
    def _index_memo(self) -> IndexMemo:
        from parity.sourceindex import IndexMemo  # noqa: PLC0415

        return IndexMemo()

    def workflow(self, rel: str) -> Workflow:
        from parity.workflow import load_workflow  # noqa: PLC0415

        return _cached(self._workflows, rel, lambda: load_workflow(self.root, rel))

    def workspace(self, cwd: str) -> Workspace:
        from parity.cargotoml import load_workspace  # noqa: PLC0415

        return _cached(self._workspaces, cwd, lambda: load_workspace(self.root, cwd))

    @cached_property
    def pytest_files(self) -> RepoFiles:
        """What pytest's collection would find on disk, asked once per path for the whole run."""
        from parity.pytestconfig import RepoFiles  # noqa: PLC0415

        return RepoFiles(self.root)

    def pytest_config(self, cwd: str, argv: tuple[str, ...] = ()) -> PytestConfig:
        """pytest's own rootdir/inifile discovery: the command's paths, -c and --rootdir matter."""
        from parity.pytestconfig import load_pytest_config  # noqa: PLC0415

        key = "\0".join((cwd, *argv))
        return _cached(self._pytest, key, lambda: load_pytest_config(self.root, cwd, argv))

    def workflow_files(self) -> tuple[str, ...]:
        """The workflows allowed as a trust root: configured, or all of `.github/workflows/`.

        A file whose real path leaves the repository is never a trust root, whatever its name.
        """
        if self._workflow_files is None:
            self._workflow_files = self._list_workflow_files()
        return self._workflow_files

    def _list_workflow_files(self) -> tuple[str, ...]:
        if self.config.workflows:
            names: tuple[str, ...] = self.config.workflows
        else:
            folder = self.root / ".github" / "workflows"
            if not folder.is_dir():
                return ()
            names = tuple(
                sorted(
                    f".github/workflows/{p.name}" for p in folder.iterdir() if p.suffix in {".yml", ".yaml"}
                )
            )
        return tuple(name for name in names if self.path(name).inside and self.path(name).is_file)


def _cached(store: dict[str, T | InputError], key: str, load: Callable[[], T]) -> T:
    """Parse once; a file that failed to parse fails the same way every time it is asked for."""
    if key not in store:
        try:
            store[key] = load()
        except InputError as exc:
            store[key] = exc
    value = store[key]
    if isinstance(value, InputError):
        raise value
    return value
