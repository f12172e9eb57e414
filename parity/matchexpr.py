"""Parse and evaluate pytest's `-k`/`-m` match expressions exactly as `_pytest/mark/expression.py` does."""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from parity.errors import InputError

__all__ = ["MatchExpr", "compile_match_expr", "evaluate_match_expr", "match_expr_idents"]

KwValue = str | int | bool | None
Matcher = Callable[[str, Mapping[str, KwValue]], bool]

# pytest 9: `ident: (\w|:|\+|-|\.|\[|\]|\\|/)+`; only space and tab separate tokens.
_IDENT = re.compile(r"(:?\w|:|\+|-|\.|\[|\]|\\|/)+")


@dataclass(frozen=True, slots=True)
class _Ident:
    name: str
    kwargs: tuple[tuple[str, KwValue], ...] | None


@dataclass(frozen=True, slots=True)
class _Not:
    operand: MatchExpr


@dataclass(frozen=True, slots=True)
class _BoolOp:
    op: str  # "and" | "or"
    left: MatchExpr
    right: MatchExpr


@dataclass(frozen=True, slots=True)
class _Empty:
    pass


MatchExpr = _Ident | _Not | _BoolOp | _Empty


class _SyntaxError(Exception):
    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


def _lex(text: str) -> Iterator[tuple[str, str, int]]:
    """Tokens as (type, value, 1-based column), lazily: pytest reports whichever error comes first."""
    pos = 0
    singles = {"(": "left parenthesis", ")": "right parenthesis", "=": "=", ",": ","}
    while pos < len(text):
        char = text[pos]
        if char in " \t":
            pos += 1
        elif char in singles:
            yield (singles[char], char, pos + 1)
            pos += 1
        elif char in "'\"":
            end = text.find(char, pos + 1)
            if end == -1:
                raise _SyntaxError(f'closing quote "{char}" is missing', pos + 1)
            value = text[pos : end + 1]
            if "\\" in value:
                raise _SyntaxError(
                    'escaping with "\\" not supported in marker expression', pos + value.find("\\") + 1
                )
            yield ("string literal", value, pos + 1)
            pos = end + 1
        else:
            match = _IDENT.match(text, pos)
            if match is None:
                raise _SyntaxError(f'unexpected character "{char}"', pos + 1)
            value = match.group(0)
            kind = value if value in {"or", "and", "not"} else "identifier"
            yield (kind, value, pos + 1)
            pos = match.end()
    yield ("end of input", "", pos + 1)


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _lex(text)
        self.current = next(self.tokens)

    def accept(self, kind: str) -> tuple[str, str, int] | None:
        token = self.current
        if token[0] != kind:
            return None
        if kind != "end of input":
            self.current = next(self.tokens)
        return token

    def expect(self, kind: str) -> tuple[str, str, int]:
        token = self.accept(kind)
        if token is None:
            self.reject((kind,))
        assert token is not None  # noqa: S101 - reject() always raises; this narrows the type
        return token

    def reject(self, expected: tuple[str, ...]) -> None:
        raise _SyntaxError(f"expected {' OR '.join(expected)}; got {self.current[0]}", self.current[2])

    def expression(self) -> MatchExpr:
        if self.accept("end of input"):
            return _Empty()
        node = self.expr()
        self.expect("end of input")
        return node

    def expr(self) -> MatchExpr:
        node = self.and_expr()
        while self.accept("or"):
            node = _BoolOp("or", node, self.and_expr())
        return node

    def and_expr(self) -> MatchExpr:
        node = self.not_expr()
        while self.accept("and"):
            node = _BoolOp("and", node, self.not_expr())
        return node

    def not_expr(self) -> MatchExpr:
        if self.accept("not"):
            return _Not(self.not_expr())
        if self.accept("left parenthesis"):
            node = self.expr()
            self.expect("right parenthesis")
            return node
        ident = self.accept("identifier")
        if ident is None:
            self.reject(("not", "left parenthesis", "identifier"))
            raise AssertionError  # pragma: no cover - reject() raised
        if self.accept("left parenthesis"):
            kwargs = [self.kwarg()]
            while self.accept(","):
                kwargs.append(self.kwarg())
            self.expect("right parenthesis")
            return _Ident(ident[1], tuple(kwargs))
        return _Ident(ident[1], None)

    def kwarg(self) -> tuple[str, KwValue]:
        _, name, column = self.expect("identifier")
        if not name.isidentifier():
            raise _SyntaxError(f"not a valid python identifier {name}", column)
        if keyword.iskeyword(name):
            raise _SyntaxError(f"unexpected reserved python keyword `{name}`", column)
        self.expect("=")
        string = self.accept("string literal")
        if string is not None:
            return name, string[1][1:-1]
        _, raw, column = self.expect("identifier")
        if raw.isdigit() or (raw.startswith("-") and raw[1:].isdigit()):
            return name, int(raw)
        builtins: dict[str, KwValue] = {"True": True, "False": False, "None": None}
        if raw in builtins:
            return name, builtins[raw]
        raise _SyntaxError(f'unexpected character/s "{raw}"', column)


def compile_match_expr(text: str, *, option: str = "-k") -> MatchExpr:
    """Parse a `-k`/`-m` expression; a malformed one is an InputError with pytest's own message."""
    try:
        return _Parser(text).expression()
    except _SyntaxError as exc:
        raise InputError(
            option,
            f"Wrong expression passed to '{option}': {text}: at column {exc.column}: {exc.message}",
            column=exc.column,
        ) from None


def evaluate_match_expr(expr: MatchExpr, matcher: Matcher) -> bool:
    """Evaluate with `matcher(name, kwargs)` deciding each identifier (kwargs empty for bare names)."""
    match expr:
        case _Empty():
            return False
        case _Ident(name, kwargs):
            return matcher(name, dict(kwargs or ()))
        case _Not(operand):
            return not evaluate_match_expr(operand, matcher)
        case _BoolOp("and", left, right):
            return evaluate_match_expr(left, matcher) and evaluate_match_expr(right, matcher)
        case _BoolOp(_, left, right):
            return evaluate_match_expr(left, matcher) or evaluate_match_expr(right, matcher)


def match_expr_idents(expr: MatchExpr) -> tuple[frozenset[str], bool]:
    """All identifiers in the expression, and whether any carries keyword arguments."""
    match expr:
        case _Empty():
            return frozenset(), False
        case _Ident(name, kwargs):
            return frozenset({name}), kwargs is not None
        case _Not(operand):
            return match_expr_idents(operand)
        case _BoolOp(_, left, right):
            left_names, left_kw = match_expr_idents(left)
            right_names, right_kw = match_expr_idents(right)
            return left_names | right_names, left_kw or right_kw
