"""The progress display of `prove`: made on the first event (after the first spawn), plain off a terminal."""

from __future__ import annotations

import io
import re

from rich.console import Console

from parity.plan import Invocation
from parity.reporters.prove_console import LiveView
from parity.results import CommandResult, CommandStatus

INVOCATION = Invocation(
    key="k" * 16,
    argv=("cargo", "test", "-p", "arco-flow"),
    cwd="",
    env=(),
    kind="cargo",
    workflow=".github/workflows/ci.yml",
    job="test",
    step_line=12,
)
RESULT = CommandResult(
    key="k" * 16, display=INVOCATION.display, status=CommandStatus.RAN, exit_code=0, duration=1.5
)


class Factory:
    """Makes the view's console on demand and remembers when it was asked to."""

    def __init__(self, *, terminal: bool) -> None:
        self.out = io.StringIO()
        self.terminal = terminal
        self.made = 0

    def __call__(self) -> Console:
        self.made += 1
        return Console(file=self.out, force_terminal=self.terminal, width=100, highlight=False)


def test_off_a_terminal_each_command_is_two_plain_lines_and_the_console_waits_for_the_first() -> None:
    factory = Factory(terminal=False)
    view = LiveView(factory, verbose=False)
    with view.session():
        assert factory.made == 0  # nothing is loaded before the first command has started
        view.event("start", INVOCATION, None)
        view.line("running 3 tests")
        view.event("done", INVOCATION, RESULT)
    assert factory.made == 1
    assert factory.out.getvalue() == "$ cargo test -p arco-flow\n  -> ran, exit 0, 0 test(s), 1.5s\n"
    assert view.live is None


def test_on_a_terminal_a_live_status_runs_from_the_first_event_until_the_session_ends() -> None:
    factory = Factory(terminal=True)
    view = LiveView(factory, verbose=False)
    with view.session():
        view.event("start", INVOCATION, None)
        assert view.live is not None
        assert view.live.is_started
        view.line("test flow::runs ... ok")
        assert view.render().plain.startswith("running cargo test -p arco-flow")
        assert view.render().plain.endswith("test flow::runs ... ok")
        live = view.live
        view.event("done", INVOCATION, RESULT)
    assert factory.made == 1
    assert view.live is None
    assert not live.is_started
    assert "$ cargo test" not in factory.out.getvalue()  # the status line is transient


def test_verbose_streams_every_line_even_on_a_terminal() -> None:
    factory = Factory(terminal=True)
    view = LiveView(factory, verbose=True)
    with view.session():
        view.event("start", INVOCATION, None)
        view.line("test flow::runs ... ok")
        view.event("done", INVOCATION, RESULT)
    assert view.live is None
    lines = [line.rstrip() for line in factory.out.getvalue().splitlines() if line.strip()]
    assert [_plain(line) for line in lines] == [
        "$ cargo test -p arco-flow",
        "test flow::runs ... ok",
        "  -> ran, exit 0, 0 test(s), 1.5s",
    ]


def _plain(text: str) -> str:
    """Without the terminal's colour codes."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)
