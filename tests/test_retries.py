"""--retries on a real pytest run: a case that fails once and then passes is flaky, never proven for sign-off."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from conftest import replace_in

from parity.config import load_config
from parity.model import Verdict
from parity.prove import ProveOptions, prove
from parity.repository import Repository

ROW = "Daily and static partition definitions"
TEST_FILE = "python/arco/tests/unit/test_types.py"


@pytest.fixture
def flaky_once(example: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`test_static_partitions_reject_duplicates` fails on its first run only (a marker file remembers)."""
    replace_in(
        example / TEST_FILE,
        "def test_static_partitions_reject_duplicates() -> None:\n",
        "def test_static_partitions_reject_duplicates() -> None:\n"
        "    import os, pathlib\n"
        "    marker = pathlib.Path(os.environ['PARITY_FLAKY_MARKER'])\n"
        "    if not marker.exists():\n"
        "        marker.write_text('failed once')\n"
        "        raise AssertionError('flaky: first run fails')\n",
    )
    monkeypatch.setenv("PARITY_FLAKY_MARKER", str(tmp_path / "marker"))
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return example


def _row(example: Path, **options: object) -> tuple[Verdict, list[tuple[str, Verdict]], int]:
    report = prove(Repository(load_config(example)), ProveOptions(rows=(ROW,), cache=False, **options))  # type: ignore[arg-type]
    (row,) = report.rows
    return row.verdict, [(t.label.rsplit("::", 1)[-1], t.verdict) for t in row.tests], report.exit_code


def test_without_retries_the_flake_fails_the_row(flaky_once: Path) -> None:
    verdict, tests, code = _row(flaky_once)
    assert verdict is Verdict.FAILED
    assert ("test_static_partitions_reject_duplicates", Verdict.FAILED) in tests
    assert code == 1


def test_a_pass_on_retry_is_flaky_locally_and_not_enough_for_signoff(
    flaky_once: Path, tmp_path: Path
) -> None:
    verdict, tests, code = _row(flaky_once, retries=1)
    assert (verdict, code) == (Verdict.FLAKY, 0)
    assert tests == [
        ("test_daily_partition_keys", Verdict.PROVEN),
        ("test_static_partitions_reject_duplicates", Verdict.FLAKY),
    ]
    (tmp_path / "marker").unlink()
    verdict, _, code = _row(flaky_once, retries=1, for_signoff=True)
    assert (verdict, code) == (Verdict.FLAKY, 1)
