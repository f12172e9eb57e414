"""`parity prove`: run every planned command the way CI runs it and turn its output into results."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path  # noqa: TC003 - used at runtime by dataclass fields
from typing import TYPE_CHECKING

from parity.errors import InputError
from parity.junit import parse_junit
from parity.libtest import LibtestParser
from parity.model import Outcome
from parity.plan import Invocation, Plan, build_plan, filter_rows, key_of
from parity.results import CommandResult, CommandStatus
from parity.runner import RunRecord, run_command
from parity.verdicts import Disagreement, ProofInputs, RowVerdict, judge_rows

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from parity.check import CheckReport
    from parity.repository import Repository
    from parity.resolve import ResolvedRow

__all__ = ["ProveOptions", "ProveReport", "execute_plan", "prepare", "prove", "run_argv"]


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

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        accepted = ("proven",) if self.for_signoff else ("proven", "flaky")
        return 1 if any(r.claims_proof and r.verdict.value not in accepted for r in self.rows) else 0


def prepare(repo: Repository, options: ProveOptions) -> tuple[CheckReport, list[ResolvedRow], Plan]:
    from parity.check import run_check  # noqa: PLC0415

    check = run_check(repo)
    rows = filter_rows(check.rows, row_filters=options.rows, sections=options.sections)
    if (options.rows or options.sections) and not rows:
        wanted = ", ".join([*options.rows, *options.sections])
        raise InputError(
            repo.config.matrices[0],
            f"no matrix row matches {wanted!r}",
            hint="--row takes a capability substring or a matrix line; --section a `## ` title",
        )
    workflows = {c.workflow: repo.workflow(c.workflow) for r in rows for c in r.commands}
    plan = build_plan(rows, repo.config, workflows)
    if not options.setup:
        plan = Plan(invocations=plan.invocations, setups={}, refused=plan.refused, setup_errors={})
    return check, rows, plan


def run_argv(invocation: Invocation, *, no_fail_fast: bool, junit_path: Path | None) -> list[str]:
    """The argv we execute: the workflow's, plus only flags that change no selection."""
    argv = list(invocation.argv)
    if invocation.kind == "cargo" and no_fail_fast and "--no-fail-fast" not in argv:
        split = argv.index("--") if "--" in argv else len(argv)
        if "--no-fail-fast" not in argv[:split]:
            test_at = argv.index("test") if "test" in argv[:split] else split - 1
            argv.insert(test_at + 1, "--no-fail-fast")
    if invocation.kind == "pytest" and junit_path is not None:
        argv.append(f"--junitxml={junit_path}")
    return argv


def prove(
    repo: Repository,
    options: ProveOptions,
    *,
    run: Callable[..., RunRecord] = run_command,
    on_event: Callable[[str, Invocation, CommandResult | None], None] | None = None,
    on_line: Callable[[str], None] | None = None,
) -> ProveReport:
    started = time.monotonic()
    check, rows, plan = prepare(repo, options)
    results, setup_results, interrupted = execute_plan(
        repo, plan, options, run=run, on_event=on_event, on_line=on_line
    )
    return judge(
        repo, options, check, rows, plan, results, setup_results, interrupted=interrupted, started=started
    )


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
    config = repo.config
    refused = {id(c): reason for c, reason in plan.refused}
    keys = {id(c): key_of(c, config) for r in rows for c in r.commands if id(c) not in refused}
    setup_errors = dict(plan.setup_errors)
    for job, result in setup_results.items():
        if result.status is not CommandStatus.RAN or result.exit_code != 0:
            setup_errors[job] = (
                result.error or f"`{result.display}` exited {result.exit_code} (log: {result.log_path})"
            )
    rootdirs = {}
    for invocation in plan.invocations:
        if invocation.kind == "pytest":
            rootdirs[invocation.key] = repo.pytest_config(invocation.cwd, invocation.argv).rootdir
    findings: dict[int, list[object]] = {}
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
    )  # type: ignore[arg-type]
    verdicts = judge_rows(rows, inputs)
    impacts: dict[str, set[int]] = {}
    for verdict in verdicts:
        for test in verdict.tests:
            if test.verdict.value not in ("proven", "flaky"):
                impacts.setdefault(test.label, set())
    for verdict in verdicts:
        for test in verdict.tests:
            if test.label in impacts:
                impacts[test.label].add(verdict.line)
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


