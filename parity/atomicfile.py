"""Every file parity writes goes through here: temp file + fsync + rename, and no silent overwrite."""

from __future__ import annotations

import contextlib
import glob
import os
import tempfile
from pathlib import Path

from parity.errors import InputError

__all__ = ["temp_prefix", "write_atomic"]


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_atomic(path: Path, data: str | bytes, *, overwrite: bool = True, label: str | None = None) -> None:
    """Write `data` so that readers see the old file or the new one, never a torn one.

    With `overwrite=False` an existing file is an InputError (the caller offers `--force`).
    """
    if not overwrite and path.exists():
        raise InputError(
            label or str(path),
            "already exists; refusing to overwrite it",
            hint="pass --force to replace it, or choose another path",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    _remove_stale_temps(path)
    handle, temp = tempfile.mkstemp(prefix=temp_prefix(path), suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(payload)
            out.flush()
            os.fsync(out.fileno())
        with contextlib.suppress(OSError):
            # mkstemp creates 0600; keep an existing file's mode, else what the umask gives new files.
            Path(temp).chmod(path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        Path(temp).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temp).unlink()
        raise


def temp_prefix(path: Path, pid: int | None = None) -> str:
    """Temp files carry the writer's pid, so a later run can tell a dead writer's leftovers."""
    return f".{path.name}.{os.getpid() if pid is None else pid}."


def _remove_stale_temps(path: Path) -> None:
    """A SIGKILL between mkstemp and rename leaves `.NAME.<pid>.*.tmp`: the next write removes it."""
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp"):
        pid_text = stale.name[len(path.name) + 2 :].split(".", 1)[0]
        if pid_text.isdigit() and int(pid_text) != os.getpid() and not _alive(int(pid_text)):
            with contextlib.suppress(OSError):
                stale.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
