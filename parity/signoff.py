"""Release sign-off: a full proof at one clean commit, kept as a manifest anyone can verify later."""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from parity import __version__, gitutil
from parity.atomicfile import write_atomic
from parity.errors import InputError
from parity.execute import run_argv
from parity.manifest import (
    SCHEMA,
    digest_of,
    digest_problem,
    file_sha256,
    load_manifest,
    render,
    version_key,
)
from parity.model import Verdict
from parity.prove import ProveOptions, prove
from parity.runner import run_command
from parity.toolchain import tool_versions

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from parity.plan import Invocation
    from parity.prove import ProveReport
    from parity.repository import Repository
    from parity.results import CommandResult
    from parity.runner import RunRecord
    from parity.verdicts import RowVerdict

__all__ = ["DEFAULT_DIR", "Blocker", "SignoffOptions", "SignoffResult", "sign_off"]

DEFAULT_DIR = "docs/parity/signoff"
_RELEASE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")
_SHOWN = 5  # dirty paths named in the refusal


@dataclass(frozen=True, slots=True, kw_only=True)
class SignoffOptions:
    release: str
    output: Path | None = None  # default: docs/parity/signoff/<release>.json in the repository
    force: bool = False
    accept: tuple[str, ...] = ()  # --accept-regression: capability text or matrix line
    previous: Path | None = None  # default: the latest accepted manifest of a lower version


@dataclass(frozen=True, slots=True, kw_only=True)
class Blocker:
    """A row that stops the sign-off: an unproven claim, or a regression since the previous one."""

    file: str
    line: int
    section: str
    capability: str
    status: str
    verdict: str
    reason: str
    detail: str = ""
    accepted: bool = False  # named by --accept-regression

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class SignoffResult:
    manifest: dict[str, Any]
    label: str  # where the manifest was written, as the user should read it
    previous: str  # the previous manifest compared against ("" if none)
    blockers: tuple[Blocker, ...]
    unused_accepts: tuple[str, ...]  # --accept-regression values that named no blocking row
    report: ProveReport

    @property
    def accepted(self) -> bool:
        return bool(self.manifest["accepted"])

    @property
    def exit_code(self) -> int:
        return 0 if self.accepted else 1


def sign_off(
    repo: Repository,
    options: SignoffOptions,
    *,
    run: Callable[..., RunRecord] = run_command,
    on_event: Callable[..., None] | None = None,
    on_line: Callable[[str], None] | None = None,
) -> SignoffResult:
    """Refuse a dirty tree, prove everything (flaky is not proven), compare, write the manifest."""
    root = repo.root
    if not _RELEASE.fullmatch(options.release):
        raise InputError(
            options.release, "not a usable release name", hint="use letters, digits and . _ + - (e.g. v1.2.0)"
        )
    output = (options.output or root / DEFAULT_DIR / f"{options.release}.json").absolute()
    label = _label(root, output)
    sha, tree, prefix, top = _git_state(root)
    _refuse_dirty(root, top, output)
    if output.exists() and not options.force:
        raise InputError(label, "already exists; refusing to overwrite it", hint="pass --force to replace it")
    previous, previous_label = _previous(root, options, output)
    report = prove(
        repo, ProveOptions(for_signoff=True, cache=False), run=run, on_event=on_event, on_line=on_line
    )
    if report.interrupted:
        raise KeyboardInterrupt
    blockers, unused = _blockers(report.rows, previous, options.accept)
    changed = gitutil.status_paths(root)
    manifest: dict[str, Any] = {
        "schema": SCHEMA,
        "release": options.release,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "accepted": all(b.accepted for b in blockers),
        "parity_version": __version__,
        "git": {
            "sha": sha,
            "tree": tree,
            "prefix": prefix,
            "changed_during_prove": [p for p in changed if p != _rel(top, output)]
            if isinstance(changed, list)
            else [],
        },
        "toolchain": _toolchain(root, run),
        "matrices": list(repo.config.matrices),
        "summary": _summary(report, blockers),
        "previous": None
        if previous is None
        else {"release": previous.get("release"), "file": previous_label, "digest": previous.get("digest")},
        "commands": _commands(report, no_fail_fast=repo.config.prove.cargo_no_fail_fast),
        "rows": [_row(r) for r in report.rows],
        "blocking": [b.to_dict() for b in blockers],
        "evidence": _evidence(repo, report),
    }
    manifest["digest"] = digest_of(manifest)
    write_atomic(output, render(manifest), overwrite=options.force, label=label)
    return SignoffResult(
        manifest=manifest,
        label=label,
        previous=previous_label,
        blockers=tuple(blockers),
        unused_accepts=tuple(unused),
        report=report,
    )


