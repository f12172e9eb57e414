"""A corpus of malformed inputs: each one yields its documented one-line error, never a traceback.

Every case is a directory under tests/data/malformed/ with a `case.toml` (what to run and the exact
expected result) and the files it breaks: `repo/` is laid over a copy of `_base/` (a tiny valid
repository), `delete` removes files first, `symlinks` adds links, and `generate` writes inputs too
big to commit. JUnit reports and libtest logs are parsed directly. README.md there lists every case.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from parity.cli import main
from parity.errors import InputError
from parity.junit import parse_junit
from parity.libtest import parse_libtest_lines

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "malformed"
BASE = DATA / "_base"
MATRIX = "docs/parity/dagster-parity-matrix.md"
WORKFLOW = ".github/workflows/ci.yml"
MiB = 1024 * 1024
CLI_MODES = ("check", "dry-run", "prove")


def _load(name: str) -> dict[str, Any]:
    return tomllib.loads((DATA / name / "case.toml").read_text(encoding="utf-8"))


NAMES = sorted(p.name for p in DATA.iterdir() if p.is_dir() and not p.name.startswith("_"))
CASES = {name: _load(name) for name in NAMES}


def _params(names: list[str]) -> list[Any]:
    return [
        pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=CASES[name]["xfail"]))
        if "xfail" in CASES[name]
        else name
        for name in names
    ]


def _generate(kind: str, repo: Path) -> None:
    """Inputs too big to commit, written at exactly the size the case names."""
    if kind == "matrix-50mb":
        path, size = repo / MATRIX, 50 * MiB
    elif kind == "workflow-6mb":
        path, size = repo / WORKFLOW, 6 * MiB
    else:
        raise AssertionError(f"unknown generator {kind!r}")
    head = path.read_bytes()
    filler = b"# padding line for a huge input\n" if path.suffix == ".yml" else (head.splitlines(True)[-1])
    with path.open("wb") as out:
        out.write(head)
        written = len(head)
        while written + len(filler) <= size:
            out.write(filler)
            written += len(filler)
        out.write(b"\n" * (size - written))
    assert path.stat().st_size == size


def build_repo(name: str, tmp_path: Path) -> Path:
    """`_base` + the case's `delete`, `repo/` overlay, `symlinks` and `generate`."""
    case = CASES[name]
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(BASE / MATRIX, outside / "matrix.md")
    repo = tmp_path / "repo"
    shutil.copytree(BASE, repo)
    for rel in case.get("delete", []):
        target = repo / rel
        if target.is_dir():
            shutil.rmtree(target)
        else:
            target.unlink()
    if (DATA / name / "repo").is_dir():
        shutil.copytree(DATA / name / "repo", repo, dirs_exist_ok=True)
    for rel, link in case.get("symlinks", []):
        (repo / rel).symlink_to(link.format(outside=outside))
    if "generate" in case:
        _generate(case["generate"], repo)
    return repo


def _argv(name: str, repo: Path, *, json_output: bool = False) -> list[str]:
    case = CASES[name]
    mode = case.get("mode", "check")
    verb = {"check": ["check"], "dry-run": ["prove", "--dry-run"], "prove": ["prove"]}[mode]
    fmt = ["--format", "json"] if json_output or mode == "prove" else []
    return [*verb, "--repo", str(repo), *fmt, *case.get("args", [])]