def execute_plan(
    repo: Repository,
    plan: Plan,
    options: ProveOptions,
    *,
    run: Callable[..., RunRecord] = run_command,
    only: set[str] | None = None,
    on_event: Callable[[str, Invocation, CommandResult | None], None] | None = None,
    on_line: Callable[[str], None] | None = None,
) -> tuple[dict[str, CommandResult], dict[str, CommandResult], bool]:
    """Run setups (once per job, before its first command), then each invocation; Ctrl-C stops cleanly."""
    config = repo.config
    log_dir = options.log_dir or (repo.root / ".parity-cache" / "logs")
    _prepare_log_dir(log_dir)
    timeout = options.timeout or config.prove.timeout_seconds
    retries = config.prove.retries if options.retries is None else options.retries
    results: dict[str, CommandResult] = {}
    setup_results: dict[str, CommandResult] = {}
    interrupted = False
    for invocation in plan.invocations:
        if only is not None and invocation.key not in only:
            continue
        if interrupted:
            results[invocation.key] = CommandResult(
                key=invocation.key,
                display=invocation.display,
                status=CommandStatus.INTERRUPTED,
                error="interrupted before it ran",
            )
            continue
        try:
            if invocation.job in plan.setups and invocation.job not in setup_results:
                setup_results[invocation.job] = _run_setups(
                    repo, plan.setups[invocation.job], log_dir, timeout, run, on_event
                )
            setup = setup_results.get(invocation.job)
            if setup is not None and (setup.status is not CommandStatus.RAN or setup.exit_code != 0):
                results[invocation.key] = CommandResult(
                    key=invocation.key,
                    display=invocation.display,
                    status=CommandStatus.ERROR,
                    error=f"setup of job `{invocation.job}` failed: {setup.error or setup.display}",
                )
                continue
            if on_event:
                on_event("start", invocation, None)
            result = _run_one(
                repo,
                invocation,
                log_dir,
                timeout,
                run,
                on_line,
                no_fail_fast=config.prove.cargo_no_fail_fast,
                retries=retries,
            )
            results[invocation.key] = result
            if on_event:
                on_event("done", invocation, result)
        except KeyboardInterrupt:
            interrupted = True
            results[invocation.key] = CommandResult(
                key=invocation.key,
                display=invocation.display,
                status=CommandStatus.INTERRUPTED,
                error="interrupted (Ctrl-C)",
            )
    return results, setup_results, interrupted


def _prepare_log_dir(log_dir: Path) -> None:
    log_dir.mkdir(parents=True, exist_ok=True)
    ignore = log_dir.parent / ".gitignore"
    if log_dir.parent.name == ".parity-cache" and not ignore.exists():
        ignore.write_text("# created by parity: nothing here belongs in git\n*\n", encoding="utf-8")


def _env(invocation: Invocation) -> dict[str, str]:
    env = dict(os.environ)
    env.update(dict(invocation.env))
    return env


def _run_setups(
    repo: Repository,
    setups: Sequence[Invocation],
    log_dir: Path,
    timeout: float,
    run: Callable[..., RunRecord],
    on_event: Callable[[str, Invocation, CommandResult | None], None] | None,
) -> CommandResult:
    last: CommandResult | None = None
    for invocation in setups:
        if on_event:
            on_event("start", invocation, None)
        record = run(
            list(invocation.argv),
            cwd=repo.root / invocation.cwd,
            env=_env(invocation),
            log_path=log_dir / f"setup-{invocation.key}.log",
            timeout=timeout,
        )
        last = _record_result(invocation, record)
        if on_event:
            on_event("done", invocation, last)
        if last.status is not CommandStatus.RAN or record.exit_code != 0:
            return last
    assert last is not None  # noqa: S101 - a job only has setups when the list is non-empty
    return last


