"""Source index: golden cases per file, then a real crate layout checked against `cargo test -- --list`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, fields
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parity.errors import InputError
from parity.rustsource import scan_rust
from parity.sourceindex import FileIndex, Language, TestItem, index_file

DATA = Path(__file__).parent / "data" / "sourceindex"
# Every .rs/.py file under DATA is a case; `doc_crate/` has a Cargo.toml so its file is a lib root.
CASES = sorted(
    p.relative_to(DATA).as_posix()
    for p in DATA.rglob("*")
    if p.suffix in {".rs", ".py"} and p.name != "conftest.py"
)
UPDATE = os.environ.get("PARITY_UPDATE_GOLDENS") == "1"


def _jsonable(value: object) -> object:
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return str(value) if hasattr(value, "value") and not isinstance(value, int | str | bool) else value


def _test_json(test: TestItem) -> dict[str, object]:
    """Every field that differs from its default (defaults are implied, so the comparison stays exact)."""
    out: dict[str, object] = {}
    for f in fields(test):
        value = getattr(test, f.name)
        if f.name in {"name", "qualname", "full_name", "line", "attr_line", "end_line"} or value != f.default:
            out[f.name] = _jsonable(value)
    return out


def _index_json(index: FileIndex) -> dict[str, object]:
    return {
        "path": index.path,
        "language": str(index.language),
        "line_count": index.line_count,
        "reachable": index.reachable,
        "crate": _jsonable(asdict(index.crate)) if index.crate else None,
        "symbols": [
            f"{s.kind} {s.qualname} @{s.line} attrs@{s.attr_line} end@{s.end_line}"
            + (f" {list(s.attrs)}" if s.attrs else "")
            for s in index.symbols
        ],
        "tests": [_test_json(t) for t in index.tests],
    }


def _golden(case: str) -> dict[str, object]:
    try:
        return _index_json(index_file(DATA, case))
    except InputError as exc:
        return {"error": exc.render()}


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    actual = _golden(case)
    golden = DATA / f"{case}.expected.json"
    if UPDATE:
        golden.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert golden.is_file(), f"no golden for {case}: run with PARITY_UPDATE_GOLDENS=1"
    assert actual == json.loads(golden.read_text(encoding="utf-8"))


def test_no_stale_goldens() -> None:
    expected = {f"{case}.expected.json" for case in CASES}
    assert {p.relative_to(DATA).as_posix() for p in DATA.rglob("*.expected.json")} == expected


# --- lookups ---------------------------------------------------------------------------------


def test_find_symbol_by_name_qualname_and_impl() -> None:
    index = index_file(DATA, "items.rs")
    assert [s.line for s in index.find_symbol("FingerprintMismatch")] == [19]
    assert [s.line for s in index.find_symbol("ReservationResult::FingerprintMismatch")] == [19]
    assert [s.qualname for s in index.find_symbol("new")] == ["inline::Inner::new"]
    assert [s.qualname for s in index.find_symbol("Inner::new")] == ["inline::Inner::new"]
    assert [s.kind for s in index.find_symbol("ReservationResult")] == ["enum"]
    assert [s.line for s in index.find_symbol("impl fmt::Display  for ReservationResult")] == [57]
    assert index.find_symbol("Other::new") == ()
    assert index.find_symbol("") == ()


@pytest.mark.parametrize("case", CASES)
def test_find_symbol_finds_every_path_suffix_in_file_order(case: str) -> None:
    """The lookup index against a brute-force scan: every suffix of every symbol's path."""
    try:
        index = index_file(DATA, case)
    except InputError:
        return  # a file that does not parse has nothing to look up
    module = index.crate.module_path.split("::") if index.crate and index.reachable else []
    paths = [
        (symbol, tuple(p for p in [*module, *symbol.qualname.replace(".", "::").split("::")] if p))
        for symbol in index.symbols
        if symbol.kind != "impl"
    ]
    wanted = {path[start:] for _, path in paths for start in range(len(path))}
    for suffix in sorted(wanted):
        expected = tuple(s for s, path in paths if path[len(path) - len(suffix) :] == suffix)
        assert index.find_symbol("::".join(suffix)) == expected
        assert index.find_symbol(".".join(suffix)) == expected


def test_find_symbol_python_dotted_and_colons() -> None:
    index = index_file(DATA, "module_defs.py")
    assert [s.line for s in index.find_symbol("PartitionKey.parse")] == [13]
    assert [s.line for s in index.find_symbol("PartitionKey::parse")] == [13]
    assert [s.qualname for s in index.find_symbol("inner")] == ["fetch.inner"]


def test_find_test_forms() -> None:
    index = index_file(DATA, "test_params.py")
    assert [t.full_name for t in index.find_test("test_m")] == ["TestParametrizedClass::test_m"]
    assert [t.full_name for t in index.find_test("TestGroup::TestNested::test_inner")] == [
        "TestGroup::TestNested::test_inner"
    ]
    assert [t.full_name for t in index.find_test("TestNested.test_inner")] == [
        "TestGroup::TestNested::test_inner"
    ]
    assert [t.name for t in index.find_test("test_stacked[b-1]")] == ["test_stacked"]
    assert index.find_test("test_stacked[c-1]") == ()
    assert index.find_test("helper") == ()
    rust = index_file(DATA, "tests_attrs.rs")
    assert [t.full_name for t in rust.find_test("tests::nested::test_deep")] == ["tests::nested::test_deep"]
    assert [t.full_name for t in rust.find_test("test_deep")] == ["tests::nested::test_deep"]
    assert [t.name for t in rust.find_test("r#test_raw_ident")] == ["test_raw_ident"]
    assert [t.name for t in rust.find_test("test_parametrized::small")] == ["test_parametrized"]
    assert rust.find_test("test_plain_assert::small") == ()


