"""What a cited source file defines and tests, and what cargo or pytest will call each test."""

from __future__ import annotations

import dataclasses
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from parity.cratelayout import CargoTarget, Package, Placement, find_package, guess_placement, place_file
from parity.errors import InputError
from parity.pysource import PythonScan, decode_python, scan_python
from parity.rustsource import RustScan, scan_rust
from parity.sourcemodel import CrateTarget, Language, Symbol, SymbolKind, TargetKind, TestItem

__all__ = [
    "CargoTarget",
    "CrateTarget",
    "FileIndex",
    "IndexMemo",
    "Language",
    "Package",
    "Symbol",
    "SymbolKind",
    "TargetKind",
    "TestItem",
    "index_file",
]

_SEPARATOR = re.compile(r"::|\.")


def _segments(name: str) -> tuple[str, ...]:
    parts = name.strip().replace(".", "::").split("::")
    if "r#" not in name:  # the common case, without a generator (called for every symbol and test)
        return tuple(filter(None, parts))
    return tuple(s.removeprefix("r#") for s in parts if s)


def _ends_with(full: tuple[str, ...], tail: tuple[str, ...]) -> bool:
    return bool(tail) and len(tail) <= len(full) and full[len(full) - len(tail) :] == tail


@dataclass(frozen=True, slots=True, kw_only=True)
class FileIndex:
    """One source file's definitions and tests, plus (Rust) the crate target that compiles it."""

    path: str
    language: Language
    line_count: int
    symbols: tuple[Symbol, ...] = ()
    tests: tuple[TestItem, ...] = ()
    crate: CrateTarget | None = None  # the first of `targets`, or a guess when `reachable` is False
    reachable: bool = True  # False: a Rust file outside every package, or no `mod` item reaches it
    targets: tuple[CrateTarget, ...] = ()  # every target that compiles the file (e.g. tests/common/mod.rs)
    package: Package | None = None
    # Built on the first lookup (a matrix asks thousands of times): last segment of each symbol's
    # crate-qualified path -> (symbol, that path), in file order.
    _by_last: dict[str, list[tuple[Symbol, tuple[str, ...]]]] = field(
        default_factory=dict, compare=False, repr=False
    )
    # Built on the first lookup too: each test with the segments of its full name and qualname.
    _test_segments: list[tuple[TestItem, tuple[str, ...], tuple[str, ...]]] = field(
        default_factory=list, compare=False, repr=False
    )

    def find_symbol(self, name: str) -> tuple[Symbol, ...]:
        """By bare name or qualname suffix: `Variant`, `Enum::Variant`, `Foo::new`, `Class.method`,
        `impl Display for Foo`, or the crate-qualified `module::path::item`."""
        text = " ".join(name.split())
        if text.startswith("impl "):
            return tuple(s for s in self.symbols if s.kind is SymbolKind.IMPL and s.name == text)
        wanted = _segments(text)
        if not wanted:
            return ()
        if not self._by_last and self.symbols:
            self._build_last_index()
        candidates = self._by_last.get(wanted[-1], ())
        return tuple(symbol for symbol, full in candidates if _ends_with(full, wanted))

    def _build_last_index(self) -> None:
        prefix = _segments(self.crate.module_path) if self.crate and self.reachable else ()
        for symbol in self.symbols:  # in file order, so results keep the order of definition
            if symbol.kind is SymbolKind.IMPL:
                continue
            full = (*prefix, *_segments(symbol.qualname))
            if full:
                self._by_last.setdefault(full[-1], []).append((symbol, full))

    def find_test(self, name: str) -> tuple[TestItem, ...]:
        """By function name, full name (libtest name / pytest node id), or `Class::method`/`Class.method`.

        A pytest id suffix (`test_x[1-a]`) must name one of the test's cases; a Rust parametrized
        test is also found by one of its case names (`test_x::small`).
        """
        text = name.strip()
        case = None
        if text.endswith("]") and "[" in text:
            text, case = text[: text.index("[")], text[text.index("[") + 1 : -1]
        wanted = _segments(text)
        if not self._test_segments and self.tests:
            self._test_segments.extend(
                (test, _segments(test.full_name), _segments(test.qualname)) for test in self.tests
            )
        found = []
        for test, full, qual in self._test_segments:
            if test.is_doctest:
                if text in {test.full_name, test.qualname}:
                    found.append(test)
                continue
            if not (_ends_with(full, wanted) or _ends_with(qual, wanted)):
                # `#[test_case]`/`#[rstest]` cases are libtest tests one module below the fn: `f::case`
                case_of = test.param_count is not None and "::" in text and _ends_with(full, wanted[:-1])
                if not case_of:
                    continue
            if case is None or (test.param_ids is not None and case in test.param_ids):
                found.append(test)
        return tuple(found)


# --- reading ---------------------------------------------------------------------------------

# Scans are reused while a file's bytes are unchanged (comparing bytes is cheap next to scanning, and
# unlike mtimes it cannot miss an edit made within one clock tick).
_RUST_SCANS: dict[tuple[Path, str], tuple[bytes, RustScan]] = {}
_PYTHON_SCANS: dict[tuple[Path, str], tuple[bytes, PythonScan]] = {}


def _read(root: Path, rel: str) -> bytes:
    try:
        return (root / rel).read_bytes()
    except FileNotFoundError as exc:
        raise InputError(rel, "no such file", hint="check the path") from exc
    except OSError as exc:
        raise InputError(rel, f"cannot read: {exc.strerror}", hint="check the path and permissions") from exc


