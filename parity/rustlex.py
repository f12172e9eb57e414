"""Blank out Rust comments and literals so structure can be found with plain regexes, keeping offsets."""

from __future__ import annotations

import bisect
import enum
import re
from dataclasses import dataclass
from itertools import accumulate

from parity.errors import InputError

__all__ = [
    "Attr",
    "DocComment",
    "DocKind",
    "Masked",
    "decode_str",
    "mask_rust",
    "parse_attr",
    "split_top",
]

# Only the tokens that can hide or fake structure are matched; everything between matches is code.
# The pattern starts with one character class so `re` can skip ahead in C to the next candidate
# (an alternation of named groups would be tried at every offset: ten times slower). The literal's
# first character is consumed there and the lookbehinds pick the branch. `(?<![\w].)` keeps `bar"`
# from reading as a prefixed literal. Lifetimes (`'a`) need no branch: `'a,` is no char literal, so
# the scan moves on, and `'a'` is always a char. A run of line comments is one match (fewer matches).
_SCAN = re.compile(
    r"""[/"'bcr](?:
      (?<=/)(?P<lc>/[^\n]*(?:\n[ \t]*//[^\n]*)*)
    | (?<=/)(?P<bc>\*)
    | (?<=")(?P<str>(?:[^"\\]|\\(?s:.))*")
    | (?<=')(?P<chr>(?:[^'\\\n]|\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F_]{1,8}\}|[^\n]))')
    | (?<![\w].)(?:
          (?<=r)(?P<raw>(?P<h1>\#*)"(?s:.*?)"(?P=h1))
        | (?<=[bc])(?P<braw>r(?P<h2>\#*)"(?s:.*?)"(?P=h2))
        | (?<=[bc])(?P<bstr>"(?:[^"\\]|\\(?s:.))*")
        | (?<=b)(?P<bchr>'(?:[^'\\\n]|\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F_]{1,8}\}|[^\n]))')
      )
    | (?<=")(?P<quote>)
    )""",
    re.VERBOSE,
)
_KINDS = {"braw": "raw", "bstr": "str", "bchr": "chr"}
_BLOCK_EDGE = re.compile(r"/\*|\*/")


class DocKind(enum.Enum):
    OUTER = "outer"  # `///`, `/** */`: documents the next item
    INNER = "inner"  # `//!`, `/*! */`: documents the enclosing module or crate


@dataclass(frozen=True, slots=True, kw_only=True)
class DocComment:
    """One doc comment: its offset, first line and the Markdown lines it contributes."""

    kind: DocKind
    offset: int
    line: int
    lines: tuple[str, ...]

    @property
    def has_fence(self) -> bool:
        """Whether a code block may start here (only then can it hold a doc-test)."""
        return any("```" in line or "~~~" in line for line in self.lines)


@dataclass(frozen=True, slots=True, kw_only=True)
class Masked:
    """Source with comments and literal contents replaced by spaces (newlines and length kept)."""

    text: str
    clean: str
    docs: tuple[DocComment, ...]
    line_starts: tuple[int, ...]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.line_starts, offset)


def _blank(span: str) -> str:
    if "\n" not in span:
        return " " * len(span)
    return "\n".join(" " * len(part) for part in span.split("\n"))


def _quoted_blank(span: str, quote: str) -> str:
    return quote + _blank(span[1:-1]) + quote


def _line_docs(run: str, offset: int, line: int) -> list[DocComment]:
    """Doc comments in a run of `//` lines: consecutive lines of one kind make one DocComment."""
    docs: list[DocComment] = []
    group: list[str] = []
    group_kind: DocKind | None = None
    group_start = (offset, line)
    for number, raw in enumerate(run.split("\n")):
        text = raw.lstrip()
        kind = None
        if text.startswith("///") and not text.startswith("////"):
            kind = DocKind.OUTER
        elif text.startswith("//!"):
            kind = DocKind.INNER
        if kind is not group_kind:
            if group_kind is not None:
                docs.append(
                    DocComment(
                        kind=group_kind, offset=group_start[0], line=group_start[1], lines=tuple(group)
                    )
                )
            group, group_kind = [], kind
            group_start = (offset + len(raw) - len(text), line + number)
        if kind is not None:
            group.append(text[3:])
        offset += len(raw) + 1
    if group_kind is not None:
        docs.append(
            DocComment(kind=group_kind, offset=group_start[0], line=group_start[1], lines=tuple(group))
        )
    return docs


def _block_doc(comment: str) -> tuple[DocKind, tuple[str, ...]] | None:
    """The doc kind and Markdown lines of a block comment, or None for an ordinary one."""
    if comment.startswith("/**") and not comment.startswith(("/***", "/**/")):
        kind = DocKind.OUTER
    elif comment.startswith("/*!"):
        kind = DocKind.INNER
    else:
        return None
    body = comment[3:-2].split("\n")
    # rustdoc's `beautify_doc_string` drops a first and last line made only of `*`s (or empty) but
    # keeps counting lines from the comment's first line, so later lines shift up by one.
    if len(body) > 1 and not body[0].strip().strip("*"):
        body = body[1:]
    if len(body) > 1 and not body[-1].strip().strip("*"):
        body = body[:-1]
    # It also drops a leading ` * ` column when every line has one (a first line without it is exempt).
    rest = [line.lstrip() for line in body[0 if body[0].lstrip().startswith("*") else 1 :] if line.strip()]
    if rest and all(line.startswith("*") for line in rest):
        body = [line.lstrip().removeprefix("*") if line.lstrip().startswith("*") else line for line in body]
    return kind, tuple(body)


