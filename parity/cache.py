"""Result cache: a command's parsed outcome, keyed on everything that can change it, never served torn."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parity.atomicfile import write_atomic
from parity.results import CommandResult, CommandStatus

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping

    from parity.plan import Invocation
    from parity.prove import ProveOptions
    from parity.repository import Repository

__all__ = [
    "CACHE_FORMAT",
    "CacheEntryError",
    "CacheSession",
    "ResultCache",
    "cache_key",
    "cache_session",
    "read_entry",
    "tree_digest",
    "write_entry",
]

CACHE_FORMAT = 1
_SLOTS = "toolchains.json"  # the toolchain slots the last run probed (for `prefetch`)
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
        if path.is_symlink():  # where it points is what a command (and the check) sees
            target = os.fsencode(path.readlink())
            digest.update(name.encode("utf-8", "surrogateescape") + b"\0->" + target + b"\0")
            continue
        if not path.is_file():
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
        payload = self._payload(key)
        if payload is None:
            return None
        try:
            result = CommandResult.from_dict(payload)
        except (ValueError, KeyError, TypeError) as exc:
            raise CacheEntryError(f"{self._entry(key)}: unreadable cache entry ({exc})") from None
        return replace(
            result, status=CommandStatus.CACHED, log_path=self._verified_log(key, result.log_sha256)
        )

    def verify(self, key: str) -> str | None:
        """Like `load`, without rebuilding the parsed results: the cached log's path ("" if none)."""
        payload = self._payload(key)
        if payload is None:
            return None
        sha = payload.get("log_sha256")
        if not isinstance(sha, str):
            raise CacheEntryError(f"{self._entry(key)}: unreadable cache entry (no log_sha256)")
        return self._verified_log(key, sha)

    def _payload(self, key: str) -> dict[str, Any] | None:
        entry_path = self._entry(key)
        if not entry_path.exists():
            return None
        return read_entry(entry_path, key=key, fmt=CACHE_FORMAT)

    def _verified_log(self, key: str, log_sha256: str) -> str:
        if not log_sha256:
            return ""
        log_path = self._log(key, log_sha256)
        if not log_path.is_file() or _file_sha256(log_path) != log_sha256:
            raise CacheEntryError(f"{log_path}: cached log missing or altered")
        return str(log_path)

    def store(self, key: str, result: CommandResult) -> None:
        """Keep only complete, meaningful results: never errors, interruptions or refusals."""
        if result.status is not CommandStatus.RAN:
            return
        entry_path = self._entry(key)
        if result.log_path and Path(result.log_path).is_file():
            _copy_atomic(Path(result.log_path), self._log(key, result.log_sha256))
        write_entry(entry_path, key=key, fmt=CACHE_FORMAT, payload=result.to_dict())
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


def write_entry(path: Path, *, key: str, fmt: int, payload: dict[str, Any]) -> None:
    """A cache entry: the payload with its key, format and checksum, written atomically."""
    entry = {"format": fmt, "key": key, "sha256": hashlib.sha256(_canonical(payload)).hexdigest()}
    write_atomic(path, json.dumps({**entry, "payload": payload}, sort_keys=True))


def read_entry(path: Path, *, key: str, fmt: int) -> dict[str, Any]:
    """The payload of an intact entry; a torn, altered or foreign one raises CacheEntryError."""
    try:
        entry = json.loads(path.read_text(encoding="utf-8"))
        payload = entry["payload"]
        checksum = hashlib.sha256(_canonical(payload)).hexdigest()
        if entry.get("format") != fmt or entry.get("key") != key or checksum != entry["sha256"]:
            raise CacheEntryError(f"{path}: checksum or format mismatch")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CacheEntryError(f"{path}: unreadable cache entry ({exc})") from None
    if not isinstance(payload, dict):
        raise CacheEntryError(f"{path}: unreadable cache entry (payload is not an object)")
    return payload