def _label(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


def _rel(top: Path, path: Path) -> str:
    return Path(os.path.relpath(path.resolve(), top)).as_posix()


def _git_state(root: Path) -> tuple[str, str, str, Path]:
    top = gitutil.toplevel(root)
    if not top.ok:
        raise InputError(
            str(root),
            f"cannot read the git state: {top.problem}",
            hint="a sign-off records a commit: run it in a git clone of the repository",
        )
    sha = gitutil.commit_of(root, "HEAD")
    if sha is None:
        raise InputError(str(root), "the repository has no commit yet", hint="commit, then sign off")
    return sha, gitutil.tree_of(root, sha) or "", gitutil.prefix_of(root), Path(top.text).resolve()


def _refuse_dirty(root: Path, top: Path, output: Path) -> None:
    """Anything `git status` reports counts, untracked files too; only the manifest being written does not."""
    found = gitutil.status_paths(root)
    if isinstance(found, gitutil.GitResult):
        raise InputError(str(root), f"cannot read the git status: {found.problem}")
    mine = _rel(top, output)
    dirty = [path for path in found if path != mine]
    if dirty:
        shown = ", ".join(dirty[:_SHOWN]) + (
            f" and {len(dirty) - _SHOWN} more" if len(dirty) > _SHOWN else ""
        )
        raise InputError(
            str(root),
            f"the work tree has {len(dirty)} uncommitted change(s): {shown}",
            hint="commit or stash them: a sign-off proves a commit, not a work tree",
        )


def _previous(root: Path, options: SignoffOptions, output: Path) -> tuple[dict[str, Any] | None, str]:
    """--previous, else the latest accepted manifest next to the output whose version is lower."""
    if options.previous is not None:
        label = _label(root, options.previous.absolute())
        document, _ = load_manifest(options.previous, label)
        _require_genuine(document, label)
        return document, label
    folder = output.parent
    mine = version_key(options.release)
    candidates = []
    for path in folder.glob("*.json") if folder.is_dir() else ():
        key = version_key(path.stem)
        if path.resolve() == output.resolve() or key is None or (mine is not None and key >= mine):
            continue
        candidates.append((key, path))
    for _, path in sorted(candidates, reverse=True):
        label = _label(root, path)
        document, _ = load_manifest(path, label)
        _require_genuine(document, label)
        if document.get("accepted") is True:
            return document, label
    return None, ""


def _require_genuine(document: dict[str, Any], label: str) -> None:
    problem = digest_problem(document)
    if problem:
        raise InputError(
            label, problem, hint="restore it from git, or name the previous sign-off with --previous"
        )


def _blockers(
    rows: Sequence[RowVerdict], previous: dict[str, Any] | None, accept: Sequence[str]
) -> tuple[list[Blocker], list[str]]:
    regressions: dict[int, str] = {}  # current line -> reason
    removed: list[Blocker] = []
    if previous is not None:
        release = str(previous.get("release", "the previous sign-off"))
        by_key = {(r.section, r.capability): r for r in rows}
        by_capability: dict[str, list[RowVerdict]] = {}
        for row in rows:
            by_capability.setdefault(row.capability, []).append(row)
        for old in previous.get("rows", []):
            if old.get("verdict") != Verdict.PROVEN.value:
                continue
            same = by_capability.get(old.get("capability", ""), [])
            current = by_key.get((old.get("section"), old.get("capability"))) or (
                same[0] if len(same) == 1 else None
            )
            if current is None:
                removed.append(
                    Blocker(
                        file=old.get("file", ""),
                        line=int(old.get("line", 0)),
                        section=old.get("section", ""),
                        capability=old.get("capability", ""),
                        status=old.get("status", ""),
                        verdict="removed",
                        reason=f"regression: proven in {release}, no longer in the matrix",
                    )
                )
            elif current.verdict is not Verdict.PROVEN:
                regressions[current.line] = f"regression: proven in {release}, now {current.verdict.value}"
    blockers: list[Blocker] = []
    for row in rows:
        reason = regressions.get(row.line, "")
        if not reason and row.claims_proof and row.verdict is not Verdict.PROVEN:
            reason = f"{row.status} but {row.verdict.value}"
        if reason:
            blockers.append(
                Blocker(
                    file=row.path,
                    line=row.line,
                    section=row.section,
                    capability=row.capability,
                    status=row.status,
                    verdict=row.verdict.value,
                    reason=reason,
                    detail=row.reasons[0] if row.reasons else "",
                )
            )
    blockers.extend(removed)
    named = {text.strip() for text in accept}
    used: set[str] = set()
    final = []
    for blocker in blockers:
        hits = {t for t in named if t == blocker.capability or (t.isdigit() and int(t) == blocker.line)}
        used |= hits
        final.append(_accepted(blocker) if hits else blocker)
    return final, sorted(named - used)


def _accepted(blocker: Blocker) -> Blocker:
    return replace(blocker, accepted=True)


def _toolchain(root: Path, run: Callable[..., RunRecord]) -> dict[str, str]:
    """Versions as the commands saw them (run in the repository: rust-toolchain.toml applies)."""
    return tool_versions(root, root / ".parity-cache" / "logs", run=run)


def _summary(report: ProveReport, blockers: Sequence[Blocker]) -> dict[str, Any]:
    claims = [r for r in report.rows if r.claims_proof]
    return {
        "rows": len(report.rows),
        "claims": len(claims),
        "claims_proven": sum(1 for r in claims if r.verdict is Verdict.PROVEN),
        "blocking": len(blockers),
        "accepted_by_flag": sum(1 for b in blockers if b.accepted),
        "duration_seconds": round(report.duration, 3),
    }


def _command(invocation: Invocation, result: CommandResult | None, executed: list[str]) -> dict[str, Any]:
    return {
        "key": invocation.key,
        "workflow": invocation.workflow,
        "job": invocation.job,
        "step_line": invocation.step_line,
        "kind": invocation.kind,
        "argv": list(invocation.argv),
        "executed_argv": executed,
        "cwd": invocation.cwd,
        "env_keys": sorted(k for k, _ in invocation.env),
        "status": result.status.value if result else "not run",
        "exit_code": result.exit_code if result else None,
        "duration_seconds": round(result.duration, 3) if result else 0.0,
        "log_sha256": result.log_sha256 if result else "",
    }


def _commands(report: ProveReport, *, no_fail_fast: bool) -> list[dict[str, Any]]:
    """Each command as the workflow runs it and as parity ran it (the JUnit path relative to the repo)."""
    commands = []
    for setups in report.plan.setups.values():
        for invocation in setups:
            result = report.setup_results.get(invocation.job)
            mine = result if result is not None and result.key == invocation.key else None
            commands.append(_command(invocation, mine, list(invocation.argv)))
    for invocation in report.plan.invocations:
        junit = Path(".parity-cache/logs") / f"{invocation.key}.xml"
        executed = run_argv(invocation, no_fail_fast=no_fail_fast, junit_path=junit)
        commands.append(_command(invocation, report.results.get(invocation.key), executed))
    return commands


def _row(row: RowVerdict) -> dict[str, Any]:
    return {
        "file": row.path,
        "line": row.line,
        "section": row.section,
        "capability": row.capability,
        "status": row.status,
        "claims_proof": row.claims_proof,
        "verdict": row.verdict.value,
        "reasons": list(row.reasons),
        "tests": [{"label": t.label, "verdict": t.verdict.value, "command": t.command} for t in row.tests],
    }


def _evidence(repo: Repository, report: ProveReport) -> dict[str, str]:
    """sha256 of every existing file the matrix cites (code, tests, workflows), the matrix and config."""
    cited = set(repo.config.matrices)
    if repo.config.source != "defaults":
        cited.add("parity.toml" if repo.config.source == "parity.toml" else "pyproject.toml")
    for item in report.check.rows:
        cited.update(ref.path for ref in (*item.code.refs, *item.tests.refs))
        cited.update(ci.workflow for ci in item.ci_refs)
    hashes = {}
    for path in cited:
        info = repo.path(path)
        if info.inside and info.is_file:
            hashes[info.rel] = file_sha256(repo.root / info.rel)
    return dict(sorted(hashes.items()))
