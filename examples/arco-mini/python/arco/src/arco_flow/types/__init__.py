"""Partition definitions and canonical partition keys (same encoding as the Rust API)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

__all__ = ["DailyPartitions", "PartitionKey", "StaticPartitions"]

_ESCAPES = (("%", "%25"), ("=", "%3D"), ("|", "%7C"))


def _escape(text: str) -> str:
    for raw, escaped in _ESCAPES:
        text = text.replace(raw, escaped)
    return text


def _unescape(text: str) -> str:
    for raw, escaped in reversed(_ESCAPES):
        text = text.replace(escaped, raw)
    return text


@dataclass(frozen=True)
class PartitionKey:
    """A multi-dimensional partition key; dimension order never matters."""

    dims: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, dims: Mapping[str, str] | Iterable[tuple[str, str]]) -> PartitionKey:
        pairs = list(dims.items()) if isinstance(dims, Mapping) else list(dims)
        names = [name for name, _ in pairs]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            msg = f"duplicate partition dimension {duplicates[0]!r}"
            raise ValueError(msg)
        return cls(dims=tuple(sorted(pairs)))

    @classmethod
    def parse(cls, text: str) -> PartitionKey:
        """Inverse of `canonical`."""
        if not text:
            return cls(dims=())
        pairs = []
        for part in text.split("|"):
            name, sep, value = part.partition("=")
            if not sep:
                msg = f"partition component {part!r} is not dim=value"
                raise ValueError(msg)
            pairs.append((_unescape(name), _unescape(value)))
        return cls.of(pairs)

    def canonical(self) -> str:
        """`dim=value` pairs sorted by dimension, joined by `|`."""
        return "|".join(f"{_escape(name)}={_escape(value)}" for name, value in self.dims)


@dataclass(frozen=True)
class DailyPartitions:
    """One partition per calendar day from `start` (inclusive)."""

    start: dt.date
    end: dt.date | None = None  # inclusive; open-ended when None

    def keys(self, until: dt.date) -> list[str]:
        last = min(until, self.end) if self.end is not None else until
        days = (last - self.start).days + 1
        return [(self.start + dt.timedelta(days=i)).isoformat() for i in range(max(days, 0))]


@dataclass(frozen=True)
class StaticPartitions:
    """A fixed, ordered set of partition values."""

    values: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(set(self.values)) != len(self.values):
            msg = "static partition values must be unique"
            raise ValueError(msg)

    def keys(self) -> list[str]:
        return list(self.values)
