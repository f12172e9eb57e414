"""Find pytest's rootdir and config file the way pytest does, and read the options selection needs."""

from __future__ import annotations

import dataclasses
import enum
import glob
import os
import posixpath
import re
import shlex
import tomllib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from parity.errors import InputError
from parity.pytestargs import parse_pytest

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

__all__ = ["PathKind", "PytestConfig", "RepoFiles", "load_pytest_config"]

# Config file names in pytest 9.2's precedence order (`CONFIG_LOADERS_BY_NAME`).
_CONFIG_NAMES = (
    "pytest.toml",
    ".pytest.toml",
    "pytest.ini",
    ".pytest.ini",
    "pyproject.toml",
    "tox.ini",
    "setup.cfg",
)
_DEFAULT_NORECURSE = ("*.egg", ".*", "_darcs", "build", "CVS", "dist", "node_modules", "venv", "{arch}")
_BUILTIN_MARKERS = (
    "skip",
    "skipif",
    "xfail",
    "parametrize",
    "usefixtures",
    "filterwarnings",
    "tryfirst",
    "trylast",
)


class PathKind(enum.Enum):
    FILE = "file"
    DIR = "dir"
    OTHER = "other"  # exists, but neither a regular file nor a directory (e.g. /dev/null)
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class RepoFiles:
    """The file-system questions pytest's collection asks, answered for repo-relative paths.

    Each answer is kept: one RepoFiles can serve a whole check, which asks the same questions for
    every cited test and whose repository does not change under it.
    """

    root: Path
    _answers: dict[tuple[str, ...], Any] = field(default_factory=dict, compare=False, repr=False)

    def kind(self, rel: str) -> PathKind:
        key = ("kind", rel)
        if key not in self._answers:
            self._answers[key] = self._kind(rel)
        answer: PathKind = self._answers[key]
        return answer

    def _kind(self, rel: str) -> PathKind:
        path = self.root / rel
        if path.is_dir():
            return PathKind.DIR
        if path.is_file():
            return PathKind.FILE
        return PathKind.OTHER if path.exists() else PathKind.MISSING

    def is_venv(self, rel: str) -> bool:
        key = ("venv", rel)
        if key not in self._answers:
            path = self.root / rel
            self._answers[key] = (path / "pyvenv.cfg").is_file() or (
                path / "conda-meta" / "history"
            ).is_file()
        answer: bool = self._answers[key]
        return answer

    def glob(self, cwd: str, pattern: str) -> tuple[str, ...]:
        """`sorted(glob.iglob(pattern, recursive=True))` run in `cwd`, as repo-relative paths."""
        key = ("glob", cwd, pattern)
        if key not in self._answers:
            base = self.root / cwd
            # pytest's own call; `Path.glob` would differ (it matches dot-files with `*`).
            found = sorted(glob.iglob(pattern, root_dir=base, recursive=True))  # noqa: PTH207
            self._answers[key] = tuple(_norm(posixpath.join(cwd, f.replace(os.sep, "/"))) for f in found)
        answer: tuple[str, ...] = self._answers[key]
        return answer

    def conftest_hooks(self, dirs: Sequence[str]) -> tuple[str, ...]:
        """`conftest.py` files in `dirs` that can change collection; parity cannot run them."""
        found = (self._conftest_hook(_norm(posixpath.join(rel, "conftest.py"))) for rel in dirs)
        return tuple(hook for hook in found if hook is not None)

    def _conftest_hook(self, conftest: str) -> str | None:
        key = ("conftest", conftest)
        if key not in self._answers:
            self._answers[key] = None
            try:
                text = (self.root / conftest).read_text(encoding="utf-8", errors="replace")
            except OSError:
                return None
            hook = _COLLECTION_HOOK.search(text)
            if hook is not None:
                self._answers[key] = f"{conftest} ({hook.group(1) or hook.group(2)})"
        answer: str | None = self._answers[key]
        return answer


