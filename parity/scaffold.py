"""`parity add`: build a well-formed matrix row whose refs carry today's line numbers, or say why not."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from parity.errors import InputError
from parity.evidence import Language
from parity.fix import line_starts, read_text
from parity.model import Severity

if TYPE_CHECKING:
    from collections.abc import Sequence

    from parity.matrix import Matrix, Row
    from parity.repository import Repository
    from parity.sourceindex import FileIndex
    from parity.workflow import Command

__all__ = ["NewRow", "Scaffold", "scaffold_row"]

_MAX_SHOWN = 6


@dataclass(frozen=True, slots=True, kw_only=True)
class NewRow:
    """What the user asked for, as given on the command line."""

    section: str
    capability: str
    status: str
    code: tuple[str, ...] = ()  # `path::symbol`
    tests: tuple[str, ...] = ()  # `path::test_name`
    ci: tuple[str, ...] = ()  # `job:command`
    workflow: str | None = None
    owner: str = "TBD"
    proof_level: str | None = None  # None: the strongest level among the cited tests
    feature: str = ""
    notes: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Scaffold:
    matrix: str
    line: int  # where the new row lands
    row: str  # the row's text, without its line ending
    old: str
    new: str
    warnings: tuple[str, ...]


def _split(option: str, value: str, separator: str, shape: str) -> tuple[str, str]:
    head, found, tail = value.partition(separator)
    if not found or not head.strip() or not tail.strip():
        raise InputError(option, f"expected `{shape}`, got `{value}`")
    return head.strip(), tail.strip()


def _index(repo: Repository, option: str, path: str) -> FileIndex:
    info = repo.path(path)
    if not info.inside:
        raise InputError(path, info.escape_reason, hint="cite a path inside the repository")
    if not info.is_file:
        raise InputError(path, "no such file", hint=f"{option} takes a path relative to the repository root")
    if Language.of(path) is Language.OTHER:
        raise InputError(
            path, "not a Rust or Python source file", hint=f"{option} cites `.rs` or `.py` files"
        )
    return repo.index(info.rel)


def _ref(path: str, line: int, name: str) -> str:
    return f"`{path}:{line}` (`{name}`)"


def _code_ref(repo: Repository, value: str) -> str:
    path, name = _split("--code", value, "::", "path::symbol")
    index = _index(repo, "--code", path)
    found = index.find_symbol(name)
    if not found:
        close = difflib.get_close_matches(name, [s.name for s in index.symbols], n=1)
        hint = f"did you mean `{close[0]}`?" if close else "cite a function, type or constant defined there"
        raise InputError(path, f"defines no `{name}`", hint=hint)
    if len(found) > 1:
        lines = ", ".join(str(s.line) for s in found)
        names = sorted({s.qualname for s in found})
        hint = "qualify it: " + ", ".join(f"`{q}`" for q in names) if len(names) == len(found) else ""
        raise InputError(path, f"defines `{name}` {len(found)} times (lines {lines})", hint=hint or None)
    return _ref(path, found[0].line, name)


def _test_ref(repo: Repository, value: str) -> tuple[str, str]:
    """The ref text and the test's proof level."""
    from parity.check import proof_level_of  # noqa: PLC0415

    path, name = _split("--test", value, "::", "path::test_name")
    index = _index(repo, "--test", path)
    found = index.find_test(name)
    if not found:
        if index.find_symbol(name):
            raise InputError(path, f"`{name}` is not a test", hint="cite a #[test] function or a pytest test")
        close = difflib.get_close_matches(name, [t.name for t in index.tests], n=1)
        hint = f"did you mean `{close[0]}`?" if close else "cite a test defined in that file"
        raise InputError(path, f"has no test `{name}`", hint=hint)
    if len(found) > 1:
        names = ", ".join(f"`{t.full_name}`" for t in found)
        raise InputError(
            path, f"`{name}` names {len(found)} tests: {names}", hint="cite one by its full name"
        )
    return _ref(path, found[0].line, name), proof_level_of(path, index.crate)


def _workflow_for(repo: Repository, job: str, chosen: str | None) -> str:
    files = repo.workflow_files()
    if chosen is not None:
        if chosen not in files:
            raise InputError(
                chosen, "not a workflow of this repository", hint=f"workflows: {', '.join(files)}"
            )
        if job not in repo.workflow(chosen).jobs:
            jobs = ", ".join(repo.workflow(chosen).jobs)
            raise InputError(chosen, f"has no job `{job}`", hint=f"jobs: {jobs}")
        return chosen
    having = [f for f in files if job in repo.workflow(f).jobs]
    if not having:
        known = sorted({j for f in files for j in repo.workflow(f).jobs})
        raise InputError(
            files[0] if files else ".github/workflows", f"no job `{job}`", hint=f"jobs: {', '.join(known)}"
        )
    if len(having) > 1:
        raise InputError(having[0], f"job `{job}` is in {len(having)} workflows", hint="pass --workflow PATH")
    return having[0]


def _candidates(cited: str, commands: Sequence[Command]) -> str:
    if not commands:
        return "cite a command a step of that job runs, verbatim"
    ratio = {c.text: difflib.SequenceMatcher(None, cited, c.text).ratio() for c in commands}
    shown = sorted(ratio, key=lambda text: -ratio[text])[:_MAX_SHOWN]
    return "steps of that job run: " + "; ".join(f"`{text}`" for text in shown)


