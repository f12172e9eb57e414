"""Checking a sign-off later: is the manifest authentic, on this history, and does its evidence hold?"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from parity import gitutil
from parity.errors import InputError
from parity.manifest import digest_problem, file_sha256, layout_problem, load_manifest

if TYPE_CHECKING:
    from pathlib import Path

__all__ = ["Verification", "verify"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Verification:
    label: str
    release: str
    sha: str
    created: str
    accepted: bool
    problems: tuple[str, ...]  # why the manifest is not valid (empty: valid)
    changed: tuple[tuple[str, str], ...]  # (evidence path, "changed" | "deleted") since the sign-off
    evidence_files: int

    @property
    def valid(self) -> bool:
        return not self.problems

    @property
    def exit_code(self) -> int:
        return 0 if self.valid else 1


def verify(root: Path, path: Path, label: str) -> Verification:
    """Digest (content and bytes), commit is an ancestor of HEAD, and which evidence changed since."""
    document, data = load_manifest(path, label)
    top = gitutil.toplevel(root)
    if not top.ok:
        raise InputError(str(root), f"cannot read the git state: {top.problem}", hint="pass --repo PATH")
    problems = [digest_problem(document) or layout_problem(document, data)]
    problems = [p for p in problems if p]
    git = _table(document, "git")
    sha = str(git.get("sha", ""))
    problems.extend(_commit_problems(root, sha, str(git.get("tree", ""))))
    if document.get("accepted") is not True:
        blocking = document.get("blocking")
        count = len(blocking) if isinstance(blocking, list) else 0
        problems.append(f"it records a sign-off that was not accepted ({count} blocking row(s))")
    evidence = _table(document, "evidence")
    changed = []
    for rel, digest in sorted(evidence.items()):
        pure = PurePosixPath(rel)
        if pure.is_absolute() or ".." in pure.parts:
            problems.append(f"evidence path `{rel}` is outside the repository")
            continue
        target = root / rel
        if not target.is_file():
            changed.append((rel, "deleted"))
        elif file_sha256(target) != digest:
            changed.append((rel, "changed"))
    return Verification(
        label=label,
        release=str(document.get("release", "")),
        sha=sha,
        created=str(document.get("created", "")),
        accepted=document.get("accepted") is True,
        problems=tuple(problems),
        changed=tuple(changed),
        evidence_files=len(evidence),
    )


def _table(document: dict[str, Any], key: str) -> dict[str, Any]:
    value = document.get(key)
    return value if isinstance(value, dict) else {}


def _commit_problems(root: Path, sha: str, tree: str) -> list[str]:
    if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", sha):
        return ["the manifest records no commit SHA"]
    if gitutil.commit_of(root, sha) is None:
        return [f"commit {sha} does not exist in this repository (fetch it, or check --repo)"]
    problems = []
    actual_tree = gitutil.tree_of(root, sha)
    if actual_tree != tree:
        problems.append(f"commit {sha[:12]} has tree {actual_tree} but the manifest records {tree or 'none'}")
    if gitutil.is_ancestor(root, sha) is not True:
        head = gitutil.commit_of(root, "HEAD") or "HEAD"
        problems.append(
            f"commit {sha[:12]} is not an ancestor of HEAD ({head[:12]}): "
            "the sign-off belongs to another line of history"
        )
    return problems
