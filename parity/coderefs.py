"""Cited paths and code symbols: inside the repository, at lines that exist, defined where the ref says."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING

from parity.citation import Problem
from parity.errors import InputError
from parity.evidence import Language

if TYPE_CHECKING:
    from collections.abc import Sequence

    from parity.evidence import EvidenceRef
    from parity.repository import Repository
    from parity.sourceindex import FileIndex, Symbol, TestItem

__all__ = ["check_code_ref", "confined", "drift", "index_of", "line_in_range"]


def confined(repo: Repository, ref: EvidenceRef, column: str, problems: list[Problem]) -> bool:
    info = repo.path(ref.path)
    if not info.inside:
        problems.append(
            Problem(
                code="path-escapes-repo",
                column=column,
                ref=ref.token,
                message=f"`{ref.path}` {info.escape_reason}",
                hint="cite a path inside the repository",
            )
        )
        return False
    if not info.exists:
        problems.append(
            Problem(
                code="path-missing",
                column=column,
                ref=ref.token,
                message=f"`{ref.path}` does not exist",
                hint="fix the path or remove the ref",
            )
        )
        return False
    if ref.line is not None and not info.is_file:
        problems.append(
            Problem(
                code="line-out-of-range",
                column=column,
                ref=ref.token,
                message=f"`{ref.path}` is a directory but a line is cited",
                hint="cite a file, or drop the line",
            )
        )
        return False
    return True


def index_of(repo: Repository, ref: EvidenceRef, column: str, problems: list[Problem]) -> FileIndex | None:
    if ref.language is Language.OTHER or not repo.path(ref.path).is_file:
        return None
    try:
        return repo.index(repo.path(ref.path).rel)
    except InputError as exc:
        problems.append(
            Problem(
                code="source-unreadable",
                column=column,
                ref=ref.token,
                message=exc.render().removesuffix(f" ({exc.hint})" if exc.hint else ""),
                hint=exc.hint or "fix the source file",
            )
        )
        return None


def line_in_range(repo: Repository, ref: EvidenceRef, column: str, problems: list[Problem]) -> bool:
    if ref.line is None:
        return True
    count = repo.line_count(repo.path(ref.path).rel)
    if 1 <= ref.line <= count:
        return True
    problems.append(
        Problem(
            code="line-out-of-range",
            column=column,
            ref=ref.token,
            message=f"`{ref.path}` has {count} lines; line {ref.line} does not exist",
            hint="point the ref at the current line of what it cites",
        )
    )
    return False


def check_code_ref(repo: Repository, ref: EvidenceRef, column: str, problems: list[Problem]) -> None:
    if not confined(repo, ref, column, problems) or not line_in_range(repo, ref, column, problems):
        return
    index = index_of(repo, ref, column, problems)
    if index is None:
        return
    for position, name in enumerate(ref.symbols):
        found = index.find_symbol(name)
        if not found:
            close = difflib.get_close_matches(name, [s.name for s in index.symbols], n=1)
            problems.append(
                Problem(
                    code="symbol-missing",
                    column=column,
                    ref=ref.token,
                    message=f"`{name}` is not defined in `{ref.path}`",
                    hint=f"did you mean `{close[0]}`?" if close else "update the ref to the current symbol",
                )
            )
            continue
        at_line = ref.line is None or any(s.attr_line <= ref.line <= s.line for s in found)
        if at_line or (position > 0 and _any_at_line(index, ref)):
            continue
        problems.append(drift(name, ref, column, found))
    for name in ref.mentions:
        found = index.find_symbol(name)
        if (
            found
            and ref.line is not None
            and not any(s.attr_line <= ref.line <= (s.end_line or s.line) for s in found)
        ):
            moved = drift(name, ref, column, found)
            problems.append(
                Problem(
                    code=moved.code,
                    column=column,
                    ref=ref.token,
                    message=moved.message,
                    hint=moved.hint,
                    warning=True,
                )
            )


def _any_at_line(index: FileIndex, ref: EvidenceRef) -> bool:
    """Whether one of the ref's symbols is defined at its line (later names may ride on the first)."""
    return any(
        s.attr_line <= (ref.line or 0) <= s.line for other in ref.symbols for s in index.find_symbol(other)
    )


def drift(name: str, ref: EvidenceRef, column: str, found: Sequence[Symbol | TestItem]) -> Problem:
    if len(found) == 1:
        line = found[0].line
        return Problem(
            code="line-drift",
            column=column,
            ref=ref.token,
            message=f"`{name}` is at `{ref.path}:{line}`, not line {ref.line}",
            hint=f"cite `{ref.path}:{line}` (`parity fix --write` does it)",
        )
    where = ", ".join(str(s.line) for s in found)
    qualified = sorted({s.qualname for s in found if s.qualname != name})
    return Problem(
        code="line-drift",
        column=column,
        ref=ref.token,
        message=f"`{name}` is defined {len(found)} times in `{ref.path}` (lines {where}), "
        f"none at line {ref.line}",
        hint="cite the line of the definition you mean"
        + (
            ", or qualify the name: " + ", ".join(f"`{q}`" for q in qualified)
            if len(qualified) == len(found)
            else ""
        ),
    )
