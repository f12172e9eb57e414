"""Fixture for the source index: pytest-style tests."""

import pytest
from pytest import mark

pytestmark = [pytest.mark.integration]

CONSTANT = 3
LIMIT: int = 10


def helper():
    return 1


def test_plain():
    assert helper() == 1


def test_computes_only():
    value = helper() + 1
    _ = value * 2


def test_raises():
    with pytest.raises(ValueError):
        int("x")


async def test_async_raise():
    if helper() != 1:
        raise RuntimeError("boom")


def test_helper_call():
    check_result(helper())


@pytest.mark.parametrize("x", [0, 1])
@pytest.mark.parametrize("y", ["a", "b"])
def test_stacked(x, y):
    assert x is not None


@pytest.mark.parametrize(
    "a,b",
    [(1, 2), pytest.param(3, 4, id="three"), (None, True), (1.5, "\xe9"), ([1], {})],
)
def test_ids_auto(a, b):
    assert a != b


@pytest.mark.parametrize("s", ["x", "x", "y"])
def test_duplicates(s):
    assert s


@pytest.mark.parametrize(("n",), [(1,), (1,)], ids=["one", None])
def test_explicit_ids(n):
    assert n


@pytest.mark.parametrize("value", CASES)
def test_unknown_values(value):
    assert value


@pytest.mark.parametrize("value", [make(), 2])
def test_runtime_values(value):
    assert value


@pytest.mark.parametrize("value", [])
def test_empty_params(value):
    assert value


@pytest.mark.skip(reason="not yet")
def test_skipped():
    assert False


@mark.skipif(sys.platform == "win32", reason="posix only")
@mark.xfail(strict=True)
@mark.slow
def test_markers():
    assert True


@pytest.fixture
def test_fixture_not_a_test():
    return 1


def testnounderscore():
    assert True


class TestGroup:
    value = 1

    def test_method(self):
        self.assertEqual(self.value, 1)

    @staticmethod
    def test_static():
        pass

    def helper(self):
        return 2

    class TestNested:
        def test_inner(self):
            assert True


@pytest.mark.parametrize("s", [1, 2], ids=["one", "two"])
class TestParametrizedClass:
    @pytest.mark.parametrize("t", [3])
    def test_m(self, s, t):
        assert s < t


class TestWithInit:
    def __init__(self):
        self.x = 1

    def test_not_collected(self):
        assert self.x


class TestOptedOut:
    __test__ = False

    def test_not_collected(self):
        assert True


class Helper:
    def test_not_collected(self):
        assert True


class LegacyCase(unittest.TestCase):
    @unittest.skip("legacy")
    def test_legacy(self):
        self.fail("never")


if sys.version_info >= (3, 11):

    def test_conditional():
        assert True


def outer():
    def test_inner_not_collected():
        assert True

    return test_inner_not_collected


class TestClassMarks:
    pytestmark = [pytest.mark.slow, pytest.mark.parametrize("k", ["p", "q"])]

    def test_with_class_marks(self, k):
        assert k
