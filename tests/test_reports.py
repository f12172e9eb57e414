"""Report formats: JSON (against its schema), JUnit XML, Markdown, GitHub annotations, and the CLI flags.

One broken copy of examples/arco-mini is proven twice (once through `parity.prove.prove`, once through
the CLI with every report flag), so the formats are compared row by row on real verdicts and the two
runs byte for byte apart from timing.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

import jsonschema
import pytest
from conftest import MATRIX, copy_example, line_of, replace_in
from junitparser import JUnitXml

from parity.check import run_check
from parity.cli import main
from parity.config import load_config
from parity.junit import parse_junit_bytes
from parity.model import Outcome
from parity.prove import ProveOptions, ProveReport, prove
from parity.reporters.annotations import escape_data, escape_property, render_annotations
from parity.reporters.json_report import check_document, dumps, prove_document
from parity.reporters.junit_report import render_junit, xml_text
from parity.reporters.markdown import MARKER, STEP_SUMMARY_LIMIT, render_markdown
from parity.reporters.outputs import ReportPaths, write_outputs
from parity.repository import Repository

if TYPE_CHECKING:
    from collections.abc import Iterator

SCHEMA = json.loads(
    (Path(__file__).resolve().parent.parent / "parity/schemas/report.schema.json").read_text(encoding="utf-8")
)
FLOW = "crates/arco-flow"
GITHUB_VARIABLES = ("GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY", "GITHUB_WORKSPACE")
# Rust source of a panic message: a control character XML 1.0 forbids (libtest's reader strips ANSI
# colours, not this), a pipe, a percent sign and markup.
PANIC = "\\u{1}ticks | 100% <tick>"

# The broken copy: {start of capability: (status, prove verdict, prove outcome)} for every row.
EXPECTED = {
    "Duplicate schedule ticks": ("Implemented", "failed", "failed"),  # assertion fails
    "Catchup semantics": ("Implemented", "proven", "passed"),
    "Schedule definitions reject a zero interval": ("Implemented", "not run", "failed"),  # #[ignore]
    "Push sensor idempotency keys": ("Implemented", "proven", "passed"),
    "Durable sensor cursor": ("Implemented", "proven", "passed"),
    "Strong idempotency": ("Implemented", "proven", "passed"),
    "Conflict detection": ("Implemented", "proven", "passed"),
    "run_key indexing": ("Implemented", "proven", "passed"),
    "Canonical partition key encoding": ("Implemented", "proven", "passed"),
    "Daily and static partition definitions": ("Implemented", "failed", "failed"),  # pytest failure
    "Backfill supports range/filter": ("Partial", "proven", "passed"),
    "Backfill state transitions": ("Implemented", "proven", "passed"),
    "Backfill create is idempotent": ("Implemented", "failed", "failed"),  # owner removed: check error
    "Backfill pause/resume": ("Designed", "skipped", "skipped"),
    "Partition status row": ("Implemented", "proven", "passed"),
    "Staleness reasons": ("Implemented", "proven", "passed"),
    "Read-only staleness report": ("Partial", "proven", "passed"),
    "Reconciliation planning": ("Planned", "skipped", "skipped"),
    "Trigger run with explicit selection": ("Implemented", "proven", "passed"),
    "CLI surface": ("Implemented", "proven", "passed"),
    "Duplicate/out-of-order delivery": ("Implemented", "proven", "passed"),
    "Controller retries and redelivery": ("Partial", "ungated", "skipped"),
    "HA / leader election": ("Planned", "skipped", "skipped"),
    "IO managers": ("Exception", "skipped", "skipped"),
}
FAILED_ROWS = [name for name, (_, _, outcome) in EXPECTED.items() if outcome == "failed"]


# --- helpers -------------------------------------------------------------------------------------


def lines_of(root: Path) -> dict[str, int]:
    return {name: line_of(root / MATRIX, f"| {name}") for name in EXPECTED}


def zero_timing(kind: str, data: bytes) -> bytes:
    """Blank the fields that may differ between two runs with the same results."""
    if kind == "json":
        document = json.loads(data)

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                for key in node:
                    if key == "duration_seconds":
                        node[key] = 0
                    elif key == "log_sha256":
                        node[key] = ""  # a hash of the log, which records the test binaries' timings
                    elif key == "output":
                        # Rust 1.95 stamps the thread id into a panic message: the test's text, not ours.
                        node[key] = re.sub(r"' \(\d+\) panicked at", "' (0) panicked at", node[key])
                    else:
                        walk(node[key])
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        walk(document)
        return dumps(document).encode()
    if kind == "junit":
        data = re.sub(rb'time="[0-9.]+"', b'time="0"', data)
        return re.sub(rb"' \(\d+\) panicked at", b"' (0) panicked at", data)
    return re.sub(rb"(\| \d+ \| )\d+\.\ds( \|)", rb"\g<1>0.0s\2", data)


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def junit_cases(xml: bytes) -> dict[tuple[str, str], ET.Element]:
    root = ET.fromstring(xml)  # noqa: S314 - our own output
    return {(c.get("classname", ""), c.get("name", "")): c for c in root.iter("testcase")}


def junit_outcome(case: ET.Element) -> str:
    if case.find("failure") is not None:
        return "failed"
    return "skipped" if case.find("skipped") is not None else "passed"


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def no_github(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run outside GitHub Actions unless they say otherwise, even when CI is GitHub Actions."""
    for name in GITHUB_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A copy with failing, ignored and statically broken rows, proven twice (API run, then CLI run)."""
    base = tmp_path_factory.mktemp("reports")
    root = copy_example(base)
    flow = root / FLOW
    replace_in(
        flow / "src/orchestration/compactor/fold.rs",
        "assert_eq!(state.schedule_ticks.len(), 1);",
        f'assert_eq!(state.schedule_ticks.len(), 2, "{PANIC}");',
    )
    replace_in(
        flow / "src/orchestration/controllers/schedule.rs",
        '#[should_panic(expected = "schedule interval must be positive")]',
        '#[should_panic(expected = "schedule interval must be positive")] #[ignore]',
    )
    replace_in(
        root / "python/arco/tests/unit/test_types.py",
        'StaticPartitions(values=("eu", "us")).keys() == ["eu", "us"]',
        'StaticPartitions(values=("eu", "us")).keys() == ["us", "eu"]',
    )
    replace_in(root / MATRIX, "| TBD | Dagster parity target:", "|  | Dagster parity target:")
    with pytest.MonkeyPatch.context() as patch:
        # `python` is this interpreter, which has pytest: the job's `pip install pytest` setup is a no-op.
        patch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
        # A private target dir: cargo keys workspace members by their relative path, so a build of
        # another copy in the shared one (another test module, another pytest process) between our two
        # runs would leave the second run testing that copy's binaries (see test_prove.own_target).
        patch.setenv("CARGO_TARGET_DIR", str(base / "cargo-target"))
        for name in GITHUB_VARIABLES:
            patch.delenv(name, raising=False)
        repo = Repository(load_config(root))
        report = prove(repo, ProveOptions(cache=False))  # two real runs, not one run and a cache hit
        first = base / "first"
        write_outputs(
            prove_document(report, root=repo.root),
            ReportPaths(junit=first / "p.xml", json=first / "p.json", markdown=first / "p.md"),
            root=repo.root,
        )
        patch.setenv("GITHUB_ACTIONS", "true")
        patch.setenv("GITHUB_STEP_SUMMARY", str(base / "summary.md"))
        patch.setenv("GITHUB_WORKSPACE", str(base))
        second = base / "second"
        reports = ("--junit", f"{second}/p.xml", "--json", f"{second}/p.json", "--markdown", f"{second}/p.md")
        code, stdout, _ = cli("prove", "--repo", str(root), "--no-cache", *reports)
    yield {
        "root": root,
        "report": report,
        "document": json.loads((first / "p.json").read_text(encoding="utf-8")),
        "first": first,
        "second": second,
        "code": code,
        "stdout": stdout,
        "summary": base / "summary.md",
    }
    shutil.rmtree(base / "cargo-target", ignore_errors=True)


@pytest.fixture(scope="module")
def checked(broken: dict[str, Any]) -> dict[str, Any]:
    repo = Repository(load_config(broken["root"]))
    return check_document(run_check(repo), config=repo.config)


# --- JSON ----------------------------------------------------------------------------------------


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_documents_validate_against_the_schema(broken: dict[str, Any], checked: dict[str, Any]) -> None:
    jsonschema.validate(broken["document"], SCHEMA)
    jsonschema.validate(json.loads((broken["second"] / "p.json").read_text(encoding="utf-8")), SCHEMA)
    jsonschema.validate(checked, SCHEMA)


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda d: d.pop("summary"), "'summary' is a required property"),
        (lambda d: d["rows"][0].update(verdict="fine"), "'fine' is not one of"),
        (
            lambda d: d["rows"][0].update(extra=1),
            "Additional properties are not allowed ('extra' was unexpected)",
        ),
        (lambda d: d["commands"][0].update(exit_code="0"), "'0' is not of type 'integer', 'null'"),
    ],
    ids=["missing-key", "unknown-verdict", "undocumented-key", "wrong-type"],
)
def test_schema_rejects_broken_documents(broken: dict[str, Any], mutate: Any, error: str) -> None:
    document = copy.deepcopy(broken["document"])
    mutate(document)
    # The prove branch alone, so the errors name the key rather than "is not valid under any of oneOf".
    validator = jsonschema.Draft202012Validator({"$ref": "#/$defs/proveDocument", "$defs": SCHEMA["$defs"]})
    messages = [e.message for e in validator.iter_errors(document)]
    assert any(error in m for m in messages), messages


def test_prove_document_rows_match_the_report(broken: dict[str, Any]) -> None:
    document, report, root = broken["document"], broken["report"], broken["root"]
    lines = lines_of(root)
    by_line = {row["line"]: row for row in document["rows"]}
    named = _named(by_line, lines)
    assert {name: (r["status"], r["verdict"], r["outcome"]) for name, r in named.items()} == EXPECTED
    assert [(r["line"], r["verdict"]) for r in document["rows"]] == [
        (r.line, r.verdict.value) for r in report.rows
    ]
    assert broken["code"] == 1
    assert document["summary"]["claims"] == 17
    assert document["summary"]["claims_proven"] == 13
    assert document["summary"]["statuses"] == {
        "Designed": 1,
        "Exception": 1,
        "Implemented": 17,
        "Partial": 3,
        "Planned": 2,
    }


def _named(by_line: dict[int, Any], lines: dict[str, int]) -> dict[str, Any]:
    return {name: by_line[line] for name, line in lines.items()}


def test_json_paths_are_relative_to_the_repository(broken: dict[str, Any]) -> None:
    document, root = broken["document"], broken["root"]
    for command in document["commands"]:
        assert command["log_path"] == f".parity-cache/logs/{command['key']}.log"
        assert (root / command["log_path"]).is_file()
    logs = {t["log_path"] for r in document["rows"] for t in r["tests"] if t["log_path"]}
    assert logs <= {c["log_path"] for c in document["commands"]}
    assert {r["file"] for r in document["rows"]} == {MATRIX}


def test_rows_carry_their_refs_and_findings(broken: dict[str, Any]) -> None:
    rows = _named({r["line"]: r for r in broken["document"]["rows"]}, lines_of(broken["root"]))
    row = rows["Backfill create is idempotent"]
    assert row["refs"] == [
        {
            "kind": "code",
            "ref": "crates/arco-api/src/routes/orchestration.rs:224",
            "text": "`crates/arco-api/src/routes/orchestration.rs:224` (`create_backfill`)",
            "severity": "ok",
        },
        {
            "kind": "test",
            "ref": "crates/arco-api/tests/orchestration_api_tests.rs:49",
            "text": "`crates/arco-api/tests/orchestration_api_tests.rs:49` (`test_create_backfill_idempotent_on_key`)",
            "severity": "ok",
        },
        {
            "kind": "ci",
            "ref": ".github/workflows/ci.yml",
            "text": "`.github/workflows/ci.yml` (job `test`: `cargo test --workspace --all-features --exclude arco-flow`)",
            "severity": "ok",
        },
    ]
    assert [(f["severity"], f["code"]) for f in row["findings"]] == [("error", "owner-missing")]
    assert row["reasons"] == ["the row has no owner"]
    assert len(row["commands"]) == 1
    ignored = rows["Schedule definitions reject a zero interval"]
    assert [(r["kind"], r["severity"]) for r in ignored["refs"]] == [
        ("code", "ok"),
        ("test", "error"),
        ("ci", "ok"),
    ]
    assert [(f["severity"], f["code"], f["ref"]) for f in ignored["findings"]] == [
        ("error", "test-ignored", "crates/arco-flow/src/orchestration/controllers/schedule.rs:131")
    ]
    assert broken["document"]["other_findings"] == []


# --- all formats agree ---------------------------------------------------------------------------


def test_every_format_carries_the_same_verdicts(broken: dict[str, Any]) -> None:
    document, first = broken["document"], broken["first"]
    cases = junit_cases((first / "p.xml").read_bytes())
    markdown = (first / "p.md").read_text(encoding="utf-8")
    annotated = {
        (m["level"], int(m["line"]))
        for m in (_parse_annotation(line) for line in render_annotations(document))
        if m["level"] != "notice"
    }
    assert len(cases) == len(document["rows"])
    for row in document["rows"]:
        case = cases[(row["section"], row["capability"])]
        assert junit_outcome(case) == row["outcome"], row["capability"]
        properties = [(p.get("name"), p.get("value")) for p in case.iter("property")]
        assert properties[:2] == [("status", row["status"]), ("verdict", row["verdict"])]
        assert [p for p in properties if p[0] in {"code", "test", "ci"}] == [
            (ref["kind"], ref["text"]) for ref in row["refs"]
        ]
        result = case.find("failure") if row["outcome"] == "failed" else case.find("skipped")
        if result is not None:
            assert result.get("type") == row["verdict"]
        listed = (
            f"| {row['outcome']} | {row['verdict']} | {row['status']} | [{MATRIX}:{row['line']}]" in markdown
        )
        needs_attention = row["outcome"] == "failed" or row["verdict"] not in ("proven", "skipped")
        assert listed == (needs_attention or bool(row["suggestion"])), row["capability"]
        level = {"failed": "error"}.get(row["outcome"], "warning" if needs_attention else None)
        assert ((level, row["line"]) in annotated) == (level is not None), row["capability"]
    assert len(annotated) == sum(1 for r in document["rows"] if r["verdict"] not in ("proven", "skipped"))


def test_check_formats_agree(checked: dict[str, Any], tmp_path: Path) -> None:
    write_outputs(checked, ReportPaths(junit=tmp_path / "c.xml", markdown=tmp_path / "c.md"), root=tmp_path)
    cases = junit_cases((tmp_path / "c.xml").read_bytes())
    markdown = (tmp_path / "c.md").read_text(encoding="utf-8")
    annotations = [_parse_annotation(a) for a in render_annotations(checked)]
    assert [(a["level"], a["line"], a["title"]) for a in annotations] == [
        ("error", str(row["line"]), escape_property(f"parity check: {f['code']} ({row['capability']})"))
        for row in checked["rows"]
        for f in row["findings"]
        if f["severity"] == "error"
    ] + [
        ("warning", str(row["line"]), escape_property(f"parity check: {f['code']} ({row['capability']})"))
        for row in checked["rows"]
        for f in row["findings"]
        if f["severity"] == "warning"
    ]
    for row in checked["rows"]:
        case = cases[(row["section"], row["capability"])]
        assert junit_outcome(case) == row["outcome"]
        assert (f"[{MATRIX}:{row['line']}]" in markdown) == bool(row["findings"])
    assert checked["summary"]["by_verdict"] == {"error": 2, "ok": 21, "warning": 1}  # owner, #[ignore]


def _parse_annotation(line: str) -> dict[str, str]:
    match = re.fullmatch(r"::(?P<level>\w+) (?P<props>[^:]*)::(?P<message>.*)", line)
    assert match, line
    props = dict(p.split("=", 1) for p in match["props"].split(","))
    return {"level": match["level"], "message": match["message"], "line": props.get("line", ""), **props}


# --- JUnit ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("run", ["first", "second"])
def test_junit_has_the_shape_junit_consumers_read(broken: dict[str, Any], run: str) -> None:
    data = (broken[run] / "p.xml").read_bytes()
    assert data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(data)  # noqa: S314 - our own output
    assert root.tag == "testsuites"
    assert root.get("name") == "parity prove"
    allowed = {
        "testsuites": {"name", "tests", "failures", "errors", "skipped", "time"},
        "testsuite": {"name", "tests", "failures", "errors", "skipped", "time"},
        "testcase": {"name", "classname", "file", "line", "time"},
        "failure": {"message", "type"},
        "skipped": {"message", "type"},
        "property": {"name", "value"},
        "properties": set(),
        "system-out": set(),
    }
    for element in root.iter():
        assert set(element.attrib) <= allowed[element.tag], element.tag
    for scope in [root, *root.findall("testsuite")]:
        cases = list(scope.iter("testcase"))
        assert int(scope.get("tests", "")) == len(cases)
        assert int(scope.get("failures", "")) == sum(1 for c in cases if c.find("failure") is not None)
        assert int(scope.get("skipped", "")) == sum(1 for c in cases if c.find("skipped") is not None)
        assert int(scope.get("errors", "")) == sum(1 for c in cases if c.find("error") is not None) == 0
        float(scope.get("time", ""))
    for suite in root.findall("testsuite"):
        assert [c.tag for c in suite] == ["testcase"] * len(suite)
        for case in suite:
            assert case.get("name")
            assert case.get("classname") == suite.get("name")
            float(case.get("time", ""))
            order = [child.tag for child in case]
            assert order in (
                ["properties"],
                ["properties", "system-out"],
                ["properties", "failure"],
                ["properties", "failure", "system-out"],
                ["properties", "skipped"],
                ["properties", "skipped", "system-out"],
            ), order
    assert (int(root.get("failures", "")), int(root.get("skipped", ""))) == (4, 5)


def test_junit_reads_back_with_junitparser_and_parity(broken: dict[str, Any]) -> None:
    data = (broken["first"] / "p.xml").read_bytes()
    xml = JUnitXml.fromstring(data)
    cases = [case for suite in xml for case in suite]
    assert len(cases) == 24
    assert sum(c.is_failure for c in cases) == 4
    assert sum(c.is_skipped for c in cases) == 5
    assert [s.name for s in xml] == [
        "Scheduling",
        "Sensors",
        "run_key / run identity",
        "Partitions",
        "Backfills",
        "Partition status",
        "Staleness / reconciliation",
        "Selection / reruns (run UX)",
        "Production hardening",
        "Exceptions",
    ]
    run = parse_junit_bytes(data, "p.xml")
    outcomes = {(r.classname, r.name): r.outcome for r in run.results}
    expected = {"passed": Outcome.PASSED, "failed": Outcome.FAILED, "skipped": Outcome.SKIPPED}
    assert outcomes == {
        (r["section"], r["capability"]): expected[r["outcome"]] for r in broken["document"]["rows"]
    }
    assert [s.tests for s in run.suites] == [s.tests for s in xml]


def test_junit_failure_carries_reasons_and_the_tests_output(broken: dict[str, Any]) -> None:
    cases = junit_cases((broken["first"] / "p.xml").read_bytes())
    case = cases[("Scheduling", "Duplicate schedule ticks with same `tick_id` are projection-idempotent")]
    failure = case.find("failure")
    assert failure is not None
    label = "crates/arco-flow/src/orchestration/compactor/fold.rs::test_fold_schedule_ticked_idempotent_with_same_tick_id"
    name = "orchestration::compactor::fold::tests::test_fold_schedule_ticked_idempotent_with_same_tick_id"
    assert failure.get("message") == f"failed: {label}: failed (`{name}` failed)"
    assert failure.text == f"{label}: failed (`{name}` failed)\n-> {_downgrade()}"
    out = case.findtext("system-out") or ""
    assert out.startswith(
        f"failed: {label} under `cargo test -p arco-flow --features test-utils --lib` (`{name}` failed)"
    )
    assert "failed: #x01ticks | 100% <tick>\n" in out  # \x01 is not legal XML 1.0: escaped as pytest does
    assert "\x01" not in (broken["first"] / "p.xml").read_text(encoding="utf-8")
    report: ProveReport = broken["report"]
    row = next(r for r in report.rows if r.capability.startswith("Duplicate schedule ticks"))
    assert "failed: \x01ticks | 100% <tick>\n" in row.tests[0].output


def _downgrade() -> str:
    return "downgrade to Partial: the charter allows Implemented only with CI-gated proof"


def test_junit_skips_rows_that_claim_no_proof(broken: dict[str, Any]) -> None:
    cases = junit_cases((broken["first"] / "p.xml").read_bytes())
    planned = cases[("Exceptions", "IO managers (pluggable load/store of asset values)")].find("skipped")
    assert planned is not None
    assert (planned.get("type"), planned.get("message")) == ("skipped", "Exception: no proof required")
    partial = cases[
        (
            "Production hardening",
            "Controller retries and redelivery after a compactor reload create exactly one run",
        )
    ].find("skipped")
    assert partial is not None
    assert partial.get("type") == "ungated"
    assert partial.get("message", "").startswith(
        "Partial (no proof required), ungated: crates/arco-flow/tests/orchestration_e2e.rs::"
        "e2e_schedule_tick_reserves_one_run_per_tick_across_retries: ungated (passed, but job `e2e` does not gate"
    )


def test_check_junit_fails_on_errors_and_passes_with_warnings(checked: dict[str, Any]) -> None:
    cases = junit_cases(render_junit(checked))
    failure = cases[("Backfills", "Backfill create is idempotent on `Idempotency-Key` header")].find(
        "failure"
    )
    assert failure is not None
    line = next(r["line"] for r in checked["rows"] if r["capability"].startswith("Backfill create"))
    assert (failure.get("type"), failure.get("message")) == ("owner-missing", "the row has no owner")
    assert (
        failure.text
        == f"error {MATRIX}:{line} [owner-missing] the row has no owner (fix: name an owner, or TBD if unknown)"
    )
    warned = cases[
        (
            "Production hardening",
            "Controller retries and redelivery after a compactor reload create exactly one run",
        )
    ]
    assert junit_outcome(warned) == "passed"
    line = next(r["line"] for r in checked["rows"] if r["capability"].startswith("Controller retries"))
    assert (warned.findtext("system-out") or "").startswith(
        f"warning {MATRIX}:{line} [ci-not-gating] job `e2e`"
    )


def test_interrupted_run_says_so_in_the_junit_root(broken: dict[str, Any]) -> None:
    document = {**broken["document"], "interrupted": True}
    root = ET.fromstring(render_junit(document))  # noqa: S314
    assert root.get("name") == "parity prove (interrupted: results are partial)"


def test_xml_text_escapes_what_xml_forbids() -> None:
    # As pytest's bin_xml_escape: DEL is legal XML but discouraged, and escaped too.
    assert xml_text("a\x1bb\x00c\td\ne\x7f\ufffe\U0001f600") == "a#x1Bb#x00c\td\ne#x7F#xFFFE\U0001f600"


# --- Markdown ------------------------------------------------------------------------------------


def test_markdown_summary(broken: dict[str, Any]) -> None:
    text = (broken["first"] / "p.md").read_text(encoding="utf-8")
    lines = lines_of(broken["root"])
    head, _, rest = text.partition("### Rows that need attention (7)\n")
    assert head.splitlines()[:2] == [MARKER, "## parity prove: 13/17 Implemented rows proven"]
    assert "| failed | 3 |\n| not run | 1 |\n| proven | 15 |\n| skipped | 4 |\n| ungated | 1 |\n" in head
    assert "| Implemented | 17 | 13 | 4 | 0 |\n| Partial | 3 | 2 | 0 | 1 |\n" in head
    attention, _, commands = rest.partition("### Commands\n")
    rows = [line for line in attention.splitlines() if line.startswith("| ") and "](" in line]
    # Rows that fail the run first, then the rest; each group in matrix order.
    assert [int(re.findall(r"#L(\d+)\)", row)[0]) for row in rows] == [
        lines[name]
        for name in (
            "Duplicate schedule ticks",
            "Schedule definitions reject a zero interval",
            "Daily and static partition definitions",
            "Backfill create is idempotent",
            "Backfill supports range/filter",
            "Read-only staleness report",
            "Controller retries and redelivery",
        )
    ]
    line = lines["Backfill create is idempotent"]
    assert (
        f"| failed | failed | Implemented | [{MATRIX}:{line}]({MATRIX}#L{line}) Backfill create is idempotent on "
        "`Idempotency-Key` header | the row has no owner<br>→ " + _downgrade() + " |"
    ) in rows
    command_rows = [
        c
        for c in commands.splitlines()
        if c.startswith("| ") and c != "| result | tests | time | command | log |"
    ]
    assert len(command_rows) == 7
    assert command_rows[1].startswith("| exit 101 | ")


def test_markdown_stays_within_a_budget_and_says_what_it_left_out(broken: dict[str, Any]) -> None:
    document = copy.deepcopy(broken["document"])
    failing = next(r for r in document["rows"] if r["outcome"] == "failed")
    document["rows"] = [{**failing, "line": n, "capability": f"row {n} " + "x" * 200} for n in range(1, 6001)]
    full = render_markdown(document)
    assert len(full.encode()) > STEP_SUMMARY_LIMIT
    text = render_markdown(document, budget=STEP_SUMMARY_LIMIT, full_report="out/parity.md")
    assert len(text.encode()) <= STEP_SUMMARY_LIMIT
    shown = [line for line in text.splitlines() if line.startswith("| failed | failed |")]
    every = [line for line in full.splitlines() if line.startswith("| failed | failed |")]
    note = re.search(
        r"_(\d+) of 6000 row\(s\) needing attention left out: GitHub caps a step summary at 1 MiB\. "
        r"The full report is `out/parity\.md`\._",
        text,
    )
    assert note is not None
    assert len(shown) + int(note[1]) == 6000
    assert shown == every[: len(shown)]
    assert len(text.encode()) + len(every[len(shown)].encode()) + 1 > STEP_SUMMARY_LIMIT  # as many as fit
    assert text.endswith("\n")


def test_step_summary_is_appended_never_truncated(broken: dict[str, Any], tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step output\n", encoding="utf-8")
    environ = {"GITHUB_STEP_SUMMARY": str(summary)}
    write_outputs(broken["document"], ReportPaths(), root=tmp_path, environ=environ)
    write_outputs(broken["document"], ReportPaths(), root=tmp_path, environ=environ)
    expected = render_markdown(broken["document"])
    assert summary.read_text(encoding="utf-8") == f"earlier step output\n\n{expected}\n{expected}"


def test_step_summary_budget_counts_what_is_there_already(broken: dict[str, Any], tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    full = len(render_markdown(broken["document"]).encode())
    earlier = "e" * (STEP_SUMMARY_LIMIT - full + 500)  # leaves 499 bytes too few for the whole summary
    summary.write_text(earlier, encoding="utf-8")
    write_outputs(
        broken["document"],
        ReportPaths(json=tmp_path / "full.json"),
        root=tmp_path,
        environ={"GITHUB_STEP_SUMMARY": str(summary)},
    )
    text = summary.read_text(encoding="utf-8")
    assert text.startswith(earlier)
    assert len(text.encode()) <= STEP_SUMMARY_LIMIT
    assert re.search(
        rf"_\d+ of 7 row\(s\) needing attention left out: .* The full report is `{re.escape(str(tmp_path))}/full\.json`\._",
        text,
    )


def test_the_cli_run_appended_the_step_summary(broken: dict[str, Any]) -> None:
    text = broken["summary"].read_text(encoding="utf-8")
    assert text == (broken["second"] / "p.md").read_text(encoding="utf-8")


# --- annotations ---------------------------------------------------------------------------------


def test_escaping_follows_the_workflow_command_spec() -> None:
    assert escape_data("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext: a,b"
    assert escape_property("100% done\r\nnext: a,b") == "100%25 done%0D%0Anext%3A a%2Cb"


def _row(line: int, outcome: str, verdict: str, *, claims: bool = True) -> dict[str, Any]:
    return {
        "file": "m.md",
        "line": line,
        "section": "S",
        "capability": f"cap {line}",
        "status": "Implemented" if claims else "Partial",
        "claims_proof": claims,
        "verdict": verdict,
        "outcome": outcome,
        "reasons": [f"why {line}: 50%, a:b\nsecond line"],
        "suggestion": "",
        "tests": [],
        "findings": [],
        "refs": [],
        "commands": [],
    }


def test_annotations_put_the_important_first_and_cap_each_level() -> None:
    rows = [_row(n, "skipped", "ungated", claims=False) for n in range(1, 14)]
    rows += [_row(n, "failed", "failed", claims=n % 2 == 0) for n in range(20, 32)]
    document = {"command": "prove", "rows": rows}
    lines = render_annotations(document, full_report="out/parity.md")
    assert len(lines) == 21
    errors = [_parse_annotation(line) for line in lines[:10]]
    assert [e["level"] for e in errors] == ["error"] * 10
    assert [int(e["line"]) for e in errors] == [20, 22, 24, 26, 28, 30, 21, 23, 25, 27]  # Implemented first
    assert lines[0] == (
        "::error file=m.md,line=20,title=parity prove%3A failed (cap 20)::why 20: 50%25, a:b%0Asecond line"
    )
    assert [int(_parse_annotation(line)["line"]) for line in lines[10:20]] == list(range(1, 11))
    assert lines[20] == (
        "::notice title=parity::2 more error(s) and 3 more warning(s) are not annotated "
        "(GitHub shows 10 of each per step); the full report is out/parity.md"
    )


def test_annotations_print_only_under_github_actions(broken: dict[str, Any], tmp_path: Path) -> None:
    stream = io.StringIO()
    write_outputs(broken["document"], ReportPaths(), root=broken["root"], environ={}, stream=stream)
    assert stream.getvalue() == ""
    environ = {"GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(broken["root"].parent)}
    write_outputs(broken["document"], ReportPaths(), root=broken["root"], environ=environ, stream=stream)
    printed = stream.getvalue().splitlines()
    assert printed == [
        line.replace("::error file=", "::error file=arco-mini/").replace(
            "::warning file=", "::warning file=arco-mini/"
        )
        for line in render_annotations(broken["document"])
    ]
    assert len(printed) == 5  # 4 failed rows, 1 ungated Partial row: no notice below the cap
    del tmp_path


def test_the_cli_run_printed_annotations(broken: dict[str, Any]) -> None:
    printed = [line for line in broken["stdout"].splitlines() if line.startswith("::")]
    document = json.loads((broken["second"] / "p.json").read_text(encoding="utf-8"))
    assert printed == [
        line.replace("file=", "file=arco-mini/", 1)
        for line in render_annotations(document, full_report=f"{broken['second']}/p.md")
    ]


# --- byte-identical across runs ------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "name"), [("json", "p.json"), ("junit", "p.xml"), ("markdown", "p.md")])
def test_two_prove_runs_write_the_same_reports_apart_from_timing(
    broken: dict[str, Any], kind: str, name: str
) -> None:
    first = (broken["first"] / name).read_bytes()
    second = (broken["second"] / name).read_bytes()
    assert zero_timing(kind, first) == zero_timing(kind, second)


def test_two_check_runs_write_identical_reports(example: Path, tmp_path: Path) -> None:
    outputs = {}
    for run in ("a", "b"):
        reports = [
            f"--{k}={tmp_path / run / n}"
            for k, n in (("junit", "c.xml"), ("json", "c.json"), ("markdown", "c.md"))
        ]
        code, _, _ = cli("check", "--repo", str(example), *reports)
        assert code == 0
        outputs[run] = {n: (tmp_path / run / n).read_bytes() for n in ("c.xml", "c.json", "c.md")}
    assert outputs["a"]["c.md"] == outputs["b"]["c.md"]
    assert zero_timing("json", outputs["a"]["c.json"]) == zero_timing("json", outputs["b"]["c.json"])
    assert zero_timing("junit", outputs["a"]["c.xml"]) == zero_timing("junit", outputs["b"]["c.xml"])
    # Only the root carries a time in a check report: every row is 0.000.
    assert re.findall(rb'time="([0-9.]+)"', outputs["a"]["c.xml"])[1:] == [b"0.000"] * 34


# --- the CLI flags -------------------------------------------------------------------------------


def test_reports_replace_their_own_earlier_files_only(example: Path, tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "check.md"
    assert cli("check", "--repo", str(example), "--markdown", str(path))[0] == 0
    assert cli("check", "--repo", str(example), "--markdown", str(path))[0] == 0
    matrix = example / MATRIX
    before = matrix.read_bytes()
    code, _, err = cli("check", "--repo", str(example), "--markdown", str(matrix))
    assert code == 2
    assert err == (
        f"parity: error: {matrix}: already exists and is not a parity markdown report; refusing to overwrite "
        "it (pass --force to replace it, or choose another path)\n"
    )
    assert matrix.read_bytes() == before
    other = tmp_path / "notes.json"
    other.write_text("[1, 2]\n", encoding="utf-8")
    assert cli("check", "--repo", str(example), "--json", str(other), "--force")[0] == 0
    assert json.loads(other.read_text(encoding="utf-8"))["command"] == "check"


def test_report_path_mistakes_are_input_errors(example: Path, tmp_path: Path) -> None:
    same = tmp_path / "r.out"
    code, _, err = cli("check", "--repo", str(example), "--json", str(same), "--markdown", str(same))
    assert (code, err) == (
        2,
        f"parity: error: {same}: two reports would be written to this path (give each its own path)\n",
    )
    code, _, err = cli("check", "--repo", str(example), "--junit", str(tmp_path))
    assert (code, err) == (
        2,
        f"parity: error: {tmp_path}: is a directory (give a file path for the report)\n",
    )
    assert not same.exists()


def test_json_on_stdout_sends_annotations_to_stderr(example: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    code, out, err = cli("check", "--repo", str(example), "--format", "json")
    assert code == 0
    assert json.loads(out)["summary"]["warnings"] == 1
    line = line_of(example / MATRIX, "| Controller retries")
    assert err.startswith(
        f"::warning file={MATRIX},line={line},title=parity check%3A ci-not-gating (Controller"
    )


def test_an_unwritable_report_is_an_input_error(example: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory\n", encoding="utf-8")
    target = blocker / "check.json"
    code, _, err = cli("check", "--repo", str(example), "--json", str(target))
    assert (code, err) == (2, f"parity: error: {target}: cannot write the report: File exists\n")


def test_an_unwritable_step_summary_only_warns(
    broken: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_outputs(
        broken["document"], ReportPaths(), root=tmp_path, environ={"GITHUB_STEP_SUMMARY": str(tmp_path)}
    )
    assert capsys.readouterr().err == (
        f"parity: warning: cannot append the job summary to {tmp_path}: Is a directory\n"
    )
