"""What a `cargo test` log says, as frozen records with a stable JSON form for goldens and caches."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from parity.model import Location, Outcome

__all__ = [
    "Anomaly",
    "AnomalyKind",
    "Binary",
    "BinaryKind",
    "BinarySummary",
    "CompileError",
    "Diagnostic",
    "LibtestRun",
    "TestMode",
    "TestResult",
    "ToolchainError",
]


class BinaryKind(enum.Enum):
    """Which kind of cargo target produced a block of results."""

    UNITTESTS = "unittests"  # lib, bin or example target: `Running unittests src/lib.rs (...)`
    TEST = "test"  # a [[test]] target: `Running tests/x.rs (...)`
    BENCH = "bench"  # a [[bench]] target (cargo prints it like a test; told apart by benches/)
    DOCTEST = "doctest"  # `Doc-tests crate_name`
    UNKNOWN = "unknown"  # `running N tests` with no cargo header (a test binary run directly)


class TestMode(enum.Enum):
    """The ` - MODE` suffix libtest prints after a name (`TestDesc::test_mode`)."""

    __test__ = False  # not a pytest class

    NORMAL = ""
    SHOULD_PANIC = "should panic"
    COMPILE_FAIL = "compile fail"  # doctest that must not compile
    NO_RUN = "compile"  # doctest marked no_run: compiled, never executed


class AnomalyKind(enum.Enum):
    """Something in the log that does not add up; recorded, never raised."""

    COUNT_MISMATCH = "count-mismatch"  # parsed results disagree with the `test result:` line
    INCOMPLETE = "incomplete"  # a binary started but printed no `test result:` line
    INFERRED_OUTCOME = "inferred-outcome"  # outcome glued to the test's own output
    UNRESOLVED = "unresolved"  # a test started but its outcome never appeared
    OUTCOME_CONFLICT = "outcome-conflict"  # result line and failures/successes list disagree
    DUPLICATE = "duplicate"  # the same test reported twice in one run
    TERSE = "terse"  # `-q` output names only failing tests


@dataclass(frozen=True, slots=True, kw_only=True)
class Binary:
    """One test executable cargo ran, identified as cargo's header names it."""

    index: int  # 0-based order of appearance in the log; results refer to binaries by it
    kind: BinaryKind
    src_path: str  # as cargo prints it, relative to the package root; "" for doctests
    exe_name: str  # deps file stem without "-<hash>" ("arco_flow"); the crate for doctests
    exe_path: str  # as printed ("target/debug/deps/arco_flow-1a2b"); "" for doctests
    log_line: int  # 1-based line of the header (or of `running N tests` when headerless)

    def __str__(self) -> str:
        if self.kind is BinaryKind.DOCTEST:
            return f"Doc-tests {self.exe_name}"
        if self.kind is BinaryKind.UNKNOWN:
            return f"test binary at log line {self.log_line}"
        return f"{self.kind.value} {self.src_path} ({self.exe_name})"


@dataclass(frozen=True, slots=True, kw_only=True)
class TestResult:
    """One test's reported outcome inside one binary."""

    __test__ = False  # not a pytest class

    binary: Binary
    name: str  # full libtest name: module path for Rust tests, `file - item (line N)` for doctests
    outcome: Outcome
    mode: TestMode = TestMode.NORMAL
    ignore_reason: str | None = None  # from `#[ignore = "reason"]` (libtest >= 1.60)
    bench: str | None = None  # e.g. "1.66 ns/iter (+/- 0.23)"
    output: str = ""  # captured output (failures/successes block, or interleaved panic text)
    output_truncated: bool = False
    log_line: int

    @property
    def should_panic(self) -> bool:
        return self.mode is TestMode.SHOULD_PANIC


@dataclass(frozen=True, slots=True, kw_only=True)
class Anomaly:
    kind: AnomalyKind
    message: str
    log_line: int


