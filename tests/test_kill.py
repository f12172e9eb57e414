"""Kill parity at random moments: the user's files are whole (old or new), with no temp files beside them.

`parity fix --write` and `parity prove` run for real on one copy of the example (built once through
the shared CARGO_TARGET_DIR) and get SIGKILL or SIGINT after a random delay drawn with a fixed seed.
After each kill the repository is compared with a snapshot taken before it; `.parity-cache/` (logs)
is parity's own and may change. Processes a SIGKILL orphans (cargo runs in its own session) are found
by a token in their environment and killed by pid.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from conftest import MATRIX, ROOT, copy_example, replace_in

from parity import cli

pytestmark = pytest.mark.cargo

SEED = 20_240_607
FIX_KILLS, PROVE_KILLS = 30, 20  # 50 kill points; a prove run costs about twice a fix run
TOKEN_VARIABLE = "PARITY_KILL_TEST_TOKEN"
OWN = (".parity-cache",)  # parity's cache: logs may be partial, that is what they are for


def _has_option(verb: str, option: str) -> bool:
    module = cli._verbs().get(verb)
    if module is None:
        return False
    parser = argparse.ArgumentParser()
    module.configure(parser)
    return option in parser._option_string_actions


def snapshot(repo: Path) -> dict[str, str]:
    """sha256 of every file the user owns (not parity's cache, not a killed writer's temp file)."""
    files = {}
    for path in sorted(repo.rglob("*")):
        rel = path.relative_to(repo).as_posix()
        if path.is_file() and not rel.startswith(OWN) and not _dead_writers_temp(path):
            files[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return files


def _dead_writers_temp(path: Path) -> bool:
    """`.NAME.<pid>.XXXX.tmp` whose writer is gone: the next write of NAME removes it."""
    if not (path.name.startswith(".") and path.name.endswith(".tmp")):
        return False
    parts = path.name[1:].removesuffix(".tmp").rsplit(".", 2)
    return len(parts) == 3 and parts[1].isdigit() and not Path(f"/proc/{parts[1]}").exists()


def temp_files(top: Path) -> list[str]:
    """Temp files that would stay: `.NAME.<pid>.XXXX.tmp` of a live writer, or not parity's at all.

    A SIGKILL between mkstemp and rename can leave a dead writer's temp file; the next write of
    the same file removes it (tests/test_atomicfile.py proves that), so only those are tolerated.
    """
    return sorted(p.relative_to(top).as_posix() for p in top.rglob(".*.tmp") if not _dead_writers_temp(p))


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


class Launcher:
    """Start parity with a token in its environment, so everything it spawns can be found again."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.token = uuid.uuid4().hex
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), TOKEN_VARIABLE: self.token}

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "parity", *args],
            cwd=self.cwd,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            # A suite started in the background inherits SIGINT ignored: then no kill here is a Ctrl-C.
            preexec_fn=_default_sigint,  # noqa: PLW1509 - the test process starts no threads
        )

    def run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "parity", *args],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            check=False,
            timeout=600,
        )

    def kill_at(self, process: subprocess.Popen[bytes], delay: float, sig: signal.Signals) -> bytes:
        """Send `sig` after `delay` seconds (unless it already ended); reap it and its orphans."""
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.send_signal(sig)
        _, err = process.communicate(timeout=60)
        self.reap_orphans()
        return err

    def reap_orphans(self) -> None:
        """SIGKILL cannot be handled: the command parity started lives on in its own session."""
        for _ in range(100):
            found = self._ours()
            if not found:
                return
            for pid in found:
                try:
                    os.killpg(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            time.sleep(0.05)
        raise AssertionError(f"processes with {TOKEN_VARIABLE} would not die: {self._ours()}")

    def _ours(self) -> list[int]:
        marker = f"{TOKEN_VARIABLE}={self.token}".encode()
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or int(entry.name) == os.getpid():
                continue
            try:
                environ = (entry / "environ").read_bytes()
                state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if marker in environ.split(b"\0") and state != "Z":
                found.append(int(entry.name))
        return found


# Exit codes a kill may leave: done (0), interrupted (130), or killed by the signal; Python itself
# exits 1 when Ctrl-C lands while the interpreter is still starting. Never 2 or 3 (an internal error).
KILLED = {0, 1, 130, -signal.SIGINT, -signal.SIGKILL}


def kill_points(rng: random.Random, span: float, count: int) -> list[tuple[float, signal.Signals]]:
    """Delays over 1.3 x a whole run: some kills land after the run is over, as a control."""
    return [(rng.uniform(0.0, 1.3 * span), rng.choice((signal.SIGKILL, signal.SIGINT))) for _ in range(count)]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the example for the whole module: cargo builds it once at this path."""
    return copy_example(tmp_path_factory.mktemp("kill"))


@pytest.mark.skipif(not _has_option("fix", "--write"), reason="`parity fix --write` does not exist yet")
def test_fix_write_killed_anywhere_leaves_the_old_or_the_new_matrix(built: Path) -> None:
    fold = built / "crates/arco-flow/src/orchestration/compactor/fold.rs"
    original = fold.read_bytes()
    replace_in(fold, "use ", "// two lines of drift\n// so that refs move\nuse ")
    launcher = Launcher(built.parent)
    matrix = built / MATRIX
    old = matrix.read_bytes()
    try:
        started = time.monotonic()
        done = launcher.run("fix", "--write", "--repo", str(built))
        span = time.monotonic() - started
        assert done.returncode == 0, done.stderr.decode()
        new = matrix.read_bytes()
        assert new != old
        others = {k: v for k, v in snapshot(built).items() if k != MATRIX}
        outcomes, codes = set(), set()
        for delay, sig in kill_points(random.Random(SEED), span, FIX_KILLS):
            matrix.write_bytes(old)
            process = launcher.start("fix", "--write", "--repo", str(built))
            err = launcher.kill_at(process, delay, sig)
            now = matrix.read_bytes()
            assert now in (old, new), f"torn matrix after {sig.name} at {delay:.2f}s"
            outcomes.add(now == new)
            codes.add(process.returncode)
            assert process.returncode in KILLED, err.decode()
            assert {k: v for k, v in snapshot(built).items() if k != MATRIX} == others
            assert temp_files(built) == []
        assert outcomes == {False, True}  # the kills landed both before and after the rename
        assert {130, -signal.SIGKILL} <= codes
    finally:
        fold.write_bytes(original)
        matrix.write_bytes(old)


def test_prove_killed_anywhere_leaves_every_user_file_intact(built: Path, tmp_path: Path) -> None:
    launcher = Launcher(built.parent)
    report_flag = _has_option("prove", "--json")
    args = ["prove", "--repo", str(built), "--row", "25"]  # one `cargo test --lib` command
    warm = launcher.run(*args)  # builds what the rows need; the kills then land in parity, not rustc
    assert warm.returncode == 0, warm.stderr.decode()
    before = snapshot(built)
    # Half the kills land in a run of the command (--no-cache), half in a re-run that replays.
    variants = [[*args, "--no-cache"], args]
    spans = []
    for variant in variants:
        started = time.monotonic()
        assert launcher.run(*variant).returncode == 0
        spans.append(time.monotonic() - started)
    points = [
        (variants[number % 2], delay * spans[number % 2] / spans[0], sig)
        for number, (delay, sig) in enumerate(kill_points(random.Random(SEED + 1), spans[0], PROVE_KILLS))
    ]
    codes = set()
    for index, (variant, delay, sig) in enumerate(points):
        report = tmp_path / f"report-{index}.json"
        process = launcher.start(*variant, *(["--json", str(report)] if report_flag else []))
        err = launcher.kill_at(process, delay, sig)
        codes.add(process.returncode)
        assert process.returncode in KILLED, err.decode()
        assert snapshot(built) == before, f"user files changed after {sig.name} at {delay:.2f}s"
        assert temp_files(built) == []
        assert temp_files(tmp_path) == []
        if report.exists():  # complete, valid JSON or nothing
            document = json.loads(report.read_text(encoding="utf-8"))
            # A report marked interrupted comes from a run that then exited 130 (the converse has a
            # race: Ctrl-C just after the report is written still exits 130).
            assert not document["interrupted"] or process.returncode == 130
    assert {130, -signal.SIGKILL} <= codes


def test_ctrl_c_while_parity_loads_its_verbs_is_a_clean_interrupt(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def interrupted(*_: object) -> dict[str, object]:
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_verbs", interrupted)
    try:
        code = cli.main(["check"])
    except KeyboardInterrupt:
        pytest.fail("KeyboardInterrupt escaped parity.cli.main")
    assert (code, capsys.readouterr().err) == (130, "parity: interrupted\n")