def _run_cli(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    repo = build_repo(name, tmp_path)
    case = CASES[name]
    if case.get("path") == "empty":
        empty = tmp_path / "empty-bin"
        empty.mkdir()
        monkeypatch.setenv("PATH", str(empty))
    capsys.readouterr()
    code = main(_argv(name, repo, json_output="finding" in case))
    out, err = capsys.readouterr()
    return code, out, err


def _rendered(finding: dict[str, Any]) -> str:
    return (
        f"{finding['file']}:{finding['line']}: {finding['severity']} [{finding['code']}] "
        f"{finding['ref']}: {finding['message']} ({finding['hint']})"
    )


def test_corpus_is_large_and_documented() -> None:
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    listed = [line.split("`")[1] for line in readme.splitlines() if line.startswith("- `")]
    assert listed == NAMES
    assert len(NAMES) >= 40
    for name in NAMES:
        assert CASES[name]["description"], name


@pytest.mark.parametrize("name", _params([n for n in NAMES if CASES[n].get("mode", "check") in CLI_MODES]))
def test_cli_reports_the_documented_error(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    case = CASES[name]
    code, out, err = _run_cli(name, tmp_path, capsys, monkeypatch)
    assert code == case["exit"]
    if "stderr" in case:  # unusable input: one line on stderr, nothing on stdout
        assert (out, err) == ("", case["stderr"] + "\n")
    elif "finding" in case:  # a broken evidence file is a finding of the row that cites it
        assert err == ""
        findings = [_rendered(f) for f in json.loads(out)["findings"]]
        assert case["finding"] in findings
    else:  # prove: every test of the row is an error verdict with the reason
        assert "Traceback" not in err
        (row,) = json.loads(out)["rows"]
        assert row["verdict"] == case["verdict"]
        assert [(t["verdict"], t["reason"]) for t in row["tests"]] == [(case["verdict"], case["reason"])]


@pytest.mark.parametrize("name", [n for n in NAMES if CASES[n].get("mode", "check") in CLI_MODES])
def test_cli_exit_code_is_documented_even_where_the_message_is_not_yet(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = _run_cli(name, tmp_path, capsys, monkeypatch)
    assert code == CASES[name]["exit"]
    assert "Traceback" not in err
    assert "internal error" not in err


@pytest.mark.parametrize("name", _params([n for n in NAMES if CASES[n].get("mode") == "junit"]))
def test_junit_reports_the_documented_error(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(DATA / name)
    with pytest.raises(InputError) as caught:
        parse_junit(CASES[name]["input"])
    assert caught.value.render() == CASES[name]["error"]


@pytest.mark.parametrize("name", [n for n in NAMES if CASES[n].get("mode") == "libtest"])
def test_libtest_log_cut_mid_line_is_an_incomplete_binary_not_an_error(name: str) -> None:
    case = CASES[name]
    with (DATA / name / case["input"]).open(encoding="utf-8") as log:
        run = parse_libtest_lines(log)
    assert [[r.name, r.outcome.value] for r in run.results] == case["results"]
    assert [[str(s.binary), s.complete, s.running] for s in run.binaries] == case["binaries"]
    assert [[a.kind.value, a.log_line, a.message] for a in run.all_anomalies()] == case["anomalies"]


@pytest.mark.parametrize("name", ["matrix-50mb", "workflow-billion-laughs", "config-invalid-toml"])
def test_a_real_process_prints_exactly_one_line(name: str, tmp_path: Path) -> None:
    """No traceback, no warning, no progress: the whole of stderr is the documented line."""
    repo = build_repo(name, tmp_path)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "parity", *_argv(name, repo)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=120,
    )
    assert (done.returncode, done.stdout, done.stderr) == (2, "", CASES[name]["stderr"] + "\n")


def _row_findings(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> list[tuple[str, str, str]]:
    repo = build_repo(name, tmp_path)
    capsys.readouterr()
    main(["check", "--format", "json", "--repo", str(repo)])
    return [(f["code"], f["ref"], f["message"]) for f in json.loads(capsys.readouterr().out)["findings"]]


@pytest.mark.parametrize("name", ["python-test-syntax-error", "rust-source-not-utf8", "cargo-toml-syntax"])
def test_an_unreadable_test_file_is_reported_once_per_ref(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    findings = _row_findings(name, tmp_path, capsys)
    assert [code for code, _, _ in findings] == ["source-unreadable"] * len({ref for _, ref, _ in findings})


def test_an_unreadable_manifest_is_named_with_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    findings = _row_findings("cargo-toml-syntax", tmp_path, capsys)
    assert (
        "source-unreadable",
        "src/lib.rs:3",
        "Cargo.toml:2: cannot parse Cargo.toml: Illegal character '\\n'",
    ) in (findings)