def _ci_cell(repo: Repository, values: tuple[str, ...], chosen: str | None) -> str:
    from parity.workflow import match_command  # noqa: PLC0415

    groups: dict[tuple[str, str], list[str]] = {}
    for value in values:
        job, command = _split("--ci", value, ":", "job:command")
        command = " ".join(command.split())
        if "`" in command:
            raise InputError("--ci", f"`{command}` contains a backtick, which a matrix cell cannot quote")
        workflow = _workflow_for(repo, job, chosen)
        match = match_command(repo.workflow(workflow), job, command)
        if match.kind is None:
            note = f" ({match.note})" if match.note else ""
            raise InputError(
                workflow,
                f"no step of job `{job}` runs `{command}`{note}",
                hint=_candidates(command, match.candidates),
            )
        groups.setdefault((workflow, job), []).append(command)
    return "<br>".join(
        f"`{workflow}` (job `{job}`: " + " + ".join(f"`{c}`" for c in commands) + ")"
        for (workflow, job), commands in groups.items()
    )


def _plain(option: str, value: str) -> str:
    """One-line cell text, with literal pipes escaped as the table needs."""
    if "\n" in value or "\r" in value:
        raise InputError(option, "must be a single line")
    return value.strip().replace("|", "\\|")


def _section_rows(repo: Repository, section: str) -> tuple[Matrix, list[Row]]:
    for matrix in repo.matrices:
        rows = [r for r in matrix.rows if r.section == section]
        if rows:
            return matrix, rows
    known = [s for m in repo.matrices for s in dict.fromkeys(r.section for r in m.rows)]
    close = difflib.get_close_matches(section, known, n=1)
    raise InputError(
        repo.config.matrices[0],
        f"no `## {section}` section with a matrix table",
        hint=(f"did you mean `{close[0]}`? " if close else "") + "sections: " + ", ".join(known),
    )


def _proof_level(repo: Repository, given: str | None, levels: list[str]) -> str:
    known = repo.config.proof_levels
    if given is not None:
        if given not in known:
            raise InputError(
                "--proof-level", f"`{given}` is not a proof level", hint=f"use one of: {', '.join(known)}"
            )
        return given
    return max(levels, key=known.index) if levels else "TBD"


def scaffold_row(repo: Repository, spec: NewRow) -> Scaffold:
    """The matrix text with the new row appended to its section's table; raises InputError if it
    names anything that does not exist, or if `parity check` would reject it."""
    from parity.check import findings_for  # noqa: PLC0415
    from parity.matrix import parse_matrix  # noqa: PLC0415
    from parity.resolve import resolve_row  # noqa: PLC0415

    config = repo.config
    columns = config.columns
    matrix, rows = _section_rows(repo, spec.section)
    if spec.status not in config.statuses:
        raise InputError(
            "--status",
            f"`{spec.status}` is not in the taxonomy",
            hint=f"use one of: {', '.join(config.statuses)}",
        )
    capability = _plain("--capability", spec.capability)
    if not capability:
        raise InputError("--capability", "must not be empty")
    for row in rows:
        if row.get(columns.capability) == capability:
            raise InputError(
                matrix.path,
                f"section `{spec.section}` already has the capability `{capability}`",
                line=row.line,
                hint="edit that row, or name the new capability differently",
            )
    code = [_code_ref(repo, value) for value in spec.code]
    tests = [_test_ref(repo, value) for value in spec.tests]
    ci = _ci_cell(repo, spec.ci, spec.workflow) if spec.ci else ""
    if spec.status in config.proof_statuses:
        missing = [o for o, given in (("--code", code), ("--test", tests), ("--ci", spec.ci)) if not given]
        if missing:
            raise InputError(
                "--status",
                f"an `{spec.status}` row needs --code, --test and --ci (missing {', '.join(missing)})",
                hint="cite the evidence, or choose a status that claims no proof",
            )
    values = {
        columns.capability: capability,
        columns.feature: _plain("--feature", spec.feature),
        columns.status: spec.status,
        columns.proof_level: _proof_level(repo, spec.proof_level, [level for _, level in tests]),
        columns.code: "<br>".join(code),
        columns.tests: "<br>".join(ref for ref, _ in tests),
        columns.ci: ci,
        columns.owner: _plain("--owner", spec.owner) or "TBD",
        columns.notes: _plain("--notes", spec.notes),
    }
    row_text = "| " + " | ".join(values.get(name, "") for name in rows[-1].cells) + " |"
    text = read_text(repo.root, matrix.path)
    after = rows[-1].line  # the new row goes right below the section's last row
    at = line_starts(text)[after]
    last = text.splitlines(keepends=True)[after - 1]
    ending = last[len(last.rstrip("\r\n")) :]
    if ending:
        new = text[:at] + row_text + ending + text[at:]
    else:  # the last row ends the file without a newline: keep it that way
        ending = "\r\n" if "\r\n" in text else "\n"
        new = text[:at] + ending + row_text + text[at:]
    parsed = parse_matrix(new, matrix.path, columns)
    added = next(r for r in parsed.rows if r.line == after + 1)
    findings = findings_for(repo, resolve_row(repo, added))
    for finding in findings:
        if finding.severity is Severity.ERROR:
            raise InputError(
                matrix.path,
                f"the new row would fail `parity check`: [{finding.code}] {finding.message}",
                hint=finding.hint or None,
            )
    return Scaffold(
        matrix=matrix.path,
        line=after + 1,
        row=row_text,
        old=text,
        new=new,
        warnings=tuple(f"[{f.code}] {f.message}" for f in findings),
    )
