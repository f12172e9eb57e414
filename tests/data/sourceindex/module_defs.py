"""Not a test file: only definitions are indexed."""

from dataclasses import dataclass


@dataclass(frozen=True)
class PartitionKey:
    """A key."""

    value: str

    @classmethod
    def parse(cls, text: str) -> "PartitionKey":
        return cls(text)

    @property
    def upper(self) -> str:
        return self.value.upper()


def test_looks_like_a_test():
    assert True


async def fetch(url):
    def inner():
        return url

    return inner()


try:
    import tomllib
except ImportError:
    tomllib = None