_COLLECTION_HOOK = re.compile(
    r"^(?:(collect_ignore(?:_glob)?)\s*(?:[:+]?=|\.)|\s*(?:async\s+)?def\s+"
    r"(pytest_collection_modifyitems|pytest_ignore_collect|pytest_pycollect_makeitem"
    r"|pytest_collect_file|pytest_collect_directory)\b)",
    re.MULTILINE,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PytestConfig:
    """The pytest settings that decide what is collected, all paths repo-relative POSIX."""

    rootdir: str
    inifile: str | None
    confcutdir: str
    testpaths: tuple[str, ...] = ()
    addopts: tuple[str, ...] = ()
    python_files: tuple[str, ...] = ("test_*.py", "*_test.py")
    python_classes: tuple[str, ...] = ("Test",)
    python_functions: tuple[str, ...] = ("test",)
    norecursedirs: tuple[str, ...] = _DEFAULT_NORECURSE
    markers: tuple[str, ...] = _BUILTIN_MARKERS  # registered marker names
    strict_markers: bool = False

    def with_overrides(self, overrides: Sequence[tuple[str, str]]) -> PytestConfig:
        """Apply `-o name=value` the way pytest reads an ini-file string value."""
        config = self
        for key, value in overrides:
            config = _apply(config, key, value, mode="ini", source="-o")
        return config


def _norm(path: str) -> str:
    joined = posixpath.normpath(path)
    return "" if joined == "." else joined


def _parse_ini(rel: str, text: str) -> dict[str, dict[str, str]]:
    """Port of `iniconfig` as pytest calls it (`strip_inline_comments=False`)."""
    sections: dict[str, dict[str, str]] = {}
    section: str | None = None
    last: tuple[str, str] | None = None
    for lineno, raw in enumerate(text.removeprefix("\ufeff").splitlines(), start=1):
        line = "" if raw.lstrip()[:1] in {"#", ";"} else raw.rstrip()
        if not line:
            continue
        if line[0] == "[":
            header = re.split(r"[#;]", line)[0].rstrip()
            if header.endswith("]"):
                section = header[1:-1]
                if section in sections:
                    raise InputError(rel, f"duplicate section {section!r}", line=lineno)
                sections[section] = {}
                last = None
                continue
        if line[0].isspace() or line[0] == "[":
            if last is None:
                raise InputError(rel, "unexpected value continuation", line=lineno)
            current = sections[last[0]][last[1]]
            sections[last[0]][last[1]] = f"{current}\n{line.strip()}" if current else line.strip()
            continue
        name, eq, value = line.partition("=")
        if not eq or ":" in name:
            name, colon, value = line.partition(":")
            if not colon:
                raise InputError(rel, f"unexpected line: {line!r}", line=lineno)
        if section is None:
            raise InputError(rel, "no section header defined", line=lineno)
        if name.strip() in sections[section]:
            raise InputError(rel, f"duplicate name {name.strip()!r}", line=lineno)
        sections[section][name.strip()] = value.strip()
        last = (section, name.strip())
    return sections


def _read_toml(repo_root: Path, rel: str) -> dict[str, Any]:
    try:
        return tomllib.loads((repo_root / rel).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"at line (\d+)", str(exc))
        raise InputError(rel, f"invalid TOML: {exc}", line=int(line.group(1)) if line else None) from exc


def _load(repo_root: Path, rel: str) -> tuple[dict[str, Any], str] | None:
    """(values, mode) from one candidate config file, or None if it holds no pytest config."""
    name = posixpath.basename(rel)
    if name.endswith(".toml"):
        data = _read_toml(repo_root, rel)
        if name in {"pytest.toml", ".pytest.toml"}:
            return dict(data.get("pytest", {})), "toml"
        tool = data.get("tool", {}).get("pytest", {})
        native = {k: v for k, v in tool.items() if k != "ini_options"}
        if native and "ini_options" in tool:
            raise InputError(rel, "cannot use both [tool.pytest] and [tool.pytest.ini_options]")
        if native:
            return native, "toml"
        if "ini_options" in tool:
            return {k: v if isinstance(v, list) else str(v) for k, v in tool["ini_options"].items()}, "ini"
        return None
    sections = _parse_ini(rel, (repo_root / rel).read_text(encoding="utf-8"))
    if name == "setup.cfg":
        return (dict(sections["tool:pytest"]), "ini") if "tool:pytest" in sections else None
    if "pytest" in sections:
        return dict(sections["pytest"]), "ini"
    return ({}, "ini") if name in {"pytest.ini", ".pytest.ini"} else None


def _strtobool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"y", "yes", "t", "true", "on", "1"}:
        return True
    if lowered in {"n", "no", "f", "false", "off", "0"}:
        return False
    raise ValueError(value)


_ARGS_KEYS = {"testpaths", "addopts", "python_files", "python_classes", "python_functions", "norecursedirs"}


def _apply(config: PytestConfig, key: str, value: Any, *, mode: str, source: str) -> PytestConfig:
    if key in _ARGS_KEYS:
        if isinstance(value, str) and mode == "toml":
            raise InputError(source, f"config option '{key}' expects a list for type 'args', got str")
        items = tuple(shlex.split(value)) if isinstance(value, str) else tuple(str(v) for v in value)
        match key:
            case "testpaths":
                return dataclasses.replace(config, testpaths=items)
            case "addopts":
                return dataclasses.replace(config, addopts=items)
            case "python_files":
                return dataclasses.replace(config, python_files=items)
            case "python_classes":
                return dataclasses.replace(config, python_classes=items)
            case "python_functions":
                return dataclasses.replace(config, python_functions=items)
            case _:
                return dataclasses.replace(config, norecursedirs=items)
    if key == "markers":
        lines = value.split("\n") if isinstance(value, str) else list(value)
        names = tuple(re.split(r"[(:]", line.strip())[0].strip() for line in lines if line.strip())
        return dataclasses.replace(config, markers=_BUILTIN_MARKERS + names)
    if key in {"strict_markers", "strict"}:
        try:
            flag = value if isinstance(value, bool) else _strtobool(str(value))
        except ValueError:
            raise InputError(source, f"invalid truth value {value!r} for {key}") from None
        if key == "strict" and config.strict_markers:
            return config
        return dataclasses.replace(config, strict_markers=flag)
    return config


