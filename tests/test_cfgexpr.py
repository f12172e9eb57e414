"""cfg predicate evaluation: table-driven goldens plus the options that change the build."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from parity.cfgexpr import evaluate_cfg, target_info

DATA = Path(__file__).parent / "data" / "selection" / "cfgexpr"
CASES = sorted(p.stem for p in DATA.glob("*.txt"))


def _evaluate_file(path: Path) -> dict[str, bool | None]:
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].removeprefix("# features:")
    features = frozenset(f.strip() for f in header.split(",") if f.strip())
    return {
        line: evaluate_cfg(line, features=features)
        for line in lines[1:]
        if line.strip() and not line.startswith("#")
    }


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    actual = _evaluate_file(DATA / f"{case}.txt")
    golden = DATA / f"{case}.expected.json"
    if os.environ.get("PARITY_UPDATE_GOLDENS") == "1":
        golden.write_text(json.dumps(actual, indent=2) + "\n", encoding="utf-8")
    assert actual == json.loads(golden.read_text(encoding="utf-8"))


def test_cases_exist() -> None:
    assert CASES == ["features", "malformed", "platform", "unknown"]


def test_malformed_is_none_never_an_exception() -> None:
    assert set(_evaluate_file(DATA / "malformed.txt").values()) == {None}


@pytest.mark.parametrize(
    ("predicate", "kwargs", "expected"),
    [
        ("test", {"test": False}, False),
        ("doctest", {"test": False, "doctest": True}, True),
        ("all(doctest, not(test))", {"test": False, "doctest": True}, True),
        ("debug_assertions", {"debug_assertions": False}, False),
        ("not(debug_assertions)", {"debug_assertions": False}, True),
        ('target_os = "macos"', {"target": "aarch64-apple-darwin"}, True),
        ("unix", {"target": "aarch64-apple-darwin"}, True),
        ('target_arch = "aarch64"', {"target": "aarch64-apple-darwin"}, True),
        ("windows", {"target": "x86_64-pc-windows-msvc"}, True),
        ('target_env = "msvc"', {"target": "x86_64-pc-windows-msvc"}, True),
        ('target_family = "wasm"', {"target": "wasm32-unknown-unknown"}, True),
        ('target_pointer_width = "32"', {"target": "wasm32-unknown-unknown"}, True),
        ('target_endian = "big"', {"target": "s390x-unknown-linux-gnu"}, True),
        ('target_has_atomic = "64"', {"target": "wasm32-unknown-unknown"}, None),
        ("unix", {"target": "riscv32imc-unknown-none-elf"}, False),
        ('target_os = "linux"', {"target": "weird"}, None),
    ],
)
def test_build_options(predicate: str, kwargs: dict[str, object], expected: bool | None) -> None:
    assert evaluate_cfg(predicate, features=frozenset(), **kwargs) is expected  # type: ignore[arg-type]


def test_target_info_of_host_and_darwin() -> None:
    assert target_info(None) == target_info("x86_64-unknown-linux-gnu")
    darwin = target_info("aarch64-apple-darwin")
    assert (darwin.arch, darwin.os, darwin.family, darwin.vendor, darwin.pointer_width) == (
        "aarch64",
        "macos",
        ("unix",),
        "apple",
        "64",
    )
