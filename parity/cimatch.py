"""Which command of a job a matrix's cited CI command refers to, and how it differs (pure)."""

from __future__ import annotations

import enum
import posixpath
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from parity.shellsplit import split_run

if TYPE_CHECKING:
    from collections.abc import Sequence

    from parity.shellsplit import Command
    from parity.workflow import Job, Step, Workflow

__all__ = ["CommandMatch", "Match", "MatchKind", "match_command"]

_ASSIGNMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_PYTHON = re.compile(r"python(\d+(\.\d+)?)?(\.exe)?")
# `<tool> run <cited>` runners, and programs that run their trailing arguments as a command.
_RUNNERS = frozenset({"uv", "poetry", "pipenv", "pdm", "hatch", "rye"})
_PYTEST = frozenset({"pytest", "py.test"})  # every argument of pytest is a test argument
_SUBCOMMAND_TOOLS = frozenset({"cargo", "go", "npm", "pnpm", "yarn", "dotnet", "nox"})
_PREFIXES = frozenset({"timeout", "env", "nice", "xvfb-run", "stdbuf", "time", "nohup"})


class MatchKind(enum.StrEnum):
    """How a step's command relates to the cited one, best first."""

    VERBATIM = "verbatim"  # same argv
    EXTRA_TEST_ARGS = "extra-test-args"  # the step appends test arguments (after `--`, or to pytest)
    WORKING_DIRECTORY = "working-directory"  # same command, paths relative to the step's directory
    WRAPPER = "wrapper"  # `uv run`, `python -m`, `cargo +stable`, `timeout 600`, `FOO=1` ...