def _record_result(invocation: Invocation, record: RunRecord, **extra: object) -> CommandResult:
    status = CommandStatus.RAN
    error = ""
    if record.start_error:
        status, error = CommandStatus.ERROR, f"{record.start_error} (install it, or fix PATH)"
    elif record.timed_out:
        status = CommandStatus.ERROR
        error = (
            f"timed out after {record.duration:.0f}s; its whole process group was killed (raise --timeout)"
        )
    return CommandResult(
        key=invocation.key,
        display=invocation.display,
        status=status,
        exit_code=record.exit_code,
        duration=record.duration,
        log_path=record.log_path,
        log_sha256=record.log_sha256,
        error=error,
        **extra,
    )  # type: ignore[arg-type]


def _run_one(
    repo: Repository,
    invocation: Invocation,
    log_dir: Path,
    timeout: float,
    run: Callable[..., RunRecord],
    on_line: Callable[[str], None] | None,
    *,
    no_fail_fast: bool,
    retries: int,
) -> CommandResult:
    log_path = log_dir / f"{invocation.key}.log"
    junit_path = log_dir / f"{invocation.key}.xml"
    junit_path.unlink(missing_ok=True)
    parser = LibtestParser() if invocation.kind == "cargo" else None

    def feed(line: str) -> None:
        if parser is not None:
            parser.feed_line(line)
        if on_line is not None:
            on_line(line)

    argv = run_argv(invocation, no_fail_fast=no_fail_fast, junit_path=junit_path)
    record = run(
        argv,
        cwd=repo.root / invocation.cwd,
        env=_env(invocation),
        log_path=log_path,
        timeout=timeout,
        on_line=feed,
    )
    base = _record_result(invocation, record)
    if base.status is CommandStatus.ERROR:
        return base
    if parser is not None:
        libtest = parser.finish()
        if libtest.toolchain_error is not None:
            return _error(
                base,
                f"{libtest.toolchain_error.message} (install it with `rustup toolchain install "
                f"{libtest.toolchain_error.toolchain}`, or change rust-toolchain.toml)",
            )
        result = _with(base, libtest=libtest)
        if retries and any(r.outcome is Outcome.FAILED for r in libtest.results):
            result = _retry_cargo(repo, invocation, result, log_dir, timeout, run, retries, no_fail_fast)
        return result
    if invocation.kind == "pytest":
        if not junit_path.is_file():
            return _error(
                base,
                f"pytest wrote no JUnit report (exit {record.exit_code}); last output: "
                f"{record.last_line!r} (is pytest installed for this Python?)",
            )
        try:
            junit = parse_junit(junit_path)
        except InputError as exc:
            return _error(base, exc.render())
        return _with(base, junit=junit)
    return base


def _with(result: CommandResult, **changes: object) -> CommandResult:
    from dataclasses import replace  # noqa: PLC0415

    return replace(result, **changes)  # type: ignore[arg-type]


def _error(result: CommandResult, message: str) -> CommandResult:
    return _with(result, status=CommandStatus.ERROR, error=message)


def _retry_cargo(
    repo: Repository,
    invocation: Invocation,
    result: CommandResult,
    log_dir: Path,
    timeout: float,
    run: Callable[..., RunRecord],
    retries: int,
    no_fail_fast: bool,
) -> CommandResult:
    """Re-run only the failed tests, by exact name; a test that then passes is flaky, not proven."""
    assert result.libtest is not None  # noqa: S101
    failing = sorted({r.name for r in result.libtest.results if r.outcome is Outcome.FAILED})
    flaky: set[str] = set()
    remaining = list(failing)
    for attempt in range(1, retries + 1):
        if not remaining:
            break
        argv = run_argv(invocation, no_fail_fast=no_fail_fast, junit_path=None)
        if "--" not in argv:
            argv.append("--")
        argv.extend(["--exact", *remaining])
        parser = LibtestParser()
        run(
            argv,
            cwd=repo.root / invocation.cwd,
            env=_env(invocation),
            log_path=log_dir / f"{invocation.key}.retry{attempt}.log",
            timeout=timeout,
            on_line=parser.feed_line,
        )
        again = parser.finish()
        passed = {r.name for r in again.results if r.outcome is Outcome.PASSED}
        flaky |= passed & set(remaining)
        remaining = [name for name in remaining if name not in passed]
    return _with(result, retried=tuple(failing), flaky=tuple(sorted(flaky)))
