"""(b) `parity prove` against running its distinct commands directly, on two workloads, same run.

Both sides run the plan's commands with the same argv, cwd and environment (the workflow's env over
ours), output to a file, after a warm-up prove has built every cargo target into the shared
`CARGO_TARGET_DIR` and run the jobs' setup commands. The timed proves pass `--no-setup` and start
without `.parity-cache` (so no cached result stands in for a run), so the difference is parity's own
cost: start-up, planning, the static check, streaming and parsing output, verdicts, reports.

The ratio target is measured on a generated monorepo with realistic test counts (a Rust crate of
~900 tests, a Python SDK of ~3,000 pytest cases, a 1,000-row matrix), where per-test costs show. The
bundled example's commands run for about a second, so there the ratio mostly measures Python's
start-up; its figure is the fixed cost in seconds.
"""

from __future__ import annotations

import json
import shutil
import sys
from typing import TYPE_CHECKING, Any

from generate import generate_repo, use_matrix, write_matrix
from measure import EXAMPLE, Figure, Timing, bench_env, best_of, copy_tree, parity_argv, run_timed, scratch

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

__all__ = ["run"]

TARGET = 1.10  # prove time / direct time, on the generated monorepo
FIXED_TARGET = 0.5  # seconds: prove time - direct time, on the example
CRATES, PACKAGES, ROWS = 1, 4, 1000  # the generated monorepo: ~900 Rust and ~3,000 pytest tests
BUDGET = 150.0  # seconds of interleaved runs per workload


def _prove(repo: Path, env: dict[str, str], *extra: str, output: Path | None = None) -> Timing:
    shutil.rmtree(repo / ".parity-cache", ignore_errors=True)  # every command must really run
    argv = parity_argv("prove", "--repo", str(repo), "--format", "json", *extra)
    errors = None if output is None else output.with_suffix(".err")
    return run_timed(argv, cwd=repo.parent, env=env, output=output, errors=errors)


def _direct(repo: Path, env: dict[str, str], commands: list[dict[str, Any]], logs: Path) -> Timing:
    logs.mkdir(exist_ok=True)
    wall = cpu = 0.0
    failed = 0
    for number, command in enumerate(commands):
        timing = run_timed(
            command["argv"],
            cwd=repo / command["cwd"],
            env={**env, **command["env"]},
            output=logs / f"{number}.log",
        )
        wall += timing.wall
        cpu += timing.cpu
        failed += timing.exit_code != 0
    return Timing(wall=wall, cpu=cpu, exit_code=failed)


