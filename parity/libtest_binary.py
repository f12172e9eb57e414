"""Follow what one libtest binary printed, from `running N tests` to `test result:`.

The order comes from library/test/src/formatters/pretty.rs (`libtest_lines` cites each
format): result lines; then, if anything failed (or with `--show-output`), a block
`failures:` / `---- NAME stdout ----` sections / `failures:` / indented names; then the summary.
- With one test thread libtest writes `test NAME ... ` before running the test and the outcome
  after it, so a `--nocapture` test's output lands in between, possibly glued to the outcome
  (`outputok`). With many threads the line is written whole at the end, but another test's
  unterminated print may precede it (`outputtest NAME ... ok`). Only one result line is open
  at a time: libtest writes them all from the main thread.
- The failures list is authoritative for which tests failed and `test result:` for the counts;
  whatever disagrees becomes an `Anomaly`.
"""

from __future__ import annotations

import enum
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from parity import libtest_lines as lines
from parity.libtest_results import (
    Anomaly,
    AnomalyKind,
    Binary,
    BinarySummary,
    TestMode,
    TestResult,
)
from parity.model import Outcome

if TYPE_CHECKING:
    import re

__all__ = ["BinaryRun", "Phase"]

_PANIC_LINES = 40  # lines kept after `thread 'x' panicked at` seen outside a failures block
_MAX_PANICS = 1000  # distinct panicking threads remembered per section
_COUNTED = (
    ("passed", Outcome.PASSED),
    ("failed", Outcome.FAILED),
    ("ignored", Outcome.IGNORED),
    ("measured", Outcome.BENCH),
)


class _Capture:
    """Text kept up to `cap` characters, remembering whether anything was dropped."""

    __slots__ = ("cap", "parts", "size", "truncated")

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.parts: list[str] = []
        self.size = 0
        self.truncated = False

    def add(self, text: str) -> None:
        if self.truncated:
            return
        if self.size + len(text) + 1 > self.cap:
            self.parts.append(text[: max(self.cap - self.size, 0)])
            self.truncated = True
            return
        self.parts.append(text)
        self.size += len(text) + 1

    def text(self) -> str:
        return "\n".join(self.parts).strip("\n")


class Phase(enum.Enum):
    HEADER = enum.auto()  # cargo's header seen, `running N tests` not yet
    RUNNING = enum.auto()  # result lines
    BLOCK = enum.auto()  # after the first `failures:` (or `successes:`) line
    SECTION = enum.auto()  # inside `---- NAME stdout ----`
    LIST = enum.auto()  # the indented names after the second `failures:` line
    DONE = enum.auto()  # after `test result:`, or given up on


@dataclass(slots=True)
class _Result:
    name: str
    outcome: Outcome
    mode: TestMode
    reported: lines.Reported
    log_line: int
    output: _Capture | None = None


@dataclass(slots=True)
class _Pending:
    """A test whose `test NAME ... ` was printed but whose outcome has not been seen yet."""

    name: str
    mode: TestMode
    log_line: int
    output: _Capture
    candidate: Outcome | None = None  # an outcome glued to the test's own output
    candidate_line: int = 0


