"""`parity signoff` / `verify-signoff` end to end on a git copy of the example (three real proves, shared)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import MATRIX, commit_all, git, git_example, line_of, replace_in

from parity.cli import main
from parity.manifest import version_key
from parity.model import Verdict
from parity.signoff import _blockers
from parity.verdicts import RowVerdict

DAILY = "Daily and static partition definitions enumerate keys deterministically"
TEST_FILE = "python/arco/tests/unit/test_types.py"
V1 = "docs/parity/signoff/v1.0.0.json"
V11 = "docs/parity/signoff/v1.1.0.json"
COMMANDS = [  # (kind, argv, cwd) of every command the example's sign-off runs, setup first
    ("setup", ["python", "-m", "pip", "install", "pytest"], "python/arco"),
    ("cargo", ["cargo", "test", "--workspace", "--all-features", "--exclude", "arco-flow"], ""),
    ("cargo", ["cargo", "test", "-p", "arco-flow", "--features", "test-utils", "--lib"], ""),
    (
        "cargo",
        [
            "cargo",
            "test",
            "-p",
            "arco-flow",
            "--features",
            "test-utils",
            "--tests",
            "--",
            "--skip",
            "parity_m2_",
        ],
        "",
    ),
    (
        "cargo",
        [
            "cargo",
            "test",
            "-p",
            "arco-flow",
            "--features",
            "test-utils",
            "--test",
            "orchestration_parity_gates_m2",
        ],
        "",
    ),
    ("pytest", ["python", "-m", "pytest", "tests/unit", "-q"], "python/arco"),
    ("pytest", ["python", "-m", "pytest", "tests/integration/test_cli_api.py", "-v"], "python/arco"),
    (
        "cargo",
        [
            "cargo",
            "test",
            "-p",
            "arco-flow",
            "--features",
            "test-utils",
            "--test",
            "orchestration_e2e",
            "--",
            "--ignored",
        ],
        "",
    ),
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    code: int
    out: str
    err: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Flow:
    repo: Path
    initial: str  # signed off as v1.0.0
    broken: str  # the commit that breaks a proven test, signed off as v1.1.0
    runs: dict[str, Run]
    manifests: dict[str, dict[str, object]]
    v1_bytes: bytes
    edited: Path
    elsewhere: Path  # the v1.1.0 manifest, checked while HEAD is the initial commit


def _cli(*argv: str | Path) -> Run:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in argv])
    return Run(code=code, out=out.getvalue(), err=err.getvalue())


def _blob(repo: Path, rev: str, path: str) -> bytes:
    done = subprocess.run(
        ["git", "cat-file", "blob", f"{rev}:{path}"], cwd=repo, capture_output=True, check=True
    )
    return done.stdout


def _canonical_digest(manifest: dict[str, object]) -> str:
    """The documented digest, computed independently of parity's own code."""
    body = {k: v for k, v in manifest.items() if k != "digest"}
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return "sha256:" + hashlib.sha256(blob).hexdigest()


@pytest.fixture(scope="module")
def flow(tmp_path_factory: pytest.TempPathFactory) -> Flow:
    """dirty refusal, v1.0.0, overwrite refusal, a regression (v1.1.0), its acceptance, verifications.

    Its own CARGO_TARGET_DIR: cargo names a workspace member's artifacts independently of the checkout's
    path and judges freshness by mtime, and copies keep the example's mtimes, so in the shared target
    dir a copy can run test binaries built from another test's mutated copy.
    """
    base = tmp_path_factory.mktemp("signoff")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CARGO_TARGET_DIR", str(base / "cargo-target"))
        return _run_flow(base)


