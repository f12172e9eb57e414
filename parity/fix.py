"""`parity fix`: move drifted `path:line` refs to where their symbol or test is now, editing nothing else.

The matrix is never re-rendered: each edit replaces one character range of the file text (the
digits of one ref, or one Status cell), so line endings, padding and every other byte survive.
"""

from __future__ import annotations

import difflib
import itertools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from parity.errors import InputError
from parity.evidence import Language, parse_evidence_cell

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from pathlib import Path

    from parity.evidence import EvidenceRef
    from parity.matrix import Cell
    from parity.repository import Repository
    from parity.sourceindex import FileIndex

__all__ = [
    "Edit",
    "FileChange",
    "RefFix",
    "RefFixPlan",
    "Unfixable",
    "apply_edits",
    "cell_offset",
    "line_starts",
    "plan_ref_fixes",
    "read_text",
    "rename_candidate",
]

# `path:LINE` inside the backticks, as `evidence._PATH_LINE` reads it (spaces allowed around it).
_TOKEN = re.compile(r"\s*(?P<path>.+?):(?P<line>\d+)\s*")
_RATIO = 0.8  # difflib ratio at or above which a test name counts as a rename of the cited one
_DISTANCE = 3  # ... or at most this many single-character edits away


@dataclass(frozen=True, slots=True, kw_only=True)
class Edit:
    """Replace `text[start:end]` (character offsets into the whole file) with `new`."""

    start: int
    end: int
    new: str


@dataclass(frozen=True, slots=True, kw_only=True)
class FileChange:
    """One file's text before and after its edits."""

    path: str  # repo-relative
    old: str
    new: str

    def diff(self) -> list[str]:
        """A unified diff without context lines (matrix rows are long), line endings dropped."""
        lines = difflib.unified_diff(
            self.old.splitlines(keepends=True),
            self.new.splitlines(keepends=True),
            fromfile=f"a/{self.path}",
            tofile=f"b/{self.path}",
            n=0,
        )
        return [line.rstrip("\r\n") for line in lines]


@dataclass(frozen=True, slots=True, kw_only=True)
class RefFix:
    matrix: str
    row_line: int
    ref: str  # the token as cited: `path:old`
    name: str
    new_line: int
    edit: Edit


@dataclass(frozen=True, slots=True, kw_only=True)
class Unfixable:
    """A ref `fix` will not touch, and why; `suggestion` names a probable rename (never written)."""

    matrix: str
    row_line: int
    ref: str
    name: str
    reason: str
    suggestion: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RefFixPlan:
    fixes: tuple[RefFix, ...]
    unfixable: tuple[Unfixable, ...]
    changes: tuple[FileChange, ...]


