"""GitHub Actions `${{ }}` expressions, evaluated three-valued: what we cannot know stays unknown."""

from __future__ import annotations

import math
import operator
import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "STATUS_FUNCTIONS",
    "UNKNOWN",
    "ExpressionError",
    "Unknown",
    "condition_truth",
    "evaluate",
    "parse_expression",
    "string_literals",
    "truth",
    "unwrap",
]

# Grammar and coercions: https://docs.github.com/en/actions/reference/evaluate-expressions-in-workflows-and-actions
STATUS_FUNCTIONS = frozenset({"success", "failure", "always", "cancelled"})
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<num>0x[0-9a-fA-F]+|-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
    | (?P<str>'(?:[^']|'')*')
    | (?P<op>==|!=|<=|>=|&&|\|\||[<>!().,\[\]*])
    | (?P<id>[A-Za-z_][A-Za-z0-9_-]*)
    )""",
    re.VERBOSE,
)
_WRAPPED = re.compile(r"^\s*\$\{\{(.*)\}\}\s*$", re.DOTALL)
_LITERALS = {"true": True, "false": False, "null": None}
_BINARY = (("||",), ("&&",), ("==", "!="), ("<", "<=", ">", ">="))


class ExpressionError(ValueError):
    """Text that is not an expression (callers treat it as unknown)."""


class Unknown:
    """A value parity cannot know statically; `truth` may still be known (`x && false`)."""

    __slots__ = ("truth",)

    def __init__(self, truth: bool | None = None) -> None:
        self.truth = truth

    def __repr__(self) -> str:
        return "UNKNOWN" if self.truth is None else f"Unknown({self.truth})"


UNKNOWN = Unknown()
# Nodes: ("lit", v), ("ctx", name), ("prop", node, name), ("index", node, node), ("star", node),
# ("call", name, nodes), ("not", node) and ("bin", op, node, node).
Node = tuple[Any, ...]


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens: list[tuple[str, str]] = []
        position = 0
        text = text.rstrip()
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None or match.end() == position:
                raise ExpressionError(f"unexpected `{text[position:].strip()[:20]}`")
            kind = match.lastgroup or ""
            self.tokens.append((kind, match.group(kind)))
            position = match.end()
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at][1] if self.at < len(self.tokens) else None

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.at >= len(self.tokens) or (expected is not None and self.tokens[self.at][1] != expected):
            raise ExpressionError(f"expected `{expected or 'a value'}`")
        self.at += 1
        return self.tokens[self.at - 1]

    def parse(self) -> Node:
        node = self.binary(0)
        if self.at != len(self.tokens):
            raise ExpressionError(f"unexpected `{self.tokens[self.at][1]}`")
        return node

    def binary(self, level: int) -> Node:
        if level == len(_BINARY):
            return self.unary()
        node = self.binary(level + 1)
        while self.peek() in _BINARY[level]:
            op = self.take()[1]
            node = ("bin", op, node, self.binary(level + 1))
        return node

    def unary(self) -> Node:
        if self.peek() == "!":
            self.take()
            return ("not", self.unary())
        return self.postfix(self.primary())

    def primary(self) -> Node:
        kind, text = self.take()
        if kind == "num":
            return ("lit", float(int(text, 16)) if text.lower().startswith("0x") else float(text))
        if kind == "str":
            return ("lit", text[1:-1].replace("''", "'"))
        if text == "(":
            node = self.binary(0)
            self.take(")")
            return node
        if kind != "id":
            raise ExpressionError(f"unexpected `{text}`")
        if text.lower() in _LITERALS:
            return ("lit", _LITERALS[text.lower()])
        if self.peek() == "(":
            self.take()
            args: list[Node] = []
            while self.peek() != ")":
                args.append(self.binary(0))
                if self.peek() != ")":
                    self.take(",")
            self.take(")")
            return ("call", text.lower(), tuple(args))
        return ("ctx", text.lower())

    def postfix(self, node: Node) -> Node:
        while self.peek() in {".", "["}:
            if self.take()[1] == ".":
                kind, name = self.take()
                if name == "*":
                    node = ("star", node)
                elif kind == "id":
                    node = ("prop", node, name)
                else:
                    raise ExpressionError("expected a property name")
            else:
                node = ("index", node, self.binary(0))
                self.take("]")
        return node


def parse_expression(text: str) -> Node:
    return _Parser(text).parse()


def unwrap(text: str) -> str | None:
    """The expression of an `if:`-style field: `${{ x }}` or bare `x`; None if text is mixed."""
    match = _WRAPPED.match(text)
    if match and "${{" not in match.group(1):
        return match.group(1)
    return None if "${{" in text else text


def truth(value: object) -> bool | None:
    if isinstance(value, Unknown):
        return value.truth
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    return value not in (None, False, "")


def _number(value: object) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return 0.0
        try:
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        except ValueError:
            return math.nan
    return math.nan


def _equal(a: object, b: object) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.casefold() == b.casefold()
    if type(a) is type(b) and isinstance(a, (dict, list)):
        return a is b
    return _number(a) == _number(b)


def _compare(op: str, a: object, b: object) -> object:
    if isinstance(a, Unknown) or isinstance(b, Unknown):
        return UNKNOWN
    if op == "==":
        return _equal(a, b)
    if op == "!=":
        return not _equal(a, b)
    order = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}[op]
    if isinstance(a, str) and isinstance(b, str):
        return order(a.casefold(), b.casefold())
    return order(_number(a), _number(b))


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return str(value)


def _call(name: str, args: list[object], status: str) -> object:
    if name in STATUS_FUNCTIONS:
        return {"always": True, "success": status == "success", "failure": status == "failure"}.get(
            name, False
        )
    if any(isinstance(a, Unknown) for a in args):
        return UNKNOWN
    if name == "contains" and len(args) == 2:
        haystack, needle = args
        if isinstance(haystack, list):
            return any(_equal(item, needle) for item in haystack)
        return _text(needle).casefold() in _text(haystack).casefold()
    if name in {"startswith", "endswith"} and len(args) == 2:
        whole, part = _text(args[0]).casefold(), _text(args[1]).casefold()
        return whole.startswith(part) if name == "startswith" else whole.endswith(part)
    return UNKNOWN  # format, join, toJSON, fromJSON, hashFiles: not worth guessing


def _evaluate(node: Node, contexts: Mapping[str, object], status: str) -> object:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "ctx":
        return contexts.get(str(node[1]), UNKNOWN)
    if kind in {"prop", "index"}:
        base = _evaluate(node[1], contexts, status)
        key = node[2] if kind == "prop" else _evaluate(node[2], contexts, status)
        if isinstance(base, Unknown) or isinstance(key, Unknown):
            return UNKNOWN
        if isinstance(base, dict):
            return base.get(str(key).lower(), UNKNOWN)
        return None
    if kind == "call":
        return _call(str(node[1]), [_evaluate(a, contexts, status) for a in node[2]], status)
    if kind == "not":
        value = truth(_evaluate(node[1], contexts, status))
        return UNKNOWN if value is None else not value
    if kind == "star":
        return UNKNOWN
    op, left = str(node[1]), _evaluate(node[2], contexts, status)
    if op in {"&&", "||"}:
        stop = op == "||"  # the left value that decides the result on its own
        if truth(left) is stop:
            return left
        right = _evaluate(node[3], contexts, status)
        if truth(left) is (not stop):
            return right
        return Unknown(stop) if truth(right) is stop else UNKNOWN
    return _compare(op, left, _evaluate(node[3], contexts, status))


def _calls(node: Node) -> set[str]:
    """Names of the functions an expression calls."""
    kind = node[0]
    if kind == "call":
        return {node[1]}.union(*(_calls(a) for a in node[2]))
    if kind in {"prop", "star", "not"}:
        return _calls(node[1])
    if kind == "index":
        return _calls(node[1]) | _calls(node[2])
    if kind == "bin":
        return _calls(node[2]) | _calls(node[3])
    return set()


def evaluate(text: str, contexts: Mapping[str, object], *, status: str = "success") -> object:
    """The value of an expression; UNKNOWN when it does not parse."""
    try:
        return _evaluate(parse_expression(text), contexts, status)
    except ExpressionError:
        return UNKNOWN


def condition_truth(text: str, contexts: Mapping[str, object], *, status: str = "success") -> bool | None:
    """An `if:` as GitHub runs it: without a status function it means `success() && (text)`."""
    inner = unwrap(text)
    if inner is None:
        return None
    try:
        node = parse_expression(inner)
    except ExpressionError:
        return None
    value = truth(_evaluate(node, contexts, status))
    if not _calls(node) & STATUS_FUNCTIONS and status != "success":
        return False
    return value


def string_literals(text: str) -> tuple[str, ...]:
    """The string literals of an expression (to try `github.ref == 'refs/heads/x'` branches)."""
    try:
        tokens = _Parser(text).tokens
    except ExpressionError:
        return ()
    return tuple(t[1:-1].replace("''", "'") for kind, t in tokens if kind == "str")
