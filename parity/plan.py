"""Cited commands -> the unique invocations to run, exactly as the workflow runs them (pure)."""

from __future__ import annotations

import functools
import hashlib
import json
import shlex
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, TypeVar

from parity.config import DEFAULT_ALLOWED_EXECUTABLES

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from parity.citation import CitedCommand
    from parity.config import Config
    from parity.matrix import Row
    from parity.workflow import Workflow

__all__ = [
    "CitingRow",
    "Invocation",
    "Plan",
    "build_plan",
    "command_kind",
    "filter_rows",
    "key_of",
    "shell_refusal",
]


class CitingRow(Protocol):
    """A matrix row and the CI commands it cites (a fully resolved row, or only its CI cell)."""

    @property
    def row(self) -> Row: ...

    @property
    def commands(self) -> tuple[CitedCommand, ...]: ...


_Row = TypeVar("_Row", bound=CitingRow)


@dataclass(frozen=True, slots=True, kw_only=True)
class Invocation:
    """One distinct (argv, cwd, env): runs once however many rows cite it."""

    key: str
    argv: tuple[str, ...]  # exactly what the workflow step runs
    cwd: str  # repo-relative
    env: tuple[tuple[str, str], ...]  # what the workflow/job/step set (sorted)
    kind: str  # "cargo" | "pytest" | "setup"
    workflow: str
    job: str
    step_line: int
    shell: bool = False  # verbatim shell step run under `bash -c` (allow_shell only)
    rows: tuple[int, ...] = ()  # matrix lines of the rows that need it

    @property
    def display(self) -> str:
        prefix = f"(cd {self.cwd} && " if self.cwd else ""
        return f"{prefix}{shlex.join(self.argv)}{')' if self.cwd else ''}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    invocations: tuple[Invocation, ...]
    setups: dict[str, tuple[Invocation, ...]]  # job id -> setup commands, in order
    refused: tuple[tuple[CitedCommand, str], ...] = ()  # commands policy would not run, and why
    setup_errors: dict[str, str] = field(default_factory=dict)  # job id -> why its setup is unusable


Argv = tuple[str, ...]
Env = tuple[tuple[str, str], ...]  # sorted (name, value) pairs


