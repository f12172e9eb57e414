"""Does a failure of this job/step fail CI on pushes and pull requests? (pure)"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from parity.ghexpr import UNKNOWN, condition_truth, evaluate, string_literals, truth, unwrap

if TYPE_CHECKING:
    from collections.abc import Iterable

    from parity.shellsplit import Command
    from parity.workflow import Job, Step, TriggerFilter, Workflow

__all__ = ["GATING_EVENTS", "Gating", "job_gating", "step_gating"]

GATING_EVENTS = ("push", "pull_request", "pull_request_target", "merge_group")
_PR_TYPES = frozenset({"opened", "synchronize", "reopened"})  # the default `types:`
_BRANCH_LIKE = re.compile(r"[A-Za-z0-9._/-]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class Gating:
    """`certain=False`: parity could not evaluate something and says so in `reason`."""

    gates: bool
    reason: str
    certain: bool = True


@dataclass(frozen=True, slots=True)
class _Scenario:
    label: str  # "push to main"
    github: dict[str, object]


def _flat(text: object) -> str:
    """User text inside a one-line reason."""
    return " ".join(str(text).split())


def _glob(pattern: str) -> re.Pattern[str]:
    """GitHub's filter patterns: `*` stays within a path segment, `**` crosses them."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        c = pattern[i]
        out.append("[^/]*" if c == "*" else c if c in "?+" and out else re.escape(c))
        i += 1
    try:
        return re.compile("".join(out))
    except re.error:
        return re.compile(re.escape(pattern))


def _allowed(branch: str, patterns: tuple[str, ...] | None, ignore: tuple[str, ...] | None) -> bool:
    if ignore and any(_glob(p).fullmatch(branch) for p in ignore):
        return False
    if patterns is None:
        return True
    allowed = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        if _glob(pattern.removeprefix("!")).fullmatch(branch):
            allowed = not negated
    return allowed


def _branches(event: TriggerFilter, mentioned: list[str]) -> list[str | None]:
    """Branches worth trying: main, examples of the filter's patterns, names the `if:`s mention."""
    examples = [re.sub(r"\*+", "x", b) for b in event.branches or () if not b.startswith("!")]
    found = [
        b
        for b in dict.fromkeys(["main", *examples, *mentioned])
        if _BRANCH_LIKE.fullmatch(b)
        and not b.endswith("/")
        and _allowed(b, event.branches, event.branches_ignore)
    ]
    return list(found) or [None]  # None: some branch only a glob describes


def _scenarios(workflow: Workflow) -> list[_Scenario]:
    texts = [t for j in workflow.jobs.values() for t in (j.if_, *(s.if_ for s in j.steps)) if t]
    mentioned = [lit.removeprefix("refs/heads/") for t in texts for lit in string_literals(t)]
    mentioned = [m for m in mentioned if _BRANCH_LIKE.fullmatch(m)]
    scenarios: list[_Scenario] = []
    for event in workflow.triggers:
        options = workflow.filters[event]
        if event == "push" and (
            options.branches is not None
            or options.branches_ignore is not None
            or (options.tags is None and options.tags_ignore is None)
        ):
            for branch in _branches(options, mentioned):
                ref = UNKNOWN if branch is None else f"refs/heads/{branch}"
                github = {"ref": ref, "ref_name": branch or UNKNOWN, "base_ref": "", "head_ref": ""}
                scenarios.append(
                    _Scenario(f"push to {branch or 'a matching branch'}", {"event_name": event, **github})
                )
        elif event in {"pull_request", "pull_request_target"} and (
            options.types is None or _PR_TYPES & set(options.types)
        ):
            base = _branches(options, [])[0]
            ref = (
                "refs/pull/1/merge"
                if event == "pull_request"
                else (f"refs/heads/{base}" if base else UNKNOWN)
            )
            github = {"ref": ref, "base_ref": base or UNKNOWN, "head_ref": UNKNOWN}
            scenarios.append(_Scenario(event, {"event_name": event, **github}))
        elif event == "merge_group":
            scenarios.append(_Scenario(event, {"event_name": event, "ref": UNKNOWN}))
    return scenarios


def _contexts(scenario: _Scenario, job: Job, step: Step | None, workflow: Workflow) -> dict[str, object]:
    github = {"ref_type": "branch", "event": UNKNOWN, **scenario.github}
    contexts: dict[str, object] = {
        "github": github,
        "needs": {n.lower(): {"result": "success", "outputs": UNKNOWN} for n in job.needs},
    }
    if step is not None:
        env = {**workflow.env, **job.env, **step.env}
        contexts["env"] = {k.lower(): UNKNOWN if "${{" in v else v for k, v in env.items()}
        done = {"outcome": "success", "conclusion": "success", "outputs": UNKNOWN}
        contexts["steps"] = {s.id.lower(): done for s in job.steps[: step.index] if s.id}
    return contexts


def _job_runs(
    workflow: Workflow, job: Job, scenario: _Scenario, memo: dict[str, bool | None] | None = None
) -> bool | None:
    """Does `job` run in `scenario`? Jobs whose `needs` did not run are skipped unless `if:` says so."""
    memo = {} if memo is None else memo
    if job.id in memo:
        return memo[job.id]
    memo[job.id] = None  # a `needs` cycle (GitHub rejects those) stays unknown
    results = {_job_runs(workflow, workflow.jobs[n], scenario, memo) for n in job.needs if n in workflow.jobs}
    statuses = (
        ["success"] if results <= {True} else ["skipped"] if results == {False} else ["success", "skipped"]
    )
    contexts = _contexts(scenario, job, None, workflow)
    outcomes = {
        (status == "success") if job.if_ is None else condition_truth(job.if_, contexts, status=status)
        for status in statuses
    }
    memo[job.id] = outcomes.pop() if len(outcomes) == 1 else None
    return memo[job.id]


