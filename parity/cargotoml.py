"""Read a Cargo workspace's manifests into the facts `cargo test` selection depends on."""

from __future__ import annotations

import fnmatch
import posixpath
import re
import tomllib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from parity.cargotargets import Dependency, DepKind, Target, TargetKind, discover_targets, read_dependencies
from parity.errors import InputError

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "DepKind",
    "Dependency",
    "Package",
    "Target",
    "TargetKind",
    "Workspace",
    "load_workspace",
    "read_manifest",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Package:
    """One workspace member as Cargo sees it."""

    name: str
    dir: str  # repo-relative POSIX, "" for the repo root
    manifest: str
    edition: str
    features: dict[str, tuple[str, ...]] = field(hash=False)  # incl. implicit optional-dep features
    targets: tuple[Target, ...]
    dependencies: tuple[Dependency, ...]

    @property
    def lib(self) -> Target | None:
        return next((t for t in self.targets if t.kind is TargetKind.LIB), None)

    def target(self, kind: TargetKind, name: str) -> Target | None:
        return next((t for t in self.targets if t.kind is kind and t.name == name), None)

    def targets_of(self, kind: TargetKind) -> tuple[Target, ...]:
        return tuple(t for t in self.targets if t.kind is kind)

    def enabled_features(
        self, requested: set[str] | frozenset[str], all_features: bool, no_default: bool
    ) -> frozenset[str]:
        """The features on when these are asked for: the transitive closure, incl. `default`."""
        start = set(self.features) if all_features else set(requested)
        if not no_default and "default" in self.features:
            start.add("default")
        return self.feature_closure(start)[0]

    def feature_closure(self, start: set[str]) -> tuple[frozenset[str], frozenset[str]]:
        """Local features reachable from `start`, and the `dep/feat` / `dep:x` values met on the way.

        `x/feat` (not `x?/feat`) also turns on the implicit feature `x` of an optional
        dependency, as cargo does (checked with cargo 1.95: `--features y` with
        `y = ["b/bf"]` makes `cfg(feature = "b")` true).
        """
        enabled: set[str] = set()
        external: set[str] = set()
        todo = list(start)
        while todo:
            name = todo.pop()
            if "/" in name or name.startswith("dep:"):
                external.add(name)
                dep_name, _, _ = name.removeprefix("dep:").partition("/")
                if "/" in name and not dep_name.endswith("?") and dep_name in self.features:
                    todo.append(dep_name)
                continue
            if name in enabled or name not in self.features:
                continue
            enabled.add(name)
            todo.extend(self.features[name])
        return frozenset(enabled), frozenset(external)


@dataclass(frozen=True, slots=True, kw_only=True)
class Workspace:
    """The members of one workspace, found from a working directory the way cargo finds them."""

    root: str  # repo-relative dir of the root manifest
    virtual: bool
    resolver: int
    members: tuple[Package, ...]
    default_members: tuple[str, ...]  # package names used when cwd is the root manifest's dir
    current: str | None  # package of the manifest nearest cwd; None for a virtual root

    def package(self, name: str) -> Package | None:
        return next((p for p in self.members if p.name == name), None)

    def package_for_path(self, rel_path: str) -> Package | None:
        """The member whose directory holds `rel_path` (the deepest one)."""
        best: Package | None = None
        for pkg in self.members:
            inside = pkg.dir in ("", rel_path) or rel_path.startswith(pkg.dir + "/")
            if inside and (best is None or len(pkg.dir) > len(best.dir)):
                best = pkg
        return best

    def member_for_dependency(self, dep: Dependency) -> Package | None:
        if dep.path is None:
            return None
        return next((p for p in self.members if p.dir == dep.path and p.name == dep.package), None)


def _norm(path: str) -> str:
    joined = posixpath.normpath(path)
    return "" if joined == "." else joined


def _toml_error_line(message: str) -> int | None:
    match = re.search(r"at line (\d+)", message)
    return int(match.group(1)) if match else None