class _Workload:
    """One repository, proved and run directly in turns; the best of each side is compared."""

    def __init__(self, name: str, repo: Path, env: dict[str, str]) -> None:
        self.name, self.repo, self.env = name, repo, env
        self.commands: list[dict[str, Any]] = []
        self.proven = ""
        self.problem = ""
        self.direct: list[Timing] = []
        self.proves: list[Timing] = []

    def warm_up(self, work: Path) -> bool:
        """Build everything and run the setups once (off the clock); learn the plan's commands."""
        print(
            f"  {self.name}: warm-up prove (builds into {self.env['CARGO_TARGET_DIR']}) ...", file=sys.stderr
        )
        report = work / f"{self.repo.name}-warm.json"
        warm = _prove(self.repo, self.env, output=report)
        try:
            document = json.loads(report.read_text(encoding="utf-8"))
        except ValueError:
            stderr = report.with_suffix(".err").read_text(encoding="utf-8", errors="replace").strip()
            self.problem = f"warm-up prove exit {warm.exit_code}, no JSON: {stderr[-300:]}"
            return False
        if warm.exit_code != 0:
            self.problem = f"warm-up prove exit {warm.exit_code}"
        summary = document["summary"]
        self.proven = f"{summary['claims_proven']}/{summary['claims']} Implemented rows proven"
        self.commands = [c for c in document["commands"] if c["status"] == "ran"]
        _direct(self.repo, self.env, self.commands, work / f"{self.repo.name}-direct")  # warm the page cache
        return True

    def pair(self, work: Path) -> Timing:
        self.direct.append(_direct(self.repo, self.env, self.commands, work / f"{self.repo.name}-direct"))
        self.proves.append(_prove(self.repo, self.env, "--no-setup", "--no-cache"))
        return Timing(wall=self.direct[-1].wall + self.proves[-1].wall, cpu=0.0, exit_code=0)

    def figure(self, benchmark: str, judge: Callable[[Timing, Timing], tuple[str, str, bool]]) -> Figure:
        """The table row: `judge` turns the best prove and direct timings into (figure, target, passed)."""
        if not self.proves:
            return Figure(benchmark=benchmark, figure="-", target="-", passed=False, detail=self.problem)
        prove, direct, detail = self.figures()
        figure, target, passed = judge(prove, direct)
        valid = not self.problem and all(t.exit_code == 0 for t in self.proves)
        return Figure(
            benchmark=benchmark, figure=figure, target=target, passed=passed and valid, detail=detail
        )

    def figures(self) -> tuple[Timing, Timing, str]:
        best_direct = min(self.direct, key=lambda t: t.wall)
        best_prove = min(self.proves, key=lambda t: t.wall)
        detail = (
            f"prove {best_prove.wall:.2f} s vs direct {best_direct.wall:.2f} s (cpu {best_prove.cpu:.2f} vs "
            f"{best_direct.cpu:.2f} s), {len(self.commands)} commands, best of {len(self.proves)}; "
            + self.proven
        )
        problems = [self.problem] if self.problem else []
        if any(t.exit_code for t in self.proves):
            problems.append("prove exit codes " + ", ".join(str(t.exit_code) for t in self.proves))
        if any(t.exit_code for t in self.direct):
            problems.append("direct failures " + ", ".join(str(t.exit_code) for t in self.direct))
        return best_prove, best_direct, "; ".join([detail, *problems])


def _generated(work: Path) -> tuple[Path, str]:
    repo = work / "monorepo"
    sites = generate_repo(repo, crates=CRATES, packages=PACKAGES)
    use_matrix(repo, write_matrix(repo, sites, ROWS, "docs/parity/dagster-parity-matrix.md"))
    return repo, f"{sites.files} files, {ROWS:,} rows"


def run(*, repeat: int, keep: bool) -> list[Figure]:
    env = bench_env()
    with scratch("prove", keep=keep) as work:
        example = _Workload("example", copy_tree(EXAMPLE, work / "arco-mini"), env)
        monorepo_path, shape = _generated(work)
        monorepo = _Workload("generated monorepo", monorepo_path, env)
        ready = [w for w in (example, monorepo) if w.warm_up(work)]
        print("  timing prove and the same commands directly, interleaved ...", file=sys.stderr)
        for workload in ready:
            # Command times swing by 10 % between runs on these machines: five pairs, not three.
            best_of(lambda w=workload: w.pair(work), repeat=max(repeat, 5), budget=BUDGET)
    return [
        example.figure("prove fixed cost: example (~1 s of commands), prove - direct", _fixed_cost),
        monorepo.figure(f"prove overhead: generated monorepo ({shape}), prove --no-cache / direct", _ratio),
    ]


def _fixed_cost(prove: Timing, direct: Timing) -> tuple[str, str, bool]:
    fixed = prove.wall - direct.wall
    return (
        f"{fixed:.2f} s ({prove.wall / direct.wall:.2f}x)",
        f"<= {FIXED_TARGET:.1f} s",
        fixed <= FIXED_TARGET,
    )


def _ratio(prove: Timing, direct: Timing) -> tuple[str, str, bool]:
    ratio = prove.wall / direct.wall
    return f"{ratio:.3f}x", f"<= {TARGET:.2f}x", ratio <= TARGET
