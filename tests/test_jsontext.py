"""The fast JSON writer gives json.dumps(indent=2, ensure_ascii=False)'s text, or json.dumps's own errors."""

from __future__ import annotations

import enum
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parity.reporters.jsontext import dumps_indented

FAST = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class Colour(enum.StrEnum):
    RED = "red"


class Size(enum.IntEnum):
    BIG = 3


_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),  # NaN and infinities included: those go to json.dumps
    st.text(),  # control characters, quotes, backslashes, non-ASCII, lone surrogates
    st.sampled_from([Colour.RED, Size.BIG, "é\u2028\x00", -0.0, 1e300, 2**70]),
)
_KEYS = st.one_of(st.text(), st.integers(), st.none(), st.booleans(), st.floats())
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=5), inner, max_size=4),
        st.dictionaries(_KEYS, inner, max_size=3),  # non-str keys: json.dumps converts them
    ),
    max_leaves=25,
)


@FAST
@given(_VALUES)
def test_same_text_as_json_dumps(value: Any) -> None:
    assert dumps_indented(value) == json.dumps(value, indent=2, ensure_ascii=False)


def test_real_reports_are_written_the_same() -> None:
    for path in sorted((Path(__file__).parent / "data").rglob("*.json"))[:50]:
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, ValueError):
            continue
        assert dumps_indented(value) == json.dumps(value, indent=2, ensure_ascii=False), path


def test_errors_are_json_dumps_errors() -> None:
    cycle: list[Any] = []
    cycle.append(cycle)
    with pytest.raises(ValueError, match="Circular reference detected"):
        dumps_indented({"a": cycle})
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps_indented({"a": [1, {2, 3}]})
    assert dumps_indented([math.inf, {"k": math.nan}]) == '[\n  Infinity,\n  {\n    "k": NaN\n  }\n]'
    shared = [1]
    assert dumps_indented({"a": shared, "b": shared}) == json.dumps({"a": shared, "b": shared}, indent=2)
