"""Evidence cells in exactly the seed's formats parse into the refs a reviewer would read."""

from __future__ import annotations

import pytest

from parity.evidence import expand_symbol, is_symbol, parse_ci_cell, parse_evidence_cell


def test_single_ref_with_symbol() -> None:
    cell = parse_evidence_cell("`crates/a/src/run_key.rs:143` (`reserve_run_key`)")
    (ref,) = cell.refs
    assert (ref.path, ref.line, ref.symbols, ref.mentions, ref.note) == (
        "crates/a/src/run_key.rs",
        143,
        ("reserve_run_key",),
        (),
        "",
    )
    assert ref.offset == 1
    assert ref.token == "crates/a/src/run_key.rs:143"


def test_br_joined_refs_keep_offsets_into_the_cell() -> None:
    text = "`a/x.rs:1` (global gate)<br>`a/y.rs:22` (`Foo::new`)"
    cell = parse_evidence_cell(text)
    assert [(r.path, r.line, r.symbols, r.note) for r in cell.refs] == [
        ("a/x.rs", 1, (), "global gate"),
        ("a/y.rs", 22, ("Foo::new",), ""),
    ]
    assert text[cell.refs[1].offset :].startswith("a/y.rs:22")


def test_symbol_list_with_plus_and_brace_expansion() -> None:
    cell = parse_evidence_cell(
        "`s.rs:81` (`reconcile` + `compute_due_ticks`)<br>`e.rs:49` (`Sel::{Range,Filter}`)"
    )
    assert cell.refs[0].symbols == ("reconcile", "compute_due_ticks")
    assert cell.refs[1].symbols == ("Sel::Range", "Sel::Filter")


def test_free_text_with_backticks_becomes_mentions_not_symbols() -> None:
    cell = parse_evidence_cell("`f.rs:962` (`schedule_ticks` keyed by `tick_id`)")
    (ref,) = cell.refs
    assert ref.symbols == ()
    assert ref.mentions == ("schedule_ticks", "tick_id")
    assert ref.note == "`schedule_ticks` keyed by `tick_id`"


def test_non_identifier_backticks_are_only_text() -> None:
    (ref,) = parse_evidence_cell("`m.rs:690` (push: `sensor_eval:{sensor_id}:msg:{message_id}`)").refs
    assert (ref.symbols, ref.mentions) == ((), ())
    assert ref.note.startswith("push:")


def test_language_prefixes_and_prose_before_ref() -> None:
    text = (
        "Rust: `crates/a/tests/t.rs:5` (`test_a`)<br>Python: `python/arco/tests/unit/test_x.py:8` "
        "(`TestKey::test_b`)<br>Existing CI proves limitation: `crates/b/tests/c.rs:96` (`test_c`)"
    )
    refs = parse_evidence_cell(text).refs
    assert [(r.prefix, r.symbols, r.note) for r in refs] == [
        ("Rust", ("test_a",), ""),
        ("Python", ("TestKey::test_b",), ""),
        (None, ("test_c",), "Existing CI proves limitation"),
    ]


def test_path_without_line_and_missing_proof_and_prose() -> None:
    cell = parse_evidence_cell("`python/arco/src/arco_flow/types` (partition types)")
    assert (cell.refs[0].path, cell.refs[0].line, cell.refs[0].note) == (
        "python/arco/src/arco_flow/types",
        None,
        "partition types",
    )
    missing = parse_evidence_cell("Missing proof: CI-gated E2E test (suggested `crates/x/tests/y.rs`)")
    assert missing.refs == ()
    assert missing.missing == ("Missing proof: CI-gated E2E test (suggested `crates/x/tests/y.rs`)",)
    assert parse_evidence_cell("(no single owner module yet)").prose == ("(no single owner module yet)",)


def test_parametrized_python_test_id_is_a_symbol() -> None:
    (ref,) = parse_evidence_cell("`tests/unit/test_t.py:4` (`test_key[daily]`)").refs
    assert ref.symbols == ("test_key[daily]",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "`.github/workflows/ci.yml` (job `test`: `cargo test -p arco-flow --features test-utils --tests`)",
            [
                (
                    ".github/workflows/ci.yml",
                    "test",
                    ("cargo test -p arco-flow --features test-utils --tests",),
                )
            ],
        ),
        (
            "`.github/workflows/ci.yml` (job `test`: `cargo test --workspace` + `cargo test -p a --lib`)",
            [(".github/workflows/ci.yml", "test", ("cargo test --workspace", "cargo test -p a --lib"))],
        ),
        ("`.github/workflows/ci.yml`", [(".github/workflows/ci.yml", None, ())]),
        (
            "`.github/workflows/ci.yml` (job `test`: `cargo test`)<br>`.github/workflows/ci.yml` "
            "(job `python-tests`: `python -m pytest tests/unit -q`)",
            [
                (".github/workflows/ci.yml", "test", ("cargo test",)),
                (".github/workflows/ci.yml", "python-tests", ("python -m pytest tests/unit -q",)),
            ],
        ),
        ("n/a", []),
    ],
)
def test_ci_cells(text: str, expected: list[tuple[str, str | None, tuple[str, ...]]]) -> None:
    assert [(c.workflow, c.job, c.commands) for c in parse_ci_cell(text)] == expected


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("reserve_run_key", True),
        ("Foo::new", True),
        ("Class.method", True),
        ("A::{B, C}", True),
        ("test_x[case-1]", True),
        ("sha256(cursor)", False),
        ("a b", False),
        ("1abc", False),
    ],
)
def test_is_symbol(text: str, ok: bool) -> None:
    assert is_symbol(text) is ok


def test_expand_symbol() -> None:
    assert expand_symbol("A::{B, C}") == ("A::B", "A::C")
    assert expand_symbol("plain") == ("plain",)