def _flag(value: bool | str, contexts: Iterable[dict[str, object]]) -> bool | None:
    """A `continue-on-error:` value: a literal, or an expression true/false in every scenario."""
    if isinstance(value, bool):
        return value
    inner = unwrap(value)
    values = {None if inner is None else truth(evaluate(inner, c)) for c in contexts}
    return values.pop() if len(values) == 1 else None


def job_gating(workflow: Workflow, job: Job) -> Gating:
    """Whether a failure of `job` fails CI on some push or pull request, and why (not)."""
    if not any(e in GATING_EVENTS for e in workflow.triggers):
        events = ", ".join(workflow.triggers)
        return Gating(
            gates=False, reason=f"`{workflow.path}` runs only on {events}, not on push or pull_request"
        )
    scenarios = _scenarios(workflow)
    if not scenarios:
        return Gating(gates=False, reason=f"`{workflow.path}` runs on no branch push or pull request update")
    runs = {s.label: _job_runs(workflow, job, s) for s in scenarios}
    contexts = [_contexts(s, job, None, workflow) for s in scenarios]
    flag = _flag(job.continue_on_error, contexts)
    if flag is True:
        return Gating(gates=False, reason=f"job `{job.id}` has `continue-on-error: true`")
    if flag is None:
        return Gating(
            gates=False,
            certain=False,
            reason=f"job `{job.id}` has `continue-on-error: {_flat(job.continue_on_error)}`, which parity "
            "cannot evaluate: not proven gating",
        )
    counted = dict.fromkeys(str(s.github["event_name"]) for s in scenarios if runs[s.label] is not False)
    paths = [e for e in counted if workflow.filters[e].paths or workflow.filters[e].paths_ignore]
    caveat = f" (only for changes matching the `paths` filter of {', '.join(paths)})" if paths else ""
    yes = [label for label, value in runs.items() if value is True]
    if yes:
        return Gating(
            gates=True, reason=f"job `{job.id}` runs on {_describe(yes)}{caveat}", certain=not paths
        )
    if None in runs.values():
        return Gating(
            gates=True,
            certain=False,
            reason=f"cannot evaluate whether job `{job.id}` runs on push or pull_request "
            f"({f'`if: {_flat(job.if_)}`' if job.if_ else 'because of its `needs`'}); treated as gating",
        )
    blocker = next(
        (n for n in job.needs if all(_job_runs(workflow, workflow.jobs[n], s) is False for s in scenarios)),
        None,
    )
    if blocker is not None:
        return Gating(
            gates=False,
            reason=f"job `{job.id}` needs job `{blocker}`, which does not run on push or pull_request",
        )
    return Gating(
        gates=False, reason=f"job `{job.id}` does not run on push or pull_request (`if: {_flat(job.if_)}`)"
    )


def _describe(labels: list[str]) -> str:
    """One push label is enough ("push to main"), then the pull request events."""
    pushes = [label for label in labels if label.startswith("push")]
    return ", ".join(pushes[:1] + [label for label in labels if not label.startswith("push")])


def _always_fails(step: Step) -> bool:
    if step.if_ is not None or step.continue_on_error is not False:
        return False
    for command in step.commands:
        argv = command.argv or ()
        if command.exit_checked and (
            argv == ("false",) or (len(argv) == 2 and argv[0] == "exit" and argv[1] != "0")
        ):
            return True
    return False


def step_gating(workflow: Workflow, job: Job, step: Step, command: Command | None = None) -> Gating:
    """Whether a failure of `step` (or of `command` in it) fails its job; the job's own gating is separate."""
    label = f"step `{_flat(step.label)}` (line {step.line})"
    scenarios = [s for s in _scenarios(workflow) if _job_runs(workflow, job, s) is not False] or _scenarios(
        workflow
    )
    contexts = [_contexts(s, job, step, workflow) for s in scenarios]
    flag = _flag(step.continue_on_error, contexts)
    if flag is True:
        return Gating(gates=False, reason=f"{label} has `continue-on-error: true`")
    if flag is None:
        return Gating(
            gates=False,
            certain=False,
            reason=f"{label} has `continue-on-error: {_flat(step.continue_on_error)}`, which parity "
            "cannot evaluate: not proven gating",
        )
    stopper = next((s for s in job.steps[: step.index] if _always_fails(s)), None)
    if stopper is not None:
        return Gating(
            gates=False,
            reason=f"step `{_flat(stopper.label)}` (line {stopper.line}) always fails before {label}",
        )
    if step.if_ is not None:
        values = {condition_truth(step.if_, c) for c in contexts}
        if True not in values:
            if None in values:
                return Gating(
                    gates=True,
                    certain=False,
                    reason=f"cannot evaluate `if: {_flat(step.if_)}` of {label}; treated as gating",
                )
            return Gating(
                gates=False, reason=f"{label} does not run on push or pull_request (`if: {_flat(step.if_)}`)"
            )
    if command is not None and not command.exit_checked:
        return Gating(
            gates=False,
            reason=f"a failure of `{_flat(command.text)}` does not fail {label}: bash -e ignores failures "
            "before `&&` and inside compound commands, except on the script's last line",
        )
    return Gating(gates=True, reason="")
