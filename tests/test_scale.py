"""The result cache and sharding, on real runs of the example: hits, every kind of miss, merge == full run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, WORKFLOW, commit_all, copy_example, git, replace_in

pytestmark = pytest.mark.cargo

PYTHON_ROW = "CLI surface"  # one pytest command (python-tests job, with its setup)
CARGO_ROW = "Durable sensor cursor"  # one cargo command (the parity-gates step)
TIMING_KEYS = {"duration_seconds", "log_sha256", "log_path", "output"}


def parity(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        [sys.executable, "-m", "parity", *args, "--repo", str(repo)],
        capture_output=True,
        text=True,
        env=env,
        cwd=repo.parent,
        check=False,
        timeout=600,
    )
    if check:
        assert done.returncode in (0, 1), done.stderr
    return done


def statuses(repo: Path, *args: str) -> list[str]:
    document = json.loads(parity(repo, "prove", *args, "--format", "json").stdout)
    return [c["status"] for c in document["commands"]]


def test_cache_hits_and_every_kind_of_miss(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    python_row = ("--row", PYTHON_ROW)
    assert statuses(repo, *python_row) == ["ran"]
    assert statuses(repo, *python_row) == ["cached"]
    # a tracked source file changes
    replace_in(repo / "python/arco/src/arco_flow/client.py", '"""', '"""Edited. ', count=1)
    assert statuses(repo, *python_row) == ["ran"]
    assert statuses(repo, *python_row) == ["cached"]
    # the env the step sets changes
    workflow = repo / WORKFLOW
    replace_in(
        workflow,
        "      - name: CLI integration tests\n        working-directory: python/arco\n",
        "      - name: CLI integration tests\n        working-directory: python/arco\n        env:\n"
        '          ARCO_TRACE: "1"\n',
    )
    assert statuses(repo, *python_row) == ["ran"]
    # the command changes (the step and the matrix agree on the new one)
    replace_in(workflow, "tests/integration/test_cli_api.py -v", "tests/integration/test_cli_api.py -vv")
    replace_in(
        repo / "docs/parity/dagster-parity-matrix.md",
        "tests/integration/test_cli_api.py -v`",
        "tests/integration/test_cli_api.py -vv`",
        count=2,
    )
    assert statuses(repo, *python_row) == ["ran"]
    assert statuses(repo, *python_row) == ["cached"]
    # --no-cache bypasses
    assert statuses(repo, *python_row, "--no-cache") == ["ran"]


def test_a_truncated_entry_is_detected_and_re_run(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    assert statuses(repo, "--row", CARGO_ROW) == ["ran"]
    (entry,) = list((repo / ".parity-cache").glob("??/*.json"))
    full = entry.read_bytes()
    entry.write_bytes(full[: len(full) // 3])
    document = json.loads(parity(repo, "prove", "--row", CARGO_ROW, "--format", "json").stdout)
    assert [c["status"] for c in document["commands"]] == ["ran"]
    assert [r["verdict"] for r in document["rows"]] == ["proven"]
    rewritten = json.loads(entry.read_text())  # the torn entry was replaced by a whole one
    assert (rewritten["key"], rewritten["format"]) == (json.loads(full)["key"], 1)
    assert statuses(repo, "--row", CARGO_ROW) == ["cached"]
    # a source edit invalidates cargo results too
    replace_in(repo / "crates/arco-flow/src/orchestration/controllers/sensor.rs", "//", "// edited:", count=1)
    assert statuses(repo, "--row", CARGO_ROW) == ["ran"]


def test_concurrent_runs_share_one_cache_safely(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    argv = [
        sys.executable,
        "-m",
        "parity",
        "prove",
        "--repo",
        str(repo),
        "--row",
        PYTHON_ROW,
        "--row",
        CARGO_ROW,
        "--format",
        "json",
    ]
    first = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    second = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    outputs = [process.communicate(timeout=600) for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    for stdout, _ in outputs:
        document = json.loads(stdout)
        assert [r["verdict"] for r in document["rows"]] == ["proven", "proven"]
    assert statuses(repo, "--row", PYTHON_ROW, "--row", CARGO_ROW) == ["cached", "cached"]
    logs = repo / ".parity-cache" / "logs"
    assert not list(logs.glob(".*.partial")), "no torn log may remain"


REPLAYED = (
    "parity: nothing changed since the last complete run (files, options, toolchains): "
    "its report, replayed; --no-cache runs everything"
)


def test_an_unchanged_re_run_replays_the_whole_report(tmp_path: Path) -> None:
    repo = copy_example(tmp_path)
    rows = ("--row", CARGO_ROW, "--row", PYTHON_ROW)
    outcomes = repo / ".parity-cache" / "outcomes"
    first = parity(repo, "prove", *rows, "--format", "json")
    assert (first.returncode, REPLAYED in first.stderr) == (0, False)
    (entry,) = outcomes.glob("*.json")  # a complete run keeps its outcome
    replay = parity(repo, "prove", *rows, "--format", "json")
    assert (replay.returncode, REPLAYED in replay.stderr) == (0, True)
    before, after = json.loads(first.stdout), json.loads(replay.stdout)
    assert [c["status"] for c in before["commands"]] == ["ran", "ran"]
    assert [c["status"] for c in after["commands"]] == ["cached", "cached"]
    assert _without_timings(after["rows"]) == _without_timings(before["rows"])
    assert {k: v for k, v in after["summary"].items() if k != "duration_seconds"} == {
        k: v for k, v in before["summary"].items() if k != "duration_seconds"
    }
    for command in after["commands"]:  # the logs are the result cache's own, checked on the way
        assert command["log_path"].startswith(".parity-cache/")
        assert (repo / command["log_path"]).is_file()
    # The text report of a replay is the one a full re-check of the cached results prints.
    replayed_text = parity(repo, "prove", *rows).stdout.splitlines()
    entry.unlink()
    rechecked = parity(repo, "prove", *rows)
    assert REPLAYED not in rechecked.stderr
    assert replayed_text[:-1] == rechecked.stdout.splitlines()[:-1]  # the last line has the duration
    assert replayed_text[-1].startswith(
        "2/2 Implemented rows proven; 2 of 2 rows proven overall; 2 command(s)"
    )

    # Another --row is another outcome; a torn outcome is ignored, then rewritten whole.
    assert REPLAYED not in parity(repo, "prove", "--row", CARGO_ROW).stderr
    assert entry.is_file()  # the re-check kept the outcome again, under the same key
    entry.write_bytes(entry.read_bytes()[:100])
    torn = parity(repo, "prove", *rows, "--format", "json")
    assert REPLAYED not in torn.stderr
    assert [c["status"] for c in json.loads(torn.stdout)["commands"]] == ["cached", "cached"]
    assert REPLAYED in parity(repo, "prove", *rows).stderr

    # A command whose cache entry was damaged runs again: no replay vouches for it.
    (repo / after["commands"][0]["log_path"]).write_text("tampered\n")
    damaged = json.loads(parity(repo, "prove", *rows, "--format", "json").stdout)
    assert [c["status"] for c in damaged["commands"]] == ["ran", "cached"]

    # An edited file is a new outcome; a failing run replays as failing, with the same exit code.
    replace_in(repo / "python/arco/tests/integration/test_cli_api.py", "== 0\n", "== 1\n", count=1)
    failing = parity(repo, "prove", *rows, "--format", "json")
    assert (failing.returncode, REPLAYED in failing.stderr) == (1, False)
    again = parity(repo, "prove", *rows, "--format", "json")
    assert (again.returncode, REPLAYED in again.stderr) == (1, True)
    verdicts = [r["verdict"] for r in json.loads(again.stdout)["rows"]]
    assert verdicts == [r["verdict"] for r in json.loads(failing.stdout)["rows"]] == ["proven", "failed"]


def _without_timings(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_timings(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [_without_timings(v) for v in value]
    return value


@pytest.fixture(scope="module")
def sharded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One git copy of the example: a full run and three shard runs, all without the cache."""
    repo = copy_example(tmp_path_factory.mktemp("shards"))
    git(repo, "init", "-q")
    commit_all(repo, "initial", "2024-01-01T00:00:00")
    full = parity(repo, "prove", "--no-cache", "--json", str(repo.parent / "full.json"))
    shards = []
    for index in (1, 2, 3):
        done = parity(
            repo,
            "prove",
            "--no-cache",
            "--shard",
            f"{index}/3",
            "--json",
            str(repo.parent / f"shard{index}.json"),
        )
        assert done.returncode == 0, done.stderr
        shards.append(json.loads((repo.parent / f"shard{index}.json").read_text()))
    return {"repo": repo, "full": full, "shards": shards}