def test_other_files_have_only_a_line_count(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# a\n\nb", encoding="utf-8")
    index = index_file(tmp_path, "notes.md")
    assert (index.language, index.line_count, index.symbols, index.tests) == (Language.OTHER, 3, (), ())


def test_missing_file_and_escaping_path(tmp_path: Path) -> None:
    with pytest.raises(InputError) as missing:
        index_file(tmp_path, "src/nope.rs")
    assert missing.value.render() == "src/nope.rs: no such file (check the path)"
    with pytest.raises(InputError) as escaping:
        index_file(tmp_path, "../outside.rs")
    assert escaping.value.render() == "../outside.rs: path leaves the repository (cite a repo-relative path)"


def test_rescans_when_the_file_changes(tmp_path: Path) -> None:
    source = tmp_path / "lib.rs"
    source.write_text("fn a() {}\n", encoding="utf-8")
    assert [s.name for s in index_file(tmp_path, "lib.rs").symbols] == ["a"]
    source.write_text("fn b() {}\n", encoding="utf-8")  # same size, maybe same mtime
    assert [s.name for s in index_file(tmp_path, "lib.rs").symbols] == ["b"]


# Pieces of Rust (and of broken Rust) the scanner must survive in any order; `|` separates them
# (a list literal would be one line per token).
_FUZZ_TOKENS = (  # noqa: SIM905
    'fn|mod|impl|enum|struct|trait|pub|pub(crate)|const|extern "C"|unsafe|macro_rules!|m!|#[test]|#![cfg(x)]'
    "|#[cfg_attr(a, ignore)]|x|T|'a|'|'x'|\"|r#\"|\"#|b'|/*|*/|//|///|//!|/**|{|}|(|)|[|]|<|>|;|,|=|::|!|?| |\n"
    "|```|->|for|where|r#type|\\|#[ignore = reason]|#[should_panic(expected = x)]|#[should_panic = r]"
    '|#[path = p]|#[]|#[cfg_attr()]|#[cfg_attr(a)]|"\\u{110000}"|#[ignore = "why"]'
).split("|")


@settings(max_examples=int(os.environ.get("PARITY_FUZZ_EXAMPLES", "300")), deadline=None)
@given(st.lists(st.sampled_from(_FUZZ_TOKENS), max_size=60).map("".join))
def test_rust_scanner_survives_any_input(text: str) -> None:
    failure: InputError | None = None
    try:
        scan = scan_rust("fuzz.rs", text)
    except InputError as exc:
        failure = exc
    if failure is not None:
        assert failure.path == "fuzz.rs"
        assert failure.message in {"unterminated block comment", "unterminated string literal"}
        return
    lines = text.count("\n") + 1
    assert all(1 <= s.attr_line <= s.line <= s.end_line <= lines for s in scan.symbols)
    assert all(1 <= t.attr_line <= t.line <= t.end_line <= lines for t in scan.tests + scan.doctests)


def test_indexing_is_fast(tmp_path: Path) -> None:
    body = (DATA / "tests_attrs.rs").read_text(encoding="utf-8")
    for number in range(300):
        (tmp_path / f"f{number}.rs").write_text(body, encoding="utf-8")
    start = time.perf_counter()
    total = sum(len(index_file(tmp_path, f"f{n}.rs").tests) for n in range(300))
    elapsed = time.perf_counter() - start
    assert total == 300 * 22
    assert elapsed < 3.0, f"300 files took {elapsed:.2f}s"


def test_pytest_ids_match_pytest_collection(tmp_path: Path) -> None:
    """Node ids and parametrize ids, checked against what pytest itself collects from the fixture."""
    prelude = "import sys, unittest\nCASES = [1]\n\n\ndef make():\n    return 1\n\n\ndef check_result(x):\n    pass\n"
    source = prelude + (DATA / "test_params.py").read_text(encoding="utf-8")
    (tmp_path / "test_params.py").write_text(source, encoding="utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    integration\n    slow\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "test_params.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    collected = {
        line.split("::", 1)[1] for line in done.stdout.splitlines() if line.startswith("test_params.py::")
    }
    seen: set[str] = set()
    for test in index_file(tmp_path, "test_params.py").tests:
        mine = {c for c in collected if c == test.full_name or c.startswith(f"{test.full_name}[")}
        seen |= mine
        if test.param_ids is not None:
            assert mine == {f"{test.full_name}[{i}]" for i in test.param_ids}
        elif test.param_count is not None:
            assert len(mine) == test.param_count
        elif "parametrize" in test.markers:  # values from a variable: count unknown
            assert mine
        else:
            assert mine == {test.full_name}
    assert seen == collected
    assert len(collected) == 35