class CacheSession:
    """One prove run's view of the cache: the tree is hashed once, each toolchain probed once per cwd."""

    def __init__(self, root: Path, directory: Path, log_dir: Path) -> None:
        self.root = root
        self.cache = ResultCache(directory=directory)
        self.log_dir = log_dir
        self._tree: str | None = None
        self._toolchains: dict[str, dict[str, str]] = {}
        self._probing: dict[str, threading.Thread] = {}  # prefetched probes still running
        self._used: dict[str, dict[str, Any]] = {}  # the toolchain slots this run needed
        self._remembered: list[dict[str, Any]] = []  # ...and those the last run needed
        self.damaged: list[str] = []  # entries found torn or altered (then re-run)

    def tree(self) -> str:
        """The digest of every file a command can see, computed once per run."""
        return self._tree_digest()

    def _tree_digest(self) -> str:
        if self._tree is None:
            from parity import gitutil  # noqa: PLC0415

            self._tree = tree_digest(self.root, gitutil.visible_files(self.root))
        return self._tree

    def _toolchain(self, invocation: Invocation) -> dict[str, str]:
        slot = _slot(invocation)
        env = [list(pair) for pair in invocation.env]
        self._used.setdefault(slot, {"kind": invocation.kind, "cwd": invocation.cwd, "env": env})
        prefetching = self._probing.pop(slot, None)
        if prefetching is not None:
            prefetching.join()
        if slot not in self._toolchains:
            self._probe(invocation)
        return self._toolchains[slot]

    def _probe(self, invocation: Invocation) -> None:
        from parity.toolchain import tool_versions  # noqa: PLC0415

        names = ("cargo", "rustc") if invocation.kind == "cargo" else ("python",)
        slot = _slot(invocation)
        env = {**os.environ, **dict(invocation.env)}
        # One log folder per probe slot: the probes of several slots run at once (prime).
        logs = self.log_dir / "toolchain" / hashlib.sha256(slot.encode()).hexdigest()[:12]
        self._toolchains[slot] = tool_versions(self.root / invocation.cwd, logs, names=names, env=env)

    def prefetch(self) -> None:
        """Start probing the toolchains the last run needed, in the background.

        A probe is a process start (~40 ms through a rustup proxy) and an unchanged re-run needs them
        first thing, so they run while parity reads its config and hashes the tree. Nothing is taken
        on trust: a slot is probed the same way, just earlier.
        """
        from parity.plan import Invocation  # noqa: PLC0415

        try:
            remembered = json.loads((self.cache.directory / _SLOTS).read_text(encoding="utf-8"))
            invocations = [
                Invocation(
                    key="",
                    argv=(),
                    cwd=str(entry["cwd"]),
                    env=tuple((str(k), str(v)) for k, v in entry["env"]),
                    kind=str(entry["kind"]),
                    workflow="",
                    job="",
                    step_line=0,
                )
                for entry in remembered
            ]
        except (OSError, ValueError, KeyError, TypeError):
            return  # no usable record: probes happen when needed
        self._remembered = remembered
        for invocation in invocations:
            slot = _slot(invocation)
            if slot not in self._toolchains and slot not in self._probing:
                probe = threading.Thread(target=self._probe, args=(invocation,), daemon=True)
                self._probing[slot] = probe
                probe.start()

    def remember_toolchains(self) -> None:
        """Record the toolchain slots this run needed, for the next run's `prefetch`."""
        used = [self._used[slot] for slot in sorted(self._used)]
        if used and used != self._remembered:
            write_atomic(self.cache.directory / _SLOTS, json.dumps(used))

    def prime(self, invocations: Iterable[Invocation]) -> None:
        """Hash the tree and probe every toolchain the plan needs at once (the probes run in parallel)."""
        from parity.background import in_parallel  # noqa: PLC0415

        todo = {_slot(i): i for i in invocations if _slot(i) not in self._toolchains}
        work: list[Callable[[], object]] = [self._tree_digest]
        work.extend(functools.partial(self._toolchain, i) for i in todo.values())
        in_parallel(work)

    def key(self, invocation: Invocation) -> str:
        from parity import __version__  # noqa: PLC0415

        return cache_key(
            invocation,
            tree=self._tree_digest(),
            toolchain=self._toolchain(invocation),
            tool_version=__version__,
        )

    def verify(self, key: str) -> str | None:
        """The cached log's path if the entry for `key` is intact ("" when it has no log), else None."""
        try:
            return self.cache.verify(key)
        except CacheEntryError as exc:
            self.damaged.append(str(exc))
            return None

    def lookup(self, key: str) -> CommandResult | None:
        try:
            return self.cache.load(key)
        except CacheEntryError as exc:
            self.damaged.append(str(exc))
            return None

    def save(self, key: str, result: CommandResult) -> None:
        self.cache.store(key, result)


# Step env variables that can change which toolchain runs (`RUSTUP_TOOLCHAIN=nightly`, another PATH).
_TOOLCHAIN_ENV = {"PATH", "CARGO", "CARGO_HOME", "RUSTC", "RUSTC_WRAPPER", "VIRTUAL_ENV"}
_TOOLCHAIN_ENV_PREFIXES = ("RUSTUP_", "PYTHON", "CONDA")


def _slot(invocation: Invocation) -> str:
    """Toolchains are probed once per kind, directory and toolchain-selecting step env."""
    selecting = [
        f"{k}={v}" for k, v in invocation.env if k in _TOOLCHAIN_ENV or k.startswith(_TOOLCHAIN_ENV_PREFIXES)
    ]
    return "\0".join((invocation.kind, invocation.cwd, *selecting))


def cache_session(repo: Repository, options: ProveOptions) -> CacheSession:
    """The result cache of this run: `--cache-dir`, else `.parity-cache` in the repository."""
    return CacheSession(
        repo.root, options.cache_dir or repo.root / ".parity-cache", options.logs_in(repo.root)
    )
