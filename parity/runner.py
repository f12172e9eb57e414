"""Run one command as CI would: no shell, merged output streamed to a log, whole process group stopped."""

from __future__ import annotations

import contextlib
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
_EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # sha256(b"")


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


def _emit(raw: bytes, last: str, on_line: Callable[[str], None] | None) -> str:
    line = raw.decode("utf-8", "replace").rstrip("\r")
    if on_line is not None:
        on_line(line)
    return line if line.strip() else last


def run_command(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: Mapping[str, str],
    log_path: Path,
    timeout: float,
    on_line: Callable[[str], None] | None = None,
    on_start: Callable[[], None] | None = None,
) -> RunRecord:
    """Spawn `argv` in `cwd`, write stdout+stderr (merged, in order) to `log_path` as it arrives.

    `on_start` is called once the process is running (not when it cannot start): whatever the caller
    does there (announce it, load what it needs afterwards) overlaps with the command.
    """
    started = time.monotonic()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    executable = shutil.which(argv[0], path=env.get("PATH")) if argv else None
    # Stream into a private file and rename at the end: a concurrent run of the same command, or a
    # kill, never leaves a torn log under the final name.
    partial = log_path.with_name(f".{log_path.name}.{os.getpid()}.partial")
    try:
        record = _run(
            argv,
            executable,
            cwd=cwd,
            env=env,
            partial=partial,
            log_path=log_path,
            timeout=timeout,
            on_line=on_line,
            on_start=on_start,
            started=started,
        )
    finally:
        if partial.exists():
            partial.replace(log_path)
    if record.interrupted:
        raise KeyboardInterrupt(record)
    return record


def _run(
    argv: Sequence[str],
    executable: str | None,
    *,
    cwd: Path,
    env: Mapping[str, str],
    partial: Path,
    log_path: Path,
    timeout: float,
    on_line: Callable[[str], None] | None,
    on_start: Callable[[], None] | None,
    started: float,
) -> RunRecord:
    size = 0
    last = ""
    with partial.open("wb") as log:
        if not argv or executable is None:
            message = f"executable `{argv[0] if argv else ''}` not found on PATH"
            return RunRecord(
                argv=tuple(argv),
                cwd=str(cwd),
                exit_code=None,
                duration=0.0,
                log_path=str(log_path),
                log_sha256=_EMPTY_SHA256,
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
                log_sha256=_EMPTY_SHA256,
                log_bytes=0,
                start_error=f"cannot start `{argv[0]}`: {exc.strerror or exc}",
            )
        assert process.stdout is not None  # noqa: S101 - we asked for a pipe
        # Loading OpenSSL's hashes takes milliseconds: the command is already running meanwhile.
        import hashlib  # noqa: PLC0415

        digest = hashlib.sha256()
        timed_out = False
        interrupted = False
        pending = b""
        exited_at: float | None = None
        selector = selectors.DefaultSelector()
        selector.register(process.stdout, selectors.EVENT_READ)
        try:
            if on_start is not None:
                on_start()
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
                if b"\n" in chunk:
                    # One split per chunk: slicing line by line would copy the buffer once per line.
                    *lines, pending = pending.split(b"\n")
                    for raw in lines:
                        last = _emit(raw, last, on_line)
                while len(pending) > MAX_LINE:
                    last = _emit(pending[:MAX_LINE], last, on_line)
                    pending = pending[MAX_LINE:]
        except KeyboardInterrupt:
            interrupted = True
            _stop_group(process)
        finally:
            selector.close()
            process.stdout.close()
        if pending:
            last = _emit(pending, last, on_line)
        exit_code = process.wait()
    return RunRecord(
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
