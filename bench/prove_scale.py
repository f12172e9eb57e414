"""(c) a cached re-run against the first run, and (d) four shards against one, simulated on one machine.

(c) runs `prove` twice on a warm copy of the example: the first run executes every command and fills
the cache; the second must re-run nothing (it replays the first run's report). Three such pairs, the
cache removed before each, and the best of each side.

(d) builds a small repository whose CI job has eight pytest steps that each sleep, proves it as one
shard and as four shards started at once (four CI runners simulated by four processes: sleeping
needs no CPU), and compares the wall times of the two.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from measure import EXAMPLE, Figure, bench_env, copy_tree, parity_argv, run_timed, scratch

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["run"]

CACHED_TARGET = 0.10  # cached re-run / first run
REPEAT = 3
SHARD_TARGET = 0.35  # 4-shard wall time / 1-shard wall time
STEPS = 8
SLEEP = 4.0


def _cached(work: Path, env: dict[str, str]) -> Figure:
    name = "prove cached re-run / first run (example, warm build)"
    repo = copy_tree(EXAMPLE, work / "arco-mini")
    run_timed(parity_argv("prove", "--repo", str(repo)), cwd=work, env=env)  # build once, off the clock
    argv = parity_argv("prove", "--repo", str(repo), "--format", "json")
    firsts, reruns, statuses = [], [], set()
    for _ in range(REPEAT):  # first run and re-run in turns, so both meet the same machine
        shutil.rmtree(repo / ".parity-cache", ignore_errors=True)
        firsts.append(
            run_timed(argv, cwd=work, env=env, output=work / "first.json", errors=work / "first.err")
        )
        reruns.append(
            run_timed(argv, cwd=work, env=env, output=work / "second.json", errors=work / "second.err")
        )
        statuses |= {c["status"] for c in json.loads((work / "second.json").read_text())["commands"]}
    first = min(firsts, key=lambda t: t.wall)
    second = min(reruns, key=lambda t: t.wall)
    all_cached = statuses == {"cached"}
    valid = all_cached and all(t.exit_code == 0 for t in (*firsts, *reruns))
    ratio = second.wall / first.wall
    return Figure(
        benchmark=name,
        figure=f"{ratio:.3f}",
        target=f"<= {CACHED_TARGET:.2f}",
        passed=valid and ratio <= CACHED_TARGET,
        detail=f"first {first.wall:.2f} s, re-run {second.wall:.2f} s (best of {REPEAT} each, in turns); "
        f"re-run command statuses {sorted(statuses)}",
    )


def _sleepy_repo(root: Path) -> Path:
    """A repository whose job `test` has STEPS pytest steps, each running one test that sleeps."""
    (root / "tests").mkdir(parents=True)
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / "docs" / "parity").mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        "[tool.pytest.ini_options]\ntestpaths = ['tests']\n", encoding="utf-8"
    )
    steps = []
    rows = []
    for number in range(STEPS):
        test = root / "tests" / f"test_slow_{number}.py"
        test.write_text(
            f"import time\n\n\ndef test_slow_{number}():\n    time.sleep({SLEEP})\n    assert True\n",
            encoding="utf-8",
        )
        command = f"python -m pytest tests/test_slow_{number}.py -q -p no:cacheprovider"
        steps.append(f"      - run: {command}\n")
        rows.append(
            f"| Slow capability {number} | f | Implemented | unit "
            f"| `tests/test_slow_{number}.py:4` (`test_slow_{number}`) "
            f"| `tests/test_slow_{number}.py:4` (`test_slow_{number}`) "
            f"| `.github/workflows/ci.yml` (job `test`: `{command}`) | TBD | |\n"
        )
    (root / ".github" / "workflows" / "ci.yml").write_text(
        "on: [push, pull_request]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n" + "".join(steps),
        encoding="utf-8",
    )
    header = (
        "| Capability | Arco Feature | Status | Proof Level Required | Evidence (Code) | Evidence (Tests) "
        "| Evidence (CI) | Owner | Notes |\n|---|---|---|---|---|---|---|---|---|\n"
    )
    (root / "docs" / "parity" / "dagster-parity-matrix.md").write_text(
        "# Matrix\n\n## Slow\n\n" + header + "".join(rows), encoding="utf-8"
    )
    return root


def _shards(work: Path, env: dict[str, str]) -> Figure:
    name = f"prove 4 shards / 1 shard wall time ({STEPS} commands sleeping {SLEEP:.0f} s each)"
    repo = _sleepy_repo(work / "sleepy")
    one = run_timed(
        parity_argv(
            "prove", "--repo", str(repo), "--no-cache", "--shard", "1/1", "--json", str(work / "one.json")
        ),
        cwd=work,
        env=env,
    )
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            parity_argv(
                "prove",
                "--repo",
                str(repo),
                "--no-cache",
                "--shard",
                f"{k}/4",
                "--json",
                str(work / f"shard{k}.json"),
            ),
            cwd=work,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for k in range(1, 5)
    ]
    codes = [process.wait() for process in processes]
    four = time.perf_counter() - started
    merged = run_timed(
        parity_argv(
            "merge",
            "--repo",
            str(repo),
            *(str(work / f"shard{k}.json") for k in range(1, 5)),
            "--format",
            "json",
        ),
        cwd=work,
        env=env,
        output=work / "merged.json",
        errors=work / "merged.err",
    )
    summary = json.loads((work / "merged.json").read_text())["summary"] if merged.exit_code == 0 else {}
    ratio = four / one.wall
    valid = one.exit_code == 0 and codes == [0, 0, 0, 0] and summary.get("claims_proven") == STEPS
    return Figure(
        benchmark=name,
        figure=f"{ratio:.3f}x",
        target=f"<= {SHARD_TARGET:.2f}x",
        passed=valid and ratio <= SHARD_TARGET,
        detail=f"1 shard {one.wall:.2f} s, 4 shards in parallel {four:.2f} s; merge exit {merged.exit_code}, "
        f"{summary.get('claims_proven')}/{STEPS} rows proven after merge",
    )


def run(*, keep: bool) -> list[Figure]:
    env = bench_env()
    with scratch("scale", keep=keep) as work:
        print("  (c) cached re-run ...", file=sys.stderr)
        cached = _cached(work, env)
        print("  (d) four shards against one ...", file=sys.stderr)
        shards = _shards(work, env)
    return [cached, shards]