@functools.lru_cache(maxsize=4096)
def invocation_key(argv: Argv, cwd: str, env: Env) -> str:
    """A short stable id of what runs: the same for every row citing it, in every run (logs, cache)."""
    blob = json.dumps([list(argv), cwd, [list(e) for e in env]], separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def key_of(cited: CitedCommand, config: Config) -> str:
    """The invocation key of a cited command (the same one build_plan gives its Invocation)."""
    argv, cwd, env, _ = _argv_of(cited, config)
    return invocation_key(argv, cwd, env)


def _argv_of(
    cited: CitedCommand, config: Config
) -> tuple[tuple[str, ...], str, tuple[tuple[str, str], ...], bool]:
    del config
    step_command = cited.command
    assert step_command is not None  # noqa: S101 - callers check shell_refusal first
    shell = step_command.argv is None
    argv = ("bash", "-e", "-c", step_command.text) if shell else tuple(step_command.argv or ())
    return argv, step_command.cwd, tuple(sorted(cited.env.items())), shell


def command_kind(argv: Sequence[str]) -> str | None:
    # The argv parsers alone: the selection analysis behind `parity.selection` is the full check's.
    from parity.cargoargs import parse_cargo_test  # noqa: PLC0415
    from parity.pytestargs import parse_pytest  # noqa: PLC0415

    if parse_cargo_test(tuple(argv)) is not None:
        return "cargo"
    if parse_pytest(tuple(argv)) is not None:
        return "pytest"
    return None


def shell_refusal(command: CitedCommand, config: Config) -> str:
    """Why the policy refuses to execute this command ("" when it may run)."""
    step_command = command.command
    if step_command is None:
        return "no workflow step runs it"
    if step_command.argv is None:
        out_of_context = {"unknown-cwd", "compound"} & set(step_command.shell_syntax)
        if out_of_context:
            # Run alone, such a line would run somewhere or somehow CI never runs it.
            return (
                f"it depends on shell context parity cannot reproduce ({', '.join(sorted(out_of_context))})"
            )
        if step_command.expressions and not step_command.shell_syntax:
            found = ", ".join(f"`${{{{ {e} }}}}`" for e in step_command.expressions)
            return f"it uses workflow expressions ({found}) that only GitHub can evaluate"
        found = ", ".join(f"`{s}`" for s in step_command.shell_syntax) or "shell syntax"
        if not config.prove.allow_shell:
            return f"it uses shell syntax ({found}); set `prove.allow_shell = true` to run it under bash -c"
        return ""
    # The exact argv[0]: `./cargo` or `tools/cargo` is a file of the repository, not the toolchain.
    executable = step_command.argv[0]
    if executable not in config.prove.allowed_executables:
        allowed = ", ".join(config.prove.allowed_executables)
        return (
            f"`{executable}` is not an allowed executable ({allowed}); add it to `prove.allowed_executables`"
        )
    if executable in DEFAULT_ALLOWED_EXECUTABLES and command_kind(step_command.argv) is None:
        # The default runners can also publish or deploy; only their test commands may run.
        # A program the user added to the allow-list runs as written: that was their choice.
        return (
            f"`{step_command.text}` is not a test command: prove runs only `cargo test` and pytest commands "
            "(plus the setup commands named in [jobs.<id>] setup)"
        )
    return ""


def filter_rows(rows: Sequence[_Row], *, row_filters: Sequence[str], sections: Sequence[str]) -> list[_Row]:
    """`--row TEXT` (capability substring or matrix line) and `--section NAME` (case-insensitive)."""
    if not row_filters and not sections:
        return list(rows)
    chosen: list[_Row] = []
    for item in rows:
        capability = next(iter(item.row.cells.values())).text if item.row.cells else ""
        by_row = any(
            (text.isdigit() and int(text) == item.row.line) or text.lower() in capability.lower()
            for text in row_filters
        )
        by_section = any(name.lower() == item.row.section.lower() for name in sections)
        if by_row or by_section:
            chosen.append(item)
    return chosen


def build_plan(
    rows: Sequence[CitingRow],
    config: Config,
    workflows: dict[str, Workflow],
    cwd_refusal: Callable[[str], str] = lambda _cwd: "",
) -> Plan:
    """Deduplicate the commands the rows cite; attach each job's configured setup commands.

    `cwd_refusal` says why a working directory may not be used ("" if it may): the caller knows the
    file system, this module does not.
    """
    # (argv, cwd, env) -> the last command citing it (whose step the invocation names), whether it
    # runs under a shell, and the lines of every row citing it
    distinct: dict[tuple[Argv, str, Env], tuple[CitedCommand, bool, set[int]]] = {}
    refused: list[tuple[CitedCommand, str]] = []
    jobs: dict[str, str] = {}  # job -> workflow
    for item in rows:
        for cited in item.commands:
            reason = shell_refusal(cited, config)
            if not reason and cited.command is not None:
                reason = cwd_refusal(cited.command.cwd)
            if reason:
                refused.append((cited, reason))
                continue
            argv, cwd, env, shell = _argv_of(cited, config)
            seen = distinct.get((argv, cwd, env))
            lines = seen[2] if seen else set()
            lines.add(item.row.line)
            distinct[(argv, cwd, env)] = (cited, shell, lines)
            jobs[cited.job] = cited.workflow
    by_key: dict[str, Invocation] = {}
    for (argv, cwd, env), (cited, shell, lines) in distinct.items():
        key = invocation_key(argv, cwd, env)
        by_key[key] = Invocation(
            key=key,
            argv=argv,
            cwd=cwd,
            env=env,
            kind="shell" if shell else (command_kind(argv) or "other"),
            workflow=cited.workflow,
            job=cited.job,
            step_line=cited.command.line if cited.command else 0,
            shell=shell,
            rows=tuple(sorted(lines)),
        )
    last_lines: dict[str, int] = {}
    for invocation in by_key.values():
        last_lines[invocation.job] = max(last_lines.get(invocation.job, 0), invocation.step_line)
    setups, setup_errors = _setups(jobs, last_lines, config, workflows)
    invocations = tuple(sorted(by_key.values(), key=lambda i: (i.workflow, i.step_line, i.key)))
    return Plan(invocations=invocations, setups=setups, refused=tuple(refused), setup_errors=setup_errors)


def _setups(
    jobs: dict[str, str], last_lines: dict[str, int], config: Config, workflows: dict[str, Workflow]
) -> tuple[dict[str, tuple[Invocation, ...]], dict[str, str]]:
    """Each configured setup entry must be, verbatim, an earlier `run:` command of the same job."""
    setups: dict[str, tuple[Invocation, ...]] = {}
    errors: dict[str, str] = {}
    for job_id, workflow_path in sorted(jobs.items()):
        wanted = config.jobs.get(job_id)
        if wanted is None or not wanted.setup:
            continue
        job = workflows[workflow_path].jobs.get(job_id)
        if job is None:
            continue
        found: list[Invocation] = []
        for text in wanted.setup:
            match = next(
                ((step, c) for step in job.steps for c in step.commands if c.text == " ".join(text.split())),
                None,
            )
            problem = ""
            if match is None:
                problem = f"setup command `{text}` is not a `run:` command of job `{job_id}`"
            elif match[1].argv is None:
                problem = f"setup command `{text}` uses shell syntax"
            elif match[1].line >= last_lines.get(job_id, 0):
                problem = f"setup command `{text}` does not run before the job's test commands"
            if problem:
                errors[job_id] = problem
                break
            assert match is not None  # noqa: S101
            step, command = match
            env = tuple(sorted(workflows[workflow_path].effective_env(job, step).items()))
            found.append(
                Invocation(
                    key=invocation_key(tuple(command.argv or ()), command.cwd, env),
                    argv=tuple(command.argv or ()),
                    cwd=command.cwd,
                    env=env,
                    kind="setup",
                    workflow=workflow_path,
                    job=job_id,
                    step_line=command.line,
                )
            )
        if job_id not in errors:
            setups[job_id] = tuple(found)
    return setups, errors
