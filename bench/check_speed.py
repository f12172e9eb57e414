"""(a) Whole-process time of `parity check`: the bundled example, then 5,000 and 10,000 generated rows."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING

from generate import generate_repo, use_matrix, write_matrix
from measure import EXAMPLE, Figure, Timing, bench_env, best_of, copy_tree, parity_argv, run_timed, scratch

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["run"]

EXAMPLE_TARGET = 1.0  # seconds
LARGE_TARGET = 5.0  # seconds, for the first matrix size
SCALING_TARGET = 2.2  # time(2n rows) / time(n rows)
BUDGET = 120.0  # seconds for the interleaved large runs: repeats stop early when parity is slow


class _Series:
    """Timed runs of `parity check --format json` on one repository, each one verified."""

    def __init__(self, repo: Path, env: dict[str, str], report: Path, rows: int | None = None) -> None:
        self.repo, self.env, self.report, self.rows = repo, env, report, rows
        self.timings: list[Timing] = []
        self.problem = ""  # the first way a run went wrong: exit code, row count, missing report
        self.rows_seen = 0

    def measure(self) -> Timing:
        errors = self.report.with_suffix(".err")
        argv = parity_argv("check", "--repo", str(self.repo), "--format", "json")
        timing = run_timed(argv, cwd=self.repo.parent, env=self.env, output=self.report, errors=errors)
        self.timings.append(timing)
        problem = self._verify(timing)
        self.problem = self.problem or problem
        return timing

    def _verify(self, timing: Timing) -> str:
        try:
            summary = json.loads(self.report.read_text(encoding="utf-8"))["summary"]
        except (ValueError, KeyError):
            stderr = self.report.with_suffix(".err").read_text(encoding="utf-8", errors="replace")
            return f"exit {timing.exit_code}, no JSON report: {stderr.strip()[-300:]}"
        self.rows_seen = summary["rows"]
        if timing.exit_code == 0 and summary["rows"] == (self.rows or summary["rows"]):
            return ""
        expected = f"exit 0, {self.rows} rows" if self.rows else "exit 0"
        got = f"exit {timing.exit_code}, {summary['rows']} rows, {summary['errors']} errors"
        return f"{got} (expected {expected})"

    def best(self) -> tuple[float, str]:
        best = min(self.timings, key=lambda t: t.wall)
        walls = ", ".join(f"{t.wall:.2f}" for t in self.timings)
        return best.wall, f"best of {len(self.timings)}; cpu {best.cpu:.2f} s; all {walls} s"


def run(*, repeat: int, keep: bool, rows: int = 5000, crates: int = 10, packages: int = 10) -> list[Figure]:
    env = bench_env()
    figures: list[Figure] = []
    with scratch("check", keep=keep) as work:
        example = _Series(copy_tree(EXAMPLE, work / "arco-mini"), env, work / "example.json")
        best_of(example.measure, repeat=max(repeat, 5), budget=20)
        wall, detail = example.best()
        figures.append(
            Figure(
                benchmark=f"check: bundled example ({example.rows_seen} rows)",
                figure=f"{wall:.2f} s",
                target=f"< {EXAMPLE_TARGET:g} s",
                passed=not example.problem and wall < EXAMPLE_TARGET,
                detail=example.problem or detail,
            )
        )

        print(f"  generating {crates * 100 + packages * 100} source files ...", file=sys.stderr)
        big = work / "generated"
        sites = generate_repo(big, crates=crates, packages=packages)
        small_path = write_matrix(big, sites, rows, f"docs/parity/matrix-{rows}.md")
        large_path = write_matrix(big, sites, 2 * rows, f"docs/parity/matrix-{2 * rows}.md")
        small = _Series(big, env, work / "small.json", rows)
        large = _Series(big, env, work / "large.json", 2 * rows)

        def pair() -> Timing:
            use_matrix(big, small_path)
            first = small.measure()
            use_matrix(big, large_path)
            second = large.measure()
            return Timing(wall=first.wall + second.wall, cpu=first.cpu + second.cpu, exit_code=0)

        print(f"  timing {rows} and {2 * rows} rows, interleaved ...", file=sys.stderr)
        best_of(pair, repeat=repeat, budget=BUDGET)
        small_wall, small_detail = small.best()
        large_wall, large_detail = large.best()
        figures.append(
            Figure(
                benchmark=f"check: {rows:,} rows over {sites.files:,} files",
                figure=f"{small_wall:.2f} s",
                target=f"< {LARGE_TARGET:g} s",
                passed=not small.problem and small_wall < LARGE_TARGET,
                detail=small.problem or small_detail,
            )
        )
        ratio = large_wall / small_wall
        cpu_ratio = min(t.cpu for t in large.timings) / max(min(t.cpu for t in small.timings), 1e-9)
        figures.append(
            Figure(
                benchmark=f"check: {2 * rows:,} / {rows:,} rows (time ratio)",
                figure=f"{ratio:.2f}x",
                target=f"<= {SCALING_TARGET:g}x",
                passed=not large.problem and ratio <= SCALING_TARGET,
                detail=large.problem
                or f"{2 * rows:,} rows: {large_wall:.2f} s ({large_detail}); cpu ratio {cpu_ratio:.2f}x",
            )
        )
    return figures
