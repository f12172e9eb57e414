"""Run the planned invocations as CI would (each job's setup first) and turn each run into a result."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING

from parity.cache import CacheSession, cache_session, log_dir_of
from parity.errors import InputError
from parity.junit import parse_junit
from parity.libtest import LibtestParser
from parity.model import Outcome
from parity.results import CommandResult, CommandStatus
from parity.runner import RunRecord, run_command

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from parity.plan import Invocation, Plan
    from parity.prove import ProveOptions
    from parity.repository import Repository

__all__ = ["execute_plan", "run_argv", "setup_failure"]


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


def setup_failure(result: CommandResult) -> str:
    """Why a setup command failed: its error, or its exit code and log."""
    return result.error or f"`{result.display}` exited {result.exit_code} (log: {result.log_path})"


def execute_plan(
    repo: Repository,
    plan: Plan,
    options: ProveOptions,
    *,
    run: Callable[..., RunRecord] = run_command,
    only: set[str] | None = None,
    on_event: Callable[[str, Invocation, CommandResult | None], None] | None = None,
    on_line: Callable[[str], None] | None = None,
    keep_going: Callable[[], bool] = lambda: True,
    cache: CacheSession | None = None,
) -> tuple[dict[str, CommandResult], dict[str, CommandResult], bool]:
    """Run setups (once per job, before its first command), then each invocation; Ctrl-C stops cleanly.

    `keep_going` is asked before each command: False stops the run (the caller has an error to raise).
    `cache` is the result cache to use (the caller's, or one made here when `options.cache`).
    """
    config = repo.config
    log_dir = log_dir_of(repo, options)
    _prepare_log_dir(log_dir)
    timeout = options.timeout or config.prove.timeout_seconds
    retries = config.prove.retries if options.retries is None else options.retries
    results: dict[str, CommandResult] = {}
    setup_results: dict[str, CommandResult] = {}
    interrupted = False
    if cache is None and options.cache:
        cache = cache_session(repo, options)
    primed = False
    for invocation in plan.invocations:
        if only is not None and invocation.key not in only:
            continue
        if not keep_going():
            break
        if interrupted:
            results[invocation.key] = CommandResult(
                key=invocation.key,
                display=invocation.display,
                status=CommandStatus.INTERRUPTED,
                error="interrupted before it ran",
            )
            continue
        if invocation.job in plan.setup_errors:
            # Running a job's tests without the setup CI gives them proves nothing: don't.
            results[invocation.key] = CommandResult(
                key=invocation.key,
                display=invocation.display,
                status=CommandStatus.ERROR,
                error=f"setup of job `{invocation.job}` is unusable: {plan.setup_errors[invocation.job]}",
            )
            continue
        try:
            if cache is not None and not primed:
                # Every toolchain probe and the tree hash at once: they are processes and I/O.
                cache.prime(i for i in plan.invocations if only is None or i.key in only)
                primed = True
            cache_key = cache.key(invocation) if cache else ""
            hit = cache.lookup(cache_key) if cache else None
            if hit is not None:
                results[invocation.key] = replace(hit, key=invocation.key, display=invocation.display)
                if on_event:
                    on_event("cached", invocation, results[invocation.key])
                continue
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
                    error=f"setup of job `{invocation.job}` failed: {setup_failure(setup)}",
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
            if cache:
                cache.save(cache_key, result)
            if on_event:
                on_event("done", invocation, result)
        except KeyboardInterrupt as exc:
            interrupted = True
            # The runner re-raises with its RunRecord: keep the partial log of the stopped command.
            record = exc.args[0] if exc.args and isinstance(exc.args[0], RunRecord) else None
            results[invocation.key] = CommandResult(
                key=invocation.key,
                display=invocation.display,
                status=CommandStatus.INTERRUPTED,
                duration=record.duration if record else 0.0,
                log_path=record.log_path if record else "",
                log_sha256=record.log_sha256 if record else "",
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


def _record_result(invocation: Invocation, record: RunRecord) -> CommandResult:
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
    )


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
        result = _with(base, junit=junit)
        if retries and any(r.outcome is Outcome.FAILED for r in junit.results):
            result = _retry_pytest(repo, invocation, result, log_dir, timeout, run, retries)
        return result
    return base


def pytest_case(classname: str, name: str) -> str:
    """How a pytest case is named in `CommandResult.retried`/`flaky` (JUnit classname and name)."""
    return f"junit:{classname}::{name}"


def _retry_pytest(
    repo: Repository,
    invocation: Invocation,
    result: CommandResult,
    log_dir: Path,
    timeout: float,
    run: Callable[..., RunRecord],
    retries: int,
) -> CommandResult:
    """Re-run only the failed cases with pytest's own `--last-failed`, under the step's exact selection.

    `--lf` reads the failures the first run recorded in pytest's cache, so the same argv (paths, -k, -m)
    re-selects exactly those node ids; a case that then passes is flaky, not proven.
    """
    assert result.junit is not None  # noqa: S101
    failing = sorted(
        {pytest_case(r.classname, r.name) for r in result.junit.results if r.outcome is Outcome.FAILED}
    )
    flaky: set[str] = set()
    remaining = set(failing)
    for attempt in range(1, retries + 1):
        if not remaining:
            break
        junit_path = log_dir / f"{invocation.key}.retry{attempt}.xml"
        junit_path.unlink(missing_ok=True)
        argv = [*run_argv(invocation, no_fail_fast=False, junit_path=junit_path), "--last-failed"]
        run(
            argv,
            cwd=repo.root / invocation.cwd,
            env=_env(invocation),
            log_path=log_dir / f"{invocation.key}.retry{attempt}.log",
            timeout=timeout,
        )
        try:
            again = parse_junit(junit_path)
        except InputError:
            break
        passed = {pytest_case(r.classname, r.name) for r in again.results if r.outcome is Outcome.PASSED}
        still = {pytest_case(r.classname, r.name) for r in again.results if r.outcome is Outcome.FAILED}
        flaky |= passed & remaining
        remaining = (remaining - passed) | (still & remaining)
    return _with(result, retried=tuple(failing), flaky=tuple(sorted(flaky)))


def _with(result: CommandResult, **changes: object) -> CommandResult:
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
