"""Matrix tables parse into rows that remember file, line and column; malformed tables are named."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from parity.config import Columns
from parity.errors import InputError
from parity.matrix import parse_matrix, read_matrix, split_cells
from parity.tablespan import use_table_spans

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HEADER = (
    "| Capability | Arco Feature | Status | Proof Level Required | Evidence (Code) | Evidence (Tests) "
    "| Evidence (CI) | Owner | Notes |\n|---|---|---|---|---|---|---|---|---|\n"
)
ROW = "| Cap {n} | F | Implemented | unit | `a.rs:1` | `t.rs:2` (`t`) | `.github/workflows/ci.yml` | TBD | n |\n"


def _doc(*sections: tuple[str, int]) -> str:
    parts = ["# Matrix\n\nIntro `code` text.\n"]
    count = 0
    for title, rows in sections:
        parts.append(f"\n## {title}\n\n{HEADER}")
        for _ in range(rows):
            count += 1
            parts.append(ROW.format(n=count))
    return "".join(parts)


def test_rows_have_sections_lines_and_cells() -> None:
    text = _doc(("Scheduling", 2), ("Sensors", 1))
    matrix = parse_matrix(text, "m.md", Columns())
    assert matrix.sections == ("Scheduling", "Sensors")
    assert [(r.section, r.line, r.get("Capability")) for r in matrix.rows] == [
        ("Scheduling", 9, "Cap 1"),
        ("Scheduling", 10, "Cap 2"),
        ("Sensors", 16, "Cap 3"),
    ]
    cell = matrix.rows[0].cells["Evidence (Tests)"]
    line = text.splitlines()[cell.line - 1]
    assert line[cell.start : cell.start + len(cell.text)] == "`t.rs:2` (`t`)"


def test_split_cells_respects_escaped_pipes() -> None:
    assert [t for t, _ in split_cells(r"| a \| b | c |")] == [r"a \| b", "c"]


def test_non_matrix_tables_are_ignored() -> None:
    text = "## Map\n\n| Old doc | Claim |\n|---|---|\n| x | y |\n" + _doc(("S", 1))
    assert len(parse_matrix(text, "m.md", Columns()).rows) == 1


def test_fenced_code_is_not_a_table() -> None:
    text = "## S\n\n```\n" + HEADER + "```\n"
    assert parse_matrix(text, "m.md", Columns()).rows == ()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "## S\n\n" + HEADER + "| a | b |\n",
            "m.md:5: row has 2 cells but the header has 9 (add the missing cells (use an empty cell or TBD))",
        ),
        (
            "## S\n\n" + HEADER + ROW.format(n=1).replace("| n |", "| n | extra |"),
            "m.md:5: row has 10 cells but the header has 9 (escape literal pipes as \\| inside cells)",
        ),
        (
            "## S\n\n| Capability | Status |\n|---|---|\n| a | b |\n",
            "m.md:3: table header lacks required column(s): Evidence (Code), Evidence (Tests), Evidence (CI), "
            "Owner (use the matrix template's columns or map them in [columns])",
        ),
        (
            "## S\n\n" + HEADER,
            "m.md:3: matrix table has a header but no rows (add rows or delete the empty table)",
        ),
    ],
)
def test_malformed_tables(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_matrix(text, "m.md", Columns())
    assert caught.value.render() == message


def test_read_matrix_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"^m.md: matrix file not found"):
        read_matrix(tmp_path, "m.md", Columns())
    (tmp_path / "m.md").write_bytes(b"## S\n\nok\n\xff\xfe\n")
    with pytest.raises(InputError) as caught:
        read_matrix(tmp_path, "m.md", Columns())
    assert caught.value.render() == "m.md:4: not UTF-8 (byte 0xff) (save the matrix as UTF-8)"


# -- the fast paths give the stock answers ------------------------------------------------------


def _reference_split(line: str) -> list[tuple[str, int]]:
    """The character-by-character splitter split_cells replaced: the spec it must keep matching."""
    cells: list[tuple[str, int]] = []
    body_start = line.index("|") + 1 if line.lstrip().startswith("|") else 0
    end = len(line.rstrip())
    if line.rstrip().endswith("|") and not line.rstrip().endswith("\\|"):
        end -= 1
    start = index = body_start
    while index <= end:
        if index == end or (line[index] == "|" and (index == 0 or line[index - 1] != "\\")):
            raw = line[start:index]
            cells.append((raw.strip(), start + (len(raw) - len(raw.lstrip()))))
            start = index + 1
        index += 1
    return cells


_LINE_PIECES = ["|", "\\", "\\|", " ", "\t", "a", "`", "`a|b`", "<br>", "\r", "\u00a0", "\x0b", "xyz"]


@FAST
@given(st.lists(st.sampled_from(_LINE_PIECES), max_size=14).map("".join))
def test_split_cells_matches_the_reference(line: str) -> None:
    assert split_cells(line) == _reference_split(line)


@pytest.mark.parametrize(
    "line",
    [
        "| a \\| b | c |",
        "| `a|b` | c |",
        "|x|y|",
        "||",
        "|",
        "| |",
        "a | b",
        "| a | b |\r",
        "  | a |  ",
        "| a \\|",
    ],
)
def test_split_cells_tricky_lines(line: str) -> None:
    assert split_cells(line) == _reference_split(line)


_DOC_PIECES = [
    HEADER.splitlines()[0],
    HEADER.splitlines()[1],
    ROW.format(n=1).rstrip("\n"),
    "| a \\| b | `c|d` | x<br>y |",
    "| a | b |",
    "|:-:|--:|",
    "a | b",
    "--- | ---",
    "| short |",
    "|",
    "",
    "text",
    "## H",
    "```",
    "~~~",
    "> | a | b |",
    "> |---|---|",
    "- | a | b |",
    "  |---|---|",
    "1. item",
    "    | indented | code |",
    "   | a | b |",
    "\t| a | b |",
    "<div>",
    "***",
    "[ref]: /url",
    "===",
]


def _block_tokens(md: MarkdownIt, text: str) -> list[tuple[str, tuple[int, ...] | None, int]]:
    inside = {"thead", "tbody", "tr", "th", "td"}
    return [
        (t.type, tuple(t.map) if t.map else None, t.level)
        for t in md.parse(text)
        if t.tag not in inside and t.type != "inline"
    ]


@FAST
@given(st.lists(st.sampled_from(_DOC_PIECES), min_size=1, max_size=14), st.booleans())
def test_table_spans_match_the_stock_table_rule(lines: list[str], crlf: bool) -> None:
    text = ("\r\n" if crlf else "\n").join(lines)
    stock = MarkdownIt("commonmark").enable("table").disable("inline")
    fast = use_table_spans(MarkdownIt("commonmark").enable("table").disable("inline"))
    assert _block_tokens(fast, text) == _block_tokens(stock, text)


@pytest.mark.parametrize(
    "after",
    [
        "    | indented | row |",
        "> | quoted |",
        "",
        "- | item |",
        "```",
        "## H",
        "***",
        "<div>",
        "| a \\| b |",
        "x",
    ],
)
@pytest.mark.parametrize("where", ["", "> ", "- "])
def test_table_spans_end_where_the_stock_rule_ends(after: str, where: str) -> None:
    lines = [*HEADER.splitlines(), "| x | y |", after, "| z |"]
    text = "".join(f"{where if n == 0 else ' ' * len(where)}{line}\n" for n, line in enumerate(lines))
    if where == "> ":
        text = "".join(f"> {line}\n" for line in lines)
    stock = MarkdownIt("commonmark").enable("table").disable("inline")
    fast = use_table_spans(MarkdownIt("commonmark").enable("table").disable("inline"))
    assert _block_tokens(fast, text) == _block_tokens(stock, text)


def test_table_spans_keep_the_autocompleted_cell_limit() -> None:
    text = "|" + " a |" * 300 + "\n|" + "---|" * 300 + "\n" + "| x |\n" * 300 + "tail\n"
    stock = MarkdownIt("commonmark").enable("table").disable("inline")
    fast = use_table_spans(MarkdownIt("commonmark").enable("table").disable("inline"))
    assert _block_tokens(fast, text) == _block_tokens(stock, text)
    assert _block_tokens(fast, text)[0][:2] == ("table_open", (0, 221))


def test_tables_in_fences_and_indented_code_are_not_matrix_rows() -> None:
    body = HEADER + ROW.format(n=1)
    indented = "".join(f"    {line}\n" for line in body.splitlines())
    text = "## S\n\n```\n" + body + "```\n\n~~~\n" + body + "~~~\n\ntext\n\n" + indented
    assert parse_matrix(text, "m.md", Columns()).rows == ()
