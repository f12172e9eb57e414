"""Which toolchain a command runs with: part of every cache key and every sign-off manifest."""

from __future__ import annotations

import functools
import os
import platform
from typing import TYPE_CHECKING

from parity.background import in_parallel
from parity.runner import RunRecord, run_command

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

__all__ = ["TOOLS", "tool_versions"]

TOOLS = {"cargo": ("cargo", "--version"), "rustc": ("rustc", "--version"), "python": ("python", "--version")}


def tool_versions(
    cwd: Path,
    log_dir: Path,
    *,
    names: Iterable[str] = tuple(TOOLS),
    env: dict[str, str] | None = None,
    run: Callable[..., RunRecord] = run_command,
) -> dict[str, str]:
    """Versions as a command in `cwd` sees them (a rust-toolchain.toml there applies).

    A missing tool is recorded as "missing", never an error: the commands that need it fail on their own.
    """

    def probe(name: str) -> str:
        record = run(
            list(TOOLS[name]),
            cwd=cwd,
            env=env if env is not None else dict(os.environ),
            log_path=log_dir / f"toolchain-{name}.log",
            timeout=120.0,
        )
        if record.start_error:
            return "missing"
        if not record.ok:
            return f"error: exit {record.exit_code}: {record.last_line}".rstrip(": ")
        return record.last_line.strip()

    wanted = list(names)
    # Each probe is a process start (a rustup proxy takes ~40 ms): run them side by side.
    versions = dict(
        zip(wanted, in_parallel([functools.partial(probe, name) for name in wanted]), strict=True)
    )
    versions["parity_python"] = platform.python_version()
    versions["platform"] = platform.platform()
    return versions
