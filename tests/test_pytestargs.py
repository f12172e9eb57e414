"""pytest argv parsing: launchers and options, one golden per theme file, each line one command line."""

from __future__ import annotations

import dataclasses
import json
import os
import shlex
from pathlib import Path

import pytest

from parity.pytestargs import _parse_options_cached, parse_pytest, parse_pytest_options

DATA = Path(__file__).parent / "data" / "selection" / "pytestargs"
CASES = sorted(p.stem for p in DATA.glob("*.txt"))


def _as_json(value: object) -> object:
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_as_json(v) for v in value]
    return value


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    actual: dict[str, object] = {}
    for line in (DATA / f"{case}.txt").read_text(encoding="utf-8").splitlines():
        parsed = parse_pytest(shlex.split(line))
        actual[line] = None if parsed is None else _as_json(dataclasses.asdict(parsed))
    golden = DATA / f"{case}.expected.json"
    if os.environ.get("PARITY_UPDATE_GOLDENS") == "1":
        golden.write_text(json.dumps(actual, indent=2) + "\n", encoding="utf-8")
    assert actual == json.loads(golden.read_text(encoding="utf-8"))


def test_cases_exist() -> None:
    assert CASES == ["launchers", "options"]


def test_launcher_is_kept_apart_from_pytest_arguments() -> None:
    parsed = parse_pytest(["python", "-m", "pytest", "tests/integration/test_cli_api.py", "-v"])
    assert parsed is not None
    assert (parsed.launcher, parsed.paths) == (
        ("python", "-m", "pytest"),
        ("tests/integration/test_cli_api.py",),
    )


def test_last_k_wins_like_argparse() -> None:
    assert parse_pytest_options(["-k", "a", "-k", "b"]).keyword == "b"


def test_short_option_clusters() -> None:
    parsed = parse_pytest_options(["-vxs", "-rfE", "-kslow", "-m=fast"])
    assert (parsed.keyword, parsed.markexpr, parsed.unknown, parsed.errors) == ("slow", "fast", (), ())


def test_errors_and_unknown_options() -> None:
    assert parse_pytest_options(["-k"]).errors == ("argument -k: expected one argument",)
    assert parse_pytest_options(["-o", "x"]).errors == (
        "-o/--override-ini expects option=value style (got: 'x').",
    )
    assert parse_pytest_options(["--frobnicate", "-Q"]).unknown == ("--frobnicate", "-Q")


def test_options_are_parsed_once_per_argument_list() -> None:
    args = ["-k", "fast and not slow", "--deselect", "a.py::t", "-o", "xfail_strict=true", "tests"]
    first = parse_pytest_options(args)
    assert parse_pytest_options(tuple(args)) is first  # a list and a tuple with the same items share it
    assert first == _parse_options_cached.__wrapped__(tuple(args))  # the same answer as a fresh parse
    assert parse_pytest_options([*args, "-m", "cli"]) is not first
    assert dataclasses.is_dataclass(first)
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.keyword = "changed"  # type: ignore[misc] # shared answers must not be mutable
