"""JUnit XML for CI test-report viewers: one testsuite per matrix section, one testcase per row.

The shape is pytest's `junit_family=xunit1` (src/_pytest/junitxml.py), the one that allows `<properties>`
and `file`/`line` on a testcase: each evidence ref is a property (`code`, `test`, `ci`). Counts in the
headers are computed from the elements written. `line` is the 1-based matrix line (pytest writes a
0-based one; viewers that annotate `file:line` expect 1-based). Rendered from the JSON document
(json_report), so the verdicts are the JSON's. A row's commands are shared with other rows, so rows get
time 0 and the root gets the run's duration: no per-row number to misread.
"""

from __future__ import annotations

import importlib
import io
import re
from itertools import groupby
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["OTHER_SUITE", "render_junit", "xml_text"]

OTHER_SUITE = "(other findings)"

# XML 1.0 forbids most control characters, which test output is full of (ANSI colours): pytest's
# bin_xml_escape replaces each with `#xNN`, and so do we, so any XML reader can load the file.
_ILLEGAL = re.compile("[^\u0009\u000a\u000d\u0020-\u007e\u0080-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(text: str) -> str:
    return _ILLEGAL.sub(lambda m: f"#x{ord(m.group()):02X}", text)


def _junitparser() -> Any:
    """Imported on first use (STYLE 7: startup stays fast), and untyped: Any at this boundary."""
    return importlib.import_module("junitparser")


def render_junit(document: dict[str, Any]) -> bytes:
    """The UTF-8 JUnit XML of a `check` or `prove` document."""
    jp = _junitparser()
    suffix = " (interrupted: results are partial)" if document.get("interrupted") else ""
    root = jp.JUnitXml(name=f"parity {document['command']}{suffix}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    suites: list[tuple[str, list[Any]]] = []
    for (_, section), rows in groupby(document["rows"], key=lambda r: (r["file"], r["section"])):
        suites.append((section or "(no section)", _cases(document["command"], list(rows))))
    if document["command"] == "check" and document["other_findings"]:
        suites.append((OTHER_SUITE, [_other_case(f) for f in document["other_findings"]]))
    for name, cases in suites:
        suite = jp.TestSuite(xml_text(name))
        counts = {"tests": len(cases), "failures": 0, "errors": 0, "skipped": 0}
        for case in cases:
            counts["failures"] += case.is_failure
            counts["skipped"] += case.is_skipped
            suite.append(case)
        _set_counts(suite, counts, 0.0)
        for key, value in counts.items():
            totals[key] += value
        root.append(suite)
    _set_counts(root, totals, document["summary"]["duration_seconds"])
    buffer = io.BytesIO()
    root.write(buffer, pretty=True)
    return buffer.getvalue()


def _set_counts(element: Any, counts: dict[str, int], time: float) -> None:
    # Attribute order as pytest writes it: name, errors, failures, skipped, tests, time.
    for key in ("errors", "failures", "skipped", "tests"):
        element._elem.set(key, str(counts[key]))
    element._elem.set("time", f"{time:.3f}")


def _unique_names(rows: list[dict[str, Any]]) -> list[str]:
    """Viewers key testcases by (classname, name): two rows with one capability get their line added."""
    names = [r["capability"] or f"line {r['line']}" for r in rows]
    return [
        f"{name} (line {row['line']})" if names.count(name) > 1 else name
        for name, row in zip(names, rows, strict=True)
    ]


def _cases(command: str, rows: list[dict[str, Any]]) -> list[Any]:
    cases = []
    for name, row in zip(_unique_names(rows), rows, strict=True):
        case = _case(name, row)
        if command == "check":
            _check_result(case, row)
        else:
            _prove_result(case, row)
        cases.append(case)
    return cases


def _case(name: str, row: dict[str, Any]) -> Any:
    jp = _junitparser()

    case = jp.TestCase(xml_text(name), xml_text(row["section"] or "(no section)"))
    case._elem.set("file", row["file"])
    case._elem.set("line", str(row["line"]))
    case._elem.set("time", "0.000")
    properties = jp.Properties()
    pairs = [("status", row["status"]), ("verdict", row["verdict"])]
    pairs.extend((ref["kind"], ref["text"]) for ref in row["refs"])
    if row.get("suggestion"):
        pairs.append(("suggestion", row["suggestion"]))
    for key, value in pairs:
        properties.add_property(jp.Property(key, xml_text(value)))
    case.append(properties)
    return case


def _finding_line(finding: dict[str, Any]) -> str:
    where = finding["file"] if finding["line"] is None else f"{finding['file']}:{finding['line']}"
    text = f"{finding['severity']} {where} [{finding['code']}] {finding['message']}"
    return text + (f" (fix: {finding['hint']})" if finding["hint"] else "")


def _check_result(case: Any, row: dict[str, Any]) -> None:
    jp = _junitparser()

    errors = [f for f in row["findings"] if f["severity"] == "error"]
    warnings = [f for f in row["findings"] if f["severity"] == "warning"]
    if errors:
        failure = jp.Failure(xml_text(_summary(errors[0]["message"], len(errors))), errors[0]["code"])
        failure.text = xml_text("\n".join(_finding_line(f) for f in row["findings"]))
        case.append(failure)
    elif warnings:
        _system_out(case, (_finding_line(f) for f in warnings))


def _summary(first: str, count: int) -> str:
    return first if count == 1 else f"{first} (and {count - 1} more)"


def _prove_result(case: Any, row: dict[str, Any]) -> None:
    jp = _junitparser()

    verdict = row["verdict"]
    reasons = list(row["reasons"])
    first = reasons[0] if reasons else ""
    if row["outcome"] == "failed":
        failure = jp.Failure(
            xml_text(f"{verdict}: {_summary(first, len(reasons))}" if first else verdict), verdict
        )
        details = [*reasons, *([f"-> {row['suggestion']}"] if row["suggestion"] else [])]
        failure.text = xml_text("\n".join(details))
        case.append(failure)
    elif row["outcome"] == "skipped":
        if verdict == "skipped":
            message = f"{row['status'] or 'no status'}: no proof required"
        else:
            message = f"{row['status'] or 'no status'} (no proof required), {verdict}"
            message += f": {first}" if first else ""
        case.append(jp.Skipped(xml_text(message), verdict))
    lines = []
    for test in row["tests"]:
        line = f"{test['verdict']}: {test['label']}"
        if test["command"]:
            line += f" under `{test['command']}`"
        if test["reason"]:
            line += f" ({test['reason']})"
        if test["log_path"]:
            line += f" [log: {test['log_path']}]"
        lines.append(line)
    for test in row["tests"]:
        if test["output"]:
            lines.extend(
                ("", f"--- {test['label']} (under `{test['command']}`) ---", test["output"].rstrip())
            )
    if lines:
        _system_out(case, lines)


def _system_out(case: Any, lines: Iterable[str]) -> None:
    jp = _junitparser()

    case.append(jp.SystemOut(xml_text("\n".join(lines))))


def _other_case(finding: dict[str, Any]) -> Any:
    jp = _junitparser()

    where = finding["file"] if finding["line"] is None else f"{finding['file']}:{finding['line']}"
    case = jp.TestCase(xml_text(f"{where} [{finding['code']}]"), OTHER_SUITE)
    case._elem.set("file", finding["file"])
    if finding["line"] is not None:
        case._elem.set("line", str(finding["line"]))
    case._elem.set("time", "0.000")
    if finding["severity"] == "error":
        failure = jp.Failure(xml_text(finding["message"]), finding["code"])
        failure.text = xml_text(_finding_line(finding))
        case.append(failure)
    else:
        _system_out(case, [_finding_line(finding)])
    return case