def _common_ancestor(paths: list[str]) -> str | None:
    if not paths:
        return None
    return _norm(posixpath.commonpath(paths)) if all(not p.startswith("..") for p in paths) else None


def _locate(repo_root: Path, start: str) -> tuple[str, str, dict[str, Any], str] | None:
    """pytest's `locate_config`: walk up from `start` for the first file holding pytest config."""
    first_pyproject: str | None = None
    current = start
    while True:
        for name in _CONFIG_NAMES:
            rel = _norm(posixpath.join(current, name))
            if (repo_root / rel).is_file():
                if name == "pyproject.toml" and first_pyproject is None:
                    first_pyproject = rel
                loaded = _load(repo_root, rel)
                if loaded is not None:
                    return current, rel, loaded[0], loaded[1]
        if current == "":
            break
        current = posixpath.dirname(current)
    if first_pyproject is not None:  # pytest 8.1+: a bare pyproject.toml still marks the rootdir
        return posixpath.dirname(first_pyproject), first_pyproject, {}, "ini"
    return None


def load_pytest_config(repo_root: Path, cwd: str = "", argv: Sequence[str] = ()) -> PytestConfig:
    """Rootdir, config file and options for pytest run as `argv` in repo-relative `cwd`.

    Follows `_pytest/config/findpaths.py` `determine_setup`, but never looks above the repo.
    Pass the step's argv: its paths, `-c` and `--rootdir` change where pytest looks.
    """
    parsed = parse_pytest(list(argv)) if argv else None
    cwd = _norm(posixpath.join(cwd, parsed.chdir)) if parsed and parsed.chdir else _norm(cwd)
    files = RepoFiles(repo_root)
    dirs: list[str] = []
    for arg in parsed.paths if parsed else ():
        rel = _norm(posixpath.join(cwd, arg.partition("::")[0]))
        kind = files.kind(rel)
        if kind is not PathKind.MISSING:
            dirs.append(rel if kind is PathKind.DIR else posixpath.dirname(rel))
    ancestor = _common_ancestor(dirs)
    if ancestor is None:
        ancestor = cwd
    values: dict[str, Any] = {}
    mode = "ini"
    inifile: str | None = None
    if parsed and parsed.config_file:
        inifile = _norm(posixpath.join(cwd, parsed.config_file))
        kind = files.kind(inifile)
        if kind in {PathKind.MISSING, PathKind.DIR}:
            raise InputError(inifile, "pytest config file (`-c`) not found")
        if kind is PathKind.FILE:
            loaded = _load(repo_root, inifile)
            values, mode = loaded if loaded is not None else ({}, "ini")
            rootdir = posixpath.dirname(inifile)
        else:  # `-c /dev/null`: no configuration, and the rootdir comes from the arguments
            rootdir = ancestor
    else:
        found = _locate(repo_root, ancestor)
        if found is None and dirs and set(dirs) != {ancestor}:
            found = next(filter(None, (_locate(repo_root, d) for d in dirs)), None)
        if found is not None:
            rootdir, inifile, values, mode = found
        else:
            setup_dir = _setup_py_dir(files, ancestor)
            common = _common_ancestor([cwd, ancestor])
            rootdir = setup_dir if setup_dir is not None else (ancestor if common is None else common)
    if parsed and parsed.rootdir:
        rootdir = _norm(posixpath.join(cwd, os.path.expandvars(parsed.rootdir)))
        if files.kind(rootdir) is not PathKind.DIR:
            raise InputError(rootdir, "directory given to `--rootdir` not found")
    confcutdir = posixpath.dirname(inifile) if inifile else rootdir
    if parsed and parsed.confcutdir:
        confcutdir = _norm(posixpath.join(cwd, parsed.confcutdir))
    config = PytestConfig(rootdir=rootdir, inifile=inifile, confcutdir=confcutdir)
    for key, value in values.items():
        config = _apply(config, key, value, mode=mode, source=inifile or rootdir)
    return config


def _setup_py_dir(files: RepoFiles, start: str) -> str | None:
    current = start
    while True:
        if files.kind(_norm(posixpath.join(current, "setup.py"))) is PathKind.FILE:
            return current
        if current == "":
            return None
        current = posixpath.dirname(current)