def mask_rust(path: str, text: str) -> Masked:
    """Lex `text` once; raises InputError for an unterminated block comment or string."""
    pieces: list[str] = []
    docs: list[DocComment] = []
    line_starts = (0, *accumulate(len(line) + 1 for line in text.split("\n")[:-1]))
    pos = last = 0
    search = _SCAN.search
    while (match := search(text, pos)) is not None:
        kind = _KINDS.get(match.lastgroup or "", match.lastgroup)
        start, end = match.span()
        if kind == "bc":
            depth, cursor = 1, end
            for edge in _BLOCK_EDGE.finditer(text, end):
                depth += 1 if edge.group() == "/*" else -1
                cursor = edge.end()
                if depth == 0:
                    break
            if depth:
                line = bisect.bisect_right(line_starts, start)
                raise InputError(
                    path,
                    "unterminated block comment",
                    line=line,
                    hint="close it with `*/`; block comments nest in Rust",
                )
            end = cursor
        elif kind == "quote":
            line = bisect.bisect_right(line_starts, start)
            raise InputError(path, "unterminated string literal", line=line, hint="close the string")
        span = text[start:end]
        pieces.append(text[last:start])
        if kind == "lc":
            pieces.append(_blank(span))
            if "///" in span or "//!" in span:
                docs.extend(_line_docs(span, start, bisect.bisect_right(line_starts, start)))
        elif kind == "bc":
            pieces.append(_blank(span))
            doc = _block_doc(span)
            if doc is not None:
                line = bisect.bisect_right(line_starts, start)
                docs.append(DocComment(kind=doc[0], offset=start, line=line, lines=doc[1]))
        elif kind == "chr":
            pieces.append(_quoted_blank(span, "'"))
        else:
            pieces.append(_quoted_blank(span, '"'))
        pos = last = end
    pieces.append(text[last:])
    return Masked(text=text, clean="".join(pieces), docs=tuple(docs), line_starts=line_starts)


# --- attributes -----------------------------------------------------------------------------

_ATTR_TOKEN = re.compile(
    r"""\s*(?:
      (?P<lit>(?:br|cr|r)(?P<h>\#*)"(?s:.*?)"(?P=h)|[bc]?"(?:[^"\\]|\\(?s:.))*"|b?'(?:[^'\\]|\\.[^']*)')
    | (?P<word>(?:r\#)?[^\W\d]\w*|\d[\w.]*)
    | (?P<punct>::|==|!=|<=|>=|->|=>|\S)
    )""",
    re.VERBOSE,
)
_TIGHT_BEFORE = frozenset({",", ")", "]", "::", ";"})
_TIGHT_AFTER = frozenset({"(", "[", "::", "!", "#", "&"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Attr:
    """One attribute: its path (`tokio::test`), normalised text and argument tokens."""

    path: str
    text: str  # e.g. `cfg(all(test, feature = "x"))`, whitespace normalised
    args: tuple[str, ...]  # tokens after the path: `(`, `all`, ... or `=`, `"reason"`
    line: int


def _join(pieces: list[str] | tuple[str, ...]) -> str:
    out: list[str] = []
    previous = ""
    for piece in pieces:
        if (
            out
            and piece not in _TIGHT_BEFORE
            and previous not in _TIGHT_AFTER
            and not (piece in {"(", "["} and previous not in {"=", ","})
        ):
            out.append(" ")
        out.append(piece)
        previous = piece
    return "".join(out)


def parse_attr(raw: str, line: int) -> Attr:
    """Parse the text between `#[` and `]`."""
    pieces = [m.group().strip() for m in _ATTR_TOKEN.finditer(raw) if m.group().strip()]
    end = 0
    while end < len(pieces) and (pieces[end] == "::" or pieces[end][0].isalpha() or pieces[end][0] == "_"):
        end += 1
    path = "".join(pieces[:end])
    return Attr(path=path, text=_join(pieces), args=tuple(pieces[end:]), line=line)


def split_top(args: tuple[str, ...]) -> list[str]:
    """`(a, any(b, c), d = "x")` -> [`a`, `any(b, c)`, `d = "x"`]: the top-level comma-separated parts."""
    if not args or args[0] != "(" or args[-1] != ")":
        return []
    parts: list[list[str]] = [[]]
    depth = 0
    for piece in args[1:-1]:
        if piece in {"(", "[", "{"}:
            depth += 1
        elif piece in {")", "]", "}"}:
            depth -= 1
        if piece == "," and depth == 0:
            parts.append([])
        else:
            parts[-1].append(piece)
    return [_join(part) for part in parts if part]


_ESCAPE = re.compile(r"\\(u\{([0-9a-fA-F_]{1,8})\}|x([0-9a-fA-F]{2})|\n\s*|.)", re.DOTALL)
_SIMPLE = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "\\": "\\", '"': '"', "'": "'"}
_RAW = re.compile(r'[bc]?r(#*)"(.*)"\1', re.DOTALL)
_PLAIN = re.compile(r'[bc]?"(.*)"', re.DOTALL)


def _unescape(match: re.Match[str]) -> str:
    code = match.group(2) or match.group(3)
    if code:
        value = int(code.replace("_", ""), 16)
        return chr(value) if value <= 0x10FFFF else match.group()
    body = match.group(1)
    if body.startswith("\n"):
        return ""  # line continuation swallows the newline and leading whitespace
    return _SIMPLE.get(body, "\\" + body)


def decode_str(piece: str) -> str | None:
    """The value of a Rust string literal token, or None if `piece` is not one."""
    if (raw := _RAW.fullmatch(piece)) is not None:
        return raw.group(2)
    if (plain := _PLAIN.fullmatch(piece)) is not None:
        return _ESCAPE.sub(_unescape, plain.group(1))
    return None