def test_shards_run_disjoint_sets_covering_the_plan(sharded: dict[str, Any]) -> None:
    shards = sharded["shards"]
    plan = shards[0]["shard"]["plan"]
    assert len(plan) == 7
    assigned = [set(s["shard"]["assigned"]) for s in shards]
    assert all(assigned)
    assert sum(len(a) for a in assigned) == len(plan)
    assert set().union(*assigned) == set(plan)
    for document in shards:
        ran = {c["key"] for c in document["commands"] if c["status"] == "ran"}
        assert ran == set(document["shard"]["assigned"])


def test_merge_equals_the_full_run(sharded: dict[str, Any]) -> None:
    repo = sharded["repo"]
    assert sharded["full"].returncode == 0
    merged = parity(
        repo,
        "merge",
        *(str(repo.parent / f"shard{i}.json") for i in (1, 2, 3)),
        "--json",
        str(repo.parent / "merged.json"),
    )
    assert merged.returncode == 0, merged.stderr
    full = json.loads((repo.parent / "full.json").read_text())
    mine = json.loads((repo.parent / "merged.json").read_text())
    assert _without_timings(mine["rows"]) == _without_timings(full["rows"])
    assert _without_timings(mine["commands"]) == _without_timings(full["commands"])
    assert mine["summary"]["claims_proven"] == full["summary"]["claims_proven"] == 17


def test_merge_refuses_a_missing_shard_and_a_shard_of_another_commit(sharded: dict[str, Any]) -> None:
    repo = sharded["repo"]
    shard = [str(repo.parent / f"shard{i}.json") for i in (1, 2, 3)]
    missing = parity(repo, "merge", shard[0], shard[2], check=False)
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        f"parity: error: {shard[0]}: shard(s) 2/3 missing (wait for every shard job, and pass all of their results)"
    )
    twice = parity(repo, "merge", shard[0], shard[0], shard[1], check=False)
    assert twice.returncode == 2
    assert f"{shard[0]}: shard 1/3 is given twice" in twice.stderr
    replace_in(repo / "README.md", "arco-mini", "arco-mini (edited)")
    commit_all(repo, "later", "2024-01-02T00:00:00")
    other = parity(repo, "merge", *shard, check=False)
    assert other.returncode == 2
    assert other.stderr.strip() == (
        f"parity: error: {shard[0]}: comes from a different commit than this checkout "
        "(run merge on the commit the shards ran)"
    )
