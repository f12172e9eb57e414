"""Which cargo target compiles a Rust file, as which module, behind which `cfg`s (Cargo.toml + `mod`)."""

from __future__ import annotations

import os
import posixpath
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parity.errors import InputError
from parity.sourcemodel import TargetKind

if TYPE_CHECKING:
    from collections.abc import Callable

    from parity.rustsource import RustScan

__all__ = ["CargoTarget", "Package", "Placement", "find_package", "guess_placement", "place_file"]

_KIND_ORDER = (TargetKind.LIB, TargetKind.BIN, TargetKind.TEST, TargetKind.BENCH, TargetKind.EXAMPLE)
# kind -> (manifest array, auto-discovery dir, `autoX` key, default `test` flag); cargo's `targets.rs`.
_ARRAYS = {
    TargetKind.BIN: ("bin", "src/bin", "autobins", True),
    TargetKind.TEST: ("test", "tests", "autotests", True),
    TargetKind.BENCH: ("bench", "benches", "autobenches", False),
    TargetKind.EXAMPLE: ("example", "examples", "autoexamples", False),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class CargoTarget:
    """A target as the manifest declares it or cargo's auto-discovery finds it."""

    kind: TargetKind
    name: str
    src_path: str  # relative to the package directory
    required_features: tuple[str, ...] = ()
    test: bool = True  # built and run by a plain `cargo test`
    doctest: bool = False
    harness: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class Package:
    """One `[package]`: its name, where it is, its features table and its targets."""

    name: str
    dir: str  # repo-relative POSIX, "" for the repository root
    manifest: str
    workspace_dir: str  # rustdoc names doc-tests by their path relative to the workspace root
    features: tuple[tuple[str, tuple[str, ...]], ...]
    targets: tuple[CargoTarget, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Placement:
    """One way a file is compiled: by `target`, as module `module`, only when every `cfg` holds."""

    target: CargoTarget
    module: tuple[str, ...]
    cfg: tuple[str, ...]


_MANIFESTS: dict[Path, tuple[bytes, dict[str, Any]]] = {}


def _manifest(root: Path, rel: str) -> dict[str, Any] | None:
    path = root / rel
    try:
        data = path.read_bytes()
    except OSError:
        return None
    cached = _MANIFESTS.get(path)
    if cached is not None and cached[0] == data:
        return cached[1]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            rel,
            f"not UTF-8 (byte 0x{data[exc.start]:02x})",
            line=data[: exc.start].count(b"\n") + 1,
            hint="save the file as UTF-8",
        ) from None
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"\(at line (\d+), column \d+\)$", str(exc))
        message = str(exc)[: where.start()].rstrip() if where else str(exc)
        raise InputError(
            rel,
            f"cannot parse Cargo.toml: {message}",
            line=int(where.group(1)) if where else None,
            hint="fix the manifest",
        ) from exc
    _MANIFESTS[path] = (data, table)
    return table


def _join(*parts: str) -> str:
    return posixpath.join(*[p for p in parts if p])


def _listing(base: Path, sub: str) -> list[str]:
    """`sub/*.rs` and `sub/*/main.rs` under `base`, as package-relative paths (cargo's auto-discovery)."""
    try:
        entries = sorted(os.scandir(base / sub), key=lambda e: e.name)
    except OSError:
        return []
    found = []
    for entry in entries:
        if entry.is_file() and entry.name.endswith(".rs"):
            found.append(f"{sub}/{entry.name}")
        elif entry.is_dir() and (Path(entry.path) / "main.rs").is_file():
            found.append(f"{sub}/{entry.name}/main.rs")
    return found


def _auto_name(src: str) -> str:
    return src.rsplit("/", 2)[-2] if src.endswith("/main.rs") else src.rsplit("/", 1)[-1][:-3]


def _targets(base: Path, table: dict[str, Any], package: str) -> tuple[CargoTarget, ...]:
    meta = table.get("package", {})
    targets: list[CargoTarget] = []
    lib = table.get("lib")
    lib_path = (
        posixpath.normpath(str(lib.get("path", "src/lib.rs"))) if isinstance(lib, dict) else "src/lib.rs"
    )
    if isinstance(lib, dict) or (meta.get("autolib", True) and (base / lib_path).is_file()):
        lib = lib if isinstance(lib, dict) else {}
        targets.append(
            CargoTarget(
                kind=TargetKind.LIB,
                name=str(lib.get("name", package.replace("-", "_"))),
                src_path=lib_path,
                test=bool(lib.get("test", True)),
                doctest=bool(lib.get("doctest", True)),
                harness=bool(lib.get("harness", True)),
            )
        )
    for kind, (array, folder, auto_key, default_test) in _ARRAYS.items():
        explicit = [t for t in table.get(array, []) if isinstance(t, dict) and "name" in t]
        auto = _listing(base, folder) if meta.get(auto_key, True) is not False else []
        if (
            kind is TargetKind.BIN
            and meta.get(auto_key, True) is not False
            and (base / "src/main.rs").is_file()
        ):
            auto.insert(0, "src/main.rs")
        taken: set[str] = set()
        for entry in explicit:
            name = str(entry["name"])
            path = entry.get("path")
            if path is None:
                options = [f"{folder}/{name}.rs", f"{folder}/{name}/main.rs"]
                if kind is TargetKind.BIN and name == package:
                    options.append("src/main.rs")
                path = next((o for o in options if (base / o).is_file()), options[0])
            path = posixpath.normpath(str(path))
            taken.update({name, path})
            targets.append(
                CargoTarget(
                    kind=kind,
                    name=name,
                    src_path=path,
                    required_features=tuple(entry.get("required-features", ())),
                    test=bool(entry.get("test", default_test)),
                    harness=bool(entry.get("harness", True)),
                )
            )
        for path in auto:
            name = package if path == "src/main.rs" else _auto_name(path)
            if name not in taken and path not in taken:
                targets.append(CargoTarget(kind=kind, name=name, src_path=path, test=default_test))
    return tuple(targets)


