"""(e) Peak memory of `parity prove` while the cited test prints a flood of output (500 MB by default).

A one-row repository whose CI step runs `python -m pytest tests -q -s`: with `-s` pytest passes the
test's stdout straight through, so parity's runner has to stream every byte to its log on disk.
"""

from __future__ import annotations

import json
import sys
import textwrap
from typing import TYPE_CHECKING

from measure import Figure, bench_env, peak_rss_argv, read_peak_rss, run_timed, scratch

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["run", "write_flood_repo"]

TARGET_MB = 150
LINE = 100  # bytes per printed line, newline included
MB = 1_000_000

_SOURCE = '''
"""Writes numbered lines of fixed width to stdout, the way a chatty test or build does."""

from __future__ import annotations

import sys

LINE = {line}


def emit(total_bytes: int) -> int:
    """Print `total_bytes` bytes of {line}-byte lines; returns the number of bytes written."""
    per_block = 10_000
    filler = "x" * (LINE - 17)
    written = 0
    number = 0
    while written < total_bytes:
        count = min(per_block, (total_bytes - written) // LINE)
        block = "".join(f"flood {{n:09d}} {{filler}}\\n" for n in range(number, number + count))
        sys.stdout.write(block)
        written += len(block)
        number += count
    sys.stdout.flush()
    return written
'''

_TEST = '''
"""The flood test: passes after printing FLOOD_BYTES bytes."""

from __future__ import annotations

import os

from flood import emit


def test_prints_the_flood() -> None:
    wanted = int(os.environ["FLOOD_BYTES"])
    assert emit(wanted) == wanted
'''

_WORKFLOW = """
name: CI

on:
  push:
  pull_request:

jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - name: Install test dependencies
        run: python -m pip install pytest
      - name: Flood
        env:
          FLOOD_BYTES: "{total}"
        run: python -m pytest tests -q -s
"""

_COLUMNS = (
    "Capability", "Arco Feature", "Status", "Proof Level Required", "Evidence (Code)", "Evidence (Tests)",
    "Evidence (CI)", "Owner", "Notes",
)  # fmt: skip
_ROW = (
    "A test that prints {mb} MB still proves", "Streaming logs", "Implemented", "unit",
    "`src/flood.py:{emit}` (`emit`)", "`tests/test_flood.py:{test}` (`test_prints_the_flood`)",
    "`.github/workflows/ci.yml` (job `test`: `python -m pytest tests -q -s`)", "TBD", "Benchmark fixture",
)  # fmt: skip
_TABLE = (_COLUMNS, tuple("---" for _ in _COLUMNS), _ROW)
_MATRIX = "# Flood matrix\n\n## Output\n\n" + "".join(f"| {' | '.join(cells)} |\n" for cells in _TABLE)


def _line(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


def write_flood_repo(root: Path, mb: int) -> Path:
    """A repository whose one Implemented row cites a test printing `mb` MB (10^6 bytes) to stdout."""
    total = mb * MB
    source = textwrap.dedent(_SOURCE).lstrip().format(line=LINE)
    test = _TEST.lstrip()
    files = {
        "src/flood.py": source,
        "tests/test_flood.py": test,
        "pyproject.toml": '[tool.pytest.ini_options]\npythonpath = ["src"]\ntestpaths = ["tests"]\n',
        # Like the example: prove first runs the job's install step (a no-op where pytest is installed).
        "parity.toml": '[jobs.test]\nsetup = ["python -m pip install pytest"]\n',
        ".github/workflows/ci.yml": _WORKFLOW.lstrip().format(total=total),
        "docs/parity/dagster-parity-matrix.md": _MATRIX.lstrip().format(
            mb=mb, emit=_line(source, "def emit"), test=_line(test, "def test_prints_the_flood")
        ),
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def run(*, mb: int, keep: bool) -> list[Figure]:
    env = bench_env()
    with scratch("flood", keep=keep) as work:
        repo = write_flood_repo(work / "flood", mb)
        report = work / "peak-rss"
        print(f"  prove while the test prints {mb} MB ...", file=sys.stderr)
        argv = peak_rss_argv(report, "prove", "--repo", str(repo), "--format", "json")
        timing = run_timed(argv, cwd=work, env=env, output=work / "prove.json", errors=work / "prove.err")
        problems = []
        peak = read_peak_rss(report) if report.is_file() else 0
        log_bytes = 0
        try:
            document = json.loads((work / "prove.json").read_text(encoding="utf-8"))
        except ValueError:
            stderr = (work / "prove.err").read_text(encoding="utf-8", errors="replace").strip()
            document = None
            problems.append(f"no JSON report: {stderr[-300:]}")
        if document is not None:
            summary = document["summary"]
            if timing.exit_code != 0 or summary["claims_proven"] != 1:
                verdicts = ", ".join(r["verdict"] for r in document["rows"])
                problems.append(f"exit {timing.exit_code}, row verdict: {verdicts}")
            # Log paths are reported relative to the repository (absolute ones stay as they are).
            logs = [repo / c["log_path"] for c in document["commands"] if c["log_path"]]
            log_bytes = sum(p.stat().st_size for p in logs if p.is_file())
        if not report.is_file():
            problems.append("the wrapper wrote no peak RSS")
    streamed = log_bytes >= mb * MB
    throughput = log_bytes / MB / timing.wall if timing.wall else 0.0
    return [
        Figure(
            benchmark=f"prove: peak RSS while a test prints {mb} MB",
            figure=f"{peak / MB:.1f} MB",
            target=f"<= {TARGET_MB} MB",
            passed=not problems and 0 < peak <= TARGET_MB * MB,
            detail="; ".join(problems) or f"parity's own process; prove took {timing.wall:.1f} s",
        ),
        Figure(
            benchmark=f"prove: command log on disk ({mb} MB printed)",
            figure=f"{log_bytes:,} B",
            target=f">= {mb * MB:,} B",
            passed=not problems and streamed,
            detail=f"{throughput:.0f} MB/s through the runner",
        ),
    ]
