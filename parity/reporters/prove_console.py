"""Human output of `prove`: the plan, a live view while commands run, and the per-row verdict table."""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from parity.model import Verdict

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from rich.console import Console
    from rich.text import Text

    from parity.plan import Invocation, Plan
    from parity.results import CommandResult

__all__ = ["LiveView", "print_plan", "print_prove", "stderr_console"]

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


def print_prove(console: Console, document: dict[str, Any], repo_label: str) -> None:
    """The verdict table, from the JSON document (as every other report is): one source of truth."""
    from rich.text import Text  # noqa: PLC0415

    console.print(Text(f"parity prove {repo_label}", style="bold"))
    console.print(Text("\ncommands", style="bold"))
    for command in document["commands"]:
        status = command["status"]
        if status == "not run":
            continue
        state = f"exit {command['exit_code']}" if status == "ran" else status
        line = Text(
            f"  {state:<12} {command['tests_executed']:>4} tests {command['duration_seconds']:6.1f}s  "
        )
        line.append(command["display"])
        console.print(line, soft_wrap=True)
        if command["error"]:
            console.print(Text(f"               {command['error']}", style="red"), soft_wrap=True)
    current = None
    for row in document["rows"]:
        if row["section"] != current:
            current = row["section"]
            console.print(Text(f"\n## {current}", style="bold"))
        line = Text("  ")
        line.append(f"{row['verdict']:<10}", style=VERDICT_STYLE[Verdict(row["verdict"])])
        line.append(f":{row['line']:<5}", style="cyan")
        line.append(f"{row['capability']}  ")
        line.append(f"({row['status']})", style="dim")
        console.print(line, soft_wrap=True)
        reasons = row["reasons"]
        for reason in reasons[:5]:
            console.print(Text(f"                - {reason}"), soft_wrap=True)
        if len(reasons) > 5:
            console.print(Text(f"                (+{len(reasons) - 5} more in the JSON report)"))
        if row["suggestion"]:
            console.print(Text(f"                -> {row['suggestion']}", style="yellow"), soft_wrap=True)
    for row in document["rows"]:
        for test in row["tests"]:
            if test["verdict"] == Verdict.FAILED.value and test["output"]:
                heading = f"\n--- {test['label']} (under `{test['command']}`) ---"
                console.print(Text(heading, style="bold red"), soft_wrap=True)
                console.print(Text(test["output"].rstrip()[-4000:]), soft_wrap=True)
    if document["impacts"]:
        console.print(Text("\nimpact: tests that did not prove, and the rows citing them", style="bold"))
        for label, lines in document["impacts"].items():
            console.print(Text(f"  {label}: matrix line(s) {', '.join(map(str, lines))}"), soft_wrap=True)
    for item in document["disagreements"]:
        console.print(
            Text(
                f"static/dynamic disagreement: {item['label']} under `{item['command']}`: check "
                f"predicted {item['predicted']}, the run says {item['observed']}",
                style="magenta",
            ),
            soft_wrap=True,
        )
    summary = document["summary"]
    accepted = ("proven",) if document["for_signoff"] else ("proven", "flaky")
    failing = summary["claims"] - summary["claims_proven"]
    proven = sum(summary["by_verdict"].get(verdict, 0) for verdict in accepted)
    text = Text("\n")
    text.append(
        f"{summary['claims_proven']}/{summary['claims']} Implemented rows proven",
        style="bold green" if not failing else "bold red",
    )
    text.append(
        f"; {proven} of {summary['rows']} rows proven overall; {len(document['commands'])} "
        f"command(s) in {summary['duration_seconds']:.1f}s"
    )
    if document["interrupted"]:
        text.append(" (INTERRUPTED: results are partial)", style="bold red")
    console.print(text, soft_wrap=True)


def stderr_console() -> Console:
    """The console for progress (stderr, so that stdout stays the report)."""
    from rich.console import Console  # noqa: PLC0415 - made on first use (LiveView)

    return Console(stderr=True, highlight=False)


def _plain(text: str) -> Text:
    from rich.text import Text  # noqa: PLC0415

    return Text(text)


class LiveView:
    """A one-line status per running command (only on a terminal); `--verbose` streams output instead.

    The console is made on first use, which is the first command's "start": importing rich then
    overlaps with that command instead of delaying it.
    """

    def __init__(self, make_console: Callable[[], Console], *, verbose: bool) -> None:
        self._make_console = make_console
        self._console: Console | None = None
        self.verbose = verbose
        self.current = ""
        self.last_line = ""
        self.started = time.monotonic()
        self.live: Any = None
        self._in_session = False

    @property
    def console(self) -> Console:
        if self._console is None:
            self._console = self._make_console()
            if self._in_session and not self._streams:
                from rich.live import Live  # noqa: PLC0415

                self.live = Live(
                    get_renderable=self.render, console=self._console, refresh_per_second=4, transient=True
                )
                self.live.start()
        return self._console

    @property
    def _streams(self) -> bool:
        """Print each event and line (verbose, or not a terminal) instead of a live status line."""
        return self.verbose or not self.console.is_terminal

    def event(self, kind: str, invocation: Invocation, result: CommandResult | None) -> None:
        if kind == "cached" and self._streams:
            self.console.print(_plain(f"$ {invocation.display}"), style="bold", soft_wrap=True)
        if kind == "start":
            self.current = invocation.display
            self.started = time.monotonic()
            self.last_line = ""
            if self._streams:
                self.console.print(_plain(f"$ {invocation.display}"), style="bold", soft_wrap=True)
        elif result is not None and self._streams:
            self.console.print(
                _plain(
                    f"  -> {result.status.value}, exit {result.exit_code}, "
                    f"{result.executed} test(s), {result.duration:.1f}s"
                    + (" (from the cache: nothing changed)" if kind == "cached" else "")
                )
            )

    def replayed(self, commands: list[dict[str, Any]]) -> None:
        """What a run that takes every command from the cache says, for a replayed report."""
        if not self._streams:
            return
        for command in commands:
            self.console.print(_plain(f"$ {command['display']}"), style="bold", soft_wrap=True)
            self.console.print(
                _plain(
                    f"  -> cached, exit {command['exit_code']}, {command['tests_executed']} test(s), "
                    f"{command['duration_seconds']:.1f}s (from the cache: nothing changed)"
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
        """Live refresh on a terminal (from the first event on); nothing otherwise."""
        self._in_session = True
        try:
            yield
        finally:
            self._in_session = False
            if self.live is not None:
                self.live.stop()
                self.live = None
