"""Name things the way rustdoc does: doc-test code blocks and the impl blocks that hold them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from parity.sourcemodel import TestItem

if TYPE_CHECKING:
    from parity.rustlex import DocComment

__all__ = ["doctests_in", "impl_names"]

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
_INFO_SPLIT = re.compile(r"[\s,]+")
_ERROR_CODE = re.compile(r"E\d{4}")
_CAN_FAIL = re.compile(
    r"\b(?:assert\w*|debug_assert\w*|panic|unreachable|todo|unimplemented)\s*!"
    r"|\.\s*(?:unwrap|expect|unwrap_err|expect_err)\s*\(|\?"
)


def _is_rust(words: list[str]) -> bool:
    """rustdoc's `LangString::parse`: which info strings make a block a doc-test."""
    seen_rust = seen_other = False
    rust = True
    for word in words:
        if word in {"should_panic", "no_run", "ignore"} or word.startswith("ignore-"):
            seen_rust = not seen_other
        elif word == "rust":
            seen_rust = True
        elif word in {"test_harness", "compile_fail", "standalone_crate"} or _ERROR_CODE.fullmatch(word):
            seen_rust = not seen_other or seen_rust
        elif word.startswith("edition"):
            continue
        else:
            seen_other = True
    return rust and (not seen_other or seen_rust)


def doctests_in(docs: list[DocComment], item_path: str, cfg: tuple[str, ...]) -> list[TestItem]:
    """The doc-tests of one item's doc comments; `full_name` is still the in-file item path."""
    lines = [(doc.line + i, text) for doc in docs for i, text in enumerate(doc.lines)]
    if not lines:
        return []
    indent = min((len(t) - len(t.lstrip()) for _, t in lines if t.strip()), default=0)
    found: list[TestItem] = []
    fence: tuple[str, str, int] | None = None
    code: list[str] = []
    for number, raw in lines:
        text = raw[indent:]
        match = _FENCE.fullmatch(text.rstrip())
        if fence is None:
            if match is not None and not (match.group(1)[0] == "`" and "`" in match.group(2)):
                fence, code = (match.group(1), match.group(2).strip(), number), []
        elif (
            match is not None
            and match.group(1)[0] == fence[0][0]
            and len(match.group(1)) >= len(fence[0])
            and not match.group(2).strip()
        ):
            found.extend(_doctest(fence, code, number, item_path, cfg))
            fence = None
        else:
            code.append(text)
    if fence is not None:  # an unclosed fence runs to the end of the docs
        found.extend(_doctest(fence, code, lines[-1][0], item_path, cfg))
    return found


def _doctest(
    fence: tuple[str, str, int], code: list[str], end: int, item_path: str, cfg: tuple[str, ...]
) -> list[TestItem]:
    words = [w for w in _INFO_SPLIT.split(fence[1]) if w]
    if not _is_rust(words):
        return []
    should_panic = "should_panic" in words
    can_fail = should_panic or "compile_fail" in words or _CAN_FAIL.search("\n".join(code)) is not None
    return [
        TestItem(
            name=item_path,
            qualname=item_path,
            full_name=item_path,
            line=fence[2],
            attr_line=fence[2],
            end_line=end,
            ignored="ignore" in words,
            should_panic=should_panic,
            cfg=cfg,
            body_can_fail=can_fail,
            is_doctest=True,
            markers=tuple(words),
        )
    ]


# --- impl blocks ----------------------------------------------------------------------------

_TYPE_TOKEN = re.compile(r"->|=>|::|'?[^\W\d]\w*|\d\w*|\S")
_OPEN = frozenset({"<", "(", "["})
_CLOSE = frozenset({">", ")", "]"})
_SPACED = frozenset({"+", "->", "=", "=>"})
_TYPE_PREFIX = frozenset({"&", "*", "mut", "const", "dyn", "!"})


def _wordish(piece: str) -> bool:
    return piece[0].isalnum() or piece[0] in "_'"


def _join_type(pieces: list[str]) -> str:
    out: list[str] = []
    previous = ""
    for piece in pieces:
        if out and (
            (_wordish(previous) and _wordish(piece))
            or previous == ","
            or piece in _SPACED
            or previous in _SPACED
        ):
            out.append(" ")
        out.append(piece)
        previous = piece
    return "".join(out)


def impl_names(header: str) -> tuple[str, str, str]:
    """For the text between `impl` and `{`: the symbol name (`impl Display for Foo<T>`), the bare type
    name methods are qualified with (`Foo`), and rustdoc's item-path segment (`Foo<T>`)."""
    pieces = _TYPE_TOKEN.findall(header)
    if pieces[:1] == ["<"]:  # the impl's own generic parameters
        depth = 0
        for index, piece in enumerate(pieces):
            depth += (piece == "<") - (piece == ">")
            if depth == 0:
                pieces = pieces[index + 1 :]
                break
    depth = 0
    split: int | None = None
    for index, piece in enumerate(pieces):
        depth += (piece in _OPEN) - (piece in _CLOSE)
        if depth == 0 and piece == "where":
            pieces = pieces[:index]
            break
        if depth == 0 and piece == "for" and split is None and pieces[index + 1 : index + 2] != ["<"]:
            split = index
    trait, self_ty = (pieces[:split], pieces[split + 1 :]) if split is not None else ([], pieces)
    type_text = _join_type(self_ty)
    display = f"impl {_join_type(trait)} for {type_text}" if split is not None else f"impl {type_text}"
    core = list(self_ty)
    while core and (core[0] in _TYPE_PREFIX or core[0].startswith("'")):
        core.pop(0)
    bare = type_text
    if core and _wordish(core[0]):
        path = core[: core.index("<")] if "<" in core else core
        bare = next((t for t in reversed(path) if _wordish(t)), type_text)
    return display, bare.removeprefix("r#"), type_text.replace(" ", "")
