"""Evidence cell text -> code/test refs (`path:line` (`symbol`)) and CI refs (workflow, job, commands)."""

from __future__ import annotations

import enum
import functools
import re
from dataclasses import dataclass

__all__ = [
    "CiRef",
    "EvidenceCell",
    "EvidenceRef",
    "Language",
    "expand_symbol",
    "is_symbol",
    "parse_ci_cell",
    "parse_evidence_cell",
    "unescape_pipes",
]

# `<br>`, `<br/>`, `<br />` separate refs inside one cell (seed 004).
_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)
_BACKTICK = re.compile(r"`([^`]*)`")
_PATHLIKE = re.compile(r"^(?:\.{0,2}/)?[\w.\-]+(?:/[\w.\-*]+)*/?(?::\d+)?$")
_PATH_LINE = re.compile(r"^(?P<path>.+?)(?::(?P<line>\d+))?$")
_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_SYMBOL = re.compile(
    rf"^{_IDENT}(?:(?:::|\.){_IDENT}|::\{{\s*{_IDENT}(?:\s*,\s*{_IDENT})*\s*\}})*(?:\[[^\]]*\])?$"
)
_LIST_GLUE = re.compile(r"^[\s+,/&]*(?:(?:and|or)[\s+,/&]*)*$")
_PREFIX = re.compile(r"^\s*(?P<lang>Rust|Python)\s*:\s*", re.IGNORECASE)
_MISSING = re.compile(r"^\s*Missing proof\s*:", re.IGNORECASE)
_GROUPED = re.compile(r"^(?P<head>.*)::\{(?P<items>[^}]*)\}$")  # `Enum::{A, B}`
_PAREN_OR_TICK = re.compile(r"[`()]")
_JOB = re.compile(r"\bjob\s+`(?P<job>[^`]+)`", re.IGNORECASE)