def _run_flow(base: Path) -> Flow:
    repo = git_example(base)
    initial = git(repo, "rev-parse", "HEAD")
    runs: dict[str, Run] = {}
    manifests: dict[str, dict[str, object]] = {}
    replace_in(repo / MATRIX, "| TBD | Schema invariants only |", "| team-storage | Schema invariants only |")
    (repo / "notes.txt").write_text("draft\n", encoding="utf-8")
    runs["dirty"] = _cli("signoff", "--repo", repo, "--release", "v1.0.0")
    git(repo, "checkout", "--", MATRIX)
    (repo / "notes.txt").unlink()
    runs["v1.0.0"] = _cli("signoff", "--repo", repo, "--release", "v1.0.0")
    v1_bytes = (repo / V1).read_bytes()
    manifests["v1.0.0"] = json.loads(v1_bytes)
    runs["overwrite"] = _cli("signoff", "--repo", repo, "--release", "v1.0.0")
    commit_all(repo, "Sign off v1.0.0", "2024-01-02T12:00:00+00:00")
    edited = base / "edited.json"
    edited.write_bytes(v1_bytes.replace(b'"release": "v1.0.0"', b'"release": "v1.0.1"'))
    replace_in(repo / TEST_FILE, "keys(until) == expected", "keys(until) != expected")
    broken = commit_all(repo, "Break daily partition keys", "2024-01-03T12:00:00+00:00")
    runs["bad-previous"] = _cli("signoff", "--repo", repo, "--release", "v1.1.0", "--previous", edited)
    runs["regression"] = _cli("signoff", "--repo", repo, "--release", "v1.1.0")
    manifests["rejected"] = json.loads((repo / V11).read_text(encoding="utf-8"))
    (base / "rejected.json").write_bytes((repo / V11).read_bytes())
    runs["verify-rejected"] = _cli("verify-signoff", "--repo", repo, base / "rejected.json")
    runs["accepted"] = _cli(
        "signoff", "--repo", repo, "--release", "v1.1.0", "--force", "--accept-regression", DAILY
    )
    manifests["v1.1.0"] = json.loads((repo / V11).read_text(encoding="utf-8"))
    runs["verify"] = _cli("verify-signoff", "--repo", repo, repo / V1)
    runs["edited"] = _cli("verify-signoff", "--repo", repo, edited)
    elsewhere = base / "v1.1.0.json"
    elsewhere.write_bytes((repo / V11).read_bytes())
    git(repo, "switch", "-q", "--detach", initial)
    try:
        runs["not-ancestor"] = _cli("verify-signoff", "--repo", repo, elsewhere)
    finally:
        git(repo, "switch", "-q", "main")
    return Flow(
        repo=repo,
        initial=initial,
        broken=broken,
        runs=runs,
        manifests=manifests,
        v1_bytes=v1_bytes,
        edited=edited,
        elsewhere=elsewhere,
    )


@pytest.mark.cargo
def test_a_dirty_work_tree_is_refused_before_anything_runs(flow: Flow) -> None:
    run = flow.runs["dirty"]
    assert (run.code, run.out) == (2, "")
    assert run.err == (
        f"parity: error: {flow.repo.resolve()}: the work tree has 2 uncommitted change(s): {MATRIX}, notes.txt "
        "(commit or stash them: a sign-off proves a commit, not a work tree)\n"
    )


