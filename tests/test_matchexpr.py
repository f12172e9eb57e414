"""pytest `-k`/`-m` expressions: exact cases plus property tests against pytest's own parser."""

from __future__ import annotations

import pytest
from _pytest.mark.expression import Expression
from hypothesis import given, settings
from hypothesis import strategies as st

from parity.errors import InputError
from parity.matchexpr import compile_match_expr, evaluate_match_expr, match_expr_idents


def _names_matcher(names: set[str]):
    return lambda name, kwargs: name in names and not kwargs


@pytest.mark.parametrize(
    ("text", "names", "expected"),
    [
        ("not slow and cli", {"cli"}, True),
        ("not slow and cli", {"cli", "slow"}, False),
        ("a or b and c", {"a"}, True),  # `and` binds tighter than `or`
        ("(a or b) and c", {"a"}, False),
        ("not not a", {"a"}, True),
        ("", {"a"}, False),  # an empty expression matches nothing
        ("x[1-2]", {"x[1-2]"}, True),
        ("tests/unit.py::Test", {"tests/unit.py::Test"}, True),
        ("True", {"True"}, True),
    ],
)
def test_evaluate(text: str, names: set[str], expected: bool) -> None:
    assert evaluate_match_expr(compile_match_expr(text), _names_matcher(names)) is expected


def test_kwargs_reach_the_matcher() -> None:
    seen: list[tuple[str, dict[str, object]]] = []
    expr = compile_match_expr('mark(a="s", b=-3, c=True, d=None)', option="-m")
    evaluate_match_expr(expr, lambda name, kwargs: seen.append((name, dict(kwargs))) or True)
    assert seen == [("mark", {"a": "s", "b": -3, "c": True, "d": None})]
    assert match_expr_idents(expr) == (frozenset({"mark"}), True)
    assert match_expr_idents(compile_match_expr("a and not (b or c)")) == (frozenset({"a", "b", "c"}), False)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a and", "at column 6: expected not OR left parenthesis OR identifier; got end of input"),
        ("(a", "at column 3: expected right parenthesis; got end of input"),
        ("a b", "at column 3: expected end of input; got identifier"),
        ('a"', 'at column 2: closing quote """ is missing'),
        ("a & b", 'at column 3: unexpected character "&"'),
        ("m(x=y)", 'at column 5: unexpected character/s "y"'),
        ("m(if=1)", "at column 3: unexpected reserved python keyword `if`"),
        ("m(a.b=1)", "at column 3: not a valid python identifier a.b"),
        ("a b \\", "at column 3: expected end of input; got identifier"),  # parse error comes first
    ],
)
def test_errors_match_pytest(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        compile_match_expr(text, option="-k")
    assert caught.value.message == f"Wrong expression passed to '-k': {text}: {message}"


_PIECES = [
    "a", "slow", "cli", "not", "and", "or", "True", "x[1]", "foo.bar", "m", "(", ")", " ", " ",
    "=", ",", "'s'", '"t"', "1", "-2", "None", "if", "\t", "&", "\\", "'",
]  # fmt: skip


def _pytest_outcome(text: str, names: frozenset[str]) -> tuple[str, object]:
    try:
        expr = Expression.compile(text)
    except SyntaxError as exc:
        return "error", (exc.offset, exc.msg)
    return "ok", expr.evaluate(lambda name, **kwargs: (name in names) != bool(kwargs))


def _parity_outcome(text: str, names: frozenset[str]) -> tuple[str, object]:
    try:
        expr = compile_match_expr(text)
    except InputError as exc:
        prefix = f"Wrong expression passed to '-k': {text}: at column {exc.column}: "
        message = (
            exc.message.removeprefix(prefix) if exc.message.startswith(prefix) else f"BAD: {exc.message}"
        )
        return "error", (exc.column, message)
    return "ok", evaluate_match_expr(expr, lambda name, kwargs: (name in names) != bool(kwargs))


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from(_PIECES), max_size=12).map("".join),
    st.frozensets(st.sampled_from(["a", "slow", "cli", "True", "x[1]", "m", "foo.bar"])),
)
def test_agrees_with_pytest_on_any_token_soup(text: str, names: frozenset[str]) -> None:
    assert _parity_outcome(text, names) == _pytest_outcome(text, names)


def _valid() -> st.SearchStrategy[tuple[str, object]]:
    """Valid expressions with their meaning as a Python lambda over the set of true names."""
    leaf = st.sampled_from(["a", "b", "slow", "cli"]).map(lambda n: (n, lambda names, n=n: n in names))

    def grow(inner: st.SearchStrategy[tuple[str, object]]) -> st.SearchStrategy[tuple[str, object]]:
        return st.one_of(
            inner.map(lambda e: (f"not ({e[0]})", lambda names, f=e[1]: not f(names))),
            inner.map(lambda e: (f"({e[0]})", e[1])),
            st.tuples(inner, inner).map(
                lambda p: (
                    f"({p[0][0]}) and ({p[1][0]})",
                    lambda names, f=p[0][1], g=p[1][1]: f(names) and g(names),
                )
            ),
            st.tuples(inner, inner).map(
                lambda p: (
                    f"({p[0][0]}) or ({p[1][0]})",
                    lambda names, f=p[0][1], g=p[1][1]: f(names) or g(names),
                )
            ),
        )

    return st.recursive(leaf, grow, max_leaves=8)


@settings(max_examples=200, deadline=None)
@given(_valid(), st.frozensets(st.sampled_from(["a", "b", "slow", "cli"])))
def test_valid_expressions_never_fail_and_mean_what_they_say(
    expr: tuple[str, object], names: frozenset[str]
) -> None:
    text, meaning = expr
    compiled = compile_match_expr(text)
    assert evaluate_match_expr(compiled, _names_matcher(set(names))) == meaning(names)  # type: ignore[operator]
