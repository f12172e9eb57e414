"""What changed in the matrix between two revisions, and which claims rose without new proof."""

from __future__ import annotations

import difflib
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parity import gitutil
from parity.errors import InputError
from parity.model import Severity

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from parity.evidence import CiRef, EvidenceCell
    from parity.repository import Repository

__all__ = ["MatrixDiff", "RowChange", "RowSnapshot", "Snapshot", "compare", "snapshot_at", "snapshot_of"]

WORK_TREE = "work tree"
RENAME_RATIO = 0.75  # capability texts at least this similar (difflib) in one section are one row renamed


@dataclass(frozen=True, slots=True, kw_only=True)
class RowSnapshot:
    """One row as `check` saw it: evidence reduced to stable identities (test names, not line numbers)."""

    file: str
    line: int
    section: str
    capability: str
    status: str
    code: tuple[str, ...]
    tests: tuple[str, ...]
    ci: tuple[str, ...]
    check: str  # "ok" | "warning" | "error"
    findings: tuple[str, ...]  # codes of the row's findings

    @property
    def evidence(self) -> tuple[str, ...]:
        return (*self.code, *self.tests, *self.ci)


@dataclass(frozen=True, slots=True, kw_only=True)
class Snapshot:
    label: str  # the revision as the user named it, or "work tree"
    sha: str  # "" for the work tree
    rows: tuple[RowSnapshot, ...]
    errors: int
    warnings: int
    proof_statuses: tuple[str, ...]
    taxonomy: tuple[str, ...] = ()  # the configured statuses, in order

    @property
    def statuses(self) -> dict[str, int]:
        return dict(sorted(Counter(r.status for r in self.rows).items()))