@pytest.mark.cargo
def test_a_clean_commit_is_signed_off(flow: Flow) -> None:
    manifest = flow.manifests["v1.0.0"]
    run = flow.runs["v1.0.0"]
    assert run.code == 0
    assert run.out.splitlines() == [
        "sign-off v1.0.0: accepted",
        f"  commit {flow.initial[:12]}: 17/17 Implemented rows proven, 0 blocking row(s), "
        "0 accepted by --accept-regression",
        "  compared with: no previous sign-off",
        f"  manifest: {V1}",
        f"  digest: {manifest['digest']}",
    ]
    assert sorted(manifest) == [
        "accepted",
        "blocking",
        "commands",
        "created",
        "digest",
        "evidence",
        "git",
        "matrices",
        "parity_version",
        "previous",
        "release",
        "rows",
        "schema",
        "summary",
        "toolchain",
    ]
    assert (manifest["schema"], manifest["release"], manifest["accepted"]) == (
        "parity-signoff/1",
        "v1.0.0",
        True,
    )
    assert (manifest["previous"], manifest["blocking"], manifest["matrices"]) == (None, [], [MATRIX])
    tree = git(flow.repo, "rev-parse", f"{flow.initial}^{{tree}}")
    assert manifest["git"] == {"sha": flow.initial, "tree": tree, "prefix": "", "changed_during_prove": []}
    assert manifest["digest"] == _canonical_digest(manifest)
    assert (
        flow.v1_bytes == (json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n").encode()
    )


@pytest.mark.cargo
def test_the_manifest_records_the_toolchain_as_the_commands_saw_it(flow: Flow) -> None:
    def version(*argv: str) -> str:
        return subprocess.run(argv, cwd=flow.repo, capture_output=True, text=True, check=True).stdout.strip()

    assert flow.manifests["v1.0.0"]["toolchain"] == {
        "cargo": version("cargo", "--version"),
        "rustc": version("rustc", "--version"),
        "python": version("python", "--version"),
        "parity_python": platform.python_version(),
        "platform": platform.platform(),
    }


@pytest.mark.cargo
def test_the_manifest_records_every_command_with_its_log_digest(flow: Flow) -> None:
    commands = flow.manifests["v1.0.0"]["commands"]
    assert isinstance(commands, list)
    assert [(c["kind"], c["argv"], c["cwd"]) for c in commands] == COMMANDS
    assert {(c["status"], c["exit_code"]) for c in commands} == {("ran", 0)}
    assert commands[1]["executed_argv"] == [
        "cargo",
        "test",
        "--no-fail-fast",
        "--workspace",
        "--all-features",
        "--exclude",
        "arco-flow",
    ]
    assert commands[5]["executed_argv"] == [
        *COMMANDS[5][1],
        f"--junitxml=.parity-cache/logs/{commands[5]['key']}.xml",
    ]
    assert commands[3]["env_keys"] == ["ARCO_TEST_SEED", "CARGO_TERM_COLOR", "RUST_BACKTRACE"]
    # The later sign-offs reran the test commands (same keys, same log files): check v1.1.0's digests.
    latest = flow.manifests["v1.1.0"]["commands"]
    assert isinstance(latest, list)
    for command in latest[1:]:
        log = flow.repo / ".parity-cache" / "logs" / f"{command['key']}.log"
        assert command["log_sha256"] == hashlib.sha256(log.read_bytes()).hexdigest(), command["argv"]


@pytest.mark.cargo
def test_the_manifest_records_verdicts_and_evidence_digests(flow: Flow) -> None:
    manifest = flow.manifests["v1.0.0"]
    rows = manifest["rows"]
    assert isinstance(rows, list)
    assert len(rows) == 24
    assert [r["verdict"] for r in rows if r["claims_proof"]] == ["proven"] * 17
    daily = next(r for r in rows if r["capability"] == DAILY)
    assert daily == {
        "file": MATRIX,
        "line": line_of(flow.repo / MATRIX, f"| {DAILY}"),
        "section": "Partitions",
        "capability": DAILY,
        "status": "Implemented",
        "claims_proof": True,
        "verdict": "proven",
        "reasons": [],
        "tests": [
            {
                "label": f"{TEST_FILE}::test_daily_partition_keys",
                "verdict": "proven",
                "command": "(cd python/arco && python -m pytest tests/unit -q)",
            },
            {
                "label": f"{TEST_FILE}::test_static_partitions_reject_duplicates",
                "verdict": "proven",
                "command": "(cd python/arco && python -m pytest tests/unit -q)",
            },
        ],
    }
    evidence = manifest["evidence"]
    assert isinstance(evidence, dict)
    assert {MATRIX, "parity.toml", ".github/workflows/ci.yml", TEST_FILE} <= set(evidence)
    assert "docs/plans" not in " ".join(evidence)
    for path, digest in evidence.items():
        assert digest == hashlib.sha256(_blob(flow.repo, flow.initial, path)).hexdigest(), path


@pytest.mark.cargo
def test_an_existing_manifest_is_not_overwritten(flow: Flow) -> None:
    run = flow.runs["overwrite"]
    assert (run.code, run.out) == (2, "")
    assert run.err == (
        f"parity: error: {V1}: already exists; refusing to overwrite it (pass --force to replace it)\n"
    )
    assert _blob(flow.repo, "HEAD~1", V1) == flow.v1_bytes


@pytest.mark.cargo
def test_a_tampered_previous_manifest_is_refused(flow: Flow) -> None:
    run = flow.runs["bad-previous"]
    assert (run.code, run.out) == (2, "")
    edited = json.loads(flow.edited.read_text(encoding="utf-8"))
    assert run.err == (
        f"parity: error: {flow.edited}: digest mismatch: the manifest records {edited['digest']} but its "
        f"content hashes to {_canonical_digest(edited)} (it was edited after the sign-off) "
        "(restore it from git, or name the previous sign-off with --previous)\n"
    )


@pytest.mark.cargo
def test_a_regression_fails_the_sign_off_and_names_the_row(flow: Flow) -> None:
    run = flow.runs["regression"]
    rejected = flow.manifests["rejected"]
    line = line_of(flow.repo / MATRIX, f"| {DAILY}")
    detail = (
        f"{TEST_FILE}::test_daily_partition_keys: failed "
        f"(`{TEST_FILE}::test_daily_partition_keys[before-start]` failed)"
    )
    assert run.code == 1
    assert run.out.splitlines() == [
        "sign-off v1.1.0: NOT accepted",
        f"  commit {flow.broken[:12]}: 16/17 Implemented rows proven, 1 blocking row(s), "
        "0 accepted by --accept-regression",
        f"  compared with: {V1}",
        f"  blocking  {MATRIX}:{line}  {DAILY}: regression: proven in v1.0.0, now failed",
        f"            {detail}",
        f'  manifest: {V11} (it records "accepted": false)',
        f"  digest: {rejected['digest']}",
    ]
    assert rejected["accepted"] is False
    assert rejected["previous"] == {
        "release": "v1.0.0",
        "file": V1,
        "digest": flow.manifests["v1.0.0"]["digest"],
    }
    assert rejected["blocking"] == [
        {
            "file": MATRIX,
            "line": line,
            "section": "Partitions",
            "capability": DAILY,
            "status": "Implemented",
            "verdict": "failed",
            "reason": "regression: proven in v1.0.0, now failed",
            "detail": detail,
            "accepted": False,
        }
    ]


@pytest.mark.cargo
def test_a_rejected_sign_off_does_not_verify(flow: Flow) -> None:
    run = flow.runs["verify-rejected"]
    assert run.code == 1
    assert run.out.splitlines()[1:] == [
        "  - it records a sign-off that was not accepted (1 blocking row(s))",
        "  evidence: all 28 cited file(s) unchanged since the sign-off",
    ]


@pytest.mark.cargo
def test_an_accepted_regression_signs_off_and_force_overwrites(flow: Flow) -> None:
    run = flow.runs["accepted"]
    manifest = flow.manifests["v1.1.0"]
    line = line_of(flow.repo / MATRIX, f"| {DAILY}")
    assert run.code == 0
    assert run.out.splitlines()[:4] == [
        "sign-off v1.1.0: accepted",
        f"  commit {flow.broken[:12]}: 16/17 Implemented rows proven, 1 blocking row(s), "
        "1 accepted by --accept-regression",
        f"  compared with: {V1}",
        f"  accepted  {MATRIX}:{line}  {DAILY}: regression: proven in v1.0.0, now failed",
    ]
    assert manifest["accepted"] is True
    assert manifest["digest"] == _canonical_digest(manifest) != flow.manifests["rejected"]["digest"]
    blocking = manifest["blocking"]
    assert isinstance(blocking, list)
    assert [(b["capability"], b["accepted"]) for b in blocking] == [(DAILY, True)]


@pytest.mark.cargo
def test_verify_reports_evidence_changed_since_the_sign_off(flow: Flow) -> None:
    run = flow.runs["verify"]
    created = flow.manifests["v1.0.0"]["created"]
    assert run.code == 0
    assert run.out == (
        f"{flow.repo / V1}: valid sign-off of v1.0.0 (commit {flow.initial[:12]}, {created})\n"
        "  evidence: 1 of 28 cited file(s) changed since the sign-off (its proof may not hold for them any more):\n"
        f"    changed  {TEST_FILE}\n"
    )
    assert len(flow.manifests["v1.0.0"]["evidence"]) == 28  # type: ignore[arg-type]


@pytest.mark.cargo
def test_verify_catches_a_one_byte_edit(flow: Flow) -> None:
    assert sum(a != b for a, b in zip(flow.v1_bytes, flow.edited.read_bytes(), strict=True)) == 1
    run = flow.runs["edited"]
    edited = json.loads(flow.edited.read_text(encoding="utf-8"))
    assert run.code == 1
    assert run.out.splitlines()[:2] == [
        f"{flow.edited}: INVALID sign-off of v1.0.1 (commit {flow.initial[:12]}, {edited['created']})",
        f"  - digest mismatch: the manifest records {edited['digest']} but its content hashes to "
        f"{_canonical_digest(edited)} (it was edited after the sign-off)",
    ]


@pytest.mark.cargo
def test_verify_catches_a_reformatted_manifest(flow: Flow, tmp_path: Path) -> None:
    spaced = tmp_path / "spaced.json"
    spaced.write_bytes(flow.v1_bytes.replace(b'\n  "accepted"', b'\n   "accepted"', 1))
    run = _cli("verify-signoff", "--repo", flow.repo, spaced)
    assert run.code == 1
    assert run.out.splitlines()[1] == (
        "  - the file differs from parity's rendering of it at line 2 "
        "(whitespace or layout edited; the content digest matches)"
    )


@pytest.mark.cargo
def test_verify_catches_a_commit_that_is_not_an_ancestor(flow: Flow) -> None:
    run = flow.runs["not-ancestor"]
    created = flow.manifests["v1.1.0"]["created"]
    assert run.code == 1
    assert run.out == (
        f"{flow.elsewhere}: INVALID sign-off of v1.1.0 (commit {flow.broken[:12]}, {created})\n"
        f"  - commit {flow.broken[:12]} is not an ancestor of HEAD ({flow.initial[:12]}): "
        "the sign-off belongs to another line of history\n"
        "  evidence: 1 of 28 cited file(s) changed since the sign-off (its proof may not hold for them any more):\n"
        f"    changed  {TEST_FILE}\n"
    )


@pytest.mark.cargo
def test_verify_of_an_unknown_commit_and_of_a_non_manifest(flow: Flow, tmp_path: Path) -> None:
    manifest = dict(flow.manifests["v1.0.0"])
    manifest["git"] = {**manifest["git"], "sha": "0" * 40}  # type: ignore[dict-item]
    manifest["digest"] = _canonical_digest(manifest)
    forged = tmp_path / "forged.json"
    forged.write_text(
        json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    run = _cli("verify-signoff", "--repo", flow.repo, forged)
    assert run.code == 1
    assert run.out.splitlines()[1] == (
        f"  - commit {'0' * 40} does not exist in this repository (fetch it, or check --repo)"
    )
    broken = tmp_path / "broken.json"
    broken.write_text('{"schema": ', encoding="utf-8")
    run = _cli("verify-signoff", "--repo", flow.repo, broken)
    assert (run.code, run.out) == (2, "")
    assert run.err == f"parity: error: {broken}:1:12: not valid JSON: Expecting value\n"
    other = tmp_path / "other.json"
    other.write_text("{}", encoding="utf-8")
    run = _cli("verify-signoff", "--repo", flow.repo, other)
    assert run.err == (
        f'parity: error: {other}: not a parity sign-off manifest (its "schema" must be "parity-signoff/1")\n'
    )


def test_signoff_outside_git_and_with_a_bad_release_name(example: Path) -> None:
    run = _cli("signoff", "--repo", example, "--release", "v1.0.0")
    assert (run.code, run.out) == (2, "")
    assert run.err == (
        f"parity: error: {example.resolve()}: cannot read the git state: not a git repository (or any of the "
        "parent directories): .git (a sign-off records a commit: run it in a git clone of the repository)\n"
    )
    run = _cli("signoff", "--repo", example, "--release", "../v1")
    assert run.err == (
        "parity: error: ../v1: not a usable release name (use letters, digits and . _ + - (e.g. v1.2.0))\n"
    )


def _verdict(line: int, capability: str, verdict: Verdict, status: str = "Implemented") -> RowVerdict:
    return RowVerdict(
        path=MATRIX,
        line=line,
        section="S",
        capability=capability,
        status=status,
        verdict=verdict,
        claims_proof=status == "Implemented",
        reasons=(f"{capability}: {verdict.value}",) if verdict is not Verdict.PROVEN else (),
    )


def test_blocking_rows_removed_regressed_unproven_and_accepted() -> None:
    previous = {
        "release": "v1.0.0",
        "rows": [
            {
                "file": MATRIX,
                "line": 5,
                "section": "S",
                "capability": "gone",
                "status": "Implemented",
                "verdict": "proven",
            },
            {
                "file": MATRIX,
                "line": 6,
                "section": "S",
                "capability": "partial",
                "status": "Partial",
                "verdict": "proven",
            },
            {
                "file": MATRIX,
                "line": 7,
                "section": "S",
                "capability": "never",
                "status": "Implemented",
                "verdict": "failed",
            },
        ],
    }
    rows = [
        _verdict(6, "partial", Verdict.NOT_RUN, status="Partial"),
        _verdict(7, "never", Verdict.FAILED),
        _verdict(8, "flaky", Verdict.FLAKY),
        _verdict(9, "fine", Verdict.PROVEN),
    ]
    blockers, unused = _blockers(rows, previous, ["7", "gone", "nothing"])
    assert [(b.line, b.capability, b.verdict, b.reason, b.accepted) for b in blockers] == [
        (6, "partial", "not run", "regression: proven in v1.0.0, now not run", False),
        (7, "never", "failed", "Implemented but failed", True),
        (8, "flaky", "flaky", "Implemented but flaky", False),  # a flaky pass is no proof for a release
        (5, "gone", "removed", "regression: proven in v1.0.0, no longer in the matrix", True),
    ]
    assert unused == ["nothing"]


@pytest.mark.parametrize(
    ("lower", "higher"),
    [
        ("v1.9.0", "v1.10.0"),
        ("v1.9.0-rc.1", "v1.9.0"),
        ("v1.9.0-rc.2", "v1.9.0-rc.10"),
        ("v1.9.0-alpha", "v1.9.0-beta"),
        ("1.2", "v1.2.1"),
        ("v2", "v10.0.0"),
    ],
)
def test_release_order(lower: str, higher: str) -> None:
    low, high = version_key(lower), version_key(higher)
    assert low is not None
    assert high is not None
    assert low < high


def test_release_names_that_are_not_versions() -> None:
    assert version_key("v1.2.0") == version_key("1.2")
    assert version_key("nightly") is None
    assert version_key("v1.2.x") is None