def read_text(root: Path, rel: str) -> str:
    """The matrix text exactly as on disk (UTF-8 round-trips byte for byte, BOM included)."""
    try:
        return (root / rel).read_bytes().decode("utf-8")
    except OSError as exc:
        raise InputError(rel, f"cannot read: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise InputError(rel, f"not UTF-8 (byte {exc.start})", hint="save the matrix as UTF-8") from None


def line_starts(text: str) -> list[int]:
    """Offset of each line's first character, split as `matrix.parse_matrix` splits (`splitlines`)."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def cell_offset(starts: Sequence[int], cell: Cell) -> int:
    return starts[cell.line - 1] + cell.start


def apply_edits(text: str, edits: Iterable[Edit]) -> str:
    """Apply non-overlapping edits, last first so earlier offsets stay valid."""
    ordered = sorted(edits, key=lambda e: e.start, reverse=True)
    for later, earlier in itertools.pairwise(ordered):
        if earlier.end > later.start:
            raise ValueError(f"overlapping edits at {earlier.start} and {later.start}")
    for edit in ordered:
        text = text[: edit.start] + edit.new + text[edit.end :]
    return text


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]


def rename_candidate(name: str, candidates: Iterable[tuple[str, int]]) -> tuple[str, int] | None:
    """The one (name, line) close enough to `name` to be its rename; None if none or several are."""
    bare = re.split(r"::|\.", name)[-1]
    close: dict[str, int] = {}
    counts: dict[str, int] = {}
    for other, line in candidates:
        counts[other] = counts.get(other, 0) + 1
        near = difflib.SequenceMatcher(None, bare, other).ratio() >= _RATIO
        if other != bare and (near or _edit_distance(bare, other) <= _DISTANCE):
            close.setdefault(other, line)
    if len(close) != 1:
        return None
    ((found, line),) = close.items()
    return (found, line) if counts[found] == 1 else None


class _Resolution(NamedTuple):
    """Where the named definition is now; or why the ref stays (and a probable rename)."""

    name: str = ""
    line: int | None = None  # None: leave the ref as it is
    reason: str = ""  # set: report the ref as unfixable
    suggestion: str = ""


def plan_ref_fixes(repo: Repository) -> RefFixPlan:
    """Every code and test ref that names a symbol or test which moved, with its edit."""
    columns = repo.config.columns
    fixes: list[RefFix] = []
    unfixable: list[Unfixable] = []
    changes: list[FileChange] = []
    for matrix in repo.matrices:
        text = read_text(repo.root, matrix.path)
        starts = line_starts(text)
        edits: list[Edit] = []
        for row in matrix.rows:
            for column, is_test in ((columns.code, False), (columns.tests, True)):
                cell = row.cells.get(column)
                if cell is None:
                    continue
                for ref in parse_evidence_cell(cell.text).refs:
                    found = _resolve(repo, ref, is_test=is_test)
                    edit = None
                    if found.line is not None and not found.reason:
                        edit = _digits_edit(text, cell_offset(starts, cell) + ref.offset, ref, found.line)
                        if edit is None:
                            found = found._replace(reason="cannot find the ref in the matrix text")
                    if found.reason:
                        unfixable.append(
                            Unfixable(
                                matrix=matrix.path,
                                row_line=row.line,
                                ref=ref.token,
                                name=found.name,
                                reason=found.reason,
                                suggestion=found.suggestion,
                            )
                        )
                    elif edit is not None and found.line is not None:
                        edits.append(edit)
                        fixes.append(
                            RefFix(
                                matrix=matrix.path,
                                row_line=row.line,
                                ref=ref.token,
                                name=found.name,
                                new_line=found.line,
                                edit=edit,
                            )
                        )
        if edits:
            changes.append(FileChange(path=matrix.path, old=text, new=apply_edits(text, edits)))
    return RefFixPlan(fixes=tuple(fixes), unfixable=tuple(unfixable), changes=tuple(changes))


def _digits_edit(text: str, position: int, ref: EvidenceRef, new_line: int) -> Edit | None:
    """The edit replacing the line digits of the backticked token that starts at `position`."""
    close = text.find("`", position)
    if close < 0 or text[position - 1 : position] != "`":
        return None
    match = _TOKEN.fullmatch(text, position, close)
    if match is None or match["path"] != ref.path or int(match["line"]) != ref.line:
        return None
    return Edit(start=match.start("line"), end=match.end("line"), new=str(new_line))


def _resolve(repo: Repository, ref: EvidenceRef, *, is_test: bool) -> _Resolution:
    """What to do with one ref: only a cited line with a name to look up can move."""
    if ref.line is None or ref.language is Language.OTHER or not (ref.symbols or ref.mentions):
        return _Resolution()
    if not ref.symbols and is_test:
        return _Resolution()  # free text in a test cell: `check` does not read names there either
    name = ref.symbols[0] if ref.symbols else ", ".join(ref.mentions)
    info = repo.path(ref.path)
    if not info.inside:
        return _Resolution(name=name, reason=f"`{ref.path}` {info.escape_reason}")
    if not info.is_file:
        missing = "is not a file" if info.exists else "does not exist"
        return _Resolution(name=name, reason=f"`{ref.path}` {missing}")
    try:
        index = repo.index(info.rel)
    except InputError as exc:
        return _Resolution(name=name, reason=f"`{ref.path}` cannot be read: {exc.message}")
    if not ref.symbols:
        return _resolve_mentions(index, ref)
    if is_test:
        tests = index.find_test(name)
        if not tests and index.find_symbol(name):
            return _Resolution(name=name, reason=f"`{name}` is defined in `{ref.path}` but is not a test")
        spans = [(t.attr_line, t.line) for t in tests]
        candidates = [(t.name, t.line) for t in index.tests if not t.is_doctest]
    else:
        spans = [(s.attr_line, s.line) for s in index.find_symbol(name)]
        candidates = [(s.name, s.line) for s in index.symbols]
    line = ref.line
    if any(first <= line <= last for first, last in spans):
        return _Resolution(name=name)  # already cites the definition (its keyword line or an attribute)
    if len(spans) == 1:
        return _Resolution(name=name, line=spans[0][1])
    if spans:
        where = ", ".join(str(last) for _, last in spans)
        return _Resolution(
            name=name, reason=f"`{name}` is defined {len(spans)} times in `{ref.path}` (lines {where})"
        )
    what = "test" if is_test else "definition"
    renamed = rename_candidate(name, candidates)
    return _Resolution(
        name=name,
        reason=f"no {what} `{name}` in `{ref.path}`",
        suggestion=f"`{renamed[0]}` (line {renamed[1]})" if renamed else "",
    )


def _resolve_mentions(index: FileIndex, ref: EvidenceRef) -> _Resolution:
    """A ref like `x.rs:40` (`create_backfill` rejects ...): it may point anywhere inside what it
    mentions. Only when its line lies outside every mentioned definition, and exactly one name
    with exactly one definition is mentioned, does it move to that definition."""
    line = ref.line or 0
    defined = {name: index.find_symbol(name) for name in ref.mentions}
    defined = {name: found for name, found in defined.items() if found}
    if not defined:
        return _Resolution()
    spans = [(s.attr_line, s.end_line or s.line) for found in defined.values() for s in found]
    if any(first <= line <= last for first, last in spans):
        return _Resolution()
    names = ", ".join(f"`{n}`" for n in defined)
    if len(defined) == 1:
        ((name, found),) = defined.items()
        if len(found) == 1:
            return _Resolution(name=name, line=found[0].line)
        where = ", ".join(str(s.line) for s in found)
        return _Resolution(
            name=name, reason=f"`{name}` is defined {len(found)} times in `{ref.path}` (lines {where})"
        )
    return _Resolution(
        name=", ".join(defined),
        reason=f"mentions {names}, none of which spans line {line}; not guessing which one it cites",
    )
