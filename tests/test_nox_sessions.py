"""Another repository's noxfile gets the parity sessions from two lines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_register_defines_the_sessions_in_a_foreign_noxfile(tmp_path: Path) -> None:
    noxfile = tmp_path / "noxfile.py"
    noxfile.write_text("from parity.nox_sessions import register\nregister()\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    listed = subprocess.run(
        [sys.executable, "-m", "nox", "-l", "-f", str(noxfile)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=tmp_path,
    )
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[1] for line in listed.stdout.splitlines() if line.startswith(("* ", "- "))]
    assert names == ["parity-check", "parity-prove", "parity-fix", "parity-signoff", "parity-merge"]
    assert "Run every cited CI command" in listed.stdout


def test_our_noxfile_sessions() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "nox", "-l", "-f", str(ROOT / "noxfile.py")],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    names = {line.split()[1] for line in listed.stdout.splitlines() if line.startswith(("* ", "- "))}
    assert {"tests", "lint", "parity-check", "parity-prove"} <= names
