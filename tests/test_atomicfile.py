"""Atomic writes: all-or-nothing, no temp litter, no silent overwrite, permissions kept."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from parity.atomicfile import temp_prefix, write_atomic
from parity.errors import InputError


def test_writes_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "report.json"
    write_atomic(target, "one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.json"]


def test_refuses_to_overwrite_without_permission(tmp_path: Path) -> None:
    target = tmp_path / "manifest.json"
    target.write_text("mine")
    with pytest.raises(InputError) as caught:
        write_atomic(target, "theirs", overwrite=False, label="docs/manifest.json")
    assert caught.value.render() == (
        "docs/manifest.json: already exists; refusing to overwrite it "
        "(pass --force to replace it, or choose another path)"
    )
    assert target.read_text() == "mine"


def test_keeps_permissions(tmp_path: Path) -> None:
    target = tmp_path / "script.sh"
    target.write_text("old")
    target.chmod(0o750)
    write_atomic(target, "new")
    assert stat.S_IMODE(target.stat().st_mode) == 0o750


def test_failure_midway_leaves_the_old_file_and_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "matrix.md"
    target.write_text("original")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "new content")
    assert target.read_text() == "original"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["matrix.md"]


def test_new_files_get_the_umask_mode_not_0600(tmp_path: Path) -> None:
    previous = os.umask(0o022)
    try:
        write_atomic(tmp_path / "report.xml", "<x/>")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "report.xml").stat().st_mode) == 0o644


def test_a_dead_writers_temp_file_is_removed_by_the_next_write(tmp_path: Path) -> None:
    target = tmp_path / "matrix.md"
    target.write_text("v1")
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True
    )
    leftover = tmp_path / f"{temp_prefix(target, int(dead.stdout))}abc123.tmp"
    leftover.write_text("half a matrix")
    mine = tmp_path / f"{temp_prefix(target)}live.tmp"  # a live writer's (ours): kept
    mine.write_text("in progress")
    write_atomic(target, "v2")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["matrix.md", mine.name])
    assert target.read_text() == "v2"
