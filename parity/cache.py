"""Result cache: a command's parsed outcome, keyed on everything that can change it, never served torn."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parity.atomicfile import write_atomic
from parity.results import CommandResult, CommandStatus

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from parity.plan import Invocation

__all__ = [
    "CACHE_FORMAT",
    "CacheEntryError",
    "CacheSession",
    "ResultCache",
    "cache_key",
    "tree_digest",
]

CACHE_FORMAT = 1
_SKIP_DIRS = {
    ".git",
    "target",
    ".parity-cache",
    "__pycache__",
    ".pytest_cache",
    ".nox",
    ".venv",
    "node_modules",
}


class CacheEntryError(Exception):
    """A cache entry that is truncated, corrupt or from another format: treated as a miss."""


def tree_digest(root: Path, files: Iterable[str] | None = None) -> str:
    """sha256 over (path, content) of the files a command can see.

    `files` is the git-tracked plus untracked-not-ignored list when the repository is a git checkout;
    otherwise every file below `root` except build and cache directories.
    """
    names = sorted(files) if files is not None else sorted(_walk(root))
    digest = hashlib.sha256()
    for name in names:
        path = root / name
        if not path.is_file() or path.is_symlink():
            continue
        digest.update(name.encode("utf-8", "surrogateescape") + b"\0")
        digest.update(bytes.fromhex(_file_sha256(path)))
    return digest.hexdigest()


def _walk(root: Path) -> Iterable[str]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in files:
            yield (Path(folder) / name).relative_to(root).as_posix()


def cache_key(invocation: Invocation, *, tree: str, toolchain: Mapping[str, str], tool_version: str) -> str:
    """Exact argv, cwd, the env the step sets, the source tree, the toolchain, and parity's own version."""
    blob = json.dumps(
        {
            "format": CACHE_FORMAT,
            "parity": tool_version,
            "argv": list(invocation.argv),
            "cwd": invocation.cwd,
            "env": [list(pair) for pair in invocation.env],
            "tree": tree,
            "toolchain": dict(sorted(toolchain.items())),
        },
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode()).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class ResultCache:
    """`<dir>/<key[:2]>/<key>.json` (entry with a checksum) and `<key>.<sha>.log` (the command's log)."""

    directory: Path

    def _entry(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def _log(self, key: str, log_sha256: str) -> Path:
        """Named by content, so two runs storing one key at once never pair an entry with the other's log."""
        return self.directory / key[:2] / f"{key}.{log_sha256[:16]}.log"

    def load(self, key: str) -> CommandResult | None:
        """The cached result, or None on a miss; a damaged entry raises CacheEntryError."""
        entry_path = self._entry(key)
        if not entry_path.exists():
            return None
        try:
            entry = json.loads(entry_path.read_text(encoding="utf-8"))
            payload = entry["payload"]
            checksum = hashlib.sha256(_canonical(payload)).hexdigest()
            if entry.get("format") != CACHE_FORMAT or entry.get("key") != key or checksum != entry["sha256"]:
                raise CacheEntryError(f"{entry_path}: checksum or format mismatch")
            result = CommandResult.from_dict(payload)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CacheEntryError(f"{entry_path}: unreadable cache entry ({exc})") from None
        log_path = self._log(key, result.log_sha256)
        if result.log_sha256 and (not log_path.is_file() or _file_sha256(log_path) != result.log_sha256):
            raise CacheEntryError(f"{log_path}: cached log missing or altered")
        return replace(result, status=CommandStatus.CACHED, log_path=str(log_path))

    def store(self, key: str, result: CommandResult) -> None:
        """Keep only complete, meaningful results: never errors, interruptions or refusals."""
        if result.status is not CommandStatus.RAN:
            return
        entry_path = self._entry(key)
        if result.log_path and Path(result.log_path).is_file():
            _copy_atomic(Path(result.log_path), self._log(key, result.log_sha256))
        payload = result.to_dict()
        entry: dict[str, Any] = {
            "format": CACHE_FORMAT,
            "key": key,
            "sha256": hashlib.sha256(_canonical(payload)).hexdigest(),
            "payload": payload,
        }
        write_atomic(entry_path, json.dumps(entry, sort_keys=True))
        ignore = self.directory / ".gitignore"
        if not ignore.exists():
            write_atomic(ignore, "# created by parity: nothing here belongs in git\n*\n")


def _file_sha256(path: Path) -> str:
    """Hash in chunks: a cached log can be hundreds of MB."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_atomic(source: Path, target: Path) -> None:
    """Copy a log into the cache without holding it in memory: temp file in place, then rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.with_name(f".{target.name}.{os.getpid()}.copy")
    try:
        shutil.copyfile(source, temp)
        temp.replace(target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _canonical(payload: Any) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()


class CacheSession:
    """One prove run's view of the cache: the tree is hashed once, each toolchain probed once per cwd."""

    def __init__(self, root: Path, directory: Path, log_dir: Path) -> None:
        self.root = root
        self.cache = ResultCache(directory=directory)
        self.log_dir = log_dir
        self._tree: str | None = None
        self._toolchains: dict[tuple[str, str], dict[str, str]] = {}
        self.damaged: list[str] = []  # entries found torn or altered (then re-run)

    def _tree_digest(self) -> str:
        if self._tree is None:
            from parity import gitutil  # noqa: PLC0415

            self._tree = tree_digest(self.root, gitutil.visible_files(self.root))
        return self._tree

    def _toolchain(self, invocation: Invocation) -> dict[str, str]:
        from parity.toolchain import tool_versions  # noqa: PLC0415

        names = ("cargo", "rustc") if invocation.kind == "cargo" else ("python",)
        slot = (invocation.kind, invocation.cwd)
        if slot not in self._toolchains:
            env = {**os.environ, **dict(invocation.env)}
            # One log folder per probe slot: the probes of several slots run at once (prime).
            logs = self.log_dir / "toolchain" / hashlib.sha256("\0".join(slot).encode()).hexdigest()[:12]
            self._toolchains[slot] = tool_versions(self.root / invocation.cwd, logs, names=names, env=env)
        return self._toolchains[slot]

    def prime(self, invocations: Iterable[Invocation]) -> None:
        """Hash the tree and probe every toolchain the plan needs at once (the probes run in parallel)."""
        from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

        todo = {(i.kind, i.cwd): i for i in invocations if (i.kind, i.cwd) not in self._toolchains}
        with ThreadPoolExecutor(max_workers=4) as pool:
            tree = pool.submit(self._tree_digest)
            for future in [pool.submit(self._toolchain, i) for i in todo.values()]:
                future.result()
            tree.result()

    def key(self, invocation: Invocation) -> str:
        from parity import __version__  # noqa: PLC0415

        return cache_key(
            invocation,
            tree=self._tree_digest(),
            toolchain=self._toolchain(invocation),
            tool_version=__version__,
        )

    def lookup(self, key: str) -> CommandResult | None:
        try:
            return self.cache.load(key)
        except CacheEntryError as exc:
            self.damaged.append(str(exc))
            return None

    def save(self, key: str, result: CommandResult) -> None:
        self.cache.store(key, result)