def _workspace_dir(root: Path, package_dir: str, table: dict[str, Any]) -> str:
    if "workspace" in table:
        return package_dir
    pointer = table.get("package", {}).get("workspace")
    if isinstance(pointer, str):
        pointed = posixpath.normpath(_join(package_dir, pointer))
        return "" if pointed == "." else pointed
    here = package_dir
    while here:
        here = posixpath.dirname(here)
        manifest = _manifest(root, _join(here, "Cargo.toml"))
        if manifest is not None and isinstance(manifest.get("workspace"), dict):
            relative = posixpath.relpath(package_dir, here or ".")
            excluded = manifest["workspace"].get("exclude", [])
            if any(relative == e or relative.startswith(f"{e.rstrip('/')}/") for e in excluded):
                return package_dir
            return here
    return package_dir


_AUTO_FOLDERS = ("src", "src/bin", "tests", "benches", "examples")
_PACKAGES: dict[tuple[Path, str], tuple[tuple[object, ...], Package]] = {}


def _stamp(root: Path, package: Package) -> tuple[object, ...] | None:
    """Changes when the manifest's bytes do or a folder cargo auto-discovers targets in is listed anew."""
    table = _manifest(root, package.manifest)
    if table is None:
        return None
    stamps: list[object] = [id(table)]
    base = f"{root}/{package.dir}" if package.dir else str(root)
    for folder in _AUTO_FOLDERS:
        try:
            stamps.append(os.stat(f"{base}/{folder}").st_mtime_ns)  # noqa: PTH116 - hot path, see find_package
        except OSError:
            stamps.append(None)
    return tuple(stamps)


def find_package(root: Path, rel: str) -> Package | None:
    """The nearest enclosing `[package]` of repo-relative file `rel`, or None.

    Called once per indexed file, so a package is reused while its manifest and target folders are
    unchanged (a few `stat`s instead of a walk, a TOML parse and folder listings).
    """
    folder = posixpath.dirname(rel)
    cached = _PACKAGES.get((root, folder))
    if cached is not None and _stamp(root, cached[1]) == cached[0]:
        return cached[1]
    package = _find_package(root, folder)
    stamp = _stamp(root, package) if package is not None else None
    if package is not None and stamp is not None:
        _PACKAGES[root, folder] = (stamp, package)
    return package


def _find_package(root: Path, here: str) -> Package | None:
    while True:
        manifest_rel = _join(here, "Cargo.toml")
        table = _manifest(root, manifest_rel) if (root / manifest_rel).is_file() else None
        if table is not None and isinstance(table.get("package"), dict):
            name = str(table["package"].get("name", ""))
            features = table.get("features", {})
            return Package(
                name=name,
                dir=here,
                manifest=manifest_rel,
                workspace_dir=_workspace_dir(root, here, table),
                features=tuple(
                    (str(k), tuple(map(str, v))) for k, v in features.items() if isinstance(v, list)
                ),
                targets=_targets(root / here, table, name),
            )
        if not here:
            return None
        here = posixpath.dirname(here)


def _parents(root: Path, package: Package, folder: tuple[str, ...]) -> list[str]:
    """Files whose `mod x;` means `folder/x.rs`: `folder/mod.rs`, `folder.rs`, crate roots in `folder`."""
    base = os.path.join(root, package.dir)  # noqa: PTH118 - hot path: strings, not Path objects
    joined = "/".join(folder)
    found = [t.src_path for t in package.targets if posixpath.dirname(t.src_path) == joined]
    roots = {t.src_path for t in package.targets}
    for candidate in (_join(joined, "mod.rs"), f"{joined}.rs" if folder else ""):
        if candidate and candidate not in roots and os.path.isfile(os.path.join(base, candidate)):  # noqa: PTH113, PTH118
            found.append(candidate)
    return list(dict.fromkeys(found))


def _try(scan: Callable[[str], RustScan], rel: str) -> RustScan | None:
    """Another file's scan, or None if it cannot be read: that file's problem is not this file's."""
    try:
        return scan(rel)
    except InputError:
        return None


