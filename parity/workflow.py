"""The workflow file is the trust root: which jobs and steps exist, and exactly what each step runs."""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from parity.cimatch import CommandMatch, MatchKind, match_command
from parity.errors import InputError
from parity.gating import Gating, job_gating, step_gating
from parity.shellsplit import Command, CommandKind, split_run
from parity.yamlnodes import (
    YamlNode,
    compose_yaml,
    is_mapping,
    is_null,
    is_sequence,
    is_string,
    node_line,
    pairs,
    read_text,
    yaml_bool_or_text,
    yaml_mapping,
    yaml_str,
    yaml_strings,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

__all__ = [
    "Command",
    "CommandKind",
    "CommandMatch",
    "Gating",
    "Job",
    "MatchKind",
    "Step",
    "TriggerFilter",
    "Workflow",
    "job_gating",
    "load_workflow",
    "match_command",
    "step_gating",
]

_POSIX_SHELLS = frozenset({"bash", "sh", "dash", "zsh", "ksh"})
_JOB_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_WORKSPACE = re.compile(r"^\$\{\{\s*github\.workspace\s*\}\}/?")


@dataclass(frozen=True, slots=True, kw_only=True)
class TriggerFilter:
    """The filters of one `on:` event (None: the filter is not given)."""

    branches: tuple[str, ...] | None = None
    branches_ignore: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None
    tags_ignore: tuple[str, ...] | None = None
    paths: tuple[str, ...] | None = None
    paths_ignore: tuple[str, ...] | None = None
    types: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    index: int  # 0-based position in the job
    name: str | None
    line: int
    id: str | None = None
    uses: str | None = None
    run: str | None = None
    run_line: int | None = None  # first line of the run text (for `run: |`, the line after the key)
    working_directory: str | None = None  # step's, else job's, else workflow's default; None: repo root
    shell: str | None = None  # step's, else the defaults'; None: GitHub's `bash -e {0}`
    env: Mapping[str, str] = field(default_factory=dict)  # the step's own
    if_: str | None = None
    continue_on_error: bool | str = False  # a string is an unevaluated expression
    commands: tuple[Command, ...] = ()

    @property
    def label(self) -> str:
        return (
            self.name or self.uses or (self.commands[0].text if self.commands else f"step {self.index + 1}")
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Job:
    id: str
    name: str | None
    line: int
    if_: str | None = None
    continue_on_error: bool | str = False
    env: Mapping[str, str] = field(default_factory=dict)
    defaults_working_directory: str | None = None
    defaults_shell: str | None = None
    needs: tuple[str, ...] = ()
    has_matrix: bool = False
    runs_on: tuple[str, ...] = ()
    uses: str | None = None  # a reusable-workflow call has no steps of its own
    steps: tuple[Step, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Workflow:
    path: str  # repo-relative
    name: str | None
    line_count: int
    triggers: tuple[str, ...]  # event names, e.g. ("push", "pull_request", "schedule")
    filters: Mapping[str, TriggerFilter] = field(default_factory=dict)
    push_branches: tuple[str, ...] | None = None  # None: any branch (no `branches:` filter)
    env: Mapping[str, str] = field(default_factory=dict)
    defaults_working_directory: str | None = None
    defaults_shell: str | None = None
    jobs: Mapping[str, Job] = field(default_factory=dict)

    def effective_env(self, job: Job, step: Step, command: Command | None = None) -> dict[str, str]:
        """workflow env < job env < step env (< the command's `export`s and `FOO=1` prefix)."""
        env = {**self.env, **job.env, **step.env}
        if command is not None:
            env.update((k, v) for k, v in command.exported if v is not None)
            env.update(command.assignments)
        return env


def load_workflow(repo_root: Path, rel_path: str) -> Workflow:
    """Read `.github/workflows/x.yml`; any unusable input raises one-line InputError."""
    text = read_text(repo_root, rel_path)
    root = compose_yaml(text, rel_path)
    return _workflow(rel_path, root, text.count("\n") + 1)


def _workflow(path: str, root: YamlNode | None, line_count: int) -> Workflow:
    if root is None:
        raise InputError(path, "workflow is empty", line=1, hint="a workflow needs `on:` and `jobs:`")
    top = yaml_mapping(path, root, "the workflow")
    if "on" not in top:
        raise InputError(path, "workflow has no `on:` triggers", line=1, hint="GitHub never runs it")
    triggers, filters = _triggers(path, top["on"])
    if "jobs" not in top:
        raise InputError(path, "workflow has no `jobs:`", line=1, hint="a workflow needs `on:` and `jobs:`")
    wd, shell = _defaults(path, top.get("defaults"), "the workflow")
    env = _env(path, top.get("env"), "`env` of the workflow")
    jobs: dict[str, Job] = {}
    for job_id, key_line, node in pairs(path, top["jobs"], "`jobs`"):
        if not _JOB_ID.fullmatch(job_id):
            raise InputError(
                path,
                f"invalid job id {job_id!r}",
                line=key_line,
                hint="GitHub requires a letter or `_` first, then letters, digits, `-` or `_`",
            )
        jobs[job_id] = _job(path, job_id, key_line, node, wd, shell)
    for job in jobs.values():
        for needed in job.needs:
            if needed not in jobs:
                known = ", ".join(jobs)
                raise InputError(
                    path, f"job `{job.id}` needs unknown job `{needed}`", line=job.line, hint=f"jobs: {known}"
                )
    push = filters.get("push")
    return Workflow(
        path=path,
        name=yaml_str(path, top.get("name"), "`name`"),
        line_count=line_count,
        triggers=triggers,
        filters=filters,
        push_branches=push.branches if push else None,
        env=env,
        defaults_working_directory=wd,
        defaults_shell=shell,
        jobs=jobs,
    )


def _triggers(path: str, node: YamlNode) -> tuple[tuple[str, ...], dict[str, TriggerFilter]]:
    if is_null(node):
        raise InputError(path, "`on:` is empty", line=node_line(node), hint="GitHub never runs this workflow")
    if not is_mapping(node):
        events = tuple(dict.fromkeys(yaml_strings(path, node, "`on`")))
        return events, {event: TriggerFilter() for event in events}
    filters = {event: _filter(path, event, value) for event, _line, value in pairs(path, node, "`on`")}
    return tuple(filters), filters


def _filter(path: str, event: str, node: YamlNode) -> TriggerFilter:
    """`on.push.branches` and friends; events such as `schedule:` have other shapes and no filters."""
    options = yaml_mapping(path, node, f"`on.{event}`") if is_mapping(node) else {}

    def strings(key: str) -> tuple[str, ...] | None:
        return yaml_strings(path, options[key], f"`on.{event}.{key}`") if key in options else None

    return TriggerFilter(
        branches=strings("branches"),
        branches_ignore=strings("branches-ignore"),
        tags=strings("tags"),
        tags_ignore=strings("tags-ignore"),
        paths=strings("paths"),
        paths_ignore=strings("paths-ignore"),
        types=strings("types"),
    )


def _env(path: str, node: YamlNode | None, what: str) -> dict[str, str]:
    if node is None or is_null(node):
        return {}
    env: dict[str, str] = {}
    for name, _line, value in pairs(path, node, what):
        env[name] = yaml_str(path, value, f"`{name}` in {what}") or ""
    return env


def _defaults(path: str, node: YamlNode | None, owner: str) -> tuple[str | None, str | None]:
    if node is None or is_null(node):
        return None, None
    run = yaml_mapping(path, node, f"`defaults` of {owner}").get("run")
    if run is None or is_null(run):
        return None, None
    options = yaml_mapping(path, run, f"`defaults.run` of {owner}")
    return (
        yaml_str(path, options.get("working-directory"), f"`defaults.run.working-directory` of {owner}"),
        yaml_str(path, options.get("shell"), f"`defaults.run.shell` of {owner}"),
    )


def _job(path: str, job_id: str, line: int, node: YamlNode, wd: str | None, shell: str | None) -> Job:
    what = f"job `{job_id}`"
    job = yaml_mapping(path, node, what)
    job_wd, job_shell = _defaults(path, job.get("defaults"), what)
    strategy = job.get("strategy")
    has_matrix = (
        strategy is not None and is_mapping(strategy) and "matrix" in yaml_mapping(path, strategy, "")
    )
    runs_on_node = job.get("runs-on")
    runs_on: tuple[str, ...] = ()
    if runs_on_node is not None and not is_mapping(runs_on_node):
        runs_on = yaml_strings(path, runs_on_node, f"`runs-on` of {what}")
    steps_node = job.get("steps")
    steps: list[Step] = []
    if steps_node is not None and not is_null(steps_node):
        if not is_sequence(steps_node):
            raise InputError(path, f"`steps` of {what} must be a list", line=node_line(steps_node))
        step_wd, step_shell = job_wd or wd, job_shell or shell
        for index, step_node in enumerate(steps_node.value):
            steps.append(_step(path, job_id, index, step_node, step_wd, step_shell, runs_on))
    needs = job.get("needs")
    return Job(
        id=job_id,
        name=yaml_str(path, job.get("name"), f"`name` of {what}"),
        line=line,
        if_=yaml_str(path, job.get("if"), f"`if` of {what}"),
        continue_on_error=yaml_bool_or_text(
            path, job.get("continue-on-error"), f"`continue-on-error` of {what}"
        ),
        env=_env(path, job.get("env"), f"`env` of {what}"),
        defaults_working_directory=job_wd,
        defaults_shell=job_shell,
        needs=yaml_strings(path, needs, f"`needs` of {what}") if needs is not None else (),
        has_matrix=has_matrix,
        runs_on=runs_on,
        uses=yaml_str(path, job.get("uses"), f"`uses` of {what}"),
        steps=tuple(steps),
    )


def _step(
    path: str,
    job_id: str,
    index: int,
    node: YamlNode,
    wd: str | None,
    shell: str | None,
    runs_on: tuple[str, ...],
) -> Step:
    what = f"step {index + 1} of job `{job_id}`"
    step = yaml_mapping(path, node, what)
    run_node = step.get("run")
    run: str | None = None
    run_line: int | None = None
    exact = True
    if run_node is not None:
        if not is_string(run_node):
            raise InputError(path, f"`run:` of {what} must be a string", line=node_line(run_node))
        run = str(run_node.value)
        style = getattr(run_node, "style", None)
        run_line = node_line(run_node) + (1 if style in {"|", ">"} else 0)
        exact = style == "|" or "\n" not in run.rstrip("\n")
    uses = yaml_str(path, step.get("uses"), f"`uses` of {what}")
    if run is not None and uses is not None:
        raise InputError(
            path, f"{what} has both `run:` and `uses:`", line=node_line(node), hint="GitHub rejects it"
        )
    working_directory = yaml_str(path, step.get("working-directory"), f"`working-directory` of {what}") or wd
    resolved_shell = yaml_str(path, step.get("shell"), f"`shell` of {what}") or shell
    commands: tuple[Command, ...] = ()
    errexit = _errexit(resolved_shell, runs_on)
    if run is not None and errexit is not None:
        commands = split_run(
            run,
            first_line=run_line or node_line(node),
            exact_lines=exact,
            cwd=_cwd(working_directory),
            errexit=errexit,
        )
    return Step(
        index=index,
        name=yaml_str(path, step.get("name"), f"`name` of {what}"),
        line=node_line(node),
        id=yaml_str(path, step.get("id"), f"`id` of {what}"),
        uses=uses,
        run=run,
        run_line=run_line,
        working_directory=working_directory,
        shell=resolved_shell,
        env=_env(path, step.get("env"), f"`env` of {what}"),
        if_=yaml_str(path, step.get("if"), f"`if` of {what}"),
        continue_on_error=yaml_bool_or_text(
            path, step.get("continue-on-error"), f"`continue-on-error` of {what}"
        ),
        commands=commands,
    )


def _errexit(shell: str | None, runs_on: tuple[str, ...]) -> bool | None:
    """Whether the shell starts with `-e`; None when it is no POSIX shell (pwsh, python, cmd)."""
    if shell is None:
        # GitHub's default is `bash -e {0}`, except on Windows runners where it is pwsh.
        return None if any("windows" in label.lower() for label in runs_on) else True
    words = shell.split()
    if not words or words[0].rsplit("/", 1)[-1] not in _POSIX_SHELLS:
        return None
    if len(words) == 1:
        return True  # `shell: bash` is `bash --noprofile --norc -eo pipefail {0}`, `sh` is `sh -e {0}`
    flags = [w for w in words[1:] if w.startswith("-") and not w.startswith("--")]
    return any("e" in w for w in flags) or "errexit" in words


def _cwd(working_directory: str | None) -> str | None:
    """The repo-relative directory a step starts in ("" = root); None when not statically known."""
    if working_directory is None:
        return ""
    text = _WORKSPACE.sub("", working_directory.strip()) or "."
    if text.startswith(("/", "~")) or "$" in text:
        return None
    joined = posixpath.normpath(text)
    if joined == ".":
        return ""
    return None if joined == ".." or joined.startswith("../") else joined
