"""Matrix tables parse into rows that remember file, line and column; malformed tables are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from parity.config import Columns
from parity.errors import InputError
from parity.matrix import parse_matrix, read_matrix, split_cells

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
