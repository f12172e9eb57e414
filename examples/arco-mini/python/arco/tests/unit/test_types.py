"""Partition types: canonical keys and partition definitions."""

from __future__ import annotations

import datetime as dt

import pytest

from arco_flow.types import DailyPartitions, PartitionKey, StaticPartitions


class TestPartitionKey:
    def test_canonical_is_order_insensitive(self) -> None:
        a = PartitionKey.of([("region", "eu"), ("date", "2024-01-01")])
        b = PartitionKey.of({"date": "2024-01-01", "region": "eu"})
        assert a == b
        assert a.canonical() == "date=2024-01-01|region=eu"

    def test_canonical_escapes_separators_and_roundtrips(self) -> None:
        key = PartitionKey.of({"region": "eu|west", "tag": "a=b%"})
        assert key.canonical() == "region=eu%7Cwest|tag=a%3Db%25"
        assert PartitionKey.parse(key.canonical()) == key

    def test_duplicate_dimension_is_rejected(self) -> None:
        with pytest.raises(ValueError, match="duplicate partition dimension 'date'"):
            PartitionKey.of([("date", "a"), ("date", "b")])


@pytest.mark.parametrize(
    ("start", "end", "until", "expected"),
    [
        (
            dt.date(2024, 1, 30),
            None,
            dt.date(2024, 2, 1),
            ["2024-01-30", "2024-01-31", "2024-02-01"],
        ),
        (
            dt.date(2024, 1, 1),
            dt.date(2024, 1, 2),
            dt.date(2024, 3, 1),
            ["2024-01-01", "2024-01-02"],
        ),
        (dt.date(2024, 1, 5), None, dt.date(2024, 1, 4), []),
    ],
    ids=["open-ended", "bounded-by-end", "before-start"],
)
def test_daily_partition_keys(
    start: dt.date, end: dt.date | None, until: dt.date, expected: list[str]
) -> None:
    assert DailyPartitions(start=start, end=end).keys(until) == expected


def test_static_partitions_reject_duplicates() -> None:
    assert StaticPartitions(values=("eu", "us")).keys() == ["eu", "us"]
    with pytest.raises(ValueError, match="must be unique"):
        StaticPartitions(values=("eu", "eu"))


def test_parse_rejects_component_without_separator() -> None:
    with pytest.raises(ValueError, match="is not dim=value"):
        PartitionKey.parse("date=2024-01-01|oops")


@pytest.mark.slow
def test_daily_partitions_cover_leap_year_exhaustively() -> None:
    keys = DailyPartitions(start=dt.date(2024, 1, 1)).keys(dt.date(2024, 12, 31))
    assert len(keys) == 366
    assert "2024-02-29" in keys
    assert keys == sorted(set(keys))