def _order(placements: list[Placement]) -> tuple[Placement, ...]:
    unique = {(p.target.kind, p.target.name, p.module, p.cfg): p for p in placements}
    return tuple(sorted(unique.values(), key=lambda p: (_KIND_ORDER.index(p.target.kind), p.target.name)))


def place_file(
    root: Path, package: Package, rel: str, scan: Callable[[str], RustScan]
) -> tuple[Placement, ...]:
    """Every target/module a file is compiled as; empty if no `mod` item reaches it.

    `scan(repo_rel)` returns the (cached) scan of another file of the package.
    """
    local = posixpath.relpath(rel, package.dir or ".")
    found = _place_up(root, package, local, scan, frozenset())
    return _order(found) if found else _order(_walk(root, package, scan).get(local, []))


def _place_up(
    root: Path, package: Package, local: str, scan: Callable[[str], RustScan], seen: frozenset[str]
) -> list[Placement]:
    placements = [Placement(target=t, module=(), cfg=()) for t in package.targets if t.src_path == local]
    if placements:
        return placements
    parts = local.split("/")
    if parts[-1] == "mod.rs":
        name, folder = (parts[-2], tuple(parts[:-2])) if len(parts) > 2 else ("", ())
    else:
        name, folder = parts[-1].removesuffix(".rs"), tuple(parts[:-1])
    if not name or local in seen:
        return []
    for depth in range(min(len(folder), 3) + 1):
        parent_folder, inline = folder[: len(folder) - depth], folder[len(folder) - depth :]
        for parent in _parents(root, package, parent_folder):
            parent_scan = _try(scan, _join(package.dir, parent))
            decls = [
                d
                for d in (parent_scan.decls_by_name.get(name, ()) if parent_scan else ())
                if d.inline == inline and d.path_attr is None
            ]
            if not decls:
                continue
            for above in _place_up(root, package, parent, scan, seen | {local}):
                placements.extend(
                    Placement(
                        target=above.target, module=(*above.module, *inline, name), cfg=above.cfg + d.cfg
                    )
                    for d in decls
                )
    return placements


_WALKS: dict[tuple[Path, str], tuple[tuple[tuple[str, RustScan], ...], dict[str, list[Placement]]]] = {}


def _walk(root: Path, package: Package, scan: Callable[[str], RustScan]) -> dict[str, list[Placement]]:
    """Follow every `mod` item down from the crate roots, `#[path]` included (the slow, complete way)."""
    key = (root, package.dir)
    cached = _WALKS.get(key)
    if cached is not None and all(_try(scan, _join(package.dir, f)) is s for f, s in cached[0]):
        return cached[1]
    placements: dict[str, list[Placement]] = {}
    visited: list[tuple[str, RustScan]] = []
    base = root / package.dir
    # (file, owns its directory like a mod.rs, placement)
    queue = [(t.src_path, True, Placement(target=t, module=(), cfg=())) for t in package.targets]
    while queue:
        local, mod_rs, placement = queue.pop()
        if len(placements.setdefault(local, [])) > 16 or not (base / local).is_file():
            continue
        data = _try(scan, _join(package.dir, local))
        if data is None:
            continue
        placements[local].append(placement)
        visited.append((local, data))
        folder = posixpath.dirname(local)
        children = folder if mod_rs else local.removesuffix(".rs")
        for decl in data.mod_decls:
            inline = "/".join(decl.inline)
            child_placement = Placement(
                target=placement.target,
                module=(*placement.module, *decl.inline, decl.name),
                cfg=placement.cfg + decl.cfg,
            )
            if decl.path_attr is not None:
                start = _join(children, inline) if decl.inline else folder
                queue.append((posixpath.normpath(_join(start, decl.path_attr)), True, child_placement))
                continue
            for child, child_mod_rs in (
                (_join(children, inline, f"{decl.name}.rs"), False),
                (_join(children, inline, decl.name, "mod.rs"), True),
            ):
                if (base / child).is_file():
                    queue.append((child, child_mod_rs, child_placement))
                    break
    _WALKS[key] = (tuple(visited), placements)
    return placements


def guess_placement(package: Package, rel: str) -> Placement | None:
    """For a file no `mod` item reaches: the target its folder suggests, and the module it would be."""
    local = posixpath.relpath(rel, package.dir or ".")
    best: tuple[int, int, CargoTarget] | None = None
    for target in package.targets:
        folder = posixpath.dirname(target.src_path)
        if local.startswith(f"{folder}/"):
            rank = (len(folder), -_KIND_ORDER.index(target.kind))
            if best is None or rank > best[:2]:
                best = (*rank, target)
    if best is None:
        return None
    folder = posixpath.dirname(best[2].src_path)
    parts = local[len(folder) + 1 :].removesuffix(".rs").split("/")
    if parts[-1] == "mod":
        parts.pop()
    return Placement(target=best[2], module=tuple(parts), cfg=())