@dataclass(frozen=True, slots=True, kw_only=True)
class BinarySummary:
    """Totals for one binary as libtest reported them (summed over its `running` sections)."""

    binary: Binary
    running: int | None  # sum of `running N tests`; None if that line never came
    passed: int = 0
    failed: int = 0
    ignored: int = 0
    measured: int = 0
    filtered_out: int = 0
    complete: bool  # every section ended with `test result:`
    terse: bool = False  # `-q` output: passing tests are counted, not named
    rerun: str | None = None  # cargo's "to rerun pass `-p arco-flow --lib`"
    exit_status: str | None = None  # cargo's "(signal: 6, SIGABRT: process abort signal)"
    anomalies: tuple[Anomaly, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Diagnostic:
    """One `error[E0425]: ...` line from rustc or cargo, with its primary `-->` span."""

    code: str | None
    message: str
    location: Location | None
    log_line: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CompileError:
    """A target cargo could not build: `error: could not compile `crate` (target) ...`."""

    crate: str
    target: str | None  # as printed: "lib", "lib test", 'test "x"'; None for old cargo
    message: str
    diagnostics: tuple[Diagnostic, ...]
    log_line: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolchainError:
    """rustup refused to run: the pinned toolchain is not installed."""

    toolchain: str
    message: str
    log_line: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LibtestRun:
    """Everything parsed from one `cargo test` log."""

    results: tuple[TestResult, ...]
    binaries: tuple[BinarySummary, ...]
    compile_errors: tuple[CompileError, ...] = ()
    toolchain_error: ToolchainError | None = None
    failed_targets: tuple[str, ...] = ()  # `error: N targets failed:` list, e.g. "-p x --lib"
    errors: tuple[Diagnostic, ...] = ()  # other top-level `error:` lines (cargo fatal errors)
    anomalies: tuple[Anomaly, ...] = ()  # those not tied to one binary
    lines: int = 0

    def results_for(self, binary: Binary) -> tuple[TestResult, ...]:
        return tuple(r for r in self.results if r.binary == binary)

    def find(self, name: str, *, binary: Binary | None = None) -> tuple[TestResult, ...]:
        return tuple(r for r in self.results if r.name == name and (binary is None or r.binary == binary))

    def summary_for(self, binary: Binary) -> BinarySummary:
        return next(s for s in self.binaries if s.binary == binary)

    def all_anomalies(self) -> tuple[Anomaly, ...]:
        found = [a for s in self.binaries for a in s.anomalies] + list(self.anomalies)
        return tuple(sorted(found, key=lambda a: a.log_line))

    def to_dict(self) -> dict[str, Any]:
        return {
            "lines": self.lines,
            "toolchain_error": None
            if self.toolchain_error is None
            else {
                "toolchain": self.toolchain_error.toolchain,
                "message": self.toolchain_error.message,
                "log_line": self.toolchain_error.log_line,
            },
            "compile_errors": [
                {
                    "crate": c.crate,
                    "target": c.target,
                    "message": c.message,
                    "log_line": c.log_line,
                    "diagnostics": [_diag_to_dict(d) for d in c.diagnostics],
                }
                for c in self.compile_errors
            ],
            "errors": [_diag_to_dict(d) for d in self.errors],
            "failed_targets": list(self.failed_targets),
            "anomalies": [_anomaly_to_dict(a) for a in self.anomalies],
            "binaries": [_summary_to_dict(s) for s in self.binaries],
            "results": [_result_to_dict(r) for r in self.results],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LibtestRun:
        binaries = tuple(_summary_from_dict(s) for s in data["binaries"])
        by_index = {s.binary.index: s.binary for s in binaries}
        tc = data["toolchain_error"]
        return cls(
            results=tuple(_result_from_dict(r, by_index) for r in data["results"]),
            binaries=binaries,
            compile_errors=tuple(
                CompileError(
                    crate=c["crate"],
                    target=c["target"],
                    message=c["message"],
                    log_line=c["log_line"],
                    diagnostics=tuple(_diag_from_dict(d) for d in c["diagnostics"]),
                )
                for c in data["compile_errors"]
            ),
            toolchain_error=None if tc is None else ToolchainError(**tc),
            failed_targets=tuple(data["failed_targets"]),
            errors=tuple(_diag_from_dict(d) for d in data["errors"]),
            anomalies=tuple(_anomaly_from_dict(a) for a in data["anomalies"]),
            lines=data["lines"],
        )


def _diag_to_dict(d: Diagnostic) -> dict[str, Any]:
    loc = d.location
    return {
        "code": d.code,
        "message": d.message,
        "location": None if loc is None else {"path": loc.path, "line": loc.line},
        "log_line": d.log_line,
    }


def _diag_from_dict(d: dict[str, Any]) -> Diagnostic:
    loc = d["location"]
    return Diagnostic(
        code=d["code"],
        message=d["message"],
        location=None if loc is None else Location(path=loc["path"], line=loc["line"]),
        log_line=d["log_line"],
    )


def _anomaly_to_dict(a: Anomaly) -> dict[str, Any]:
    return {"kind": a.kind.value, "message": a.message, "log_line": a.log_line}


def _anomaly_from_dict(a: dict[str, Any]) -> Anomaly:
    return Anomaly(kind=AnomalyKind(a["kind"]), message=a["message"], log_line=a["log_line"])


def _summary_to_dict(s: BinarySummary) -> dict[str, Any]:
    b = s.binary
    return {
        "index": b.index,
        "kind": b.kind.value,
        "src_path": b.src_path,
        "exe_name": b.exe_name,
        "exe_path": b.exe_path,
        "log_line": b.log_line,
        "running": s.running,
        "passed": s.passed,
        "failed": s.failed,
        "ignored": s.ignored,
        "measured": s.measured,
        "filtered_out": s.filtered_out,
        "complete": s.complete,
        "terse": s.terse,
        "rerun": s.rerun,
        "exit_status": s.exit_status,
        "anomalies": [_anomaly_to_dict(a) for a in s.anomalies],
    }


def _summary_from_dict(s: dict[str, Any]) -> BinarySummary:
    binary = Binary(
        index=s["index"],
        kind=BinaryKind(s["kind"]),
        src_path=s["src_path"],
        exe_name=s["exe_name"],
        exe_path=s["exe_path"],
        log_line=s["log_line"],
    )
    return BinarySummary(
        binary=binary,
        running=s["running"],
        passed=s["passed"],
        failed=s["failed"],
        ignored=s["ignored"],
        measured=s["measured"],
        filtered_out=s["filtered_out"],
        complete=s["complete"],
        terse=s["terse"],
        rerun=s["rerun"],
        exit_status=s["exit_status"],
        anomalies=tuple(_anomaly_from_dict(a) for a in s["anomalies"]),
    )


def _result_to_dict(r: TestResult) -> dict[str, Any]:
    return {
        "binary": r.binary.index,
        "name": r.name,
        "outcome": r.outcome.value,
        "mode": r.mode.value,
        "ignore_reason": r.ignore_reason,
        "bench": r.bench,
        "log_line": r.log_line,
        "output_truncated": r.output_truncated,
        "output": r.output,
    }


def _result_from_dict(r: dict[str, Any], binaries: dict[int, Binary]) -> TestResult:
    return TestResult(
        binary=binaries[r["binary"]],
        name=r["name"],
        outcome=Outcome(r["outcome"]),
        mode=TestMode(r["mode"]),
        ignore_reason=r["ignore_reason"],
        bench=r["bench"],
        output=r["output"],
        output_truncated=r["output_truncated"],
        log_line=r["log_line"],
    )
