"""(b) `parity prove` against running its distinct commands directly, on two workloads, same run.

Both sides run the plan's commands with the same argv, cwd and environment (the workflow's env over
ours), output to a file, after a warm-up prove has built every cargo target into the shared
`CARGO_TARGET_DIR` and run the jobs' setup commands. The timed proves pass `--no-setup` and start
without `.parity-cache` (so no cached result stands in for a run), so the difference is parity's own
cost: start-up, planning, the static check, streaming and parsing output, verdicts, reports, and
pytest's own `--junitxml` writer, which prove adds to every pytest command.

prove's cost has two parts: a fixed one (about 0.3 s on a 1,000-row matrix: start-up, planning
before the first command, judging and the report after the last) and one that grows with the
tests (mostly pytest's `--junitxml`: about 5 % of a run of small unit tests). The bundled example's
commands run for about a second, so there the figure is the fixed cost in seconds. The ratio target
is measured where a monorepo's commands are: a generated monorepo with a 1,000-row matrix, a Rust
crate of ~900 tests and a Python SDK of ~9,000 small pytest tests (about 20 s of commands).
"""

from __future__ import annotations

import json
import shutil
import statistics
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
CRATES, PACKAGES, ROWS = 1, 12, 1000  # the generated monorepo: ~900 Rust and ~9,000 pytest tests
PAIRS = 7
BUDGET = 300.0  # seconds of interleaved runs per workload


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
    """One repository, run directly and proved in turns: each pair runs back to back.

    Each pair's prove is compared with its own direct run, and the median pair is the figure. On
    these machines a whole run of the same commands is 10 % faster or slower from one run to the
    next; a pair shares the machine's state of the moment, while the best prove and the best direct
    run of a series (still printed) can each come from a different lucky moment.
    """

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

    def figure(
        self, benchmark: str, judge: Callable[[list[tuple[float, float]]], tuple[str, str, bool]]
    ) -> Figure:
        """The table row: `judge` makes (figure, target, passed) of the pairs' (direct, prove) wall times."""
        if not self.proves:
            return Figure(benchmark=benchmark, figure="-", target="-", passed=False, detail=self.problem)
        pairs = [(d.wall, p.wall) for d, p in zip(self.direct, self.proves, strict=True)]
        figure, target, passed = judge(pairs)
        valid = not self.problem and all(t.exit_code == 0 for t in self.proves)
        return Figure(
            benchmark=benchmark,
            figure=figure,
            target=target,
            passed=passed and valid,
            detail=self.detail(pairs),
        )

    def detail(self, pairs: list[tuple[float, float]]) -> str:
        best_direct = min(self.direct, key=lambda t: t.wall)
        best_prove = min(self.proves, key=lambda t: t.wall)
        text = (
            f"{len(pairs)} pairs (direct, prove): "
            + ", ".join(f"{d:.2f}/{p:.2f}" for d, p in pairs)
            + f" s; best of each {best_prove.wall:.2f} vs {best_direct.wall:.2f} s "
            f"({best_prove.wall / best_direct.wall:.3f}x; "
            f"cpu {best_prove.cpu:.2f} vs {best_direct.cpu:.2f} s); "
            f"{len(self.commands)} commands; {self.proven}"
        )
        problems = [self.problem] if self.problem else []
        if any(t.exit_code for t in self.proves):
            problems.append("prove exit codes " + ", ".join(str(t.exit_code) for t in self.proves))
        if any(t.exit_code for t in self.direct):
            problems.append("direct failures " + ", ".join(str(t.exit_code) for t in self.direct))
        return "; ".join([text, *problems])


def _generated(work: Path) -> tuple[Path, str]:
    repo = work / "monorepo"
    sites = generate_repo(repo, crates=CRATES, packages=PACKAGES)
    use_matrix(repo, write_matrix(repo, sites, ROWS, "docs/parity/dagster-parity-matrix.md"))
    return repo, f"{sites.files:,} files, {ROWS:,} rows"


def run(*, repeat: int, keep: bool) -> list[Figure]:
    env = bench_env()
    with scratch("prove", keep=keep) as work:
        example = _Workload("example", copy_tree(EXAMPLE, work / "arco-mini"), env)
        monorepo_path, shape = _generated(work)
        monorepo = _Workload("generated monorepo", monorepo_path, env)
        ready = [w for w in (example, monorepo) if w.warm_up(work)]
        print("  timing prove and the same commands directly, interleaved ...", file=sys.stderr)
        for workload in ready:
            # Command times swing by 10 % between runs on these machines: seven pairs, not three.
            best_of(lambda w=workload: w.pair(work), repeat=max(repeat, PAIRS), budget=BUDGET)
    return [
        example.figure("prove fixed cost: example (~1 s of commands), prove - direct", _fixed_cost),
        monorepo.figure(f"prove overhead: generated monorepo ({shape}), prove --no-cache / direct", _ratio),
    ]


def _fixed_cost(pairs: list[tuple[float, float]]) -> tuple[str, str, bool]:
    fixed = statistics.median(p - d for d, p in pairs)
    ratio = statistics.median(p / d for d, p in pairs)
    return f"{fixed:.2f} s ({ratio:.2f}x)", f"<= {FIXED_TARGET:.1f} s", fixed <= FIXED_TARGET


def _ratio(pairs: list[tuple[float, float]]) -> tuple[str, str, bool]:
    ratio = statistics.median(p / d for d, p in pairs)
    return f"{ratio:.3f}x", f"<= {TARGET:.2f}x", ratio <= TARGET
