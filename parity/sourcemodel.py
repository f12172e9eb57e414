"""The records the source index hands out: definitions, tests and crate targets, shared by its parsers."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["CrateTarget", "Language", "Symbol", "SymbolKind", "TargetKind", "TestItem"]


class Language(enum.StrEnum):
    RUST = "rust"
    PYTHON = "python"
    OTHER = "other"  # any other text file: only its line count is known


class SymbolKind(enum.StrEnum):
    FN = "fn"
    STRUCT = "struct"
    ENUM = "enum"
    UNION = "union"
    VARIANT = "variant"
    TRAIT = "trait"
    IMPL = "impl"
    MOD = "mod"
    CONST = "const"
    STATIC = "static"
    TYPE = "type"
    MACRO = "macro"
    CLASS = "class"  # Python
    DEF = "def"  # Python function or method
    VARIABLE = "variable"  # Python module- or class-level assignment


class TargetKind(enum.StrEnum):
    """A cargo target kind; a StrEnum so it compares equal to cargo's own spelling."""

    LIB = "lib"
    BIN = "bin"
    TEST = "test"
    BENCH = "bench"
    EXAMPLE = "example"


@dataclass(frozen=True, slots=True, kw_only=True)
class Symbol:
    """One definition. `line` is where its name is; `attr_line` where its attributes/docs start."""

    name: str
    kind: SymbolKind
    qualname: str  # path inside the file: `tests::helper`, `Foo::new`, `Class.method`
    line: int
    attr_line: int
    end_line: int
    attrs: tuple[str, ...] = ()  # Rust: normalised attribute texts; Python: decorator names


@dataclass(frozen=True, slots=True, kw_only=True)
class TestItem:
    """One test as the harness will name it.

    `full_name` is the libtest name (`orchestration::run_key::tests::t`, or for a doc-test
    `crates/x/src/lib.rs - f (line 3)`), or the pytest node id inside its file (`TestA::test_b`).
    """

    __test__ = False  # its name starts with "Test": keep pytest from collecting it where imported

    name: str
    qualname: str
    full_name: str
    line: int
    attr_line: int
    end_line: int
    ignored: bool = False
    ignore_reason: str | None = None
    ignore_cfg: tuple[str, ...] = ()  # Rust `#[cfg_attr(P, ignore)]`: ignored when P holds
    should_panic: bool = False
    should_panic_expected: str | None = None
    cfg: tuple[str, ...] = ()  # every `cfg` predicate that gates it, outermost first
    body_can_fail: bool = True
    is_doctest: bool = False
    markers: tuple[str, ...] = ()  # Rust: attribute paths / doc-test info words; Python: mark names
    param_count: int | None = None  # cases of a parametrized test, when they can be counted
    param_ids: tuple[str, ...] | None = None  # pytest ids (`1-a`), when they can be computed


@dataclass(frozen=True, slots=True, kw_only=True)
class CrateTarget:
    """The cargo target that compiles a file, and the file's module path inside it."""

    package: str
    package_dir: str  # repo-relative POSIX, "" for the repository root
    target_kind: TargetKind
    target_name: str  # `--test <name>`, `--bin <name>`; the crate name (`arco_flow`) for a lib
    src_path: str  # the target's root, relative to the package: `src/lib.rs`, `tests/foo.rs`
    module_path: str  # `orchestration::run_key`; "" for the crate root
    required_features: tuple[str, ...] = ()
