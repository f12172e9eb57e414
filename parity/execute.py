"""Run the planned invocations as CI would (each job's setup first) and turn each run into a result."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import TYPE_CHECKING

from parity.errors import InputError
from parity.model import Outcome
from parity.results import CommandResult, CommandStatus
from parity.runner import RunRecord, run_command

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from parity.cache import CacheSession
    from parity.libtest import LibtestParser
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
    log_dir = options.logs_in(repo.root)
    _prepare_log_dir(log_dir)
    timeout = options.timeout or config.prove.timeout_seconds
    retries = config.prove.retries if options.retries is None else options.retries
    results: dict[str, CommandResult] = {}
    setup_results: dict[str, CommandResult] = {}
    interrupted = False
    if cache is None and options.cache:
        from parity.cache import cache_session  # noqa: PLC0415 - --no-cache loads no caching

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
            result = _run_one(
                repo,
                invocation,
                log_dir,
                timeout,
                run,
                on_line,
                no_fail_fast=config.prove.cargo_no_fail_fast,
                retries=retries,
                on_start=_announcer(on_event, invocation),
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
        announce = _announcer(on_event, invocation)
        record = run(
            list(invocation.argv),
            cwd=repo.root / invocation.cwd,
            env=_env(invocation),
            log_path=log_dir / f"setup-{invocation.key}.log",
            timeout=timeout,
            on_start=announce,
        )
        announce()  # once only: here for a command that could not start
        last = _record_result(invocation, record)
        if on_event:
            on_event("done", invocation, last)
        if last.status is not CommandStatus.RAN or record.exit_code != 0:
            return last
    assert last is not None  # noqa: S101 - a job only has setups when the list is non-empty
    return last


def _announcer(
    on_event: Callable[[str, Invocation, CommandResult | None], None] | None, invocation: Invocation
) -> Callable[[], None]:
    """The "start" event, sent once: by the runner as the process starts, else before its result.

    Sent after the spawn, so what the display loads to show it (rich) loads while the command runs.
    """
    sent = False

    def announce() -> None:
        nonlocal sent
        if not sent:
            sent = True
            if on_event is not None:
                on_event("start", invocation, None)

    return announce


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
    on_start: Callable[[], None],
) -> CommandResult:
    log_path = log_dir / f"{invocation.key}.log"
    junit_path = log_dir / f"{invocation.key}.xml"
    junit_path.unlink(missing_ok=True)
    parser: LibtestParser | None = None

    def libtest_parser() -> LibtestParser:
        """The cargo output's parser, made when first needed (a runner may skip `on_start`)."""
        nonlocal parser
        if parser is None:
            from parity.libtest import LibtestParser  # noqa: PLC0415

            parser = LibtestParser()
        return parser

    def begin() -> None:
        """The process runs: load what its output needs meanwhile (the first line comes after this)."""
        on_start()
        if invocation.kind == "cargo":
            libtest_parser()
        elif invocation.kind == "pytest":
            from parity.junit import junit_types  # noqa: PLC0415

            junit_types()

    def feed(line: str) -> None:
        if invocation.kind == "cargo":
            libtest_parser().feed_line(line)
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
        on_start=begin,
    )
    on_start()  # once only: here for a command that could not start
    base = _record_result(invocation, record)
    if base.status is CommandStatus.ERROR:
        return base
    if invocation.kind == "cargo":
        libtest = libtest_parser().finish()
        if libtest.toolchain_error is not None:
            return _error(
                base,
                f"{libtest.toolchain_error.message} (install it with `rustup toolchain install "
                f"{libtest.toolchain_error.toolchain}`, or change rust-toolchain.toml)",
            )
        result = _with(base, libtest=libtest)
        if retries and any(r.outcome is Outcome.FAILED for r in libtest.results):
            from parity.retries import retry_cargo  # noqa: PLC0415

            rerun = _Rerun(repo, invocation, log_dir, timeout, run)
            result = retry_cargo(result, rerun, retries, no_fail_fast=no_fail_fast)
        return result
    if invocation.kind == "pytest":
        if not junit_path.is_file():
            return _error(
                base,
                f"pytest wrote no JUnit report (exit {record.exit_code}); last output: "
                f"{record.last_line!r} (is pytest installed for this Python?)",
            )
        from parity.junit import parse_junit  # noqa: PLC0415 - loaded by begin()

        try:
            junit = parse_junit(junit_path)
        except InputError as exc:
            return _error(base, exc.render())
        result = _with(base, junit=junit)
        if retries and any(r.outcome is Outcome.FAILED for r in junit.results):
            from parity.retries import retry_pytest  # noqa: PLC0415

            result = retry_pytest(result, _Rerun(repo, invocation, log_dir, timeout, run), retries)
        return result
    return base


def _with(result: CommandResult, **changes: object) -> CommandResult:
    return replace(result, **changes)  # type: ignore[arg-type]


def _error(result: CommandResult, message: str) -> CommandResult:
    return _with(result, status=CommandStatus.ERROR, error=message)


class _Rerun:
    """Runs an invocation again, with other flags, exactly as the first time (cwd, env, timeout)."""

    def __init__(
        self,
        repo: Repository,
        invocation: Invocation,
        log_dir: Path,
        timeout: float,
        run: Callable[..., RunRecord],
    ) -> None:
        self.invocation = invocation
        self.log_dir = log_dir
        self._cwd = repo.root / invocation.cwd
        self._timeout = timeout
        self._run = run

    def argv(self, *, no_fail_fast: bool, junit_path: Path | None) -> list[str]:
        return run_argv(self.invocation, no_fail_fast=no_fail_fast, junit_path=junit_path)

    def __call__(
        self, argv: list[str], log_name: str, on_line: Callable[[str], None] | None = None
    ) -> RunRecord:
        return self._run(
            argv,
            cwd=self._cwd,
            env=_env(self.invocation),
            log_path=self.log_dir / log_name,
            timeout=self._timeout,
            on_line=on_line,
        )
