"""Markdown parity matrix -> rows and cells that remember their file, line and column."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from parity.errors import InputError
from parity.model import Location

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from parity.config import Columns

__all__ = ["Cell", "Matrix", "Row", "parse_matrix", "read_matrix", "split_cells"]

MAX_MATRIX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Cell:
    """One table cell: stripped text plus where it starts, so `fix` can rewrite it in place."""

    column: str
    text: str
    line: int
    start: int  # 0-based character offset of `text` within the line

    def location(self, path: str) -> Location:
        return Location(path=path, line=self.line)


@dataclass(frozen=True, slots=True, kw_only=True)
class Row:
    path: str
    section: str
    line: int
    cells: dict[str, Cell]

    def get(self, column: str) -> str:
        cell = self.cells.get(column)
        return cell.text if cell else ""

    @property
    def location(self) -> Location:
        return Location(path=self.path, line=self.line)


@dataclass(frozen=True, slots=True, kw_only=True)
class Matrix:
    path: str
    rows: tuple[Row, ...]
    sections: tuple[str, ...]


_PIPE = re.compile(r"(?<!\\)\|")  # a cell boundary: a pipe not escaped as `\|`


def split_cells(line: str) -> list[tuple[str, int]]:
    """Split a GFM table line on unescaped pipes; return (stripped text, start offset) per cell."""
    trimmed = line.rstrip()
    start = line.index("|") + 1 if line.lstrip().startswith("|") else 0
    end = len(trimmed)
    if trimmed.endswith("|") and not trimmed.endswith("\\|"):
        end -= 1
    if start > end:
        return []
    cells: list[tuple[str, int]] = []
    bounds = [m.start() for m in _PIPE.finditer(line, start, end)]
    bounds.append(end)
    for stop in bounds:
        raw = line[start:stop]
        cells.append((raw.strip(), start + len(raw) - len(raw.lstrip())))
        start = stop + 1
    return cells


def read_matrix(repo_root: Path, rel_path: str, columns: Columns) -> Matrix:
    """Read and parse one matrix file, turning I/O and encoding problems into InputErrors."""
    path = repo_root / rel_path
    if path.is_dir():
        raise InputError(
            rel_path,
            "matrix path is a directory, not a file",
            hint="set `matrix` in parity.toml to the Markdown file",
        )
    if not path.is_file():
        raise InputError(rel_path, "matrix file not found", hint="create it, or set `matrix` in parity.toml")
    if not path.resolve().is_relative_to(repo_root.resolve()):
        # A symlink (or an absolute path) must not make parity read files the repository does not hold.
        raise InputError(
            rel_path,
            "matrix resolves to a file outside the repository",
            hint="keep the matrix inside the repository; symlinks are resolved",
        )
    size = path.stat().st_size
    if size > MAX_MATRIX_BYTES:
        raise InputError(
            rel_path,
            f"matrix is {size // (1024 * 1024)} MB, over the 20 MB limit",
            hint="split it into several matrices (`matrices = [...]` in parity.toml)",
        )
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            rel_path, f"not UTF-8 (byte 0x{data[exc.start]:02x})", line=line, hint="save the matrix as UTF-8"
        ) from None
    return parse_matrix(text, rel_path, columns)


def parse_matrix(text: str, rel_path: str, columns: Columns) -> Matrix:
    """Parse every table under every heading; tables without matrix columns are left alone."""
    from markdown_it import MarkdownIt  # noqa: PLC0415 - keep `parity --help` fast

    from parity.tablespan import use_table_spans  # noqa: PLC0415 - imports markdown-it

    lines = text.splitlines()
    # Only block structure matters (headings, tables, fences): inline parsing is skipped and tables
    # are only delimited (tablespan), which together cut parsing a 5,000-row matrix by three
    # quarters. Cells are split from the raw lines below.
    md = use_table_spans(MarkdownIt("commonmark").enable("table").disable("inline"))
    tokens = md.parse(text)
    rows: list[Row] = []
    sections: list[str] = []
    section = ""
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2":
            section = tokens[index + 1].content.strip()
            sections.append(section)
        elif token.type == "table_open" and token.map:
            rows.extend(_parse_table(lines, token.map, rel_path, section, columns))
    return Matrix(path=rel_path, rows=tuple(rows), sections=tuple(sections))


def _parse_table(
    lines: Sequence[str], span: Sequence[int], rel_path: str, section: str, columns: Columns
) -> list[Row]:
    first, last = span[0], span[1]
    header = [text for text, _ in split_cells(lines[first])]
    required = columns.required()
    present = [name for name in required if name in header]
    if not present:
        return []  # not a matrix table (a legend, a migration map, ...)
    missing = [name for name in required if name not in header]
    if missing:
        raise InputError(
            rel_path,
            f"table header lacks required column(s): {', '.join(missing)}",
            line=first + 1,
            hint="use the matrix template's columns or map them in [columns]",
        )
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise InputError(
            rel_path,
            f"table header repeats column {duplicates[0]!r}",
            line=first + 1,
            hint="give every column a distinct header",
        )
    rows: list[Row] = []
    for number in range(first + 2, last):
        line = lines[number]
        if not line.strip():
            continue
        cells = split_cells(line)
        if len(cells) != len(header):
            raise InputError(
                rel_path,
                f"row has {len(cells)} cells but the header has {len(header)}",
                line=number + 1,
                hint="escape literal pipes as \\| inside cells"
                if len(cells) > len(header)
                else "add the missing cells (use an empty cell or TBD)",
            )
        rows.append(
            Row(
                path=rel_path,
                section=section,
                line=number + 1,
                cells={
                    name: Cell(column=name, text=text, line=number + 1, start=start)
                    for name, (text, start) in zip(header, cells, strict=True)
                },
            )
        )
    if not rows:
        raise InputError(
            rel_path,
            "matrix table has a header but no rows",
            line=first + 1,
            hint="add rows or delete the empty table",
        )
    return rows