_RANK = {kind: rank for rank, kind in enumerate(MatchKind)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    kind: MatchKind
    job: Job
    step: Step
    command: Command
    added_args: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandMatch:
    """The best match (kind None: none), every equally good one, or the near misses."""

    kind: MatchKind | None
    command: Command | None = None
    step: Step | None = None
    job: Job | None = None
    added_args: tuple[str, ...] = ()
    note: str = ""
    candidates: tuple[Command, ...] = ()
    matches: tuple[Match, ...] = ()


def _unpython(argv: Sequence[str]) -> tuple[list[str], bool]:
    """`python -m pytest x` -> `pytest x`."""
    if len(argv) >= 3 and _PYTHON.fullmatch(argv[0].rsplit("/", 1)[-1]) and argv[1] == "-m":
        return list(argv[2:]), True
    return list(argv), False


def _toolchain(argv: Sequence[str]) -> tuple[list[str], str | None]:
    """`cargo +stable test` -> `cargo test`, "+stable"."""
    if len(argv) >= 2 and argv[0] == "cargo" and argv[1].startswith("+"):
        return [argv[0], *argv[2:]], argv[1]
    return list(argv), None


def _is_wrapper(prefix: Sequence[str]) -> bool:
    if not prefix:
        return True
    program = prefix[0].rsplit("/", 1)[-1]
    return (program in _RUNNERS and prefix[1:2] == ["run"]) or program in _PREFIXES


def _same_path(cited: str, step: str, cwd: str) -> bool:
    """`python/arco/tests/x.py` cited, `tests/x.py` run in `python/arco` (also `--opt=path`, `path::test`)."""
    if not cwd:
        return False
    if "=" in cited and "=" in step:
        (a_opt, cited), (s_opt, step) = cited.split("=", 1), step.split("=", 1)
        if a_opt != s_opt:
            return False
    a_path, _, a_rest = cited.partition("::")
    s_path, _, s_rest = step.partition("::")
    joined = posixpath.normpath(posixpath.join(cwd, s_path))
    return a_rest == s_rest and bool(s_path) and joined == posixpath.normpath(a_path)


def _compare(
    cited: list[str], tail: list[str], cwd: str
) -> tuple[MatchKind, tuple[str, ...], list[str]] | None:
    """Cited argv vs the part of a step's argv after any wrapper."""
    notes: list[str] = []
    kind = MatchKind.VERBATIM
    cited, cited_py = _unpython(cited)
    tail, tail_py = _unpython(tail)
    if cited_py != tail_py:
        kind = MatchKind.WRAPPER
        notes.append("the step runs it as `python -m`" if tail_py else "the step runs it without `python -m`")
    if len(tail) < len(cited) or not cited:
        return None
    for a, s in zip(cited, tail, strict=False):
        if a != s:
            if not _same_path(a, s, cwd):
                return None
            kind = max(kind, MatchKind.WORKING_DIRECTORY, key=_RANK.__getitem__)
            notes.append(f"`{a}` is `{s}` in `{cwd}`")
    extra = tail[len(cited) :]
    if extra and not ("--" in cited or extra[0] == "--" or cited[0].rsplit("/", 1)[-1] in _PYTEST):
        return None  # `cargo test -p x --release` is another command than `cargo test -p x`
    if extra:
        kind = max(kind, MatchKind.EXTRA_TEST_ARGS, key=_RANK.__getitem__)
        notes.append(f"the step adds `{' '.join(extra)}`")
        if "--" not in cited and extra[0] == "--":
            extra = extra[1:]
    return kind, tuple(extra), notes


def _match(job: Job, step: Step, command: Command, cited: Command, env: dict[str, str]) -> Match | None:
    assert command.argv is not None  # noqa: S101 - callers pass runnable commands only
    assert cited.argv is not None  # noqa: S101
    notes: list[str] = []
    wrapped = False
    own = dict(command.assignments)
    for name, value in cited.assignments:
        if own.get(name, env.get(name)) != value:
            return None
    added_env = [f"{k}={v}" for k, v in command.assignments if dict(cited.assignments).get(k) != v]
    if added_env:
        wrapped = True
        notes.append(f"the step sets `{' '.join(added_env)}`")
    want, want_toolchain = _toolchain(cited.argv)
    have, have_toolchain = _toolchain(command.argv)
    if want_toolchain != have_toolchain:
        if want_toolchain is not None:
            return None
        wrapped = True
        notes.append(f"the step runs `cargo {have_toolchain}`")
    for start in range(len(have)):
        if not _is_wrapper(have[:start]):
            continue
        found = _compare(want, have[start:], command.cwd)
        if found is None:
            continue
        kind, added, more = found
        if start:
            more.insert(0, f"the step wraps it in `{' '.join(have[:start])}`")
        if wrapped or start:
            kind = MatchKind.WRAPPER
        return Match(
            kind=kind, job=job, step=step, command=command, added_args=added, note="; ".join(notes + more)
        )
    return None


def _key(command: Command) -> tuple[str, str | None]:
    """(program, subcommand) for "did you mean": `cargo test`, `pytest` (wrappers unwrapped)."""
    words = list(command.argv) if command.argv is not None else command.text.split()
    while words and _ASSIGNMENT.match(words[0]):
        words.pop(0)
    while True:
        words, _ = _unpython(_toolchain(words)[0])
        if len(words) > 2 and words[0] in _RUNNERS and words[1] == "run":
            words = words[2:]
        elif len(words) > 1 and words[0] in _PREFIXES:
            words = words[1:]
            while len(words) > 1 and (
                words[0].startswith("-") or words[0][:1].isdigit() or _ASSIGNMENT.match(words[0])
            ):
                words = words[1:]
        else:
            break
    program = words[0].rsplit("/", 1)[-1] if words else ""
    if program in _SUBCOMMAND_TOOLS:
        return program, next((w for w in words[1:] if not w.startswith(("-", "+"))), None)
    return program, None


def _related(a: tuple[str, str | None], b: tuple[str, str | None]) -> bool:
    return a == b


def match_command(workflow: Workflow, job_id: str, cited: str) -> CommandMatch:
    """Find the command of job `job_id` that the matrix's `cited` text refers to."""
    job = workflow.jobs.get(job_id)
    if job is None:
        known = ", ".join(f"`{j}`" for j in workflow.jobs) or "none"
        return CommandMatch(kind=None, note=f"`{workflow.path}` has no job `{job_id}`; its jobs: {known}")
    parsed = split_run(cited)
    if len(parsed) != 1 or parsed[0].argv is None or not parsed[0].argv:
        shell = _verbatim_shell(job, cited)
        if shell is not None:
            # A shell command cited exactly as a step runs it: found, so the plan can decide
            # (refuse it, or run it under bash when the config opts in with allow_shell).
            return shell
        found = ", ".join(f"`{s}`" for c in parsed for s in c.shell_syntax) or "not a single command"
        return CommandMatch(kind=None, job=job, note=f"the cited command is not one plain command ({found})")
    wanted = parsed[0]
    matches: list[Match] = []
    for step in job.steps:
        for command in step.commands:
            if command.argv is not None:
                env = workflow.effective_env(job, step, command)
                match = _match(job, step, command, wanted, env)
                if match is not None:
                    matches.append(match)
    if matches:
        best = min(_RANK[m.kind] for m in matches)
        top = tuple(m for m in matches if _RANK[m.kind] == best)
        first = top[0]
        note = first.note
        if len(top) > 1:
            lines = ", ".join(str(m.command.line) for m in top)
            note = "; ".join(n for n in (note, f"{len(top)} commands match equally (lines {lines})") if n)
        return CommandMatch(
            kind=first.kind,
            command=first.command,
            step=first.step,
            job=job,
            added_args=first.added_args,
            note=note,
            matches=top,
        )
    return _no_match(job, wanted)


def _verbatim_shell(job: Job, cited: str) -> CommandMatch | None:
    """The step command whose text is, whitespace aside, exactly the cited shell text."""
    wanted = " ".join(cited.split())
    for step in job.steps:
        for command in step.commands:
            if command.argv is None and " ".join(command.text.split()) == wanted:
                return CommandMatch(
                    kind=MatchKind.VERBATIM,
                    command=command,
                    step=step,
                    job=job,
                    note="a shell command, cited verbatim",
                )
    return None


def _no_match(job: Job, wanted: Command) -> CommandMatch:
    key = _key(wanted)
    commands = [c for s in job.steps for c in s.commands]
    candidates = tuple(c for c in commands if c.kind == "run" and _related(key, _key(c)))
    text = " ".join(wanted.argv or ())
    hidden = next((c for c in commands if c.argv is None and text in c.text), None)
    if hidden is not None:
        syntax = ", ".join(f"`{s}`" for s in hidden.shell_syntax + tuple(hidden.expressions))
        note = f"line {hidden.line} runs it with shell syntax or expressions ({syntax}): `{hidden.text}`"
    elif job.uses is not None:
        note = f"job `{job.id}` calls the reusable workflow `{job.uses}`, which parity does not follow"
    elif not commands:
        note = f"job `{job.id}` has no `run:` steps"
    else:
        note = ""
    return CommandMatch(kind=None, job=job, note=note, candidates=candidates)
