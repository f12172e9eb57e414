"""`--retries N`: re-run only what failed, by exact name; what passes only on a retry is flaky.

Flaky counts as proven for a local run and not for sign-off (`verdicts`), so a retry must never
select more than the failures: pytest re-selects them with its own `--last-failed` under the step's
exact argv, cargo with `--exact NAME…` after the step's own arguments.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from parity.errors import InputError
from parity.model import Outcome

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from parity.plan import Invocation
    from parity.results import CommandResult
    from parity.runner import RunRecord

__all__ = ["Rerun", "pytest_case", "retry_cargo", "retry_pytest"]


class Rerun(Protocol):
    """Runs the invocation again exactly as the first time (cwd, env, timeout), with other flags."""

    invocation: Invocation
    log_dir: Path

    def argv(self, *, no_fail_fast: bool, junit_path: Path | None) -> list[str]: ...

    def __call__(
        self, argv: list[str], log_name: str, on_line: Callable[[str], None] | None = None
    ) -> RunRecord: ...


def pytest_case(classname: str, name: str) -> str:
    """How a pytest case is named in `CommandResult.retried`/`flaky` (JUnit classname and name)."""
    return f"junit:{classname}::{name}"


def retry_pytest(result: CommandResult, rerun: Rerun, retries: int) -> CommandResult:
    """Re-run only the failed cases with pytest's own `--last-failed`, under the step's exact selection.

    `--lf` reads the failures the first run recorded in pytest's cache, so the same argv (paths, -k, -m)
    re-selects exactly those node ids; a case that then passes is flaky, not proven.
    """
    from parity.junit import parse_junit  # noqa: PLC0415

    assert result.junit is not None  # noqa: S101
    failing = sorted(
        {pytest_case(r.classname, r.name) for r in result.junit.results if r.outcome is Outcome.FAILED}
    )
    flaky: set[str] = set()
    remaining = set(failing)
    key = rerun.invocation.key
    for attempt in range(1, retries + 1):
        if not remaining:
            break
        junit_path = rerun.log_dir / f"{key}.retry{attempt}.xml"
        junit_path.unlink(missing_ok=True)
        rerun(
            [*rerun.argv(no_fail_fast=False, junit_path=junit_path), "--last-failed"],
            f"{key}.retry{attempt}.log",
        )
        try:
            again = parse_junit(junit_path)
        except InputError:
            break
        passed = {pytest_case(r.classname, r.name) for r in again.results if r.outcome is Outcome.PASSED}
        still = {pytest_case(r.classname, r.name) for r in again.results if r.outcome is Outcome.FAILED}
        flaky |= passed & remaining
        remaining = (remaining - passed) | (still & remaining)
    return replace(result, retried=tuple(failing), flaky=tuple(sorted(flaky)))


def retry_cargo(result: CommandResult, rerun: Rerun, retries: int, *, no_fail_fast: bool) -> CommandResult:
    """Re-run only the failed tests, by exact name; a test that then passes is flaky, not proven."""
    from parity.libtest import LibtestParser  # noqa: PLC0415

    assert result.libtest is not None  # noqa: S101
    failing = sorted({r.name for r in result.libtest.results if r.outcome is Outcome.FAILED})
    flaky: set[str] = set()
    remaining = list(failing)
    for attempt in range(1, retries + 1):
        if not remaining:
            break
        argv = rerun.argv(no_fail_fast=no_fail_fast, junit_path=None)
        if "--" not in argv:
            argv.append("--")
        argv.extend(["--exact", *remaining])
        parser = LibtestParser()
        rerun(argv, f"{rerun.invocation.key}.retry{attempt}.log", on_line=parser.feed_line)
        again = parser.finish()
        passed = {r.name for r in again.results if r.outcome is Outcome.PASSED}
        flaky |= passed & set(remaining)
        remaining = [name for name in remaining if name not in passed]
    return replace(result, retried=tuple(failing), flaky=tuple(sorted(flaky)))
