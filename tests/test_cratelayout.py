"""Crate layout: targets, module paths and gates of Rust files, checked against `cargo test -- --list`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest

from parity.errors import InputError
from parity.sourceindex import FileIndex, IndexMemo, TargetKind, index_file

# --- a real crate layout -------------------------------------------------------------------

CRATE_FILES = {
    "Cargo.toml": """
        [workspace]
        members = ["crates/demo-core"]
        resolver = "2"
    """,
    "crates/demo-core/Cargo.toml": """
        [package]
        name = "demo-core"
        version = "0.1.0"
        edition = "2021"

        [features]
        default = []
        test-utils = []
        extra = ["test-utils"]

        [[test]]
        name = "custom"
        path = "tests/custom_path.rs"
        required-features = ["test-utils"]
    """,
    "crates/demo-core/src/lib.rs": """
        //! Demo crate.
        //!
        //! ```
        //! assert_eq!(demo_core::answer(), 42);
        //! ```
        pub mod orchestration;
        #[cfg(feature = "extra")]
        #[path = "special/impl_extra.rs"]
        pub mod extra;
        mod inline_parent {
            pub mod child;
        }

        /// The answer.
        ///
        /// ```
        /// assert_eq!(demo_core::answer(), 42);
        /// ```
        pub fn answer() -> u32 {
            42
        }

        #[cfg(test)]
        mod tests {
            #[test]
            fn test_answer() {
                assert_eq!(super::answer(), 42);
            }
        }
    """,
    "crates/demo-core/src/orchestration/mod.rs": """
        pub mod run_key;
        #[cfg(test)]
        mod tests;
    """,
    "crates/demo-core/src/orchestration/run_key.rs": """
        /// Reserve.
        ///
        /// ```
        /// demo_core::orchestration::run_key::reserve_run_key();
        /// ```
        pub fn reserve_run_key() {}

        pub struct Key;

        impl Key {
            /// ```
            /// let _ = demo_core::orchestration::run_key::Key;
            /// ```
            pub fn new() -> Self {
                Key
            }
        }

        #[cfg(test)]
        mod tests {
            #[test]
            fn test_reserve_run_key_duplicate_returns_existing() {
                super::reserve_run_key();
                assert!(true);
            }

            #[test]
            #[ignore = "slow"]
            fn test_slow() {}
        }
    """,
    "crates/demo-core/src/orchestration/tests.rs": """
        #[test]
        fn test_out_of_line() {
            assert!(true);
        }
    """,
    "crates/demo-core/src/special/impl_extra.rs": """
        #[test]
        fn test_in_path_module() {
            assert!(cfg!(feature = "extra"));
        }
    """,
    "crates/demo-core/src/inline_parent/child.rs": """
        #[test]
        fn test_in_child() {
            assert!(true);
        }
    """,
    "crates/demo-core/src/orphan.rs": """
        #[test]
        fn test_never_compiled() {
            assert!(false);
        }
    """,
    "crates/demo-core/src/main.rs": """
        fn main() {}

        #[test]
        fn test_in_main() {
            assert!(true);
        }
    """,
    "crates/demo-core/src/bin/tool.rs": """
        fn main() {}

        #[cfg(test)]
        mod tests {
            #[test]
            fn test_tool() {
                assert!(true);
            }
        }
    """,
    "crates/demo-core/tests/integration.rs": """
        #![cfg(feature = "test-utils")]
        mod common;

        #[test]
        fn test_integration() {
            assert_eq!(common::helper(), 1);
        }

        mod nested {
            #[test]
            fn test_nested() {
                assert!(true);
            }
        }
    """,
    "crates/demo-core/tests/other.rs": """
        mod common;

        #[test]
        fn test_other() {
            assert_eq!(common::helper(), 1);
        }
    """,
    "crates/demo-core/tests/common/mod.rs": """
        #![allow(dead_code)]
        pub fn helper() -> u32 {
            1
        }

        #[test]
        fn test_common() {
            assert_eq!(helper(), 1);
        }
    """,
    "crates/demo-core/tests/custom_path.rs": """
        #[test]
        fn test_custom() {
            assert!(true);
        }
    """,
    "crates/demo-core/tests/suite/main.rs": """
        mod cases;
    """,
    "crates/demo-core/tests/suite/cases.rs": """
        #[test]
        fn test_suite_case() {
            assert!(true);
        }
    """,
}


@pytest.fixture(scope="module")
def crate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("crate")
    for rel, text in CRATE_FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def _where(index: FileIndex) -> list[tuple[str, str, str, str]]:
    return [(str(t.target_kind), t.target_name, t.src_path, t.module_path) for t in index.targets]


def test_crate_targets_and_module_paths(crate: Path) -> None:
    core = "crates/demo-core"
    expectations = {
        "src/lib.rs": [("lib", "demo_core", "src/lib.rs", "")],
        "src/orchestration/mod.rs": [("lib", "demo_core", "src/lib.rs", "orchestration")],
        "src/orchestration/run_key.rs": [("lib", "demo_core", "src/lib.rs", "orchestration::run_key")],
        "src/orchestration/tests.rs": [("lib", "demo_core", "src/lib.rs", "orchestration::tests")],
        "src/special/impl_extra.rs": [("lib", "demo_core", "src/lib.rs", "extra")],
        "src/inline_parent/child.rs": [("lib", "demo_core", "src/lib.rs", "inline_parent::child")],
        "src/main.rs": [("bin", "demo-core", "src/main.rs", "")],
        "src/bin/tool.rs": [("bin", "tool", "src/bin/tool.rs", "")],
        "tests/integration.rs": [("test", "integration", "tests/integration.rs", "")],
        "tests/common/mod.rs": [
            ("test", "integration", "tests/integration.rs", "common"),
            ("test", "other", "tests/other.rs", "common"),
        ],
        "tests/custom_path.rs": [("test", "custom", "tests/custom_path.rs", "")],
        "tests/suite/cases.rs": [("test", "suite", "tests/suite/main.rs", "cases")],
    }
    for rel, expected in expectations.items():
        index = index_file(crate, f"{core}/{rel}")
        assert (rel, index.reachable, _where(index)) == (rel, True, expected)
        assert index.crate is not None
        assert (index.crate.package, index.crate.package_dir) == ("demo-core", core)


def test_full_names_and_gates(crate: Path) -> None:
    core = "crates/demo-core"
    run_key = index_file(crate, f"{core}/src/orchestration/run_key.rs")
    assert [(t.full_name, t.cfg, t.ignored) for t in run_key.tests if not t.is_doctest] == [
        ("orchestration::run_key::tests::test_reserve_run_key_duplicate_returns_existing", ("test",), False),
        ("orchestration::run_key::tests::test_slow", ("test",), True),
    ]
    assert [t.full_name for t in run_key.tests if t.is_doctest] == [
        "crates/demo-core/src/orchestration/run_key.rs - orchestration::run_key::reserve_run_key (line 3)",
        "crates/demo-core/src/orchestration/run_key.rs - orchestration::run_key::Key::new (line 11)",
    ]
    out_of_line = index_file(crate, f"{core}/src/orchestration/tests.rs")
    assert [(t.full_name, t.cfg) for t in out_of_line.tests] == [
        ("orchestration::tests::test_out_of_line", ("test",))
    ]
    extra = index_file(crate, f"{core}/src/special/impl_extra.rs")
    assert [(t.full_name, t.cfg) for t in extra.tests] == [
        ("extra::test_in_path_module", ('feature = "extra"',))
    ]
    common = index_file(crate, f"{core}/tests/common/mod.rs")
    assert [(t.full_name, t.cfg) for t in common.tests] == [
        ("common::test_common", ('feature = "test-utils"',))
    ]
    integration = index_file(crate, f"{core}/tests/integration.rs")
    assert [(t.full_name, t.cfg) for t in integration.tests] == [
        ("test_integration", ('feature = "test-utils"',)),
        ("nested::test_nested", ('feature = "test-utils"',)),
    ]
    custom = index_file(crate, f"{core}/tests/custom_path.rs")
    assert custom.crate is not None
    assert custom.crate.required_features == ("test-utils",)
    assert custom.crate.target_kind is TargetKind.TEST


def test_undeclared_module_is_unreachable(crate: Path) -> None:
    orphan = index_file(crate, "crates/demo-core/src/orphan.rs")
    assert orphan.reachable is False
    assert orphan.targets == ()
    assert orphan.crate is not None
    assert (orphan.crate.target_kind, orphan.crate.module_path) == ("lib", "orphan")
    assert [t.full_name for t in orphan.tests] == ["orphan::test_never_compiled"]


def test_package_info(crate: Path) -> None:
    index = index_file(crate, "crates/demo-core/src/lib.rs")
    assert index.package is not None
    assert index.package.features == (("default", ()), ("test-utils", ()), ("extra", ("test-utils",)))
    assert index.package.workspace_dir == ""
    assert [(str(t.kind), t.name, t.src_path, t.test) for t in index.package.targets] == [
        ("lib", "demo_core", "src/lib.rs", True),
        ("bin", "demo-core", "src/main.rs", True),
        ("bin", "tool", "src/bin/tool.rs", True),
        ("test", "custom", "tests/custom_path.rs", True),
        ("test", "integration", "tests/integration.rs", True),
        ("test", "other", "tests/other.rs", True),
        ("test", "suite", "tests/suite/main.rs", True),
    ]


def _write_tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def test_manifest_overrides_and_bin_only_crates(tmp_path: Path) -> None:
    root = _write_tree(
        tmp_path,
        {
            "Cargo.toml": """
            [workspace]
            members = ["app", "lib-only"]
            exclude = ["standalone"]
        """,
            "app/Cargo.toml": """
            [package]
            name = "app"
            version = "0.1.0"
            autotests = false

            [[test]]
            name = "only"
        """,
            "app/src/main.rs": "mod cli;\nfn main() {}\n",
            "app/src/cli.rs": "#[test]\nfn test_cli() {\n    assert!(true);\n}\n",
            "app/tests/only.rs": "#[test]\nfn test_only() {\n    assert!(true);\n}\n",
            "app/tests/ignored_by_autotests.rs": "#[test]\nfn test_never() {\n    assert!(true);\n}\n",
            "app/benches/speed.rs": "fn main() {}\n",
            "app/examples/demo/main.rs": "fn main() {}\n",
            "lib-only/Cargo.toml": """
            [package]
            name = "lib-only"
            version = "0.1.0"

            [lib]
            name = "renamed"
            path = "lib/root.rs"
        """,
            "lib-only/lib/root.rs": """
            mod outer {
                #[path = "custom.rs"]
                mod inner;
            }
        """,
            "lib-only/lib/outer/custom.rs": "#[test]\nfn test_custom() {\n    assert!(true);\n}\n",
            "standalone/Cargo.toml": '[package]\nname = "standalone"\nversion = "0.1.0"\n',
            "standalone/src/lib.rs": "/// ```\n/// let _ = 1;\n/// ```\npub fn f() {}\n",
        },
    )
    cli = index_file(root, "app/src/cli.rs")
    assert (_where(cli), [t.full_name for t in cli.tests]) == (
        [("bin", "app", "src/main.rs", "cli")],
        ["cli::test_cli"],
    )
    assert _where(index_file(root, "app/tests/only.rs")) == [("test", "only", "tests/only.rs", "")]
    stray = index_file(root, "app/tests/ignored_by_autotests.rs")
    assert (stray.reachable, stray.targets) == (False, ())
    app = index_file(root, "app/src/main.rs").package
    assert app is not None
    assert [(str(t.kind), t.name, t.src_path, t.test) for t in app.targets] == [
        ("bin", "app", "src/main.rs", True),
        ("test", "only", "tests/only.rs", True),
        ("bench", "speed", "benches/speed.rs", False),
        ("example", "demo", "examples/demo/main.rs", False),
    ]
    custom = index_file(root, "lib-only/lib/outer/custom.rs")
    assert (_where(custom), [t.full_name for t in custom.tests]) == (
        [("lib", "renamed", "lib/root.rs", "outer::inner")],
        ["outer::inner::test_custom"],
    )
    standalone = index_file(root, "standalone/src/lib.rs")
    assert standalone.package is not None
    assert standalone.package.workspace_dir == "standalone"
    assert [t.full_name for t in standalone.tests] == ["src/lib.rs - f (line 1)"]


def test_a_shared_memo_indexes_every_file_as_a_fresh_call_does(crate: Path) -> None:
    files = sorted(p.relative_to(crate).as_posix() for p in crate.rglob("*.rs"))
    memo = IndexMemo()
    for rel in files:
        assert index_file(crate, rel, memo) == index_file(crate, rel), rel
    assert set(files) <= set(memo.rust_scans)  # each scanned once, parents included
    assert all(package is not None for package in memo.packages.values())


def test_find_symbol_with_the_module_path(crate: Path) -> None:
    index = index_file(crate, "crates/demo-core/src/orchestration/run_key.rs")
    assert [s.line for s in index.find_symbol("orchestration::run_key::reserve_run_key")] == [6]
    assert [s.line for s in index.find_symbol("run_key::Key::new")] == [14]
    assert index.find_symbol("other::reserve_run_key") == ()


def test_bad_manifest_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "Cargo.toml").write_text("[package\nname = 1\n", encoding="utf-8")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "lib.rs").write_text("fn a() {}\n", encoding="utf-8")
    with pytest.raises(InputError) as raised:
        index_file(tmp_path, "src/lib.rs")
    assert raised.value.render() == (
        "Cargo.toml:1: cannot parse Cargo.toml: Expected ']' at the end of a table declaration (fix the manifest)"
    )


_RUNNING = re.compile(r"^\s*Running (?:unittests )?(\S+) \(")
_DOCTESTS = re.compile(r"^\s*Doc-tests (\S+)")
_LISTED = re.compile(r"^(.*): (?:test|bench)$")


@pytest.mark.cargo
@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")
def test_full_names_match_cargo_test_list(crate: Path) -> None:
    listed = _cargo_list(crate)
    expected: dict[str, set[str]] = {}
    for path in sorted((crate / "crates/demo-core").rglob("*.rs")):
        rel = path.relative_to(crate).as_posix()
        index = index_file(crate, rel)
        if not index.reachable:
            continue
        for test in index.tests:
            if test.is_doctest:
                expected.setdefault("doc", set()).add(test.full_name)
                continue
            for target in index.targets:
                name = "::".join(p for p in (target.module_path, test.qualname) if p)
                expected.setdefault(target.src_path, set()).add(name)
    assert listed == expected


def _cargo_list(crate: Path, *args: str) -> dict[str, set[str]]:
    """`cargo test --all-features <args> -- --list` as test names per binary: its source path, or `doc`.

    stderr is merged into stdout so the `Running ...` headers and the listings interleave.
    """
    env = {**os.environ, "CARGO_TARGET_DIR": "/tmp/target-sourceindex", "CARGO_TERM_COLOR": "never"}
    done = subprocess.run(
        ["cargo", "test", "--offline", "--all-features", *args, "--", "--list"],
        cwd=crate,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout
    listed: dict[str, set[str]] = {}
    current = ""
    for line in done.stdout.splitlines():
        if (running := _RUNNING.match(line)) is not None:
            current = running.group(1)
        elif _DOCTESTS.match(line):
            current = "doc"
        elif (test := _LISTED.match(line)) is not None:
            listed.setdefault(current, set()).add(test.group(1))
    return listed


def test_an_unreadable_parent_only_makes_the_child_unreachable(tmp_path: Path) -> None:
    root = _write_tree(
        tmp_path,
        {
            "Cargo.toml": '[package]\nname = "p"\nversion = "0.1.0"\n',
            "src/a.rs": "#[test]\nfn t() {\n    assert!(true);\n}\n",
        },
    )
    (root / "src/lib.rs").write_bytes(b'mod a;\nconst S: &str = "\xff";\n')
    child = index_file(root, "src/a.rs")
    assert (child.reachable, [t.full_name for t in child.tests]) == (False, ["a::t"])
    with pytest.raises(InputError) as raised:
        index_file(root, "src/lib.rs")
    assert raised.value.render() == (
        "src/lib.rs:2: not valid UTF-8: byte 0xff at offset 24 cannot be decoded (save the file as UTF-8)"
    )


@pytest.mark.cargo
@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")
def test_doctest_names_match_cargo_test_list(tmp_path: Path) -> None:
    """The doc-test fixture (fences, info strings, impls, variants, fields, macros) against rustdoc."""
    crate = tmp_path / "doc_crate"
    shutil.copytree(Path(__file__).parent / "data" / "sourceindex" / "doc_crate", crate)
    listed = _cargo_list(crate, "--doc")
    index = index_file(tmp_path, "doc_crate/doctests.rs")
    assert listed == {"doc": {t.full_name for t in index.tests}}
    assert len(listed["doc"]) == 15
