"""Human output of `prove`: the plan, a live view while commands run, and the per-row verdict table."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import TYPE_CHECKING

from parity.model import Verdict

if TYPE_CHECKING:
    from collections.abc import Iterator

    from rich.console import Console
    from rich.text import Text

    from parity.plan import Invocation, Plan
    from parity.prove import ProveReport
    from parity.results import CommandResult

__all__ = ["LiveView", "print_plan", "print_prove"]

VERDICT_STYLE = {
    Verdict.PROVEN: "bold green",
    Verdict.FLAKY: "yellow",
    Verdict.FAILED: "bold red",
    Verdict.NOT_RUN: "red",
    Verdict.MISSING: "red",
    Verdict.AMBIGUOUS: "red",
    Verdict.UNGATED: "yellow",
    Verdict.ERROR: "bold magenta",
    Verdict.SKIPPED: "dim",
}


def print_plan(console: Console, plan: Plan) -> None:
    from rich.text import Text  # noqa: PLC0415

    console.print(Text(f"parity prove plan: {len(plan.invocations)} distinct command(s)", style="bold"))
    for job, setups in sorted(plan.setups.items()):
        for setup in setups:
            console.print(Text(f"  setup  job {job} ({setup.workflow}:{setup.step_line})"), soft_wrap=True)
            console.print(Text(f"     $ {setup.display}"), soft_wrap=True)
    for number, invocation in enumerate(plan.invocations, start=1):
        rows = ", ".join(map(str, invocation.rows))
        console.print(
            Text(
                f"  {number:>3}.  job {invocation.job} ({invocation.workflow}:{invocation.step_line})"
                f"  cited by matrix line(s) {rows}"
            ),
            soft_wrap=True,
        )
        console.print(Text(f"     $ {invocation.display}"), soft_wrap=True)
        if invocation.env:
            env = " ".join(f"{k}={v}" for k, v in invocation.env)
            console.print(Text(f"       env: {env}", style="dim"), soft_wrap=True)
    for job, error in sorted(plan.setup_errors.items()):
        console.print(Text(f"  setup for job {job} is unusable: {error}", style="red"), soft_wrap=True)
    for cited, reason in plan.refused:
        console.print(
            Text(f"  refused: `{cited.cited}` (job {cited.job}): {reason}", style="red"), soft_wrap=True
        )


def print_prove(console: Console, report: ProveReport, repo_label: str) -> None:
    from rich.text import Text  # noqa: PLC0415

    console.print(Text(f"parity prove {repo_label}", style="bold"))
    console.print(Text("\ncommands", style="bold"))
    for invocation in report.plan.invocations:
        result = report.results.get(invocation.key)
        if result is None:
            continue
        state = f"exit {result.exit_code}" if result.status.value == "ran" else result.status.value
        line = Text(f"  {state:<12} {result.executed:>4} tests {result.duration:6.1f}s  ")
        line.append(invocation.display)
        console.print(line, soft_wrap=True)
        if result.error:
            console.print(Text(f"               {result.error}", style="red"), soft_wrap=True)
    current = None
    for row in report.rows:
        if row.section != current:
            current = row.section
            console.print(Text(f"\n## {current}", style="bold"))
        line = Text("  ")
        line.append(f"{row.verdict.value:<10}", style=VERDICT_STYLE[row.verdict])
        line.append(f":{row.line:<5}", style="cyan")
        line.append(f"{row.capability}  ")
        line.append(f"({row.status})", style="dim")
        console.print(line, soft_wrap=True)
        for reason in row.reasons[:5]:
            console.print(Text(f"                - {reason}"), soft_wrap=True)
        if len(row.reasons) > 5:
            console.print(Text(f"                (+{len(row.reasons) - 5} more in the JSON report)"))
        if row.suggestion:
            console.print(Text(f"                -> {row.suggestion}", style="yellow"), soft_wrap=True)
    for row in report.rows:
        for test in row.tests:
            if test.verdict is Verdict.FAILED and test.output:
                console.print(
                    Text(f"\n--- {test.label} (under `{test.command}`) ---", style="bold red"), soft_wrap=True
                )
                console.print(Text(test.output.rstrip()[-4000:]), soft_wrap=True)
    if report.impacts:
        console.print(Text("\nimpact: tests that did not prove, and the rows citing them", style="bold"))
        for label, lines in report.impacts.items():
            console.print(Text(f"  {label}: matrix line(s) {', '.join(map(str, lines))}"), soft_wrap=True)
    for item in report.disagreements:
        console.print(
            Text(
                f"static/dynamic disagreement: {item.label} under `{item.command}`: check "
                f"predicted {item.predicted}, the run says {item.observed}",
                style="magenta",
            ),
            soft_wrap=True,
        )
    claims = [r for r in report.rows if r.claims_proof]
    accepted = (Verdict.PROVEN,) if report.for_signoff else (Verdict.PROVEN, Verdict.FLAKY)
    failing = [r for r in claims if r.verdict not in accepted]
    proven = sum(1 for r in report.rows if r.verdict in accepted)
    summary = Text("\n")
    summary.append(
        f"{len(claims) - len(failing)}/{len(claims)} Implemented rows proven",
        style="bold green" if not failing else "bold red",
    )
    summary.append(
        f"; {proven} of {len(report.rows)} rows proven overall; {len(report.plan.invocations)} "
        f"command(s) in {report.duration:.1f}s"
    )
    if report.interrupted:
        summary.append(" (INTERRUPTED: results are partial)", style="bold red")
    console.print(summary, soft_wrap=True)


def _plain(text: str) -> Text:
    from rich.text import Text  # noqa: PLC0415

    return Text(text)


class LiveView:
    """A one-line status per running command (only on a terminal); `--verbose` streams output instead."""

    def __init__(self, console: Console, *, verbose: bool) -> None:
        self.console = console
        self.verbose = verbose
        self.current = ""
        self.last_line = ""
        self.started = time.monotonic()
        self.live: object | None = None

    def event(self, kind: str, invocation: Invocation, result: CommandResult | None) -> None:
        if kind == "cached" and (self.verbose or not self.console.is_terminal):
            self.console.print(_plain(f"$ {invocation.display}"), style="bold", soft_wrap=True)
        if kind == "start":
            self.current = invocation.display
            self.started = time.monotonic()
            self.last_line = ""
            if self.verbose or not self.console.is_terminal:
                self.console.print(_plain(f"$ {invocation.display}"), style="bold", soft_wrap=True)
        elif result is not None and (self.verbose or not self.console.is_terminal):
            self.console.print(
                _plain(
                    f"  -> {result.status.value}, exit {result.exit_code}, "
                    f"{result.executed} test(s), {result.duration:.1f}s"
                    + (" (from the cache: nothing changed)" if kind == "cached" else "")
                )
            )

    def line(self, text: str) -> None:
        if text.strip():
            self.last_line = text
        if self.verbose:
            self.console.print(_plain(text))

    def render(self) -> Text:
        from rich.text import Text  # noqa: PLC0415

        elapsed = time.monotonic() - self.started
        return Text.assemble(
            ("running ", "bold"), self.current, f"  {elapsed:5.1f}s\n", (self.last_line[-150:], "dim")
        )

    @contextmanager
    def session(self) -> Iterator[None]:
        """Live refresh on a terminal; nothing otherwise."""
        if self.verbose or not self.console.is_terminal:
            yield
            return
        from rich.live import Live  # noqa: PLC0415

        with Live(get_renderable=self.render, console=self.console, refresh_per_second=4, transient=True):
            yield
