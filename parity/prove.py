"""`parity prove`: plan the cited commands, run them (`execute`), and judge every row (`verdicts`)."""

from __future__ import annotations

import importlib
import time
from dataclasses import dataclass, field, replace
from pathlib import Path  # noqa: TC003 - used at runtime by dataclass fields
from typing import TYPE_CHECKING, TypeVar

from parity.background import Background, yielding_often
from parity.errors import InputError
from parity.plan import Plan, build_plan, filter_rows, key_of
from parity.results import CommandResult, CommandStatus
from parity.runner import RunRecord, run_command
from parity.shard import ShardSpec, assign_shards

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from parity.cache import CacheSession
    from parity.check import CheckReport
    from parity.model import Finding
    from parity.plan import CitingRow, Invocation
    from parity.repository import Repository
    from parity.resolve import ResolvedRow
    from parity.verdicts import Disagreement, RowVerdict

_Row = TypeVar("_Row", bound="CitingRow")

__all__ = ["ProveOptions", "ProveReport", "plan_commands", "prepare", "prove"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ProveOptions:
    rows: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()
    setup: bool = True
    retries: int | None = None  # None: the config's value
    timeout: float | None = None
    log_dir: Path | None = None
    for_signoff: bool = False
    verbose: bool = False
    cache: bool = True  # sign-off always runs with cache=False
    cache_dir: Path | None = None  # default: .parity-cache in the repository
    shard: ShardSpec | None = None
    durations: dict[str, float] = field(default_factory=dict)  # invocation key -> seconds, for sharding

    def logs_in(self, root: Path) -> Path:
        """Where command logs go: `--log-dir`, else `.parity-cache/logs` in the repository at `root`."""
        return self.log_dir or (root / ".parity-cache" / "logs")


@dataclass(frozen=True, slots=True, kw_only=True)
class ProveReport:
    check: CheckReport
    plan: Plan
    rows: tuple[RowVerdict, ...]
    results: dict[str, CommandResult]
    setup_results: dict[str, CommandResult]
    disagreements: tuple[Disagreement, ...]
    interrupted: bool
    duration: float
    for_signoff: bool = False
    impacts: dict[str, tuple[int, ...]] = field(default_factory=dict)  # failing test -> rows citing it
    assigned: frozenset[str] | None = None  # --shard: the invocation keys this shard ran

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        if self.assigned is not None:
            return 0  # a shard proves only part of the plan: `parity merge` decides
        accepted = ("proven",) if self.for_signoff else ("proven", "flaky")
        return 1 if any(r.claims_proof and r.verdict.value not in accepted for r in self.rows) else 0


def plan_commands(repo: Repository, options: ProveOptions) -> Plan:
    """The plan from the rows' CI cells alone: enough to start running before the full check is done."""
    from parity.cicommands import resolve_commands  # noqa: PLC0415

    rows = _chosen(repo, options, [resolve_commands(repo, row) for row in repo.matrix_rows()])
    return _plan(repo, options, rows)


def prepare(repo: Repository, options: ProveOptions) -> tuple[CheckReport, list[ResolvedRow], Plan]:
    """The full static check, the chosen rows, and their plan (for --dry-run, merge and prove)."""
    from parity.check import run_check  # noqa: PLC0415

    check = run_check(repo)
    rows = _chosen(repo, options, check.rows)
    return check, rows, _plan(repo, options, rows)


def _chosen(repo: Repository, options: ProveOptions, rows: Sequence[_Row]) -> list[_Row]:
    chosen = filter_rows(rows, row_filters=options.rows, sections=options.sections)
    if (options.rows or options.sections) and not chosen:
        wanted = ", ".join([*options.rows, *options.sections])
        raise InputError(
            repo.config.matrices[0],
            f"no matrix row matches {wanted!r}",
            hint="--row takes a capability substring or a matrix line; --section a `## ` title",
        )
    return chosen


def _plan(repo: Repository, options: ProveOptions, rows: Sequence[CitingRow]) -> Plan:
    workflows = {c.workflow: repo.workflow(c.workflow) for r in rows for c in r.commands}
    plan = build_plan(rows, repo.config, workflows, cwd_refusal=lambda cwd: _cwd_refusal(repo, cwd))
    if not options.setup:
        plan = Plan(invocations=plan.invocations, setups={}, refused=plan.refused, setup_errors={})
    return plan


def prove(
    repo: Repository,
    options: ProveOptions,
    *,
    run: Callable[..., RunRecord] = run_command,
    on_event: Callable[[str, Invocation, CommandResult | None], None] | None = None,
    on_line: Callable[[str], None] | None = None,
    preload: Sequence[str] = (),
    cache: CacheSession | None = None,
) -> ProveReport:
    """Plan, run and judge. `preload` names modules the caller needs afterwards (its reporters):
    they are imported alongside the commands instead of after the last one. `cache` is the caller's
    result cache session (else one is made when `options.cache`)."""
    from parity.execute import execute_plan  # noqa: PLC0415 - a replayed report needs no runner

    started = time.monotonic()
    # Bad input that stops planning stops the run before any command starts. The full check needs
    # only the files, not the commands' results: it starts with the first command and runs alongside.
    plan = plan_commands(repo, options)

    def check_and_load() -> tuple[CheckReport, list[ResolvedRow], Plan]:
        with yielding_often():
            prepared = prepare(repo, options)
        for module in ("parity.verdicts", *preload):
            importlib.import_module(module)
        return prepared

    static = Background(check_and_load, name="parity-static-check", start=False)

    def keep_going() -> bool:
        static.start()  # with the first command: started earlier it would slow down the planning
        return not static.failed  # the check failed: its error ends the run anyway

    only = None
    if options.shard is not None:
        assignment = assign_shards(plan.invocations, options.shard.count, options.durations)
        only = {key for key, index in assignment.items() if index == options.shard.index}
    results, setup_results, interrupted = execute_plan(
        repo,
        plan,
        options,
        run=run,
        only=only,
        on_event=on_event,
        on_line=on_line,
        keep_going=keep_going,
        cache=cache,
    )
    check, rows, checked_plan = static.result()
    if checked_plan != plan:
        message = "the plan built from the CI cells differs from the plan built from the full check"
        raise RuntimeError(message)
    report = judge(
        repo, options, check, rows, plan, results, setup_results, interrupted=interrupted, started=started
    )
    return replace(report, assigned=frozenset(only) if only is not None else None)


def judge(
    repo: Repository,
    options: ProveOptions,
    check: CheckReport,
    rows: Sequence[ResolvedRow],
    plan: Plan,
    results: dict[str, CommandResult],
    setup_results: dict[str, CommandResult],
    *,
    interrupted: bool,
    started: float,
) -> ProveReport:
    """Turn command results into verdicts (also used by `merge`, on results from several shards)."""
    from parity.execute import setup_failure  # noqa: PLC0415
    from parity.verdicts import ProofInputs, judge_rows  # noqa: PLC0415

    config = repo.config
    refused = {id(c): reason for c, reason in plan.refused}
    keys = {id(c): key_of(c, config) for r in rows for c in r.commands if id(c) not in refused}
    setup_errors = dict(plan.setup_errors)
    for job, result in setup_results.items():
        if result.status is not CommandStatus.RAN or result.exit_code != 0:
            setup_errors[job] = setup_failure(result)
    rootdirs = {}
    for invocation in plan.invocations:
        if invocation.kind == "pytest":
            rootdirs[invocation.key] = repo.pytest_config(invocation.cwd, invocation.argv).rootdir
    findings: dict[int, list[Finding]] = {}
    for finding in check.findings:
        if finding.location.path in config.matrices and finding.location.line is not None:
            findings.setdefault(_row_line(rows, finding.location.line), []).append(finding)
    inputs = ProofInputs(
        config=config,
        results=results,
        keys=keys,
        refused=refused,
        setup_errors=setup_errors,
        rootdirs=rootdirs,
        findings=findings,
        for_signoff=options.for_signoff,
    )
    verdicts = judge_rows(rows, inputs)
    # Only the rows where the test did not prove: a test that proves in one row under one command
    # and not in another row under another command leaves the first row intact.
    impacts: dict[str, set[int]] = {}
    for verdict in verdicts:
        for test in verdict.tests:
            if test.verdict.value not in ("proven", "flaky"):
                impacts.setdefault(test.label, set()).add(verdict.line)
    return ProveReport(
        check=check,
        plan=plan,
        rows=tuple(verdicts),
        results=results,
        setup_results=setup_results,
        disagreements=tuple(inputs.disagreements),
        interrupted=interrupted,
        duration=time.monotonic() - started,
        for_signoff=options.for_signoff,
        impacts={k: tuple(sorted(v)) for k, v in sorted(impacts.items())},
    )


def _row_line(rows: Sequence[ResolvedRow], line: int) -> int:
    """Findings point at a cell's line, which is the row's line in a one-line table row."""
    del rows
    return line


def _cwd_refusal(repo: Repository, cwd: str) -> str:
    """A working directory must exist inside the repository once symlinks are resolved."""
    if not cwd:
        return ""
    info = repo.path(cwd)
    if not info.inside:
        return f"working directory `{cwd}` {info.escape_reason}"
    if not info.exists or info.is_file:
        return f"working directory `{cwd}` is not a directory of the repository"
    return ""
