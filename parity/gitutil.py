"""Git as a source of facts: every query is an argv list, every answer a value (a failure too)."""

from __future__ import annotations

import os
import subprocess
import tarfile
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from pathlib import Path

__all__ = [
    "Commit",
    "GitResult",
    "commit_of",
    "export_tree",
    "file_at",
    "is_ancestor",
    "log_following",
    "prefix_of",
    "run_git",
    "status_paths",
    "toplevel",
    "tree_of",
    "visible_files",
]

# Read-only queries must not take the index lock or refresh it (`git status` would otherwise write it),
# and messages we quote must not depend on the user's locale.
_ENV = {"GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}


@dataclass(frozen=True, slots=True, kw_only=True)
class GitResult:
    argv: tuple[str, ...]
    exit_code: int | None  # None: git could not be started
    stdout: bytes
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def text(self) -> str:
        return self.stdout.decode("utf-8", "surrogateescape").strip()

    @property
    def problem(self) -> str:
        """One line saying why the query failed, for messages."""
        if self.exit_code is None:
            return self.stderr
        lines = [line for line in self.stderr.splitlines() if line.strip()]
        return lines[0].removeprefix("fatal: ") if lines else f"`git {self.argv[1]}` exited {self.exit_code}"


class Commit(NamedTuple):
    sha: str
    date: str  # committer date, strict ISO 8601
    subject: str
    path: str  # the followed file's name in this commit (renames are followed)


def run_git(cwd: Path, *args: str) -> GitResult:
    argv = ("git", *args)
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            env={**os.environ, **_ENV},
            capture_output=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except OSError as exc:
        return GitResult(
            argv=argv, exit_code=None, stdout=b"", stderr=f"cannot run git: {exc.strerror or exc}"
        )
    return GitResult(
        argv=argv,
        exit_code=done.returncode,
        stdout=done.stdout,
        stderr=done.stderr.decode("utf-8", "replace"),
    )


def toplevel(cwd: Path) -> GitResult:
    """The work tree's root (fails outside a git work tree)."""
    return run_git(cwd, "rev-parse", "--show-toplevel")


def prefix_of(cwd: Path) -> str:
    """`cwd` relative to the work tree's root, as a POSIX prefix ending in `/` ("" at the root)."""
    return run_git(cwd, "rev-parse", "--show-prefix").text


def commit_of(cwd: Path, rev: str) -> str | None:
    """The full SHA `rev` names, or None when it names no commit."""
    result = run_git(cwd, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}")
    return result.text if result.ok and result.text else None


def tree_of(cwd: Path, rev: str) -> str | None:
    result = run_git(cwd, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{tree}}")
    return result.text if result.ok and result.text else None


def is_ancestor(cwd: Path, ancestor: str, descendant: str = "HEAD") -> bool | None:
    """`git merge-base --is-ancestor`: True, False, or None when git cannot tell (unknown commit)."""
    result = run_git(cwd, "merge-base", "--is-ancestor", ancestor, descendant)
    return {0: True, 1: False}.get(result.exit_code if result.exit_code is not None else -1)


def status_paths(cwd: Path) -> GitResult | list[str]:
    """Every path `git status` reports under `cwd` (modified, staged, untracked, ...): root-relative.

    A rename's original path is reported too. Gitignored files are not reported, as git intends.
    """
    result = run_git(cwd, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", ".")
    if not result.ok:
        return result
    paths: list[str] = []
    fields = result.stdout.split(b"\0")
    index = 0
    while index < len(fields):
        entry = fields[index]
        index += 1
        if len(entry) < 4:
            continue
        paths.append(entry[3:].decode("utf-8", "surrogateescape"))
        if entry[:1] in {b"R", b"C"} and index < len(fields):  # -z: "XY new\0old\0"
            paths.append(fields[index].decode("utf-8", "surrogateescape"))
            index += 1
    return paths


def log_following(cwd: Path, path: str) -> GitResult | list[Commit]:
    """Every commit that changed `path` (following renames), oldest first."""
    result = run_git(cwd, "log", "--follow", "-z", "--format=%x1e%H%x1f%cI%x1f%s", "--name-only", "--", path)
    if not result.ok:
        return result
    commits: list[Commit] = []
    for record in result.stdout.split(b"\x1e")[1:]:
        header, _, names = record.partition(b"\0")
        sha, date, subject = header.decode("utf-8", "replace").split("\x1f", 2)
        name = next((n.strip(b"\n") for n in names.split(b"\0") if n.strip(b"\n")), b"")
        commits.append(
            Commit(sha=sha, date=date, subject=subject, path=name.decode("utf-8", "surrogateescape"))
        )
    commits.reverse()  # `--reverse` does not combine with `--follow`
    return commits


def file_at(cwd: Path, rev: str, root_path: str) -> bytes | None:
    """A file's bytes at a revision (`root_path` is relative to the work tree root), None if absent."""
    result = run_git(cwd, "cat-file", "blob", f"{rev}:{root_path}")
    return result.stdout if result.ok else None


def export_tree(cwd: Path, rev: str, destination: Path) -> str:
    """Write the tree of `rev` into `destination` via `git archive`; "" on success, else why not.

    Nothing of the user's work tree, index or `.git` is touched (a `git worktree add` would
    register the worktree and run checkout hooks). `export-ignore`/`export-subst` attributes apply.
    """
    argv = ("git", "archive", "--format=tar", "--end-of-options", rev)
    try:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env={**os.environ, **_ENV},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except OSError as exc:
        return f"cannot run git: {exc.strerror or exc}"
    assert process.stdout is not None  # noqa: S101 - we asked for pipes
    assert process.stderr is not None  # noqa: S101
    error = ""
    try:
        with tarfile.open(fileobj=process.stdout, mode="r|") as archive:
            # "tar", not "data": a repository may hold symlinks that point outside it, and
            # Repository confines cited paths itself. git never writes absolute or `..` members.
            if hasattr(tarfile, "tar_filter"):  # Python >= 3.11.4
                archive.extractall(destination, filter="tar")
            else:  # pragma: no cover - older 3.11 patch releases
                archive.extractall(destination)  # noqa: S202 - members come from git, see above
    except (tarfile.TarError, OSError) as exc:
        error = f"cannot unpack `git archive {rev}`: {exc}"
    finally:
        process.stdout.close()
        stderr = process.stderr.read().decode("utf-8", "replace")
        process.stderr.close()
        code = process.wait()
    if error:
        return error
    if code != 0:
        lines = [line for line in stderr.splitlines() if line.strip()]
        return lines[0].removeprefix("fatal: ") if lines else f"`git archive` exited {code}"
    return error


def visible_files(cwd: Path) -> list[str] | None:
    """Tracked plus untracked-not-ignored files below `cwd`, relative to it; None outside git.

    This is what a command run from the checkout can see, and what the result cache hashes.
    """
    result = run_git(cwd, "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", ".")
    if not result.ok:
        return None
    names = result.stdout.decode("utf-8", "surrogateescape").split("\0")
    return sorted({name for name in names if name})
