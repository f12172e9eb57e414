"""How the benchmarks run parity and time it: this checkout's parity in a fresh process, wall and CPU time."""

from __future__ import annotations

import contextlib
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

__all__ = [
    "ROOT",
    "Figure",
    "Timing",
    "bench_env",
    "best_of",
    "compile_parity",
    "copy_tree",
    "machine_facts",
    "parity_argv",
    "peak_rss_argv",
    "read_peak_rss",
    "run_timed",
    "scratch",
]

ROOT = Path(__file__).resolve().parent.parent  # the checkout whose parity is measured
EXAMPLE = ROOT / "examples" / "arco-mini"

# `python -c LAUNCH <checkout> <args>`: this checkout's parity (installed or not), as `python -m parity`.
_LAUNCH = (
    "import runpy, sys\n"
    "sys.path.insert(0, sys.argv.pop(1))\n"
    "runpy.run_module('parity', run_name='__main__', alter_sys=True)\n"
)
# The same, writing the process's own peak RSS in KiB to a file as it exits. Children (the commands
# prove runs) are separate processes and are not counted. On Linux this reads VmHWM: `ru_maxrss` of
# RUSAGE_SELF is no good here, because the kernel carries the parent's peak across fork + exec, so
# the child would report the (larger) benchmark process's own peak.
_LAUNCH_RSS = (
    "import atexit, resource, runpy, sys\n"
    "report = sys.argv.pop(2)\n"
    "sys.path.insert(0, sys.argv.pop(1))\n"
    "def _peak():\n"
    "    try:\n"
    "        with open('/proc/self/status', encoding='ascii') as status:\n"
    "            return next(int(l.split()[1]) for l in status if l.startswith('VmHWM:'))\n"
    "    except (OSError, StopIteration):\n"
    "        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "def _report():\n"
    "    with open(report, 'w', encoding='ascii') as handle:\n"
    "        handle.write(str(_peak()))\n"
    "atexit.register(_report)\n"
    "runpy.run_module('parity', run_name='__main__', alter_sys=True)\n"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Figure:
    """One line of the results table; `passed` is None for a figure without a target."""

    benchmark: str
    figure: str
    target: str
    passed: bool | None
    detail: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Timing:
    wall: float
    cpu: float  # user + system time of the process and everything it waited for
    exit_code: int


def parity_argv(*args: str) -> list[str]:
    return [sys.executable, "-c", _LAUNCH, str(ROOT), *args]


def peak_rss_argv(report: Path, *args: str) -> list[str]:
    return [sys.executable, "-c", _LAUNCH_RSS, str(ROOT), str(report), *args]


def read_peak_rss(report: Path) -> int:
    """Peak RSS in bytes, as written by a `peak_rss_argv` process."""
    return int(report.read_text(encoding="ascii")) * 1024


def compile_parity() -> int:
    """Byte-compile the measured parity, as `pip install` does; return how many modules were compiled.

    Under PYTHONDONTWRITEBYTECODE=1 (set on some machines, CI included) a checkout or an editable
    install is never byte-compiled, so every run would pay to compile ~90 modules: a cost no user of
    an installed parity pays, which would be charged to parity's start-up in every figure.
    """
    import compileall  # noqa: PLC0415
    import io  # noqa: PLC0415

    before = sum(1 for _ in (ROOT / "parity").rglob("__pycache__/*.pyc"))
    with contextlib.redirect_stdout(io.StringIO()):
        ok = compileall.compile_dir(ROOT / "parity", quiet=1)
    if not ok:
        sys.exit("bench: parity does not byte-compile")
    return sum(1 for _ in (ROOT / "parity").rglob("__pycache__/*.pyc")) - before


def bench_env(**extra: str) -> dict[str, str]:
    """The environment every measured process gets: `python` is this interpreter, colours off."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.setdefault("CARGO_TARGET_DIR", str(Path(tempfile.gettempdir()) / "parity-bench-cargo-target"))
    env.update(extra)
    return env


def run_timed(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    output: Path | None = None,
    errors: Path | None = None,
) -> Timing:
    """Run to completion; stdout goes to `output`, stderr to `errors` (default: with stdout), else nowhere."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(output.open("wb")) if output is not None else subprocess.DEVNULL
        err = stack.enter_context(errors.open("wb")) if errors is not None else subprocess.STDOUT
        done = subprocess.run(
            list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=out, stderr=err, check=False
        )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(wall=wall, cpu=cpu, exit_code=done.returncode)


def best_of(measure: Callable[[], Timing], *, repeat: int, budget: float) -> list[Timing]:
    """Run at least once, then again while runs remain and the time budget (seconds) allows."""
    started = time.perf_counter()
    timings = [measure()]
    while len(timings) < repeat and time.perf_counter() - started + timings[-1].wall < budget:
        timings.append(measure())
    return timings


@contextlib.contextmanager
def scratch(name: str, *, keep: bool) -> Iterator[Path]:
    """A temporary directory for one benchmark, removed afterwards unless `keep`."""
    path = Path(tempfile.mkdtemp(prefix=f"parity-bench-{name}-"))
    try:
        yield path
    finally:
        if keep:
            print(f"  (kept {path})", file=sys.stderr)
        else:
            shutil.rmtree(path, ignore_errors=True)


_IGNORE = shutil.ignore_patterns("target", "__pycache__", ".pytest_cache", ".parity-cache", "*.pyc")


def copy_tree(source: Path, destination: Path) -> Path:
    shutil.copytree(source, destination, ignore=_IGNORE)
    return destination


def machine_facts() -> list[tuple[str, str]]:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count() or 0
    cargo = shutil.which("cargo")
    cargo_version = "not found"
    if cargo is not None:
        done = subprocess.run([cargo, "--version"], capture_output=True, text=True, check=False)
        cargo_version = done.stdout.strip() or done.stderr.strip()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return [
        ("cores", f"{os.cpu_count()} ({usable} usable)"),
        ("load average", load),
        ("python", f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})"),
        ("cargo", cargo_version),
        ("platform", platform.platform()),
        ("parity", str(ROOT)),
    ]
