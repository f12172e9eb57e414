"""Run one command as CI would: no shell, merged output streamed to a log, whole process group stopped."""

from __future__ import annotations

import contextlib
import hashlib
import os
import selectors
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

__all__ = ["RunRecord", "run_command"]

MAX_LINE = 1 << 20  # a "line" longer than this is handed on in pieces: memory stays bounded
EOF_GRACE = 5.0  # seconds to wait for grandchildren holding the pipe after the command exits


@dataclass(frozen=True, slots=True, kw_only=True)
class RunRecord:
    """What happened; failures to start, non-zero exits and timeouts are all data, not exceptions."""

    argv: tuple[str, ...]
    cwd: str
    exit_code: int | None
    duration: float
    log_path: str
    log_sha256: str
    log_bytes: int
    timed_out: bool = False
    interrupted: bool = False
    start_error: str = ""
    last_line: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.start_error


def _stop_group(process: subprocess.Popen[bytes], grace: float = 3.0) -> None:
    """Interrupt, terminate, then kill the whole process group (nox's shutdown_process, per group)."""
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; stragglers in its group still get the last word.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        return


def run_command(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log_path: Path,
    timeout: float,
    on_line: Callable[[str], None] | None = None,
) -> RunRecord:
    """Spawn `argv` in `cwd`, write stdout+stderr (merged, in order) to `log_path` as it arrives."""
    started = time.monotonic()
    digest = hashlib.sha256()
    size = 0
    last = ""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    executable = shutil.which(argv[0], path=env.get("PATH")) if argv else None
    with log_path.open("wb") as log:
        if not argv or executable is None:
            message = f"executable `{argv[0] if argv else ''}` not found on PATH"
            return RunRecord(
                argv=tuple(argv),
                cwd=str(cwd),
                exit_code=None,
                duration=0.0,
                log_path=str(log_path),
                log_sha256=digest.hexdigest(),
                log_bytes=0,
                start_error=message,
            )
        try:
            process = subprocess.Popen(
                [executable, *argv[1:]],
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                bufsize=0,
            )
        except OSError as exc:
            return RunRecord(
                argv=tuple(argv),
                cwd=str(cwd),
                exit_code=None,
                duration=0.0,
                log_path=str(log_path),
                log_sha256=digest.hexdigest(),
                log_bytes=0,
                start_error=f"cannot start `{argv[0]}`: {exc.strerror or exc}",
            )
        assert process.stdout is not None  # noqa: S101 - we asked for a pipe
        timed_out = False
        interrupted = False
        pending = b""
        exited_at: float | None = None
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        try:
            while True:
                now = time.monotonic()
                if now - started > timeout and not timed_out:
                    timed_out = True
                    _stop_group(process)
                if exited_at is None and process.poll() is not None:
                    exited_at = now
                if exited_at is not None and now - exited_at > EOF_GRACE:
                    _stop_group(process, grace=0.5)
                    break
                if not selector.select(timeout=0.2):
                    continue
                chunk = os.read(process.stdout.fileno(), 1 << 16)
                if not chunk:
                    break
                log.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                pending += chunk
                while True:
                    cut = pending.find(b"\n")
                    if cut < 0:
                        if len(pending) > MAX_LINE:
                            cut = MAX_LINE - 1
                        else:
                            break
                    line = pending[: cut + 1].decode("utf-8", "replace").rstrip("\r\n")
                    pending = pending[cut + 1 :]
                    if line.strip():
                        last = line
                    if on_line is not None:
                        on_line(line)
        except KeyboardInterrupt:
            interrupted = True
            _stop_group(process)
        finally:
            selector.close()
            process.stdout.close()
        if pending and on_line is not None:
            tail = pending.decode("utf-8", "replace")
            on_line(tail)
            last = tail.strip() or last
        exit_code = process.wait()
    record = RunRecord(
        argv=tuple(argv),
        cwd=str(cwd),
        exit_code=None if timed_out or interrupted else exit_code,
        duration=time.monotonic() - started,
        log_path=str(log_path),
        log_sha256=digest.hexdigest(),
        log_bytes=size,
        timed_out=timed_out,
        interrupted=interrupted,
        last_line=last,
    )
    if interrupted:
        raise KeyboardInterrupt(record)
    return record
