"""`cargo test` argv parsing: one golden per theme file, each line one command line."""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
from pathlib import Path

import pytest

from parity.cargoargs import parse_cargo_test, parse_libtest

DATA = Path(__file__).parent / "data" / "selection" / "cargoargs"
CASES = sorted(p.stem for p in DATA.glob("*.txt"))


def _parse_file(path: Path) -> dict[str, object]:
    parsed: dict[str, object] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        args = parse_cargo_test(shlex.split(line))
        parsed[line] = None if args is None else _plain(dataclasses.asdict(args))
    return parsed


def _plain(value: object) -> object:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    actual = _parse_file(DATA / f"{case}.txt")
    golden = DATA / f"{case}.expected.json"
    if os.environ.get("PARITY_UPDATE_GOLDENS") == "1":
        golden.write_text(json.dumps(actual, indent=2) + "\n", encoding="utf-8")
    assert actual == json.loads(golden.read_text(encoding="utf-8"))


def test_cases_exist() -> None:
    assert CASES == ["errors", "features", "launchers", "libtest", "packages", "targets"]


def test_brief_example() -> None:
    args = parse_cargo_test(
        [
            "cargo",
            "test",
            "-p",
            "arco-flow",
            "--features",
            "test-utils",
            "--tests",
            "--",
            "--skip",
            "parity_m2_",
        ]
    )
    assert args is not None
    assert (args.packages, args.features, args.target_flags, args.libtest.skip) == (
        ("arco-flow",),
        ("test-utils",),
        ("--tests",),
        ("parity_m2_",),
    )
    assert args.errors == ()


def test_testname_joins_the_filters() -> None:
    args = parse_cargo_test(["cargo", "test", "run_key", "--lib", "--", "extra", "--exact"])
    assert args is not None
    assert (args.testname, args.libtest.filters, args.libtest.exact, args.target_flags) == (
        "run_key",
        ("run_key", "extra"),
        True,
        ("--lib",),
    )


def test_not_cargo_test() -> None:
    assert parse_cargo_test(["cargo", "build"]) is None
    assert parse_cargo_test(["pytest"]) is None
    assert parse_cargo_test([]) is None


def test_libtest_double_dash_makes_everything_a_filter() -> None:
    lt = parse_libtest(["--exact", "--", "--skip", "x"])
    assert (lt.filters, lt.skip, lt.exact, lt.errors) == (("--skip", "x"), (), True, ())


def test_libtest_errors_are_libtests_own_words() -> None:
    assert parse_libtest(["--skip"]).errors == ("Argument to option 'skip' missing",)
    assert parse_libtest(["--frobnicate"]).errors == ("Unrecognized option: 'frobnicate'",)
    assert parse_libtest(["--ignored", "--include-ignored"]).errors == (
        "the options --include-ignored and --ignored are mutually exclusive",
    )
