"""Work out a package's build targets and dependencies from its manifest, as cargo infers them."""

from __future__ import annotations

import enum
import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["DepKind", "Dependency", "Target", "TargetKind", "discover_targets", "read_dependencies"]


class TargetKind(enum.Enum):
    LIB = "lib"
    BIN = "bin"
    TEST = "test"
    BENCH = "bench"
    EXAMPLE = "example"


class DepKind(enum.Enum):
    NORMAL = "normal"
    DEV = "dev"
    BUILD = "build"


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """One compilation target; flags default as in cargo's `util/toml/targets.rs`."""

    kind: TargetKind
    name: str
    path: str  # relative to the package dir, POSIX
    test: bool  # run by a plain `cargo test` / `--tests`
    bench: bool  # picked by `--benches`
    doctest: bool
    harness: bool
    required_features: tuple[str, ...]
    crate_types: tuple[str, ...]

    @property
    def doctestable(self) -> bool:
        return self.kind is TargetKind.LIB and any(
            t in {"lib", "rlib", "proc-macro"} for t in self.crate_types
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Dependency:
    name: str  # the key in the manifest (the name features refer to)
    package: str  # the real package name (`package = "..."` renames)
    kind: DepKind
    path: str | None  # repo-relative dir of a path dependency
    optional: bool
    default_features: bool
    features: tuple[str, ...]
    platform: str | None  # the `[target.<platform>]` key, if any


_DEFAULTS = {  # kind -> (test, bench, dir, auto key)
    TargetKind.BIN: (True, True, "src/bin", "autobins"),
    TargetKind.TEST: (True, False, "tests", "autotests"),
    TargetKind.BENCH: (False, True, "benches", "autobenches"),
    TargetKind.EXAMPLE: (False, False, "examples", "autoexamples"),
}
_TABLES = {
    TargetKind.BIN: "bin",
    TargetKind.TEST: "test",
    TargetKind.BENCH: "bench",
    TargetKind.EXAMPLE: "example",
}


def _get(table: dict[str, Any], key: str, default: Any) -> Any:
    return table.get(key, table.get(key.replace("-", "_"), default))


def _infer(repo_root: Path, pkg_dir: str, sub: str) -> list[tuple[str, str]]:
    """(name, path) for `<sub>/*.rs` and `<sub>/*/main.rs`, sorted like cargo lists them."""
    base = repo_root / pkg_dir / sub
    try:
        entries = sorted(entry.name for entry in base.iterdir())
    except OSError:
        return []
    found: list[tuple[str, str]] = []
    for entry in entries:
        if entry.endswith(".rs") and (base / entry).is_file():
            found.append((entry[:-3], f"{sub}/{entry}"))
        elif (base / entry / "main.rs").is_file():
            found.append((entry, f"{sub}/{entry}/main.rs"))
    return found


def _make(kind: TargetKind, table: dict[str, Any], name: str, path: str) -> Target:
    test, bench, _, _ = _DEFAULTS[kind]
    return Target(
        kind=kind,
        name=name,
        path=posixpath.normpath(path),
        test=bool(table.get("test", test)),
        bench=bool(table.get("bench", bench)),
        doctest=False,
        harness=bool(table.get("harness", True)),
        required_features=tuple(_get(table, "required-features", ())),
        crate_types=("bin",),
    )


def discover_targets(repo_root: Path, pkg_dir: str, data: dict[str, Any]) -> tuple[Target, ...]:
    """All targets of the package in `pkg_dir`: explicit ones first, then auto-discovered ones."""
    package = data.get("package", {})
    pkg_name = str(package.get("name", ""))
    targets: list[Target] = []
    lib_table = data.get("lib")
    has_lib_file = (repo_root / pkg_dir / "src/lib.rs").is_file()
    if isinstance(lib_table, dict) or (has_lib_file and package.get("autolib", True)):
        lib = lib_table if isinstance(lib_table, dict) else {}
        proc_macro = bool(_get(lib, "proc-macro", False))
        crate_types = tuple(_get(lib, "crate-type", ["proc-macro"] if proc_macro else ["lib"]))
        targets.append(
            Target(
                kind=TargetKind.LIB,
                name=str(lib.get("name", pkg_name.replace("-", "_"))),
                path=posixpath.normpath(str(lib.get("path", "src/lib.rs"))),
                test=bool(lib.get("test", True)),
                bench=bool(lib.get("bench", True)),
                doctest=bool(lib.get("doctest", True)),
                harness=bool(lib.get("harness", True)),
                required_features=(),
                crate_types=crate_types,
            )
        )
    for kind, table_name in _TABLES.items():
        _, _, sub, auto_key = _DEFAULTS[kind]
        inferred = _infer(repo_root, pkg_dir, sub)
        if kind is TargetKind.BIN and (repo_root / pkg_dir / "src/main.rs").is_file():
            inferred.insert(0, (pkg_name, "src/main.rs"))
        explicit = [t for t in data.get(table_name, []) if isinstance(t, dict)]
        seen_names: set[str] = set()
        seen_paths: set[str] = set()
        for table in explicit:
            name = str(table.get("name", ""))
            by_name = dict(inferred)
            path = str(table.get("path", by_name.get(name, f"{sub}/{name}.rs")))
            seen_names.add(name)
            seen_paths.add(posixpath.normpath(path))
            targets.append(_make(kind, table, name, path))
        if package.get(auto_key, True):
            targets.extend(
                _make(kind, {}, name, path)
                for name, path in inferred
                if name not in seen_names and posixpath.normpath(path) not in seen_paths
            )
    return tuple(targets)


def _dep_path(base_dir: str, raw: Any) -> str | None:
    if not isinstance(raw, str):
        return None
    joined = posixpath.normpath(posixpath.join(base_dir, raw))
    return "" if joined == "." else joined


def _read_one(
    name: str, spec: Any, kind: DepKind, platform: str | None, ctx: tuple[str, dict[str, Any], str]
) -> Dependency:
    pkg_dir, ws_deps, root_dir = ctx
    entry = spec if isinstance(spec, dict) else {}
    base: dict[str, Any] = entry
    base_dir = pkg_dir
    if entry.get("workspace") is True:
        inherited = ws_deps.get(name, {})
        base = inherited if isinstance(inherited, dict) else {}
        base_dir = root_dir
    # A member may turn on defaults a `[workspace.dependencies]` entry turned off, not the reverse.
    default_features = bool(_get(base, "default-features", True)) or bool(
        _get(entry, "default-features", False)
    )
    return Dependency(
        name=name,
        package=str(entry.get("package", base.get("package", name))),
        kind=kind,
        path=_dep_path(base_dir, base.get("path")),
        optional=bool(entry.get("optional", False)),
        default_features=default_features,
        features=tuple(base.get("features", ()))
        + (tuple(entry.get("features", ())) if base is not entry else ()),
        platform=platform,
    )


def read_dependencies(
    data: dict[str, Any], pkg_dir: str, root_data: dict[str, Any], root_dir: str
) -> tuple[Dependency, ...]:
    """Every `[*dependencies]` entry, incl. `[target.<platform>.*dependencies]` and `workspace = true`."""
    ws_deps = root_data.get("workspace", {}).get("dependencies", {})
    ctx = (pkg_dir, ws_deps, root_dir)
    tables: list[tuple[dict[str, Any], str | None]] = [(data, None)]
    tables.extend((t, str(p)) for p, t in data.get("target", {}).items() if isinstance(t, dict))
    deps: list[Dependency] = []
    for table, platform in tables:
        for kind in DepKind:
            key = "dependencies" if kind is DepKind.NORMAL else f"{kind.value}-dependencies"
            for name, spec in _get(table, key, {}).items():
                deps.append(_read_one(str(name), spec, kind, platform, ctx))
    return tuple(deps)
