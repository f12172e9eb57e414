"""Cited tests x observed results -> a verdict per test and per row (pure: no I/O, no subprocesses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from parity.model import Outcome, Severity, Verdict
from parity.observe import observe
from parity.results import CommandStatus

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from parity.config import Config
    from parity.model import Finding
    from parity.resolve import CitedCommand, CitedTest, ResolvedRow
    from parity.results import CommandResult
    from parity.selectmodel import Selection

__all__ = ["Disagreement", "ProofInputs", "RowVerdict", "TestVerdict", "judge_rows"]

# Worst first: a row is as weak as its weakest test.
_SEVERITY = (
    Verdict.FAILED,
    Verdict.ERROR,
    Verdict.MISSING,
    Verdict.AMBIGUOUS,
    Verdict.NOT_RUN,
    Verdict.UNGATED,
    Verdict.FLAKY,
    Verdict.PROVEN,
    Verdict.SKIPPED,
)
_MISSING_CODES = {
    "test-missing": Verdict.MISSING,
    "test-not-a-test": Verdict.MISSING,
    "test-not-compiled": Verdict.MISSING,
    "test-ambiguous": Verdict.AMBIGUOUS,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class TestVerdict:
    __test__ = False

    label: str  # path::name (or path when a whole file is cited)
    ref: str  # the matrix ref token
    verdict: Verdict
    reason: str = ""
    command: str = ""  # the command whose result decided it
    output: str = ""  # a failing test's captured output
    log_path: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class RowVerdict:
    path: str
    line: int
    section: str
    capability: str
    status: str
    verdict: Verdict
    claims_proof: bool
    reasons: tuple[str, ...] = ()
    tests: tuple[TestVerdict, ...] = ()
    suggestion: str = ""  # the charter's honest downgrade, or a promotion candidate


@dataclass(frozen=True, slots=True, kw_only=True)
class Disagreement:
    """Static selection and the real run disagree about one test: a bug in one of them."""

    label: str
    command: str
    predicted: str
    observed: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProofInputs:
    config: Config
    results: Mapping[str, CommandResult]  # by invocation key
    keys: Mapping[int, str]  # id(CitedCommand) -> invocation key
    refused: Mapping[int, str]  # id(CitedCommand) -> why policy refused it
    setup_errors: Mapping[str, str]  # job id -> why its setup failed
    rootdirs: Mapping[str, str]  # invocation key -> pytest rootdir
    findings: Mapping[int, Sequence[Finding]]  # matrix line -> static findings of that row
    for_signoff: bool = False
    disagreements: list[Disagreement] = field(default_factory=list)
    # Per-run lookup tables, built once per command result (a run holds thousands of results).
    indexes: dict[int, object] = field(default_factory=dict)


def judge_rows(rows: Sequence[ResolvedRow], inputs: ProofInputs) -> list[RowVerdict]:
    return [_judge_row(item, inputs) for item in rows]


def _judge_row(item: ResolvedRow, inputs: ProofInputs) -> RowVerdict:
    config = inputs.config
    row = item.row
    status = row.get(config.columns.status)
    claims = status in config.proof_statuses
    tests = [_judge_test(cited, inputs) for cited in item.cited_tests]
    tests.extend(
        TestVerdict(label=p.ref, ref=p.ref, verdict=_MISSING_CODES[p.code], reason=p.message)
        for p in item.problems
        if p.code in _MISSING_CODES
    )
    static_errors = [f.message for f in inputs.findings.get(row.line, ()) if f.severity is Severity.ERROR]
    reasons = list(static_errors)
    reasons.extend(
        f"{t.label}: {t.verdict.value}" + (f" ({t.reason})" if t.reason else "")
        for t in tests
        if t.verdict not in _accepted(inputs)
    )
    if not tests:
        verdict = Verdict.FAILED if claims else Verdict.SKIPPED
        if claims:
            reasons.append("no test is cited as evidence")
    else:
        worst = min((t.verdict for t in tests), key=_SEVERITY.index)
        verdict = worst
        if static_errors and verdict in _accepted(inputs):
            verdict = Verdict.FAILED
    suggestion = ""
    if claims and verdict not in _accepted(inputs):
        suggestion = "downgrade to Partial: the charter allows Implemented only with CI-gated proof"
    elif status == "Partial" and tests and verdict in _accepted(inputs) and not static_errors:
        suggestion = "promotion candidate: all cited evidence is proven (review before upgrading)"
    return RowVerdict(
        path=row.path,
        line=row.line,
        section=row.section,
        capability=row.get(config.columns.capability),
        status=status,
        verdict=verdict,
        claims_proof=claims,
        reasons=tuple(reasons),
        tests=tuple(tests),
        suggestion=suggestion,
    )


def _accepted(inputs: ProofInputs) -> tuple[Verdict, ...]:
    return (Verdict.PROVEN,) if inputs.for_signoff else (Verdict.PROVEN, Verdict.FLAKY)


def _judge_test(cited: CitedTest, inputs: ProofInputs) -> TestVerdict:
    if not cited.selections:
        return TestVerdict(
            label=cited.label,
            ref=cited.ref.token,
            verdict=Verdict.NOT_RUN,
            reason="no cited command can run it",
        )
    verdicts = [_judge_under(cited, command, selection, inputs) for command, selection in cited.selections]
    failed = [v for v in verdicts if v.verdict is Verdict.FAILED]
    if failed:
        return failed[0]
    return min(verdicts, key=lambda v: _SEVERITY.index(v.verdict) if v.verdict is not Verdict.PROVEN else -1)


def _judge_under(
    cited: CitedTest, command: CitedCommand, selection: Selection, inputs: ProofInputs
) -> TestVerdict:
    base = {"label": cited.label, "ref": cited.ref.token, "command": command.cited}
    if id(command) in inputs.refused:
        return TestVerdict(**base, verdict=Verdict.ERROR, reason=f"refused: {inputs.refused[id(command)]}")
    if command.job in inputs.setup_errors:
        return TestVerdict(
            **base,
            verdict=Verdict.ERROR,
            reason=f"setup of job `{command.job}` failed: {inputs.setup_errors[command.job]}",
        )
    key = inputs.keys.get(id(command), "")
    result = inputs.results.get(key)
    if result is None or result.status is CommandStatus.NOT_RUN:
        return TestVerdict(**base, verdict=Verdict.NOT_RUN, reason="the command was not run")
    if result.status in (CommandStatus.ERROR, CommandStatus.INTERRUPTED, CommandStatus.REFUSED):
        return TestVerdict(**base, verdict=Verdict.ERROR, reason=result.error, log_path=result.log_path)
    observed = observe(cited, result, inputs.rootdirs.get(key, ""), inputs.indexes)
    base["command"] = result.display
    if observed is None:
        return TestVerdict(
            **base,
            verdict=Verdict.NOT_RUN,
            reason="the command produced no test results",
            log_path=result.log_path,
        )
    outcomes, binary_ran = observed
    ran = [o for o in outcomes if o[1] in (Outcome.PASSED, Outcome.FAILED)]
    _record_disagreement(cited, command, selection, ran=bool(ran), binary_ran=binary_ran, inputs=inputs)
    flaky = set(result.flaky)
    failures = [o for o in ran if o[1] is Outcome.FAILED and o[3] not in flaky]
    if failures:
        return TestVerdict(
            **base,
            verdict=Verdict.FAILED,
            reason=f"`{failures[0][0]}` failed",
            output=failures[0][2],
            log_path=result.log_path,
        )
    if ran:
        if any(o[3] in flaky for o in ran):
            return TestVerdict(
                **base, verdict=Verdict.FLAKY, reason="passed only on a retry", log_path=result.log_path
            )
        if not command.gates:
            return TestVerdict(
                **base,
                verdict=Verdict.UNGATED,
                log_path=result.log_path,
                reason=f"passed, but job `{command.job}` does not gate: {command.gating_reason}",
            )
        return TestVerdict(**base, verdict=Verdict.PROVEN, log_path=result.log_path)
    return TestVerdict(
        **base,
        verdict=Verdict.NOT_RUN,
        log_path=result.log_path,
        reason=_why_not_run(cited, outcomes, result, selection, binary_ran=binary_ran),
    )


def _why_not_run(
    cited: CitedTest,
    outcomes: list[tuple[str, Outcome, str, str]],
    result: CommandResult,
    selection: Selection,
    *,
    binary_ran: bool,
) -> str:
    ignored = [o for o in outcomes if o[1] is Outcome.IGNORED]
    if ignored:
        return "ignored" + (f": {ignored[0][2]}" if ignored[0][2] else "")
    skipped = [o for o in outcomes if o[1] is Outcome.SKIPPED]
    if skipped:
        return "skipped" + (f": {skipped[0][2]}" if skipped[0][2] else "")
    run = result.libtest
    if run is not None and not binary_ran:
        crate = cited.crate.package if cited.crate else ""
        broken = [e for e in run.compile_errors if e.crate in {crate, crate.replace("-", "_")}]
        if broken:
            target = f" ({broken[0].target})" if broken[0].target else ""
            return f"build failed: could not compile `{broken[0].crate}`{target}"
        if run.compile_errors:
            return f"build failed: could not compile `{run.compile_errors[0].crate}`"
        if run.toolchain_error is not None:
            return run.toolchain_error.message
        if result.exit_code not in (0, None) and any(not s.complete or s.failed for s in run.binaries):
            return "never reached: an earlier test binary failed and cargo stopped"
    if not selection.selected and selection.reason is not None:
        return f"{selection.reason.value}: {selection.detail}"
    return "not collected: the command ran but did not report this test"


def _record_disagreement(
    cited: CitedTest,
    command: CitedCommand,
    selection: Selection,
    *,
    ran: bool,
    binary_ran: bool,
    inputs: ProofInputs,
) -> None:
    if selection.selected == ran or (selection.selected and not binary_ran):
        return  # agreement, or a build/earlier failure explains the absence
    inputs.disagreements.append(
        Disagreement(
            label=cited.label,
            command=command.cited,
            predicted="selected" if selection.selected else f"not selected ({selection.detail})",
            observed="ran" if ran else "did not run",
        )
    )
