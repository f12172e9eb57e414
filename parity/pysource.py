"""Index a Python file with the stdlib `ast`: its definitions, and its tests as pytest collects them."""

from __future__ import annotations

import ast
import io
import itertools
import tokenize
from collections import Counter, defaultdict
from dataclasses import dataclass

from parity.errors import InputError
from parity.sourcemodel import Symbol, SymbolKind, TestItem

__all__ = ["PythonScan", "decode_python", "is_test_file", "scan_python"]

_FAILING_CALLS = frozenset({"fail", "raises", "warns", "deprecated_call"})
_ASSERTING_PREFIXES = ("assert", "check", "verify", "expect")
# Type tuples built once: `isinstance(x, A | B)` builds a union object on every call (hot loops here).
_SEQUENCE = (ast.List, ast.Tuple)
_SCALARS = (bool, int, float, complex)
_FAILING_NODES = (ast.Assert, ast.Raise)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_ASSIGNMENTS = (ast.Assign, ast.AnnAssign)
_CLAUSES = (ast.ExceptHandler, ast.match_case)
_UNITTEST_MARKS = {
    "unittest.skip": "skip",
    "unittest.skipIf": "skipif",
    "unittest.skipUnless": "skipif",
    "unittest.expectedFailure": "xfail",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class PythonScan:
    line_count: int
    symbols: tuple[Symbol, ...]
    tests: tuple[TestItem, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Marks:
    """Markers in pytest's order (closest first), and parametrize decorators' id lists (None: unknown)."""

    names: tuple[str, ...] = ()
    params: tuple[tuple[str, ...] | int | None, ...] = ()  # ids, or just a count, or unknown
    skip_reason: tuple[str | None, ...] = ()  # one entry per unconditional skip

    def __add__(self, other: _Marks) -> _Marks:
        return _Marks(
            names=self.names + other.names,
            params=self.params + other.params,
            skip_reason=self.skip_reason + other.skip_reason,
        )


def decode_python(path: str, data: bytes) -> str:
    """Decode per PEP 263 (UTF-8 unless a coding cookie says otherwise)."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise InputError(path, f"cannot parse Python: {exc.msg}", hint="fix the coding cookie") from exc
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            path,
            f"not valid {_display(encoding)}: byte 0x{data[exc.start]:02x} at offset {exc.start} "
            "cannot be decoded",
            line=line,
            hint="save the file as UTF-8",
        ) from exc


def _display(encoding: str) -> str:
    return "UTF-8" if encoding in {"utf-8", "utf-8-sig"} else encoding


def is_test_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else ""
    return node.id if isinstance(node, ast.Name) else ""


def _mark_name(node: ast.expr) -> str | None:
    dotted = _dotted(node)
    if dotted.startswith("mark.") or ".mark." in dotted:
        return dotted.rsplit("mark.", 1)[1]
    return _UNITTEST_MARKS.get(dotted)


def _literal_str(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _arg(call: ast.Call, index: int, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    return call.args[index] if len(call.args) > index else None


def _auto_id(node: ast.expr, argname: str, index: int) -> str | None:
    """pytest's `IdMaker._idval` for literal values; None when the value is only known at run time."""
    try:
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    if isinstance(value, str):
        return value.encode("unicode_escape").decode("ascii")
    if isinstance(value, bytes):
        return value.decode("ascii", "backslashreplace")
    if value is None or isinstance(value, _SCALARS):
        return str(value)
    return f"{argname}{index}"


def _unique(ids: list[str]) -> tuple[str, ...]:
    """pytest's `make_unique_parameterset_ids`: suffix repeated ids with a counter."""
    counts = Counter(ids)
    if len(counts) == len(ids):
        return tuple(ids)
    taken = set(ids)
    suffixes: defaultdict[str, int] = defaultdict(int)
    result = list(ids)
    for index, value in enumerate(ids):
        if counts[value] > 1:
            sep = "_" if value and value[-1].isdigit() else ""
            new = f"{value}{sep}{suffixes[value]}"
            while new in taken:
                suffixes[value] += 1
                new = f"{value}{sep}{suffixes[value]}"
            result[index] = new
            suffixes[value] += 1
    return tuple(result)


def _parametrize_ids(call: ast.Call) -> tuple[str, ...] | int | None:
    names_node, values_node, ids_node = (
        _arg(call, 0, "argnames"),
        _arg(call, 1, "argvalues"),
        _arg(call, 2, "ids"),
    )
    if not isinstance(values_node, _SEQUENCE):
        return None
    if not values_node.elts:
        return ("NOTSET",)
    # A one-name string wraps each value; a list/tuple of names unpacks each (pytest's `force_tuple`).
    if isinstance(names_node, _SEQUENCE):
        names, unpack = [_literal_str(e) or "" for e in names_node.elts], True
    else:
        names = [n.strip() for n in (_literal_str(names_node) or "").split(",") if n.strip()]
        unpack = len(names) > 1
    explicit: list[ast.expr] | None = None
    if isinstance(ids_node, _SEQUENCE):
        explicit = list(ids_node.elts)
    elif ids_node is not None:
        return len(values_node.elts)
    ids: list[str] = []
    for index, element in enumerate(values_node.elts):
        given = explicit[index] if explicit is not None and index < len(explicit) else None
        values: list[ast.expr] = [element]
        if isinstance(element, ast.Call) and _dotted(element.func).endswith("param"):
            given = next((kw.value for kw in element.keywords if kw.arg == "id"), given)
            values = list(element.args)
        elif unpack:
            values = list(element.elts) if isinstance(element, _SEQUENCE) else []
        if given is not None and _literal_str(given) is not None:
            ids.append(_literal_str(given) or "")
            continue
        parts = [_auto_id(v, n, index) for v, n in zip(values, names, strict=False)]
        if len(parts) != len(names) or any(p is None for p in parts):
            return len(values_node.elts)
        ids.append("-".join(p for p in parts if p is not None))
    return _unique(ids)


def _marks(decorators: list[ast.expr]) -> _Marks:
    names: list[str] = []
    params: list[tuple[str, ...] | int | None] = []
    skips: list[str | None] = []
    for node in reversed(decorators):  # pytest applies the bottom decorator first
        name = _mark_name(node)
        if name is None:
            continue
        names.append(name)
        call = node if isinstance(node, ast.Call) else None
        if name == "parametrize":
            params.append(_parametrize_ids(call) if call is not None else None)
        elif name == "skip":
            skips.append(_literal_str(_arg(call, 0, "reason")) if call is not None else None)
        elif name == "skipif" and call is not None and call.args and _is_true(call.args[0]):
            skips.append(_literal_str(_arg(call, 1, "reason")))
    return _Marks(names=tuple(names), params=tuple(params), skip_reason=tuple(skips))


def _is_true(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _pytestmark(body: list[ast.stmt]) -> _Marks:
    """Marks a module or class applies to all its tests with `pytestmark = ...`."""
    for stmt in body:
        if isinstance(stmt, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "pytestmark" for t in stmt.targets
        ):
            value = stmt.value
            marks = list(value.elts) if isinstance(value, _SEQUENCE) else [value]
            return _marks(marks[::-1])
    return _Marks()


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    return func.id if isinstance(func, ast.Name) else ""


def _can_fail(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for child in ast.walk(node):
        if isinstance(child, _FAILING_NODES):
            return True
        if isinstance(child, ast.Call):
            name = _call_name(child)
            if name in _FAILING_CALLS or name.lower().startswith(_ASSERTING_PREFIXES):
                return True
    return False


def _combine(params: tuple[tuple[str, ...] | int | None, ...]) -> tuple[int | None, tuple[str, ...] | None]:
    if not params:
        return None, None
    if any(p is None for p in params):
        return None, None
    counts = [len(p) if isinstance(p, tuple) else p for p in params if p is not None]
    total = 1
    for count in counts:
        total *= count
    if not all(isinstance(p, tuple) for p in params):
        return total, None
    lists = [p for p in params if isinstance(p, tuple)]
    return total, tuple("-".join(combo) for combo in itertools.product(*lists))


class _Walker:
    def __init__(self, path: str, collect: bool, module_marks: _Marks) -> None:
        self.path = path
        self.collect = collect
        self.module_marks = module_marks
        self.symbols: list[Symbol] = []
        self.tests: list[TestItem] = []

    def block(
        self,
        body: list[ast.stmt],
        prefix: tuple[str, ...],
        test_class: _Marks | None,
        *,
        in_def: bool = False,
    ) -> None:
        """Walk statements; `test_class` is the marks of the collecting class (None: not collecting)."""
        for stmt in body:
            if isinstance(stmt, _FUNCTIONS):
                self.function(stmt, prefix, test_class, in_def=in_def)
            elif isinstance(stmt, ast.ClassDef):
                self.klass(stmt, prefix, test_class, in_def=in_def)
            elif isinstance(stmt, _ASSIGNMENTS) and not in_def:
                targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
                for target in targets:
                    for name in ast.walk(target):
                        if isinstance(name, ast.Name):
                            self.symbol(name.id, SymbolKind.VARIABLE, prefix, stmt, stmt.lineno)
            else:
                for field in ("body", "orelse", "finalbody", "handlers", "cases"):
                    for child in getattr(stmt, field, ()):
                        inner = child.body if isinstance(child, _CLAUSES) else [child]
                        self.block(inner, prefix, test_class, in_def=in_def)

    def symbol(
        self, name: str, kind: SymbolKind, prefix: tuple[str, ...], node: ast.stmt, attr_line: int
    ) -> Symbol:
        decorators = getattr(node, "decorator_list", [])
        symbol = Symbol(
            name=name,
            kind=kind,
            qualname=".".join((*prefix, name)),
            line=node.lineno,
            attr_line=min([attr_line, *(d.lineno for d in decorators)]),
            end_line=node.end_lineno or node.lineno,
            attrs=tuple(_dotted(d) for d in decorators),
        )
        self.symbols.append(symbol)
        return symbol

    def function(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        prefix: tuple[str, ...],
        test_class: _Marks | None,
        *,
        in_def: bool,
    ) -> None:
        symbol = self.symbol(node.name, SymbolKind.DEF, prefix, node, node.lineno)
        self.block(node.body, (*prefix, node.name), None, in_def=True)
        at_module = not prefix and not in_def
        if not self.collect or not node.name.startswith("test") or not (at_module or test_class is not None):
            return
        own = _marks(node.decorator_list)
        if any(_dotted(d).endswith("fixture") for d in node.decorator_list):
            return
        marks = own + (test_class or _Marks()) + self.module_marks
        count, ids = _combine(marks.params)
        self.tests.append(
            TestItem(
                name=node.name,
                qualname=symbol.qualname,
                full_name="::".join((*prefix, node.name)),
                line=symbol.line,
                attr_line=symbol.attr_line,
                end_line=symbol.end_line,
                ignored=bool(marks.skip_reason),
                ignore_reason=next(iter(marks.skip_reason), None),
                body_can_fail=_can_fail(node),
                markers=tuple(dict.fromkeys(marks.names)),
                param_count=count,
                param_ids=ids,
            )
        )

    def klass(
        self, node: ast.ClassDef, prefix: tuple[str, ...], test_class: _Marks | None, *, in_def: bool
    ) -> None:
        self.symbol(node.name, SymbolKind.CLASS, prefix, node, node.lineno)
        collecting: _Marks | None = None
        at_module = not prefix and not in_def
        if self.collect and (at_module or test_class is not None):
            unittest = any(_dotted(b).endswith("TestCase") for b in node.bases)
            has_init = any(isinstance(s, ast.FunctionDef) and s.name == "__init__" for s in node.body)
            opted_out = any(
                isinstance(s, ast.Assign)
                and any(isinstance(t, ast.Name) and t.id == "__test__" for t in s.targets)
                and isinstance(s.value, ast.Constant)
                and not s.value.value
                for s in node.body
            )
            if (unittest or (node.name.startswith("Test") and not has_init)) and not opted_out:
                own = _marks(node.decorator_list) + _pytestmark(node.body)
                collecting = own + (test_class or _Marks())
        self.block(node.body, (*prefix, node.name), collecting, in_def=in_def)


def scan_python(path: str, text: str, *, collect: bool | None = None) -> PythonScan:
    """Index Python source. Tests are collected if `collect`, or by default if `path` is named like a
    pytest test file (`test_*.py`, `*_test.py`)."""
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        raise InputError(
            path,
            f"cannot parse Python: {exc.msg}",
            line=exc.lineno,
            column=exc.offset,
            hint="fix the syntax error",
        ) from exc
    except (ValueError, RecursionError, MemoryError) as exc:
        raise InputError(path, f"cannot parse Python: {exc}", hint="fix the file") from exc
    collect = is_test_file(path) if collect is None else collect
    walker = _Walker(path, collect, _pytestmark(tree.body))
    walker.block(tree.body, (), None)
    count = text.count("\n") + (0 if text.endswith("\n") or not text else 1)
    symbols = tuple(sorted(walker.symbols, key=lambda s: (s.line, s.qualname)))
    return PythonScan(line_count=count, symbols=symbols, tests=tuple(walker.tests))
