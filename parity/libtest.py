"""Stream a `cargo test` log into per-binary test results, one line at a time, never holding the log.

Feed it stdout and stderr merged, as `parity prove` captures them, ANSI colours and `\\r\\n`
included. This module follows cargo: the header that starts each test binary, build errors,
rustup's toolchain errors and cargo's failure summary (sources cited in `libtest_lines`);
`libtest_binary` follows what each binary printed. Nothing in a log raises: what does not add
up becomes an `Anomaly` on the run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from parity import libtest_lines as lines
from parity.libtest_binary import BinaryRun, Phase
from parity.libtest_results import (
    Anomaly,
    AnomalyKind,
    Binary,
    BinaryKind,
    BinarySummary,
    CompileError,
    Diagnostic,
    LibtestRun,
    TestMode,
    TestResult,
    ToolchainError,
)
from parity.model import Location

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = [
    "OUTPUT_CAP",
    "Anomaly",
    "AnomalyKind",
    "Binary",
    "BinaryKind",
    "BinarySummary",
    "CompileError",
    "Diagnostic",
    "LibtestParser",
    "LibtestRun",
    "TestMode",
    "TestResult",
    "ToolchainError",
    "parse_libtest_lines",
]

OUTPUT_CAP = 64 * 1024  # characters of captured output kept per test
_LINE_CAP = 1024 * 1024  # a longer "line" is a test's output without newlines: keep its head
_MAX_DIAGNOSTICS = 1000  # `error:` lines remembered while waiting for `could not compile`


@dataclass(slots=True)
class _Diag:
    code: str | None
    message: str
    log_line: int
    location: Location | None = None

    def freeze(self) -> Diagnostic:
        return Diagnostic(
            code=self.code, message=self.message, location=self.location, log_line=self.log_line
        )


class LibtestParser:
    """`feed()` text as it arrives (any chunking), then `finish()` once for the `LibtestRun`."""

    def __init__(self, *, output_cap: int = OUTPUT_CAP) -> None:
        self._cap = output_cap
        self._tail: list[str] = []  # the unterminated end of the input so far
        self._tail_len = 0
        self._n = 0
        self._bins: list[BinaryRun] = []
        self._diags: list[_Diag] = []
        self._compile_errors: list[CompileError] = []
        self._toolchain: ToolchainError | None = None
        self._failed_targets: list[str] = []
        self._in_targets = False
        self._run: LibtestRun | None = None

    def feed(self, data: str) -> None:
        """Accept any chunk of the log; a line is processed once its newline has arrived."""
        if self._run is not None:
            raise RuntimeError("LibtestParser.feed() after finish()")
        if "\n" not in data:
            if self._tail_len < _LINE_CAP:
                self._tail.append(data)
                self._tail_len += len(data)
            return
        pieces = data.split("\n")
        self._tail.append(pieces[0])
        self._line("".join(self._tail))
        for piece in pieces[1:-1]:
            self._line(piece)
        self._tail = [pieces[-1]] if pieces[-1] else []
        self._tail_len = len(pieces[-1])

    def feed_line(self, line: str) -> None:
        """Accept one complete line, with or without its line ending."""
        self.feed(line if line.endswith("\n") else line + "\n")

    def finish(self) -> LibtestRun:
        """End of the log (also after a kill): close what is open and return the run."""
        if self._run is not None:
            return self._run
        if tail := "".join(self._tail):  # a log cut mid-line: the fragment is still a line
            self._tail, self._tail_len = [], 0
            self._line(tail)
        if self._bins and self._bins[-1].phase is not Phase.DONE:
            self._bins[-1].close_incomplete(self._n)
        self._run = LibtestRun(
            results=tuple(r for b in self._bins for r in b.results()),
            binaries=tuple(b.summary() for b in self._bins),
            compile_errors=tuple(self._compile_errors),
            toolchain_error=self._toolchain,
            failed_targets=tuple(self._failed_targets),
            errors=tuple(d.freeze() for d in self._diags),  # never claimed by a crate
            lines=self._n,
        )
        return self._run

    def _line(self, raw: str) -> None:
        self._n += 1
        n = self._n
        text = lines.clean_line(raw[:_LINE_CAP])
        b = self._bins[-1] if self._bins else None
        if b is not None and b.in_run:
            if not (lines.match_header(text) or lines.RERUN.match(text)):
                b.line(text, n)
                return
            b.close_incomplete(n)  # cargo moved on: the binary died without a summary
        self._cargo_line(b, text, n)

    def _cargo_line(self, b: BinaryRun | None, text: str, n: int) -> None:
        """Lines outside a binary's run: headers, build errors, cargo's failure summary."""
        if self._in_targets:
            if m := lines.TARGET_ITEM.match(text):
                self._failed_targets.append(m["args"])
                return
            self._in_targets = False
        if h := lines.match_header(text):
            if b is not None and b.phase is Phase.HEADER:
                b.close_incomplete(n)
            self._new_binary(h.kind, h.src_path, h.exe_name, h.exe_path, n)
        elif m := lines.RUNNING.match(text):
            if b is None or (b.binary.kind is BinaryKind.UNKNOWN and b.phase is Phase.DONE):
                # No cargo header (`cargo test -q`, or a test binary run directly): each
                # libtest run is a binary of its own.
                b = self._new_binary(BinaryKind.UNKNOWN, "", "", "", n)
            # Otherwise a second run under one header: edition 2024 doctests run the merged
            # and the standalone doctests as two libtest runs.
            b.start_section(int(m["n"]))
        elif m := lines.RERUN.match(text):
            if b is not None:
                if b.phase is Phase.HEADER:
                    b.close_incomplete(n)
                b.rerun = m["args"]
        elif m := lines.EXIT_STATUS.match(text):
            if b is not None:
                b.exit_status = m["status"]
        elif lines.TARGETS_FAILED.match(text):
            self._in_targets = True
        elif (toolchain := lines.match_toolchain_error(text)) is not None:
            if self._toolchain is None:
                self._toolchain = ToolchainError(toolchain=toolchain, message=text, log_line=n)
        elif m := lines.COULD_NOT_COMPILE.match(text):
            self._compile_errors.append(
                CompileError(
                    crate=m["crate"],
                    target=m["target"],
                    message=text,
                    diagnostics=tuple(d.freeze() for d in self._diags),
                    log_line=n,
                )
            )
            self._diags.clear()
        elif m := lines.DIAGNOSTIC.match(text):
            if len(self._diags) < _MAX_DIAGNOSTICS:
                self._diags.append(_Diag(code=m["code"], message=m["message"], log_line=n))
        elif m := lines.ARROW.match(text):
            last = self._diags[-1] if self._diags else None
            if last is not None and last.location is None and n - last.log_line <= 2:
                last.location = Location(path=m["path"], line=int(m["line"]))

    def _new_binary(self, kind: BinaryKind, src_path: str, exe_name: str, exe_path: str, n: int) -> BinaryRun:
        binary = Binary(
            index=len(self._bins),
            kind=kind,
            src_path=src_path,
            exe_name=exe_name,
            exe_path=exe_path,
            log_line=n,
        )
        self._bins.append(BinaryRun(binary=binary, cap=self._cap))
        return self._bins[-1]


def parse_libtest_lines(log: Iterable[str], *, output_cap: int = OUTPUT_CAP) -> LibtestRun:
    """Parse an iterable of lines (each with or without its newline), e.g. an open log file."""
    parser = LibtestParser(output_cap=output_cap)
    for line in log:
        parser.feed_line(line)
    return parser.finish()
