"""Read a Rust fn's attributes and body: is it a test, ignored, gated, expected to panic, and can it fail."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from parity.rustlex import Attr, decode_str, parse_attr, split_top
from parity.sourcemodel import Symbol, TestItem

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["cfg_of", "rust_test", "string_arg"]

# Runs on the blanked body (no strings or comments), so `"assert!"` in a string does not count.
_CAN_FAIL = re.compile(
    r"\b(?:assert|debug_assert(?:_eq|_ne)?|panic|unreachable|todo|unimplemented)\s*!"
    r"|\.\s*(?:unwrap|expect|unwrap_err|expect_err)\s*\("
    r"|\b(?:assert|check|expect|verify)_\w*\s*[!(]"
)
_FALLIBLE = re.compile(r"\?|\bErr\s*\(")  # counts only when the test returns something (a Result)
_PARAM_ATTRS = frozenset({"test_case", "test_case::test_case", "case"})  # one generated test each
_TEST_ATTRS = frozenset(
    {
        "test",
        "wasm_bindgen_test",
        "quickcheck",
        "test_case",
        "test_case::test_case",
        "rstest",
        "rstest::rstest",
    }
)


def cfg_of(attrs: Sequence[Attr]) -> list[str]:
    """The predicates of the `#[cfg(...)]` attributes among `attrs`."""
    return [part for a in attrs if a.path == "cfg" for part in split_top(a.args)[:1]]


def string_arg(args: tuple[str, ...], key: str | None = None) -> str | None:
    """`= "x"` -> x; with `key`, `(key = "x")` -> x."""
    if key is None:
        return decode_str(args[1]) if len(args) == 2 and args[0] == "=" else None
    for part in split_top(args):
        name, _, value = part.partition(" = ")
        if name == key:
            return decode_str(value)
    return None


def _expand(attrs: Sequence[Attr]) -> list[tuple[str | None, Attr]]:
    """Attributes paired with the condition they apply under: `cfg_attr(P, a, b)` gives (P, a), (P, b)."""
    expanded: list[tuple[str | None, Attr]] = []
    for attr in attrs:
        if attr.path == "cfg_attr":
            condition, *rest = split_top(attr.args) or [""]
            expanded.extend((condition, parse_attr(part, attr.line)) for part in rest)
        else:
            expanded.append((None, attr))
    return expanded


def rust_test(
    *,
    symbol: Symbol,
    attrs: Sequence[Attr],
    cfg: Sequence[str],
    mods: tuple[str, ...],
    body: str,
    returns: bool,
) -> TestItem | None:
    """The test a fn defines (its `full_name` relative to the file's module), or None if it is no test.

    `cfg` gates the enclosing scopes; `body` is the blanked body text; `returns`: the fn has `->`.
    """
    is_test = False
    params = 0
    markers: list[str] = []
    gates = list(cfg)
    ignored, reason, ignore_cfg = False, None, []
    should_panic, expected = False, None
    for condition, attr in _expand(attrs):
        path = attr.path
        if path not in {"doc", "cfg"}:
            markers.append(path)
        if path == "cfg" and condition is None:
            gates.extend(split_top(attr.args)[:1])
        elif path in _TEST_ATTRS or path in _PARAM_ATTRS or path.endswith("::test"):
            is_test = is_test or path != "case"
            params += path in _PARAM_ATTRS
            if condition is not None:
                gates.append(condition)
        elif path == "ignore" and condition is not None:
            ignore_cfg.append(condition)
        elif path == "ignore":
            ignored, reason = True, string_arg(attr.args)
        elif path == "should_panic" and condition is None:
            should_panic = True
            expected = string_arg(attr.args) or string_arg(attr.args, "expected")
    if not is_test:
        return None
    can_fail = should_panic or _CAN_FAIL.search(body) is not None
    can_fail = can_fail or (returns and _FALLIBLE.search(body) is not None)
    return TestItem(
        name=symbol.name.removeprefix("r#"),
        qualname=symbol.qualname,
        full_name="::".join((*mods, symbol.name)),
        line=symbol.line,
        attr_line=symbol.attr_line,
        end_line=symbol.end_line,
        ignored=ignored,
        ignore_reason=reason,
        ignore_cfg=tuple(ignore_cfg),
        should_panic=should_panic,
        should_panic_expected=expected,
        cfg=tuple(gates),
        body_can_fail=can_fail,
        markers=tuple(dict.fromkeys(markers)),
        param_count=params or None,
    )