def _decode_utf8(rel: str, data: bytes) -> str:
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            rel,
            f"not valid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start} cannot be decoded",
            line=line,
            hint="save the file as UTF-8",
        ) from exc


def _rust_scan(root: Path, rel: str) -> RustScan:
    """Scan a Rust file, reusing the last scan while its bytes are unchanged."""
    data = _read(root, rel)
    cached = _RUST_SCANS.get((root, rel))
    if cached is not None and cached[0] == data:
        return cached[1]
    scan = scan_rust(rel, _decode_utf8(rel, data))
    _RUST_SCANS[root, rel] = (data, scan)
    return scan


def _python_scan(root: Path, rel: str) -> PythonScan:
    data = _read(root, rel)
    cached = _PYTHON_SCANS.get((root, rel))
    if cached is not None and cached[0] == data:
        return cached[1]
    scan = scan_python(rel, decode_python(rel, data))
    _PYTHON_SCANS[root, rel] = (data, scan)
    return scan


@dataclass(slots=True)
class IndexMemo:
    """What one run has read already. Placing a Rust file reads its parent modules and its package's
    manifest, which every sibling file asks for again; a run sees each file once, as it first read it."""

    rust_scans: dict[str, RustScan] = field(default_factory=dict)
    packages: dict[str, Package | None] = field(default_factory=dict)  # by a file's folder

    def rust_scan(self, root: Path, rel: str) -> RustScan:
        scan = self.rust_scans.get(rel)
        if scan is None:
            scan = self.rust_scans[rel] = _rust_scan(root, rel)
        return scan

    def package(self, root: Path, rel: str) -> Package | None:
        folder = posixpath.dirname(rel)
        if folder not in self.packages:
            self.packages[folder] = find_package(root, rel)
        return self.packages[folder]


def _normalise(rel_path: str) -> str:
    rel = posixpath.normpath(rel_path.replace("\\", "/"))
    if rel.startswith(("../", "/")) or rel == "..":
        raise InputError(rel_path, "path leaves the repository", hint="cite a repo-relative path")
    return rel


def index_file(repo_root: Path, rel_path: str, memo: IndexMemo | None = None) -> FileIndex:
    """Index one repo-relative file: Rust (`.rs`), Python (`.py`/`.pyi`), or any other text (lines only).

    Calls of one run may share a `memo`, so they read each Rust file and manifest once.
    """
    root = Path(repo_root)
    rel = _normalise(rel_path)
    if rel.endswith(".rs"):
        return _index_rust(root, rel, memo if memo is not None else IndexMemo())
    if rel.endswith((".py", ".pyi")):
        scan = _python_scan(root, rel)
        return FileIndex(
            path=rel,
            language=Language.PYTHON,
            line_count=scan.line_count,
            symbols=scan.symbols,
            tests=scan.tests,
        )
    data = _read(root, rel)
    count = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    return FileIndex(path=rel, language=Language.OTHER, line_count=count)


# --- Rust assembly ---------------------------------------------------------------------------


def _crate_target(package: Package, placement: Placement) -> CrateTarget:
    target = placement.target
    return CrateTarget(
        package=package.name,
        package_dir=package.dir,
        target_kind=target.kind,
        target_name=target.name,
        src_path=target.src_path,
        module_path="::".join(placement.module),
        required_features=target.required_features,
    )


def _qualify(module: tuple[str, ...], local: str) -> str:
    return "::".join((*module, local)) if local else "::".join(module)


def _doctests(
    rel: str, scan: RustScan, package: Package, placements: tuple[Placement, ...]
) -> list[TestItem]:
    """Doc-tests of lib files, named as rustdoc does: `<path from workspace root> - <item path> (line N)`."""
    lib = next((p for p in placements if p.target.kind is TargetKind.LIB and p.target.doctest), None)
    if lib is None:
        return []
    shown = posixpath.relpath(rel, package.workspace_dir or ".")
    found = []
    for doc in scan.doctests:
        if "test" in lib.cfg or "test" in doc.cfg:  # rustdoc builds without `cfg(test)`: no such items
            continue
        item = _qualify(lib.module, doc.full_name)
        full = f"{shown} - {item} (line {doc.line})" if item else f"{shown} - (line {doc.line})"
        found.append(
            dataclasses.replace(doc, name=full, qualname=item, full_name=full, cfg=lib.cfg + doc.cfg)
        )
    return found


def _index_rust(root: Path, rel: str, memo: IndexMemo) -> FileIndex:
    scan = memo.rust_scan(root, rel)
    package = memo.package(root, rel)
    placements: tuple[Placement, ...] = ()
    if package is not None:
        placements = place_file(root, package, rel, lambda other: memo.rust_scan(root, other))
    reachable = bool(placements)
    shown = placements
    if not shown and package is not None:
        guess = guess_placement(package, rel)
        shown = (guess,) if guess is not None else ()
    targets = tuple(_crate_target(package, p) for p in shown) if package is not None else ()
    tests = list(scan.tests)
    if shown and (shown[0].module or shown[0].cfg):  # names are relative to the file's module
        module, cfg = shown[0].module, shown[0].cfg
        tests = [
            dataclasses.replace(t, full_name=_qualify(module, t.full_name), cfg=cfg + t.cfg) for t in tests
        ]
    if package is not None:
        tests.extend(_doctests(rel, scan, package, placements))
    return FileIndex(
        path=rel,
        language=Language.RUST,
        line_count=scan.line_count,
        symbols=scan.symbols,
        tests=tuple(tests),
        crate=targets[0] if targets else None,
        reachable=reachable,
        targets=targets if reachable else (),
        package=package,
    )