class Language(enum.Enum):
    RUST = "rust"
    PYTHON = "python"
    OTHER = "other"

    @classmethod
    def of(cls, path: str) -> Language:
        if path.endswith(".rs"):
            return cls.RUST
        if path.endswith(".py"):
            return cls.PYTHON
        return cls.OTHER


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceRef:
    """One `path[:line]` ref with what the parentheses after it name."""

    path: str
    line: int | None
    symbols: tuple[str, ...]  # a pure list of backticked names: each must be defined there
    mentions: tuple[str, ...]  # backticked names inside free text: checked only if defined
    note: str  # free text in the parentheses (or prose before the ref)
    prefix: str | None  # "Rust" / "Python" when the segment said so
    text: str  # the segment as written, for messages
    offset: int  # offset of the path inside the cell text (for in-place rewrites)

    @property
    def token(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"

    @property
    def language(self) -> Language:
        return Language.of(self.path)


@dataclass(frozen=True, slots=True, kw_only=True)
class EvidenceCell:
    refs: tuple[EvidenceRef, ...]
    missing: tuple[str, ...]  # explicit "Missing proof: ..." statements
    prose: tuple[str, ...]  # segments with no ref at all (e.g. "(no single owner module yet)")


@dataclass(frozen=True, slots=True, kw_only=True)
class CiRef:
    """`.github/workflows/ci.yml` (job `test`: `cmd1` + `cmd2`)."""

    workflow: str
    job: str | None
    commands: tuple[str, ...]
    text: str


def unescape_pipes(text: str) -> str:
    """A GFM table cell writes `|` as `\\|`, even inside a code span (cmark-gfm drops the backslash)."""
    return text.replace("\\|", "|")


def is_symbol(text: str) -> bool:
    return bool(_SYMBOL.match(text.strip()))


def expand_symbol(text: str) -> tuple[str, ...]:
    """`PartitionSelector::{Range,Filter}` -> the two qualified names; anything else as is."""
    text = text.strip()
    match = _GROUPED.match(text) if text.endswith("}") else None
    if not match:
        return (text,)
    return tuple(f"{match['head']}::{item.strip()}" for item in match["items"].split(","))


def _segments(text: str) -> list[tuple[str, int]]:
    segments: list[tuple[str, int]] = []
    start = 0
    for match in _BR.finditer(text):
        segments.append((text[start : match.start()], start))
        start = match.end()
    segments.append((text[start:], start))
    return segments


def _paren_end(text: str, open_index: int) -> int:
    """Index just past the `)` matching `text[open_index]`, ignoring parens inside backticks."""
    depth = 0
    in_code = False
    for found in _PAREN_OR_TICK.finditer(text, open_index):  # the only characters that matter
        char = found.group()
        if char == "`":
            in_code = not in_code
        elif not in_code and char == "(":
            depth += 1
        elif not in_code:
            depth -= 1
            if depth == 0:
                return found.end()
    return len(text)


def _classify_paren(inner: str) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    names = [unescape_pipes(n) for n in _BACKTICK.findall(inner)]
    outside = _BACKTICK.sub("", inner)
    if names and all(is_symbol(n) for n in names) and _LIST_GLUE.match(outside):
        return tuple(s for n in names for s in expand_symbol(n)), (), ""
    mentions = tuple(s for n in names if is_symbol(n) for s in expand_symbol(n))
    return (), mentions, inner.strip()


def _looks_like_path(token: str) -> bool:
    return ("/" in token or "." in token) and bool(_PATHLIKE.match(token)) and " " not in token


def parse_evidence_cell(text: str) -> EvidenceCell:
    """Parse a code or test evidence cell, as seed 004 writes them."""
    refs: list[EvidenceRef] = []
    missing: list[str] = []
    prose: list[str] = []
    for segment, seg_start in _segments(text):
        if not segment.strip():
            continue
        if _MISSING.match(segment):
            missing.append(segment.strip())
            continue
        prefix_match = _PREFIX.match(segment)
        prefix = prefix_match["lang"].capitalize() if prefix_match else None
        found = False
        position = 0
        while True:
            match = _BACKTICK.search(segment, position)
            if not match:
                break
            token = match.group(1).strip()
            if not _looks_like_path(token):
                position = match.end()
                continue
            parsed = _PATH_LINE.match(token)
            assert parsed is not None  # noqa: S101 - the pattern accepts any non-empty string
            end = match.end()
            rest = segment[end:]
            symbols: tuple[str, ...] = ()
            mentions: tuple[str, ...] = ()
            note = segment[prefix_match.end() if prefix_match else 0 : match.start()].strip(" :")
            stripped = rest.lstrip()
            if stripped.startswith("("):
                open_index = end + (len(rest) - len(stripped))
                close = _paren_end(segment, open_index)
                symbols, mentions, paren_note = _classify_paren(segment[open_index + 1 : close - 1])
                note = f"{note} {paren_note}".strip() if paren_note else note
                end = close
            refs.append(
                EvidenceRef(
                    path=parsed["path"],
                    line=int(parsed["line"]) if parsed["line"] else None,
                    symbols=symbols,
                    mentions=mentions,
                    note=note,
                    prefix=prefix,
                    text=segment[match.start() : end].strip(),
                    offset=seg_start + match.start() + 1,
                )
            )
            found = True
            position = end
        if not found:
            prose.append(segment.strip())
    return EvidenceCell(refs=tuple(refs), missing=tuple(missing), prose=tuple(prose))


@functools.lru_cache(maxsize=1024)
def parse_ci_cell(text: str) -> tuple[CiRef, ...]:
    """Parse `` `wf.yml` (job `id`: `cmd` + `cmd`) `` refs, several per cell.

    Memoised: thousands of rows cite the same few CI cells, and the refs are immutable.
    """
    refs: list[CiRef] = []
    for segment, _ in _segments(text):
        if not segment.strip():
            continue
        match = _BACKTICK.search(segment)
        if not match or not _looks_like_path(match.group(1).strip()):
            continue
        workflow = match.group(1).strip()
        rest = segment[match.end() :]
        job_match = _JOB.search(rest)
        job = job_match["job"].strip() if job_match else None
        commands: tuple[str, ...] = ()
        if job_match:
            tail = rest[job_match.end() :]
            tail = tail.removesuffix(")")
            commands = tuple(unescape_pipes(c.strip()) for c in _BACKTICK.findall(tail) if c.strip())
        refs.append(CiRef(workflow=workflow, job=job, commands=commands, text=segment.strip()))
    return tuple(refs)