@dataclass(frozen=True, slots=True, kw_only=True)
class RowChange:
    before: RowSnapshot | None
    after: RowSnapshot | None
    evidence_added: tuple[str, ...] = ()
    evidence_removed: tuple[str, ...] = ()
    upgraded_without_proof: bool = False

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "renamed" if self.before.capability != self.after.capability else "changed"

    def to_dict(self) -> dict[str, Any]:
        before, after = self.before, self.after
        row = after or before
        assert row is not None  # noqa: S101 - a change has at least one side
        both = before is not None and after is not None
        return {
            "kind": self.kind,
            "section": row.section,
            "capability": row.capability,
            "previous_capability": before.capability if both and before and self.kind == "renamed" else None,
            "previous_section": before.section if both and before and before.section != row.section else None,
            "line_before": before.line if before else None,
            "line_after": after.line if after else None,
            "status_before": before.status if before else None,
            "status_after": after.status if after else None,
            "evidence_added": list(self.evidence_added),
            "evidence_removed": list(self.evidence_removed),
            "check_before": before.check if before else None,
            "check_after": after.check if after else None,
            "findings_after": list(after.findings) if after else [],
            "upgraded_without_new_proof": self.upgraded_without_proof,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class MatrixDiff:
    before: Snapshot
    after: Snapshot
    changes: tuple[RowChange, ...]

    @property
    def unproven_upgrades(self) -> tuple[RowChange, ...]:
        return tuple(c for c in self.changes if c.upgraded_without_proof)

    @property
    def exit_code(self) -> int:
        """1 when a claim rose without new proof: a PR gate can stop on it."""
        return 1 if self.unproven_upgrades else 0

    def to_dict(self) -> dict[str, Any]:
        kinds = Counter(c.kind for c in self.changes)
        return {
            "schema_version": 1,
            "command": "diff",
            "before": _side(self.before),
            "after": _side(self.after),
            "summary": {
                "added": kinds["added"],
                "removed": kinds["removed"],
                "renamed": kinds["renamed"],
                "status_changed": sum(1 for c in self.changes if _status_changed(c)),
                "upgraded_without_new_proof": len(self.unproven_upgrades),
            },
            "changes": [c.to_dict() for c in self.changes],
        }


def _side(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "rev": snapshot.label,
        "sha": snapshot.sha,
        "rows": len(snapshot.rows),
        "statuses": snapshot.statuses,
        "check_errors": snapshot.errors,
        "check_warnings": snapshot.warnings,
    }


def _status_changed(change: RowChange) -> bool:
    return bool(change.before and change.after and change.before.status != change.after.status)


def _identities(cell: EvidenceCell) -> tuple[str, ...]:
    """A ref naming symbols is those symbols (lines drift); a bare ref is its `path[:line]`."""
    found: list[str] = []
    for ref in cell.refs:
        found.extend([f"{ref.path}::{symbol}" for symbol in ref.symbols] if ref.symbols else [ref.token])
    return tuple(dict.fromkeys(found))


def _ci_identities(refs: Sequence[CiRef]) -> tuple[str, ...]:
    found: list[str] = []
    for ref in refs:
        if ref.job and ref.commands:
            found.extend(f"{ref.workflow} (job {ref.job}: {command})" for command in ref.commands)
        else:
            found.append(f"{ref.workflow} (job {ref.job})" if ref.job else ref.workflow)
    return tuple(dict.fromkeys(found))


def snapshot_of(repo: Repository, label: str, sha: str = "") -> Snapshot:
    """Run `check` on one tree and keep what a diff compares."""
    from parity.check import run_check  # noqa: PLC0415

    report = run_check(repo)
    columns = repo.config.columns
    by_line: dict[tuple[str, int], list[Any]] = {}
    for finding in report.findings:
        by_line.setdefault((finding.location.path, finding.location.line or 0), []).append(finding)
    rows = []
    for item in report.rows:
        row = item.row
        findings = by_line.get((row.path, row.line), [])
        worst = (
            "error"
            if any(f.severity is Severity.ERROR for f in findings)
            else "warning"
            if findings
            else "ok"
        )
        rows.append(
            RowSnapshot(
                file=row.path,
                line=row.line,
                section=row.section,
                capability=row.get(columns.capability),
                status=row.get(columns.status),
                code=_identities(item.code),
                tests=_identities(item.tests),
                ci=_ci_identities(item.ci_refs),
                check=worst,
                findings=tuple(sorted({f.code for f in findings})),
            )
        )
    return Snapshot(
        label=label,
        sha=sha,
        rows=tuple(rows),
        errors=report.errors,
        warnings=report.warnings,
        proof_statuses=repo.config.proof_statuses,
        taxonomy=repo.config.statuses,
    )


def snapshot_at(root: Path, rev: str) -> Snapshot:
    """`check` on the tree of `rev`, unpacked into a temp dir: the user's work tree is never touched."""
    from parity.config import load_config  # noqa: PLC0415
    from parity.repository import Repository  # noqa: PLC0415

    top = gitutil.toplevel(root)
    if not top.ok:
        raise InputError(str(root), f"cannot read the git state: {top.problem}", hint="pass --repo PATH")
    sha = gitutil.commit_of(root, rev)
    if sha is None:
        raise InputError(rev, "names no commit of this repository", hint="name a branch, tag or commit SHA")
    with tempfile.TemporaryDirectory(prefix="parity-diff-") as temp:
        tree = Path(temp) / "tree"
        tree.mkdir()
        # Run from the target directory: `git archive` then exports just that subtree, rooted there.
        problem = gitutil.export_tree(root, sha, tree)
        if problem:
            raise InputError(rev, f"cannot export the tree: {problem}")
        try:
            return snapshot_of(Repository(load_config(tree)), rev, sha)
        except InputError as exc:
            where = exc.path.replace(str(tree.resolve()) + "/", "").replace(str(tree) + "/", "")
            raise InputError(f"{rev}:{where}", exc.message, line=exc.line, hint=exc.hint) from None


def compare(before: Snapshot, after: Snapshot) -> MatrixDiff:
    """Pair rows (same text; else same section + evidence; else similar text), then list what changed."""
    pairs = _pair(before.rows, after.rows)
    paired_before = {id(b) for b, _ in pairs}
    changes: list[RowChange] = []
    by_after = {id(a): b for b, a in pairs}
    for row in after.rows:
        old = by_after.get(id(row))
        if old is None:
            changes.append(RowChange(before=None, after=row, evidence_added=row.evidence))
            continue
        change = _change(old, row, after.proof_statuses)
        if change is not None:
            changes.append(change)
    changes.extend(
        RowChange(before=row, after=None, evidence_removed=row.evidence)
        for row in before.rows
        if id(row) not in paired_before
    )
    return MatrixDiff(before=before, after=after, changes=tuple(changes))


def _change(old: RowSnapshot, new: RowSnapshot, proof_statuses: Sequence[str]) -> RowChange | None:
    added = tuple(e for e in new.evidence if e not in old.evidence)
    removed = tuple(e for e in old.evidence if e not in new.evidence)
    same = (
        old.capability == new.capability
        and old.section == new.section
        and old.status == new.status
        and old.check == new.check
        and not added
        and not removed
    )
    if same:
        return None
    before_rank, after_rank = _rank(old.status, proof_statuses), _rank(new.status, proof_statuses)
    new_tests = [t for t in new.tests if t not in old.tests]
    upgraded = before_rank is not None and after_rank is not None and after_rank > before_rank
    return RowChange(
        before=old,
        after=new,
        evidence_added=added,
        evidence_removed=removed,
        upgraded_without_proof=upgraded and not new_tests,
    )


def _rank(status: str, proof_statuses: Sequence[str]) -> int | None:
    """The taxonomy's order: Planned/Designed -> Partial -> Implemented (Exception is off the ladder)."""
    if status in proof_statuses:
        return 2
    return {"Partial": 1, "Designed": 0, "Planned": 0}.get(status)


def _pair(
    before: Sequence[RowSnapshot], after: Sequence[RowSnapshot]
) -> list[tuple[RowSnapshot, RowSnapshot]]:
    pairs: list[tuple[RowSnapshot, RowSnapshot]] = []
    left, right = list(before), list(after)

    def take(match: Callable[[RowSnapshot, RowSnapshot], bool]) -> None:
        for new in list(right):
            candidates = [old for old in left if match(old, new)]
            if len(candidates) == 1 or (candidates and match is _same_text):
                pairs.append((candidates[0], new))
                left.remove(candidates[0])
                right.remove(new)

    take(_same_text)
    take(lambda old, new: old.capability == new.capability)  # moved to another section
    take(lambda old, new: old.section == new.section and _same_evidence(old, new))
    scored = sorted(
        (
            (difflib.SequenceMatcher(None, old.capability, new.capability).ratio(), i, j)
            for i, old in enumerate(left)
            for j, new in enumerate(right)
            if old.section == new.section
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    used_left: set[int] = set()
    used_right: set[int] = set()
    for ratio, i, j in scored:
        if ratio >= RENAME_RATIO and i not in used_left and j not in used_right:
            pairs.append((left[i], right[j]))
            used_left.add(i)
            used_right.add(j)
    return pairs


def _same_text(old: RowSnapshot, new: RowSnapshot) -> bool:
    return old.section == new.section and old.capability == new.capability


def _same_evidence(old: RowSnapshot, new: RowSnapshot) -> bool:
    return bool(old.code or old.tests) and (old.code, old.tests, old.ci) == (new.code, new.tests, new.ci)