def read_manifest(repo_root: Path, rel_manifest: str) -> dict[str, Any]:
    """Parse one Cargo.toml with stdlib `tomllib`; bad TOML is an InputError at its line."""
    path = repo_root / rel_manifest
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(rel_manifest, f"cannot read manifest: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise InputError(rel_manifest, "manifest is not UTF-8", hint=str(exc)) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        short = re.sub(r" \(at line .*\)$", "", message)
        raise InputError(
            rel_manifest,
            f"invalid TOML: {short}",
            line=_toml_error_line(message),
            hint="cargo cannot read this manifest either",
        ) from exc


def _glob_dirs(repo_root: Path, base: str, pattern: str) -> list[str]:
    """Expand a `members` glob like the `glob` crate: `*` stays within one path component."""
    results = [base]
    for part in _norm(pattern).split("/"):
        step: list[str] = []
        for current in results:
            if not any(ch in part for ch in "*?["):
                step.append(_norm(posixpath.join(current, part)))
                continue
            try:
                names = sorted(entry.name for entry in (repo_root / current).iterdir())
            except OSError:
                continue
            step.extend(_norm(posixpath.join(current, n)) for n in names if fnmatch.fnmatchcase(n, part))
        results = step
    return [r for r in results if (repo_root / r).is_dir()]


def _inherited(value: Any, key: str, ws_package: dict[str, Any]) -> Any:
    if isinstance(value, dict) and value.get("workspace") is True:
        return ws_package.get(key)
    return value


def _load_package(
    repo_root: Path, pkg_dir: str, data: dict[str, Any], root_data: dict[str, Any], root_dir: str
) -> Package:
    manifest = _norm(posixpath.join(pkg_dir, "Cargo.toml"))
    table = data.get("package")
    if not isinstance(table, dict) or not isinstance(table.get("name"), str):
        raise InputError(manifest, "`[package]` has no `name`", hint="cargo requires package.name")
    ws_package = root_data.get("workspace", {}).get("package", {})
    edition = _inherited(table.get("edition", "2015"), "edition", ws_package) or "2015"
    deps = read_dependencies(data, pkg_dir, root_data, root_dir)
    features: dict[str, tuple[str, ...]] = {
        str(k): tuple(str(v) for v in vals) for k, vals in data.get("features", {}).items()
    }
    explicit_dep_refs = {v[4:] for vals in features.values() for v in vals if v.startswith("dep:")}
    for dep in deps:
        if dep.optional and dep.name not in explicit_dep_refs and dep.name not in features:
            features[dep.name] = (f"dep:{dep.name}",)
    return Package(
        name=table["name"],
        dir=pkg_dir,
        manifest=manifest,
        edition=str(edition),
        features=features,
        targets=discover_targets(repo_root, pkg_dir, data),
        dependencies=deps,
    )


def _find_up(repo_root: Path, start: str) -> str | None:
    current = start
    while not (repo_root / current / "Cargo.toml").is_file():
        if current == "":
            return None
        current = posixpath.dirname(current)
    return current


def _find_root(repo_root: Path, pkg_dir: str) -> str:
    """The nearest ancestor with `[workspace]` that does not exclude `pkg_dir` (cargo's `find_root`)."""
    current = pkg_dir
    while current != "":
        current = posixpath.dirname(current)
        manifest = _norm(posixpath.join(current, "Cargo.toml"))
        if (repo_root / manifest).is_file():
            ws = read_manifest(repo_root, manifest).get("workspace")
            if isinstance(ws, dict) and not _is_excluded(ws, current, pkg_dir):
                return current
    return pkg_dir


def _is_excluded(ws: dict[str, Any], root_dir: str, pkg_dir: str) -> bool:
    def under(prefix: str) -> bool:
        prefix = _norm(posixpath.join(root_dir, prefix))
        return prefix in ("", pkg_dir) or pkg_dir.startswith(prefix + "/")

    excluded = any(under(ex) for ex in ws.get("exclude", []))
    explicit = any(under(m) for m in ws.get("members", []))
    return excluded and not explicit


def _member_dirs(repo_root: Path, root_dir: str, ws: dict[str, Any], key: str) -> list[str]:
    dirs: list[str] = []
    for pattern in ws.get(key, []):
        for found in _glob_dirs(repo_root, root_dir, pattern):
            if found not in dirs:
                dirs.append(found)
    return dirs


def _resolver(root_data: dict[str, Any], root_pkg: Package | None) -> int:
    raw = root_data.get("workspace", {}).get("resolver") or root_data.get("package", {}).get("resolver")
    if raw is not None:
        return int(raw)
    if root_pkg is None:
        return 1  # a virtual workspace without `resolver` still defaults to 1 (cargo warns)
    return {"2015": 1, "2018": 1, "2021": 2}.get(root_pkg.edition, 3)


def load_workspace(repo_root: Path, cwd: str = "") -> Workspace:
    """Find and load the workspace that `cargo` run in `cwd` (repo-relative) would use."""
    cwd = _norm(cwd)
    current_dir = _find_up(repo_root, cwd)
    if current_dir is None:
        raise InputError(
            cwd or ".", "no Cargo.toml here or in any parent directory", hint="cargo would fail here"
        )
    current_data = read_manifest(repo_root, _norm(posixpath.join(current_dir, "Cargo.toml")))
    root_dir = current_dir
    if "workspace" not in current_data and current_dir != "":
        root_dir = _find_root(repo_root, current_dir)
    root_data = read_manifest(repo_root, _norm(posixpath.join(root_dir, "Cargo.toml")))
    if "package" not in root_data and "workspace" not in root_data:
        raise InputError(
            _norm(posixpath.join(root_dir, "Cargo.toml")),
            "manifest has neither `[package]` nor `[workspace]`",
        )
    ws = root_data.get("workspace", {})
    members: dict[str, Package] = {}
    root_pkg = None
    if "package" in root_data:
        root_pkg = _load_package(repo_root, root_dir, root_data, root_data, root_dir)
        members[root_dir] = root_pkg
    todo = _member_dirs(repo_root, root_dir, ws, "members") if "workspace" in root_data else []
    while todo:
        pkg_dir = todo.pop(0)
        if pkg_dir in members or _is_excluded(ws, root_dir, pkg_dir):
            continue
        manifest = _norm(posixpath.join(pkg_dir, "Cargo.toml"))
        if not (repo_root / manifest).is_file():
            raise InputError(
                _norm(posixpath.join(root_dir, "Cargo.toml")),
                f"workspace member `{pkg_dir}` has no Cargo.toml",
                hint="cargo fails with 'failed to load manifest for workspace member'",
            )
        members[pkg_dir] = _load_package(
            repo_root, pkg_dir, read_manifest(repo_root, manifest), root_data, root_dir
        )
    if "workspace" in root_data:  # path dependencies under the root are members too
        queue = list(members.values())
        while queue:
            for dep in queue.pop(0).dependencies:
                path = dep.path
                inside = path is not None and (root_dir == "" or path.startswith(root_dir + "/"))
                if path is None or not inside or path in members or _is_excluded(ws, root_dir, path):
                    continue
                data = read_manifest(repo_root, _norm(posixpath.join(path, "Cargo.toml")))
                members[path] = _load_package(repo_root, path, data, root_data, root_dir)
                queue.append(members[path])
    ordered = tuple(sorted(members.values(), key=lambda p: (p.name, p.dir)))
    if "default-members" in ws:
        default_dirs = set(_member_dirs(repo_root, root_dir, ws, "default-members"))
        defaults = tuple(p.name for p in ordered if p.dir in default_dirs)
    elif root_pkg is not None:
        defaults = (root_pkg.name,)
    else:
        defaults = tuple(p.name for p in ordered)
    current = members.get(current_dir)
    if current is None and current_dir != root_dir:
        raise InputError(
            _norm(posixpath.join(current_dir, "Cargo.toml")),
            f"package believes it is in the workspace at `{root_dir or '.'}` but is not a member",
            hint="add it to `workspace.members` or `workspace.exclude`, as cargo asks",
        )
    return Workspace(
        root=root_dir,
        virtual=root_pkg is None,
        resolver=_resolver(root_data, root_pkg),
        members=ordered,
        default_members=defaults,
        current=None if current is None else current.name,
    )