@dataclass(slots=True)
class BinaryRun:
    """Mutable state for one binary; `LibtestParser` feeds it the lines of its run."""

    binary: Binary
    cap: int
    phase: Phase = Phase.HEADER
    running: int | None = None
    rerun: str | None = None
    exit_status: str | None = None
    all_results: list[_Result] = field(default_factory=list)
    _totals: Counter[str] = field(default_factory=Counter)
    _sections: int = 0
    _complete: bool = True
    _terse: bool = False
    _pretty: bool = False
    _anomalies: list[Anomaly] = field(default_factory=list)
    # the current `running ... test result` section
    _results: dict[str, list[_Result]] = field(default_factory=dict)
    _marks: Counter[str] = field(default_factory=Counter)
    _pending: _Pending | None = None
    _unresolved: dict[str, _Pending] = field(default_factory=dict)
    _outputs: dict[str, _Capture] = field(default_factory=dict)
    _panics: dict[str, _Capture] = field(default_factory=dict)
    _panic_target: str | None = None
    _panic_lines: int = 0
    _block: str = "failures"
    _section: str = ""
    _listed: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    _held: list[str] | None = None  # a list that may turn out to be captured output

    @property
    def in_run(self) -> bool:
        return self.phase not in (Phase.HEADER, Phase.DONE)

    def start_section(self, count: int) -> None:
        self.phase = Phase.RUNNING
        self.running = (self.running or 0) + count
        self._results, self._marks, self._unresolved = {}, Counter(), {}
        self._outputs, self._panics, self._listed = {}, {}, {}
        self._pending, self._panic_target, self._section, self._held = None, None, "", None

    def line(self, text: str, n: int) -> None:
        if self.phase is Phase.RUNNING:
            self._running_line(text, n)
        elif self.phase is Phase.SECTION:
            self._section_line(text)
        elif self.phase is Phase.LIST:
            self._list_line(text, n)
        elif self.phase is Phase.BLOCK:
            if section := lines.SECTION.match(text):
                self._open_output(section["name"])
            elif (block := lines.BLOCK.match(text)) and block["kind"] == self._block:
                self.phase, self._held = Phase.LIST, None
            elif summary := lines.SUMMARY.match(text):
                self._end_section(n, summary)

    def close_incomplete(self, n: int) -> None:
        """The binary's output stopped before `test result:` (log cut, process died)."""
        self._settle(n, None)
        self._complete, self.phase = False, Phase.DONE
        self._note(
            AnomalyKind.INCOMPLETE,
            f"{self.binary}: no `test result:` line (log cut off, or the test process died)",
            n,
        )

    def results(self) -> list[TestResult]:
        return [
            TestResult(
                binary=self.binary,
                name=r.name,
                outcome=r.outcome,
                mode=r.mode,
                ignore_reason=r.reported.ignore_reason,
                bench=r.reported.bench,
                output="" if r.output is None else r.output.text(),
                output_truncated=r.output is not None and r.output.truncated,
                log_line=r.log_line,
            )
            for r in sorted(self.all_results, key=lambda r: r.log_line)
        ]

    def summary(self) -> BinarySummary:
        return BinarySummary(
            binary=self.binary,
            running=self.running,
            passed=self._totals["passed"],
            failed=self._totals["failed"],
            ignored=self._totals["ignored"],
            measured=self._totals["measured"],
            filtered_out=self._totals["filtered_out"],
            complete=self._complete and self._sections > 0,
            terse=self._terse,
            rerun=self.rerun,
            exit_status=self.exit_status,
            anomalies=tuple(self._anomalies),
        )

    # -- phases --------------------------------------------------------------------------------

    def _running_line(self, text: str, n: int) -> None:
        collecting, self._panic_target = self._panic_target, None
        if m := lines.SUMMARY.match(text):
            self._end_section(n, m)
        elif m := lines.BLOCK.match(text):
            self._resolve_pending()
            self.phase, self._block = Phase.BLOCK, m["kind"]
        elif t := lines.match_test_line(text):
            self._resolve_pending()
            self._pretty = True
            if reported := lines.match_outcome(t.rest):
                self._add(t.name, t.mode, reported, n)
            else:
                self._pending = _Pending(t.name, t.mode, n, _Capture(self.cap))
                _pending_output(self._pending, t.rest, n)
        elif self._pending is not None:
            if reported := lines.match_outcome(text):
                p, self._pending = self._pending, None
                self._add(p.name, p.mode, reported, p.log_line, p.output)
            else:
                _pending_output(self._pending, text, n)
        elif not self._pretty and (m := lines.TERSE_FAILED.match(text)):
            self._terse = True
            self._add(m["name"], TestMode.NORMAL, lines.Reported(Outcome.FAILED, None, None), n)
        elif not self._pretty and (m := lines.TERSE_PROGRESS.match(text)):
            self._terse = True
            self._marks.update(m["marks"])
        elif m := lines.PANIC.match(text):
            if m["name"] in self._panics or len(self._panics) < _MAX_PANICS:
                self._panics.setdefault(m["name"], _Capture(self.cap)).add(text)
                self._panic_target, self._panic_lines = m["name"], 0
        elif collecting is not None and text and not text.startswith("note: run with `RUST_"):
            self._panic_lines += 1
            if self._panic_lines <= _PANIC_LINES:
                self._panics[collecting].add(text)
                self._panic_target = collecting

    def _section_line(self, text: str) -> None:
        if section := lines.SECTION.match(text):
            self._open_output(section["name"])
        elif (block := lines.BLOCK.match(text)) and block["kind"] == self._block:
            self.phase, self._held = Phase.LIST, [text]  # may be a test printing "failures:"
        else:
            self._outputs[self._section].add(text)

    def _list_line(self, text: str, n: int) -> None:
        if m := lines.LIST_ITEM.match(text):
            self._listed.setdefault(self._block, []).append((m["name"], n))
            if self._held is not None:
                self._held.append(text)
        elif m := lines.SUMMARY.match(text):
            self._end_section(n, m)
        elif m := lines.BLOCK.match(text):  # `failures:` after a `successes:` block
            self.phase, self._block, self._held = Phase.BLOCK, m["kind"], None
        elif text and self._held is not None:
            # Not a list after all: that `failures:` line was part of a test's output.
            names = self._listed.get(self._block, [])
            del names[len(names) - (len(self._held) - 1) :]
            for held in [*self._held, text]:
                self._outputs[self._section].add(held)
            self.phase, self._held = Phase.SECTION, None

    def _open_output(self, name: str) -> None:
        self.phase, self._section = Phase.SECTION, name
        self._outputs[name] = _Capture(self.cap)

    # -- results -------------------------------------------------------------------------------

    def _note(self, kind: AnomalyKind, message: str, n: int) -> None:
        self._anomalies.append(Anomaly(kind=kind, message=message, log_line=n))

    def _add(
        self,
        name: str,
        mode: TestMode,
        reported: lines.Reported,
        n: int,
        output: _Capture | None = None,
    ) -> None:
        if name in self._results:
            self._note(AnomalyKind.DUPLICATE, f"`{name}` reported again in {self.binary}", n)
        result = _Result(name, reported.outcome, mode, reported, n, output)
        self._results.setdefault(name, []).append(result)
        self.all_results.append(result)

    def _resolve_pending(self) -> None:
        """Something else started while a test's outcome was still open: decide what we can."""
        p, self._pending = self._pending, None
        if p is None:
            return
        if p.candidate is None:
            self._unresolved[p.name] = p  # the failures list or the counts may still settle it
            return
        self._add(p.name, p.mode, lines.Reported(p.candidate, None, None), p.log_line, p.output)
        self._note(
            AnomalyKind.INFERRED_OUTCOME,
            f"`{p.name}`: outcome {p.candidate.value} read from output glued to it "
            f"at line {p.candidate_line}",
            p.log_line,
        )

    def _end_section(self, n: int, m: re.Match[str]) -> None:
        reported = {key: int(m[key]) for key, _ in _COUNTED}
        self._settle(n, reported)
        counted = self._count()
        if counted != reported:
            self._note(
                AnomalyKind.COUNT_MISMATCH,
                f"{self.binary}: parsed {_counts(counted)} but `test result:` says {_counts(reported)}",
                n,
            )
        self._totals.update({**reported, "filtered_out": int(m["filtered_out"])})
        self._sections += 1
        self.phase = Phase.DONE

    def _settle(self, n: int, reported: dict[str, int] | None) -> None:
        """Close a section: apply the failures/successes lists, captured output, leftovers."""
        self._resolve_pending()
        for block, outcome in (("failures", Outcome.FAILED), ("successes", Outcome.PASSED)):
            for name, line in self._listed.get(block, []):
                self._apply_listed(name, outcome, block, line)
        for name, capture in self._outputs.items():
            for result in self._results.get(name, []):
                result.output = capture
        for name, capture in self._panics.items():
            for result in self._results.get(name, []):
                if result.output is None and result.outcome is Outcome.FAILED:
                    result.output = capture
        if self._unresolved and reported is not None:
            self._infer_from_counts(reported)
        for p in self._unresolved.values():
            self._note(AnomalyKind.UNRESOLVED, f"`{p.name}` started but no outcome was seen", p.log_line)
        self._unresolved = {}
        if self._terse and self._marks:
            self._note(
                AnomalyKind.TERSE,
                f"{self.binary}: `-q` output: {sum(self._marks.values())} passed/ignored "
                "test(s) counted but not named",
                n,
            )

    def _apply_listed(self, name: str, outcome: Outcome, block: str, n: int) -> None:
        if name in self._results:
            for result in self._results[name]:
                if result.outcome is not outcome:
                    self._note(
                        AnomalyKind.OUTCOME_CONFLICT,
                        f"`{name}` reported {result.outcome.value} at line {result.log_line} "
                        f"but listed under `{block}:`",
                        n,
                    )
                    result.outcome = outcome
            return
        reported = lines.Reported(outcome, None, None)
        if (p := self._unresolved.pop(name, None)) is not None:
            self._add(name, p.mode, reported, p.log_line, p.output)
            return
        self._add(name, TestMode.NORMAL, reported, n)
        if not self._terse:
            self._note(AnomalyKind.UNRESOLVED, f"`{name}` listed under `{block}:` only", n)

    def _infer_from_counts(self, reported: dict[str, int]) -> None:
        """If the unresolved tests fill exactly one gap in the counts, that is their outcome."""
        counted = self._count()
        gaps = {k: reported[k] - counted[k] for k, _ in _COUNTED if reported[k] != counted[k]}
        if len(gaps) != 1 or next(iter(gaps.values())) != len(self._unresolved):
            return
        outcome = dict(_COUNTED)[next(iter(gaps))]
        for p in self._unresolved.values():
            self._add(p.name, p.mode, lines.Reported(outcome, None, None), p.log_line, p.output)
            self._note(
                AnomalyKind.INFERRED_OUTCOME,
                f"`{p.name}`: no outcome printed; {outcome.value} inferred from the counts",
                p.log_line,
            )
        self._unresolved = {}

    def _count(self) -> dict[str, int]:
        tally = Counter(r.outcome for results in self._results.values() for r in results)
        tally[Outcome.PASSED] += self._marks["."]
        tally[Outcome.IGNORED] += self._marks["i"]
        tally[Outcome.FAILED] += self._marks["F"]
        return {key: tally[outcome] for key, outcome in _COUNTED}


def _pending_output(p: _Pending, text: str, n: int) -> None:
    p.output.add(text)
    if text and (candidate := lines.outcome_candidate(text)) is not None:
        p.candidate, p.candidate_line = candidate, n


def _counts(c: dict[str, int]) -> str:
    return ", ".join(f"{c[key]} {key}" for key, _ in _COUNTED)
