"""A Markdown summary for a PR comment or a GitHub job summary: counts, then only the rows to look at.

Rendered from the JSON document (json_report). Row links are repository-relative
(`[docs/parity/m.md:33](docs/parity/m.md#L33)`). GitHub caps a step summary at 1 MiB, so the renderer takes
a byte budget and, when the rows needing attention do not fit, says how many it left out and where the
full report is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = ["MARKER", "STEP_SUMMARY_LIMIT", "attention_rows", "link", "render_markdown"]

MARKER = "<!-- parity report: rewritten by every run -->"
STEP_SUMMARY_LIMIT = 1024 * 1024  # bytes: GitHub rejects a larger step summary
_CELL_LIMIT = 1000  # characters per table cell: a 60 KB traceback belongs in the JSON, not here


def link(path: str, line: int | None) -> str:
    if line is None:
        return f"[{path}]({quote(path)})"
    return f"[{path}:{line}]({quote(path)}#L{line})"


def _cell(text: str) -> str:
    text = text if len(text) <= _CELL_LIMIT else text[: _CELL_LIMIT - 1] + "…"
    # Only the pipe needs escaping: GFM splits cells on `|` before it parses code spans, and `\|`
    # inside a code span renders as `|` (GFM spec, "Tables (extension)").
    return text.replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def _tr(values: Sequence[object]) -> str:
    return "| " + " | ".join(_cell(str(v)) for v in values) + " |"


def _table(header: Sequence[str], align: Sequence[str], rows: Sequence[Sequence[object]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|", *(_tr(row) for row in rows)]


def attention_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows a reader should look at: blocking ones first, then the rest in matrix order."""
    if document["command"] == "check":
        chosen = [r for r in document["rows"] if r["findings"]]
        return sorted(chosen, key=lambda r: r["verdict"] != "error")
    chosen = [
        r
        for r in document["rows"]
        if r["outcome"] == "failed"
        or (r["outcome"] == "skipped" and r["verdict"] != "skipped")
        or r["verdict"] == "flaky"
        or r["suggestion"]
    ]
    return sorted(chosen, key=lambda r: r["outcome"] != "failed")


def _headline(document: dict[str, Any]) -> str:
    summary = document["summary"]
    if document["command"] == "check":
        errors, warnings = summary["errors"], summary["warnings"]
        verdict = f"{errors} error(s)" if errors else "no errors"
        return f"## parity check: {verdict}, {warnings} warning(s) in {summary['rows']} rows"
    text = f"## parity prove: {summary['claims_proven']}/{summary['claims']} Implemented rows proven"
    if document["interrupted"]:
        text += " (INTERRUPTED: results are partial)"
    return text


def _counts(document: dict[str, Any]) -> list[str]:
    summary = document["summary"]
    lines = _table(("verdict", "rows"), ("---", "---:"), sorted(summary["by_verdict"].items()))
    outcomes = ("passed", "failed") if document["command"] == "check" else ("passed", "failed", "skipped")
    by_status: dict[str, dict[str, int]] = {}
    for row in document["rows"]:
        counts = by_status.setdefault(row["status"] or "(none)", dict.fromkeys(outcomes, 0))
        counts[row["outcome"]] += 1
    table = [(status, sum(c.values()), *c.values()) for status, c in sorted(by_status.items())]
    lines.append("")
    lines.extend(_table(("status", "rows", *outcomes), ("---", *("---:",) * (len(outcomes) + 1)), table))
    return lines


def _row_line(document: dict[str, Any], row: dict[str, Any]) -> str:
    where = f"{link(row['file'], row['line'])} {row['capability']}"
    if document["command"] == "check":
        findings = "\n".join(
            f"`{f['code']}` {f['message']}" + (f" (fix: {f['hint']})" if f["hint"] else "")
            for f in row["findings"]
        )
        return _tr((row["verdict"], row["status"], where, findings))
    why = list(row["reasons"])
    if row["verdict"] == "flaky" and not why:
        why.append("passed only on a retry")
    if row["suggestion"]:
        why.append(f"→ {row['suggestion']}")
    return _tr((row["outcome"], row["verdict"], row["status"], where, "\n".join(why)))


def _attention_header(document: dict[str, Any], count: int) -> list[str]:
    header = ["", f"### Rows that need attention ({count})", ""]
    if document["command"] == "check":
        return header + _table(("verdict", "status", "row", "findings"), ("---",) * 4, [])
    return header + _table(("outcome", "verdict", "status", "row", "why"), ("---",) * 5, [])


def _other_findings(document: dict[str, Any]) -> list[str]:
    others = document["other_findings"] if document["command"] == "check" else []
    if not others:
        return []
    rows = [
        (f["severity"], link(f["file"], f["line"]), f"`{f['code']}` {f['message']}", f["hint"])
        for f in others
    ]
    return [
        "",
        f"### Other findings ({len(others)})",
        "",
        *_table(("severity", "where", "finding", "fix"), ("---",) * 4, rows),
    ]


def _commands(document: dict[str, Any]) -> list[str]:
    if document["command"] != "prove" or not document["commands"]:
        return []
    rows = []
    for command in document["commands"]:
        state = f"exit {command['exit_code']}" if command["status"] == "ran" else command["status"]
        rows.append(
            (
                state,
                command["tests_executed"],
                f"{command['duration_seconds']:.1f}s",
                f"`{command['display']}`",
                command["log_path"] or command["error"],
            )
        )
    table = _table(("result", "tests", "time", "command", "log"), ("---", "---:", "---:", "---", "---"), rows)
    return ["", "### Commands", "", *table]


def render_markdown(document: dict[str, Any], *, budget: int | None = None, full_report: str = "") -> str:
    """The summary; with `budget` (bytes), rows that do not fit are counted instead of shown."""
    head = [MARKER, _headline(document), "", *_counts(document)]
    rows = attention_rows(document)
    tail = [*_other_findings(document), *_commands(document)]
    if not rows:
        body: list[str] = ["", "Nothing needs attention."]
    else:
        body = _attention_header(document, len(rows))
        body.extend(_row_line(document, row) for row in rows)
    text = "\n".join([*head, *body, *tail]) + "\n"
    if budget is None or len(text.encode()) <= budget:
        return text
    return _truncated(head, body, tail, rows, budget, full_report)


def _truncated(
    head: list[str],
    body: list[str],
    tail: list[str],
    rows: list[dict[str, Any]],
    budget: int,
    full_report: str,
) -> str:
    where = f"`{full_report}`" if full_report else "in the JSON report (`--json PATH`)"
    header_lines = len(body) - len(rows)

    def note(left_out: int) -> str:
        return (
            f"\n_{left_out} of {len(rows)} row(s) needing attention left out: GitHub caps a step summary at "
            f"1 MiB. The full report is {where}._"
        )

    kept = "\n".join([*head, *body[:header_lines]])
    used = len(kept.encode()) + len(note(len(rows)).encode()) + 2
    shown = 0
    for line in body[header_lines:]:
        size = len(line.encode()) + 1
        if used + size > budget:
            break
        used += size
        shown += 1
    parts = [*head, *body[: header_lines + shown if shown else 2]]  # no empty table
    tail_text = "\n".join(tail)
    if tail and used + len(tail_text.encode()) + 1 <= budget:
        parts.append(note(len(rows) - shown))
        parts.extend(tail)
    else:
        parts.append(note(len(rows) - shown))
    return "\n".join(parts) + "\n"
