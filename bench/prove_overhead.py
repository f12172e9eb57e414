"""(b) `parity prove` against running its distinct commands directly, on a warm copy of the example.

Both sides run the plan's commands with the same argv, cwd and environment (the workflow's env over
ours), output to a file, after a warm-up prove has built every cargo target into the shared
`CARGO_TARGET_DIR` and run the jobs' setup commands. The timed proves pass `--no-setup` and start
without `.parity-cache` (so no cached result stands in for a run), so the ratio is parity's own cost:
start-up, the static check, planning, streaming and parsing output, verdicts, storing results.
"""

from __future__ import annotations

import json
import shutil
import sys
from typing import TYPE_CHECKING, Any

from measure import EXAMPLE, Figure, Timing, bench_env, best_of, copy_tree, parity_argv, run_timed, scratch

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["run"]

TARGET = 1.10  # prove time / direct time


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


def run(*, repeat: int, keep: bool) -> list[Figure]:
    env = bench_env()
    name = "prove overhead: example, prove --no-cache / direct (warm build)"
    with scratch("prove", keep=keep) as work:
        repo = copy_tree(EXAMPLE, work / "arco-mini")
        print(f"  warm-up prove (builds the example into {env['CARGO_TARGET_DIR']}) ...", file=sys.stderr)
        warm = _prove(repo, env, output=work / "warm.json")
        try:
            document = json.loads((work / "warm.json").read_text(encoding="utf-8"))
        except ValueError:
            stderr = (work / "warm.err").read_text(encoding="utf-8", errors="replace").strip()
            detail = f"warm-up prove exit {warm.exit_code}, no JSON: {stderr[-300:]}"
            return [
                Figure(benchmark=name, figure="-", target=f"<= {TARGET:.2f}x", passed=False, detail=detail)
            ]
        summary = document["summary"]
        proven = f"{summary['claims_proven']}/{summary['claims']} Implemented rows proven"
        commands = [c for c in document["commands"] if c["status"] == "ran"]
        print(f"  warm-up direct run of {len(commands)} commands ...", file=sys.stderr)
        _direct(repo, env, commands, work / "direct")
        direct: list[Timing] = []
        proves: list[Timing] = []

        def pair() -> Timing:
            direct.append(_direct(repo, env, commands, work / "direct"))
            proves.append(_prove(repo, env, "--no-setup", "--no-cache"))
            return Timing(wall=direct[-1].wall + proves[-1].wall, cpu=0.0, exit_code=0)

        print(f"  timing prove and the {len(commands)} commands directly, interleaved ...", file=sys.stderr)
        best_of(pair, repeat=repeat, budget=120)
    best_direct = min(direct, key=lambda t: t.wall)
    best_prove = min(proves, key=lambda t: t.wall)
    ratio = best_prove.wall / best_direct.wall
    valid = warm.exit_code == 0 and all(t.exit_code == 0 for t in proves)
    detail = (
        f"prove {best_prove.wall:.2f} s vs direct {best_direct.wall:.2f} s (cpu {best_prove.cpu:.2f} vs "
        f"{best_direct.cpu:.2f} s), {len(commands)} commands, best of {len(proves)}; {proven}"
    )
    if not valid:
        detail += f"; prove exit codes {warm.exit_code}, {', '.join(str(t.exit_code) for t in proves)}"
    if any(t.exit_code for t in direct):
        detail += f"; direct failures {', '.join(str(t.exit_code) for t in direct)}"
    return [
        Figure(
            benchmark=name,
            figure=f"{ratio:.3f}x",
            target=f"<= {TARGET:.2f}x",
            passed=valid and ratio <= TARGET,
            detail=detail,
        )
    ]
